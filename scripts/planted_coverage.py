"""How often heard's insights intervals hold a planted effect: many independent generated data sets (behaviour X
raises FCR, CSAT and handle time by known amounts, Y does nothing, the queue confounds both), adjusted and
unadjusted. Prints coverage and mean error per outcome and behaviour.

    .venv/bin/python scripts/planted_coverage.py --sets 100 --calls 3000
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from heard.insights import effects, planted
from heard.insights.dataset import Frame, InsightsSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=100)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--agents", type=int, default=60)
    args = parser.parse_args()
    settings = InsightsSettings()
    held: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    error: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for seed in range(args.sets):
        data = planted.generate(args.calls, agents=args.agents, seed=1000 + seed)
        frame = Frame(rows=data.rows.assign(analysed=1.0))
        for outcome in ("fcr", "csat", "handle_time"):
            for behaviour, truth in (("explain_why", data.truth[outcome]), ("reassurance", 0.0)):
                e = effects.estimate(frame, effects.Exposure(f"b_{behaviour}", behaviour, "calls"),
                                     effects.OUTCOME[outcome], settings)
                assert e.estimate is not None and e.low is not None and e.high is not None and e.unadjusted
                held[(outcome, behaviour, "adjusted")].append(e.low <= truth <= e.high)
                error[(outcome, behaviour, "adjusted")].append(e.estimate - truth)
                u = e.unadjusted
                held[(outcome, behaviour, "unadjusted")].append(u["low"] <= truth <= u["high"])
                error[(outcome, behaviour, "unadjusted")].append(u["estimate"] - truth)
    print(f"{args.sets} data sets of {args.calls:,} calls from {args.agents} agents")
    print(f"{'outcome':<12} {'behaviour':<12} {'estimate':<11} {'coverage':>9} {'mean error':>11}")
    for key in sorted(held):
        outcome, behaviour, kind = key
        unit = "%" if outcome == "handle_time" else " pts" if outcome == "fcr" else " CSAT"
        print(f"{outcome:<12} {behaviour:<12} {kind:<11} {np.mean(held[key]):>9.0%} "
              f"{np.mean(error[key]):>+10.3f}{unit}")


if __name__ == "__main__":
    main()
