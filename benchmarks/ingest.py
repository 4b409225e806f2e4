"""Import + trivial analysis throughput on generated calls, against a parse-only baseline in the same run.

    python benchmarks/ingest.py                      # 10,000 calls into a fresh SQLite file
    python benchmarks/ingest.py --db postgresql://postgres@127.0.0.1/heard_bench --no-analyse
    python benchmarks/ingest.py --batch 0 --calls 2000   # the one-call-per-transaction path, for comparison

Phases, each in its own process so peak memory (max RSS) is per phase:
  parse    read and validate every file (the baseline: no database)
  import   parse + store every call with heard's import, --batch calls per transaction (Store.add_calls);
           --batch 0: Store.add_call, one transaction per call, as imports did before the bulk path
  analyse  load every stored call, run the pipeline (every analyser, or --analyser NAME), store the analyses
           (left out with --no-analyse)
The database must be empty: the import phase checks that every call was added.
Prints a table and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_parse(folder: str) -> dict[str, Any]:
    from heard.ingest import expand_paths, read_path
    from heard.model import Call

    start = time.perf_counter()
    calls = sum(1 for p in expand_paths([folder]) for r in read_path(p) if isinstance(r, Call))
    return {"calls": calls, "seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def phase_import(folder: str, url: str, batch: int) -> dict[str, Any]:
    from heard.ingest import expand_paths, read_path
    from heard.model import Call
    from heard.runners.importer import import_paths
    from heard.store import Store, Written

    store = Store.open(url)
    start = time.perf_counter()
    if batch:
        report = import_paths(store, [folder], batch_size=batch)
        assert report.failed == 0, report.problems[:3]
        added = report.added
    else:
        added = sum(store.add_call(r, source_path=str(p)) is Written.ADDED
                    for p in expand_paths([folder]) for r in read_path(p) if isinstance(r, Call))
    return {"calls": added, "seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def phase_analyse(url: str, only: list[str] | None) -> dict[str, Any]:
    from heard.model import CallAnalysis
    from heard.runners.local import analyse_and_store
    from heard.store import Store

    store = Store.open(url)
    start = time.perf_counter()
    done = 0
    for result in analyse_and_store(store, store.iter_calls(), only=only):
        assert isinstance(result, CallAnalysis)
        done += 1
    return {"calls": done, "seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}


def run(fn: Any, *args: Any) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file in a temp folder)")
    parser.add_argument("--analyser", action="append", help="run only this analyser (repeatable; default: all)")
    parser.add_argument("--no-analyse", action="store_true", help="parse and import only")
    parser.add_argument("--batch", type=int, default=None,
                        help="calls per import transaction (default: heard's; 0: one add_call per call)")
    args = parser.parse_args()

    from heard.runners.importer import BATCH_CALLS
    from heard.samples.generate import write_corpus
    from heard.store import resolve_url

    with tempfile.TemporaryDirectory(prefix="heard-bench-") as tmp:
        folder = Path(tmp) / "corpus"
        files = write_corpus(folder, calls=args.calls, seed=args.seed, per_file=1000)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        turns = sum(len(json.loads(line)["turns"]) for f in files for line in f.open())
        url = resolve_url(args.db or str(Path(tmp) / "bench.db"))
        batch = BATCH_CALLS if args.batch is None else args.batch
        parse = run(phase_parse, str(folder))
        imported = run(phase_import, str(folder), url, batch)
        assert imported["calls"] == args.calls, f"{imported['calls']} of {args.calls} calls added: is the db empty?"
        analysed = None if args.no_analyse else run(phase_analyse, url, args.analyser)

    def rate(p: dict[str, Any]) -> float:
        return p["calls"] / p["seconds"]

    figures: dict[str, Any] = {
        "calls": args.calls, "turns": turns, "corpus_mb": round(size_mb, 1),
        "database": url.split(":", 1)[0], "batch": batch,
        "parse_calls_per_s": round(rate(parse)), "import_calls_per_s": round(rate(imported)),
        "import_time_vs_parse": round(imported["seconds"] / parse["seconds"], 2),
        "peak_rss_mb": {"parse": round(parse["peak_mb"]), "import": round(imported["peak_mb"])},
    }
    phases = [("parse (baseline)", parse), ("import", imported)]
    if analysed is not None:
        both = imported["seconds"] + analysed["seconds"]
        figures |= {"analysers": args.analyser or "all", "analyse_calls_per_s": round(rate(analysed)),
                    "import_and_analyse_calls_per_s": round(args.calls / both)}
        figures["peak_rss_mb"]["analyse"] = round(analysed["peak_mb"])
        phases.append(("analyse", analysed))
    print(f"{args.calls} calls ({turns} turns, {size_mb:.1f} MB of JSONL) into {figures['database']}, "
          f"{f'{batch} calls per transaction' if batch else 'one transaction per call'}")
    for name, p in phases:
        print(f"  {name:17} {p['seconds']:7.2f} s  {rate(p):8.0f} calls/s  peak RSS {p['peak_mb']:6.0f} MB")
    if analysed is not None:
        print(f"  import + analyse  {both:7.2f} s  {args.calls / both:8.0f} calls/s")
    print(f"  import takes {figures['import_time_vs_parse']}x the parse-only time")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
