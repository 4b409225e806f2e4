"""The empathy analyser on one core: calls per second, model size and peak memory, against a baseline.

    taskset -c 0 .venv/bin/python benchmarks/empathy.py --baseline 7c1f1b0     # 300 generated calls

One ONNX thread, model caches off (and once more with the cache on, for reference). The current analyser
(the fine-tuned turn model) runs on every call; with
`--baseline REF`, the same calls then go through the analyser as it was at git revision REF (checked
out into a temporary worktree and run in a subprocess of this same run, so the two figures come from
the same machine at the same time). The target is at least 40% of the baseline's calls/s. Peak memory
is the process's maximum resident set after the pass (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def measure(calls: int, seed: int, cache: bool = False) -> dict[str, float]:
    """Run the empathy analyser of the heard on sys.path over generated calls, model caches off (or on); figures."""
    import dataclasses

    import heard.analysers.empathy as empathy_module
    from heard.pipeline import analyse
    from heard.samples.generate import generate

    generated = list(generate(calls, seed))
    analyse(generated[0], only=["empathy"])  # load the lexicon and the model outside the timed pass
    if hasattr(empathy_module, "encoder"):   # the analyser before the turn model embedded every sentence
        from heard.text.embeddings import Encoder  # type: ignore[import-not-found,unused-ignore]

        encoder = Encoder(threads=1, cache_size=65536 if cache else 0)
        empathy_module.encoder = lambda: encoder  # type: ignore[attr-defined,unused-ignore]
    else:
        from heard.empathy import model as turn_model

        fresh = dataclasses.replace(turn_model.load(),
                                    session=turn_model.TurnNetSession(cache_size=65536 if cache else 0))
        turn_model.load = lambda *_: fresh  # type: ignore[assignment,misc,unused-ignore]
    start = time.perf_counter()
    for call in generated:
        analyse(call, only=["empathy"])
    took = time.perf_counter() - start
    return {"calls": calls, "turns": sum(len(c.turns) for c in generated), "seconds": round(took, 2),
            "calls_per_s": round(calls / took, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def baseline(ref: str, calls: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="heard-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True,
                       capture_output=True)
        try:
            code = ("import json,sys; sys.path.insert(0, sys.argv[1] + '/src'); sys.path.insert(0, sys.argv[2]);"
                    "import empathy as bench; print(json.dumps(bench.measure(int(sys.argv[3]), int(sys.argv[4]))))")
            done = subprocess.run([sys.executable, "-c", code, str(tree), str(ROOT / "benchmarks"), str(calls),
                                   str(seed)], capture_output=True, text=True, check=True,
                                  env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin",
                                       "OMP_NUM_THREADS": "1"})
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False,
                           capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", help="a git revision whose empathy analyser is the baseline")
    args = parser.parse_args()
    from heard.empathy import model as turn_model

    figures: dict[str, object] = {"current": measure(args.calls, args.seed),
                                  "current_cache_on": measure(args.calls, args.seed, cache=True),
                                  "model_bytes": turn_model.ONNX.stat().st_size,
                                  "model_json_bytes": turn_model.WEIGHTS.stat().st_size}
    current = figures["current"]
    assert isinstance(current, dict)
    print(f"current   {current['calls_per_s']:7.2f} calls/s  ({current['calls']} calls, {current['turns']} turns, "
          f"peak RSS {current['peak_rss_mb']} MB; model {turn_model.ONNX.stat().st_size / 1e6:.1f} MB int8 ONNX)")
    warm = figures["current_cache_on"]
    assert isinstance(warm, dict)
    print(f"  (cache on: {warm['calls_per_s']:.2f} calls/s; the generator repeats far more than real calls)")
    if args.baseline:
        base = baseline(args.baseline, args.calls, args.seed)
        figures["baseline"] = {"ref": args.baseline, **base}
        figures["ratio"] = round(current["calls_per_s"] / base["calls_per_s"], 3)
        print(f"baseline  {base['calls_per_s']:7.2f} calls/s  (the analyser at {args.baseline}, peak RSS "
              f"{base['peak_rss_mb']} MB)")
        print(f"ratio     {figures['ratio']:.1%} of the baseline's calls/s (target: at least 40%)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
