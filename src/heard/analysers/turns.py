"""turns.basic: how many turns each party took and how long they were.

The simplest analyser, and the one that runs on every call, timed or not. Turn seconds are the sum
of the party's turn durations, start to end, pauses included (the timing analyser measures talk
time without long pauses); they are absent when the source has no turn end times.
"""

from __future__ import annotations

from heard.analysers.registry import NoSettings, Output, analyser
from heard.model import Call, Metric, Role

NAME = "turns.basic"


@analyser(NAME, version=2, produces=("turns", "seconds_in_turns", "mean_turn_seconds"))
def basic(call: Call, settings: NoSettings) -> Output:
    """Turn counts, summed turn durations and mean turn length per party."""
    metrics: list[Metric] = []
    for role in Role:
        indices = [i for i, t in enumerate(call.turns) if t.speaker is role]
        if not indices and role is Role.OTHER:
            continue
        durations = [call.turns[i].duration for i in indices]
        complete = all(d is not None for d in durations)
        seconds = round(sum(d for d in durations if d is not None), 3) if indices and complete else None
        metrics += [
            Metric(name="turns", value=len(indices), party=role, turns=indices, analyser=NAME),
            Metric(name="seconds_in_turns", value=seconds, unit="s", party=role, turns=indices, analyser=NAME),
            Metric(name="mean_turn_seconds", value=round(seconds / len(indices), 3) if seconds is not None and indices
                   else None, unit="s", party=role, turns=indices, analyser=NAME),
        ]
    return Output(metrics=metrics)
