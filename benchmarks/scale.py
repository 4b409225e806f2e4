"""Engines at scale: calls/s of the local engine on 1 and 2 workers and of Ray on 2, and peak memory.

    python benchmarks/scale.py                  # 100,000 generated calls, the analytics analysers
    python benchmarks/scale.py --calls 5000     # smaller
    python benchmarks/scale.py --full           # every analyser (the empathy turn model: ~30 ms a turn, slow)

The calls (heard.samples.generate, seed 0) are written as heard JSONL files of 1,000 calls first; every run
then does what `heard analyze FOLDER --out RESULTS/` does: read those files, analyse each call and write every
result to a Parquet folder (--no-out: results only handed back to the driver, nothing written):
  local-1   the local engine in one process (the baseline)
  local-2   the local engine's process pool of 2 workers, each reading its own files
  ray-2     the Ray engine (Ray Data, 2 actors) on a local cluster of 2 CPUs; its start-up is timed apart
Scaling efficiency is local-2 / local-1 calls/s (target >= 1.7x). Memory is the peak summed PSS (so shared
pages count once) of this process and every descendant (pool workers; Ray's raylet, GCS and workers),
sampled each 0.5 s, and the same figure when a tenth of the calls were done: equal figures mean flat memory
(target: flat and under 1.5 GB). Prints a table and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heard.model import Analysed
from heard.runners.local import analyse_source
from heard.runners.ray import analyse_on_ray
from heard.runners.sources import CallFiles, Failed, Skipped
from heard.samples.generate import write_corpus

# Everything but the empathy turn model (and acoustics, which needs a recording these calls do not have).
ANALYTICS = ["turns.basic", "timing", "overlap", "sentiment", "handoff", "heavy", "promises"]


class Memory:
    """The peak summed PSS of this process tree, sampled on a thread; `at_tenth` is the figure at 10% done."""

    def __init__(self) -> None:
        self.peak = 0
        self.at_tenth = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                info = p.memory_full_info()
                total += getattr(info, "pss", info.rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> Memory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def measure(name: str, total: int, results: Callable[[], Iterable[Any]]) -> dict[str, Any]:
    analysed = failed = 0
    with Memory() as memory:
        start = time.perf_counter()
        for result in results():
            if isinstance(result, Analysed):
                analysed += 1
            elif isinstance(result, Failed | Skipped):
                failed += 1
            if analysed == total // 10:
                memory.at_tenth = memory.now()
        seconds = time.perf_counter() - start
        memory.peak = max(memory.peak, memory.now())
    if analysed != total or failed:
        raise SystemExit(f"{name}: {analysed} analysed and {failed} failed of {total} calls; expected all analysed")
    return {"engine": name, "seconds": round(seconds, 2), "calls_per_s": round(total / seconds, 1),
            "peak_mb": round(memory.peak / 2**20), "at_tenth_mb": round(memory.at_tenth / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="Every analyser, the empathy turn model included.")
    parser.add_argument("--engines", default="local-1,local-2,ray-2")
    parser.add_argument("--no-out", action="store_true", help="Write no Parquet results (hand them back only).")
    args = parser.parse_args()
    only = None if args.full else ANALYTICS
    engines = args.engines.split(",")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_corpus(Path(tmp) / "calls", calls=args.calls, seed=0, per_file=1000)
        written = time.perf_counter() - start
        source = CallFiles((str(Path(tmp) / "calls"),))
        rows: list[dict[str, Any]] = []
        ray_start = None
        for name in engines:
            if name.startswith("local-"):
                workers = int(name.split("-")[1])
                rows.append(measure(name, args.calls, lambda w=workers, n=name: analyse_source(  # type: ignore[misc]
                    source, workers=w, only=only, out=None if args.no_out else Path(tmp) / n)))
            else:
                import ray

                workers = int(name.split("-")[1])
                started = time.perf_counter()
                ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING,
                         log_to_driver=False)
                ray_start = round(time.perf_counter() - started, 2)
                try:
                    rows.append(measure(name, args.calls, lambda w=workers, n=name: analyse_on_ray(  # type: ignore[misc]
                        source, workers=w, only=only, out=None if args.no_out else Path(tmp) / n)))
                finally:
                    ray.shutdown()
    base = next((r for r in rows if r["engine"] == "local-1"), None)
    for r in rows:
        r["vs_local_1"] = round(r["calls_per_s"] / base["calls_per_s"], 2) if base else None
    print(f"{args.calls:,} calls ({'every analyser' if args.full else 'analytics: ' + ', '.join(ANALYTICS)}), "
          f"results {'handed back only' if args.no_out else 'written as Parquet'}; "
          f"corpus written in {written:.1f} s; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores" + (f"; Ray start-up {ray_start} s (not in its figures)" if ray_start else ""))
    print(f"{'engine':<9} {'seconds':>9} {'calls/s':>9} {'vs local-1':>10} {'peak MB':>8} {'MB at 10%':>9}")
    for r in rows:
        print(f"{r['engine']:<9} {r['seconds']:>9.2f} {r['calls_per_s']:>9.1f} {r['vs_local_1'] or '':>10} "
              f"{r['peak_mb']:>8} {r['at_tenth_mb']:>9}")
    print(json.dumps({"calls": args.calls, "parquet_out": not args.no_out,
                      "analysers": "all" if args.full else ANALYTICS, "load_before": load,
                      "ray_startup_s": ray_start, "runs": rows,
                      "scaling_2_vs_1": next((r["vs_local_1"] for r in rows if r["engine"] == "local-2"), None)}))


if __name__ == "__main__":
    main()
