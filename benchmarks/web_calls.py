"""The dashboard's call list on a store of N analysed calls: stored summaries against loading every analysis.

    python benchmarks/web_calls.py --calls 2000

Imports N generated calls into a fresh SQLite store, analyses them with every analyser (2 processes),
then times, in the same run and on the same store:
  baseline  what the call list did before: each call's latest analysis loaded and summarised
  summaries Store.latest_summaries (one query per 500 calls), which the call list uses now
  api       GET /api/calls?limit=50 as a QA user (filters, scores and summaries for every call, one page)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fastapi.testclient import TestClient

from heard.auth.accounts import add_user
from heard.runners.local import analyse_and_store
from heard.samples.generate import generate
from heard.store import Store
from heard.web.app import create_app


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    store = Store.open(f"sqlite:///{tempfile.mkdtemp(prefix='heard-web-bench-')}/heard.db")
    for call in generate(args.calls, seed=0):
        store.add_call(call)
    t0 = time.perf_counter()
    list(analyse_and_store(store, store.iter_calls(), workers=2))
    print(f"{args.calls} calls imported and analysed in {time.perf_counter() - t0:.1f} s")
    ids = store.call_ids()

    def baseline() -> None:
        for i in ids:
            analysis = store.latest_analysis(i)
            assert analysis is not None
            analysis.summary()

    def summaries() -> None:
        assert len(store.latest_summaries(ids)) == len(ids)

    add_user(store, "bench", "bench-password", "qa")
    client = TestClient(create_app(store, secret="bench"))
    client.post("/api/session", json={"username": "bench", "password": "bench-password"})

    def api() -> None:
        r = client.get("/api/calls?limit=50&sort=-started_at")
        assert r.status_code == 200 and r.json()["total"] == len(ids)

    b, s, a = timed(baseline), timed(summaries), timed(api)
    print(f"  baseline (load every analysis)  {b:7.3f} s")
    print(f"  stored summaries                {s:7.3f} s   {b / s:5.1f}x faster")
    print(f"  GET /api/calls?limit=50          {a:7.3f} s")
    print(json.dumps({"calls": len(ids), "baseline_s": round(b, 4), "summaries_s": round(s, 4),
                      "speedup": round(b / s, 1), "api_calls_s": round(a, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
