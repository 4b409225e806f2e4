"""Timing + overlap + sentiment throughput on one core, against a parse-and-tokenise baseline.

    python benchmarks/analytics.py            # 1,000 generated calls of 60 turns

Passes over the same calls in one process (one core), best of --repeat runs each:
  baseline   parse each call from its JSON line and tokenise every turn
  analytics  parse each call and run timing, overlap and sentiment (the sentence-score cache on, empty at start)
  no-cache   the same with the sentiment cache off: the synthetic corpus repeats sentences far more than
             real calls do, so this is the figure that cannot be flattered by repetition
--cpu times CPU time (time.process_time) instead of wall-clock time, for a machine shared with other jobs.
The three passes run twice: with Python's default garbage collector settings, then with the ones the engines'
workers use (heard.runtime.settle_gc: what is loaded frozen out of collection, rarer collections).
Prints a table and, last, one JSON line with every figure. Targets: >= 300 calls/s for analytics and
no more than 4x the baseline's time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heard.model import Call
from heard.pipeline import analyse
from heard.runtime import settle_gc
from heard.samples.generate import generate
from heard.text import sentiment
from heard.text.speech import tokens

ANALYSERS = ["timing", "overlap", "sentiment"]


def baseline(lines: list[str]) -> int:
    n = 0
    for line in lines:
        call = Call.model_validate_json(line)
        n += sum(len(tokens(t.text)) for t in call.turns)
    return n


def analytics(lines: list[str]) -> int:
    n = 0
    for line in lines:
        n += len(analyse(Call.model_validate_json(line), only=ANALYSERS).metrics)
    return n


CLOCK = time.perf_counter


def best(fn: Any, lines: list[str], repeat: int, before: Any = None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = CLOCK()
        fn(lines)
        times.append(CLOCK() - start)
    return min(times)


def print_parts(lines: list[str], repeat: int) -> None:
    """What one call costs in each part of the analytics pass (best of `repeat`, sentiment cache emptied first;
    each result is dropped at once, as in the pass)."""
    from heard.analysers import REGISTRY

    calls = [Call.model_validate_json(line) for line in lines]
    parts: list[tuple[str, Any, list[Any]]] = [
        ("parse", Call.model_validate_json, lines), ("tokenise", lambda c: [tokens(t.text) for t in c.turns], calls),
        ("content hash", Call.content_hash, calls)]
    for name in ANALYSERS:
        analyser, config = REGISTRY[name], REGISTRY[name].settings({})
        parts.append((name, lambda c, a=analyser, s=config: a.run(c, s), calls))
    parts.append(("analyse (all three)", lambda c: analyse(c, only=ANALYSERS), calls))
    print(f"per call, best of {repeat}:")
    for name, fn, inputs in parts:
        def each(_: list[str], fn: Any = fn, inputs: list[Any] = inputs) -> None:
            for item in inputs:
                fn(item)

        seconds = best(each, lines, repeat, before=sentiment.cache_clear)
        print(f"    {name:28} {1000 * seconds / len(calls):7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="time CPU time, not wall-clock time")
    parser.add_argument("--parts", action="store_true", help="first, the cost per call of each part of the pass")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time

    lines = [c.model_dump_json() for c in generate(args.calls, args.seed, turns=args.turns)]
    turns = sum(len(json.loads(line)["turns"]) for line in lines)
    sentiment.analyzer()  # load (and checksum) the lexicon outside the timed passes
    analytics(lines[:5])

    def passes() -> tuple[float, float, float]:
        t_base = best(baseline, lines, args.repeat)
        t_full = best(analytics, lines, args.repeat, before=sentiment.cache_clear)
        with sentiment.uncached():
            t_cold = best(analytics, lines, args.repeat)
        return t_base, t_full, t_cold

    if args.parts:
        print_parts(lines, args.repeat)
    default = passes()
    settle_gc()
    worker = passes()
    sentiment.cache_clear()
    analytics(lines)
    distinct = sentiment._sentence.cache_info().currsize

    figures: dict[str, Any] = {"calls": args.calls, "turns": turns, "distinct_sentences": distinct,
                               "targets": {"calls_per_s": 300, "max_ratio": 4.0}}
    print(f"{args.calls} calls x {args.turns} turns ({turns} turns, {distinct} distinct sentences), one core, "
          f"best of {args.repeat}{', CPU time' if args.cpu else ''}")
    for gc_name, (t_base, t_full, t_cold) in (("default", default), ("worker", worker)):
        figures[f"gc_{gc_name}"] = {
            "baseline_calls_per_s": round(args.calls / t_base), "analytics_calls_per_s": round(args.calls / t_full),
            "analytics_no_cache_calls_per_s": round(args.calls / t_cold),
            "analytics_vs_baseline": round(t_full / t_base, 2), "no_cache_vs_baseline": round(t_cold / t_base, 2)}
        print(f"  garbage collector: {gc_name} settings")
        for name, t in (("baseline (parse + tokenise)", t_base), ("analytics (cache on)", t_full),
                        ("analytics (cache off)", t_cold)):
            print(f"    {name:28} {t:6.2f} s  {args.calls / t:7.0f} calls/s  {t / t_base:5.2f}x baseline")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
