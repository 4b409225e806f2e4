"""The insights report on N stored calls: how long `heard.insights.report.build` takes and how much memory it needs.

    python benchmarks/insights.py                                  # 100,000 planted calls, fresh SQLite file
    python benchmarks/insights.py --sizes 10000 30000 100000       # several sizes in one run
    python benchmarks/insights.py --db postgresql://postgres@127.0.0.1:5432/postgres

For each size, in a fresh database (a SQLite file in a temp folder, or a database created on the PostgreSQL
server given by --db and dropped afterwards):
  write  one process generates the calls with planted effects (heard.insights.planted) and inserts them
         (calls, two turns each, outcomes, analyses with summaries); timed, not part of the figure
  build  a fresh process opens the store and runs report.build once; it measures the wall time, split into
         loading the rows (dataset.load), fitting (effects.all_effects) and the rest, and the resident memory
         (RSS) just before and at its peak during the build (sampled every 50 ms), and counts the SQL
         statements the build sends that read the turns table or whole stored analyses (both must be 0: the
         report reads one small stored summary per call, never transcripts)
The build runs in its own process so that memory freed after writing cannot hide what the build takes.
Prints a table and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import re
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

MB = 1024 * 1024
TURNS = re.compile(r"\bturns\b", re.IGNORECASE)
WHOLE_ANALYSIS = re.compile(r"\banalyses\.result\b", re.IGNORECASE)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler:
    """The highest RSS of this process seen while running, read every `every` seconds on a thread."""

    def __init__(self, every: float = 0.05) -> None:
        import psutil  # type: ignore[import-untyped]

        self.process, self.every = psutil.Process(), every
        self.before = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def phase_write(url: str, calls: int, agents: int, seed: int) -> dict[str, Any]:
    from heard.insights import planted
    from heard.store import Store

    store = Store.open(url)
    start = time.perf_counter()
    planted.write(store, planted.generate(calls, agents=agents, seed=seed))
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def phase_build(url: str) -> dict[str, Any]:
    from sqlalchemy import event

    from heard.insights import report
    from heard.store import Store

    store = Store.open(url)
    phase = "rest"
    statements: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[phase] += 1
        statements["turns"] += bool(TURNS.search(statement))
        statements["whole_analyses"] += bool(WHOLE_ANALYSIS.search(statement))

    event.listen(store.engine, "before_cursor_execute", count)
    seconds: dict[str, float] = {"load": 0.0, "fit": 0.0}
    frames: list[Any] = []

    @contextmanager
    def timing(name: str) -> Iterator[None]:
        nonlocal phase
        phase, start = name, time.perf_counter()
        try:
            yield
        finally:
            seconds[name] += time.perf_counter() - start
            phase = "rest"

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with timing(name):
                result = fn(*args, **kwargs)
            if name == "load":
                frames.append(result)
            return result
        return wrapper

    # build looks both up in its module at call time, so wrapping them there splits its time without changing it
    report.load = timed("load", report.load)
    report.all_effects = timed("fit", report.all_effects)
    gc.collect()
    with Sampler() as sampler:
        start = time.perf_counter()
        result = report.build(store)
        total = time.perf_counter() - start
    rows = frames[0].rows
    store.close()
    return {
        "calls": result["calls"], "agents": result["agents"], "total_s": total, "load_s": seconds["load"],
        "fit_s": seconds["fit"], "rest_s": total - seconds["load"] - seconds["fit"],
        "pairs": result["tested"], "of_pairs": len(result["effects"]), "survived": result["survived"],
        "frame_bytes": int(rows.memory_usage(deep=True).sum()), "frame_columns": rows.shape[1],
        "rss_before_mb": sampler.before / MB, "rss_peak_mb": sampler.peak / MB, "max_rss_mb": _peak_mb(),
        "load_statements": statements["load"], "turns_statements": statements["turns"],
        "whole_analysis_statements": statements["whole_analyses"],
    }


def run(fn: Any, *args: Any) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(fn, args)
        return result


@contextmanager
def fresh_database(server: str | None, folder: str) -> Iterator[str]:
    """A URL of an empty database: a new SQLite file in `folder`, or a new database on the PostgreSQL `server`
    (dropped afterwards)."""
    if server is None:
        yield f"sqlite:///{folder}/insights-{uuid.uuid4().hex[:8]}.db"
        return
    import psycopg
    from psycopg import sql

    from heard.store import resolve_url

    admin = "postgresql://" + resolve_url(server).split("://", 1)[1]
    name = f"heard_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield resolve_url(admin.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--sizes", type=int, nargs="+", help="run these numbers of calls, one after another "
                                                              "(instead of --calls)")
    parser.add_argument("--agents", type=int, help="agents behind the calls (default: max(60, calls // 200))")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="a PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres: "
                                     "each size runs in a fresh database created there and dropped afterwards "
                                     "(default: a fresh SQLite file per size in a temp folder)")
    args = parser.parse_args()
    if args.db and not args.db.startswith(("postgresql", "postgres://")):
        parser.error(f"--db {args.db!r}: give a PostgreSQL server URL (postgresql://user@host:port/db), or leave "
                     "it out for a fresh SQLite file")

    sizes = args.sizes or [args.calls]
    results = []
    with tempfile.TemporaryDirectory(prefix="heard-insights-bench-") as tmp:
        for calls in sizes:
            agents = args.agents or max(60, calls // 200)
            with fresh_database(args.db, tmp) as url:
                written = run(phase_write, url, calls, agents, args.seed)
                built = run(phase_build, url)
            assert built["calls"] == calls, built
            built |= {"write_s": written["seconds"], "write_peak_mb": written["peak_mb"],
                      "bytes_per_call": built["frame_bytes"] / calls}
            results.append(built)
            print(f"{calls:,} calls from {agents} agents written in {written['seconds']:.1f} s "
                  f"(peak RSS {written['peak_mb']:.0f} MB); built in {built['total_s']:.1f} s", flush=True)

    database = "postgresql" if args.db else "sqlite"
    print(f"\nreport.build on {database}, one run per size, each build in a fresh process")
    header = (f"{'calls':>8} {'load s':>7} {'fit s':>7} {'rest s':>7} {'total s':>8} {'pairs':>6} {'frame MB':>9} "
              f"{'B/call':>7} {'RSS before':>11} {'peak RSS':>9} {'peak-before':>12}")
    print(header)
    for r in results:
        print(f"{r['calls']:>8,} {r['load_s']:>7.1f} {r['fit_s']:>7.1f} {r['rest_s']:>7.1f} {r['total_s']:>8.1f} "
              f"{r['pairs']:>3}/{r['of_pairs']:<2} {r['frame_bytes'] / MB:>9.1f} {r['bytes_per_call']:>7.0f} "
              f"{r['rss_before_mb']:>8.0f} MB {r['rss_peak_mb']:>6.0f} MB "
              f"{r['rss_peak_mb'] - r['rss_before_mb']:>9.0f} MB")
    last = results[-1]
    print(f"The rows hold {last['frame_columns']} columns, {last['bytes_per_call']:.0f} bytes a call. SQL statements "
          f"reading the turns table: {sum(r['turns_statements'] for r in results)}; reading whole stored analyses: "
          f"{sum(r['whole_analysis_statements'] for r in results)} (the transcripts are never loaded).")
    print(json.dumps({"database": database, "sizes": [
        {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in results]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
