"""The empathy analyser on one core: calls per second, and how much of the time is model inference.

    taskset -c 0 python benchmarks/empathy.py          # 1,000 generated calls

Passes, in one process with one ONNX thread:
  cache off   the empathy analyser on every call with the embedding cache off (every sentence inferred)
  raw ONNX    only the model inference on exactly the texts the analyser embedded, batched per call as
              the analyser batches them: the floor no pipeline can beat
  cache on    the analyser again with the embedding cache on (empty at start), as heard runs by default
Reports calls/s and the share of the cache-off time spent outside model inference. Targets: at least
5 calls/s with the cache off, and overhead outside inference under 25% of the total.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import heard.analysers.empathy as empathy_module
from heard.model import Call
from heard.pipeline import analyse
from heard.samples.generate import generate
from heard.text.embeddings import Encoder


def run(calls: list[Call], enc: Encoder) -> float:
    empathy_module.encoder = lambda: enc  # type: ignore[assignment]
    start = time.perf_counter()
    for call in calls:
        analyse(call, only=["empathy"])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    calls = list(generate(args.calls, args.seed))

    recorder = Encoder(threads=1, cache_size=0)
    batches: list[list[str]] = []
    plain_encode = recorder.encode

    def recording(texts: Any, batch: int = 32) -> Any:
        batches.append(list(texts))
        return plain_encode(texts, batch=batch)

    recorder.encode = recording  # type: ignore[method-assign]
    run(calls[:3], recorder)  # warm up: load the lexicon and embed the exemplars outside the timed passes
    batches.clear()

    cold = Encoder(threads=1, cache_size=0)
    t_cold = run(calls, cold)
    run(calls, recorder)  # record exactly what the analyser embeds, call by call
    texts = sum(len(b) for b in batches)
    raw = Encoder(threads=1, cache_size=0)
    start = time.perf_counter()
    for b in batches:
        distinct = list(dict.fromkeys(b))  # encode() also runs each distinct text of a call once
        for i in range(0, len(distinct), 32):
            raw.infer(distinct[i: i + 32])
    t_raw = time.perf_counter() - start
    warm = Encoder(threads=1)
    t_warm = run(calls, warm)

    overhead = (t_cold - t_raw) / t_cold
    figures = {
        "calls": args.calls, "turns": sum(len(c.turns) for c in calls), "sentences_embedded": texts,
        "distinct_sentences": len({t for b in batches for t in b}),
        "cache_off_calls_per_s": round(args.calls / t_cold, 1), "cache_on_calls_per_s": round(args.calls / t_warm, 1),
        "raw_onnx_calls_per_s": round(args.calls / t_raw, 1), "overhead_outside_inference": round(overhead, 4),
        "cache_on_model_runs": warm.inferred, "targets": {"cache_off_calls_per_s": 5, "max_overhead": 0.25},
    }
    print(f"{args.calls} calls ({figures['turns']} turns, {texts} sentences embedded, "
          f"{figures['distinct_sentences']} distinct), one core, one ONNX thread")
    print(f"  cache off  {t_cold:7.2f} s  {args.calls / t_cold:7.1f} calls/s")
    print(f"  raw ONNX   {t_raw:7.2f} s  {args.calls / t_raw:7.1f} calls/s   (inference only, same texts and batches)")
    print(f"  cache on   {t_warm:7.2f} s  {args.calls / t_warm:7.1f} calls/s   ({warm.inferred} sentences inferred)")
    print(f"  overhead outside inference (cache off): {overhead:.1%}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
