"""turns.basic: how many turns and words each party had, how long each spoke, and how long the call ran.

The simplest real analyser; it proves the pipeline path. Durations are the sum of each party's
turn durations (overlap counts for both parties), so they are absent when the source has no
turn end times.
"""

from __future__ import annotations

from heard.analysers.registry import NoSettings, Output, analyser
from heard.model import Call, Metric, Role

NAME = "turns.basic"


@analyser(NAME, version=1, produces=("turns", "words", "talk_time", "mean_turn_seconds", "duration"))
def basic(call: Call, settings: NoSettings) -> Output:
    """Turn and word counts, talk time and mean turn length per party, and call duration."""
    metrics: list[Metric] = []
    for role in Role:
        indices = [i for i, t in enumerate(call.turns) if t.speaker is role]
        if not indices and role is Role.OTHER:
            continue
        durations = [call.turns[i].duration for i in indices]
        timed = [d for d in durations if d is not None]
        complete = len(timed) == len(durations)
        talk = round(sum(timed), 3) if timed and complete else None
        words = sum(len(call.turns[i].text.split()) for i in indices)
        metrics += [
            Metric(name="turns", value=len(indices), party=role, turns=indices, analyser=NAME),
            Metric(name="words", value=words, party=role, turns=indices, analyser=NAME),
            Metric(name="talk_time", value=talk, unit="s", party=role, turns=indices, analyser=NAME),
            Metric(name="mean_turn_seconds", value=round(talk / len(indices), 3) if talk is not None and indices
                   else None, unit="s", party=role, turns=indices, analyser=NAME),
        ]
    # As Amazon defines it: the largest turn end time, from the start of the recording.
    ends = [i for i, t in enumerate(call.turns) if t.end is not None]
    last = [max(ends, key=lambda i: call.turns[i].end or 0.0)] if ends else []
    duration = round(call.turns[last[0]].end or 0.0, 3) if last else None
    metrics.append(Metric(name="duration", value=duration, unit="s", turns=last, analyser=NAME,
                          approximate=not call.has_turn_times and duration is not None))
    return Output(metrics=metrics)
