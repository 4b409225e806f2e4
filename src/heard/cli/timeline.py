"""A text timeline of a call: who talks when, overlaps, silences and customer sentiment, in lanes.

    time      0:00      0:30      1:00      1:30
    agent     ████ ██████   ████ ██
    customer      ███    ███▓▓    ███
    events           ^          !
    silence               HHH ░░
    feeling   ·   --   - ++   +

Pure: a call and its analysis in, lines of text out. `▓` marks columns where both parties speak;
events: `^` interruption, `'` backchannel, `!` escalation; silence: `H` hold, `░` dead air;
feeling (the customer's turn sentiment): `+` positive, `-` negative, `·` neutral, `~` mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from heard.model import Call, CallAnalysis, Role
from heard.text.speech import turn_speech

LABEL_WIDTH = 10
SENTIMENT_MARK = {"positive": "+", "negative": "-", "neutral": "·", "mixed": "~"}


@dataclass(frozen=True)
class Lane:
    name: str
    text: str


def render(call: Call, analysis: CallAnalysis | None, width: int = 80) -> list[Lane]:
    """Lanes of exactly `width - LABEL_WIDTH` characters (plus a time axis); empty when the call has no times."""
    duration = call.duration
    if not call.has_turn_times or not duration:
        return []
    columns = max(10, width - LABEL_WIDTH)
    step = duration / columns

    def column(t: float) -> int:
        return min(columns - 1, max(0, int(t / step)))

    speaking = {role: [False] * columns for role in (Role.AGENT, Role.CUSTOMER)}
    for turn in call.turns:
        if turn.speaker not in speaking:
            continue
        for start, end in turn_speech(turn, 3.0):
            for c in range(column(start), column(max(start, end - 1e-9)) + 1):
                speaking[turn.speaker][c] = True
    both = [a and b for a, b in zip(speaking[Role.AGENT], speaking[Role.CUSTOMER], strict=True)]
    lanes = [Lane("time", _axis(duration, columns))]
    for role in (Role.AGENT, Role.CUSTOMER):
        lanes.append(Lane(role.value, "".join("▓" if both[c] else "█" if speaking[role][c] else " "
                                              for c in range(columns))))
    events = [" "] * columns
    silence = [" "] * columns
    feeling = [" "] * columns
    if analysis is not None:
        for f in analysis.findings:
            if f.kind == "overlap":
                events[column(f.detail["start"])] = "^" if f.label == "interruption" else "'"
            elif f.kind == "escalation":
                turn = call.turns[f.detail["customer_turn"]]
                events[column(turn.start or 0.0)] = "!"
            elif f.kind == "non_talk":
                mark = "H" if f.label == "hold" else "░"
                for c in range(column(f.detail["start"]), column(f.detail["end"] - 1e-9) + 1):
                    silence[c] = mark
        for scored in analysis.per_turn("turn_sentiment", Role.CUSTOMER):
            if scored.label:
                turn = call.turns[scored.turn]
                for c in range(column(turn.start or 0.0), column(max(turn.start or 0.0, (turn.end or 0.0) - 1e-9)) + 1):
                    feeling[c] = SENTIMENT_MARK.get(scored.label, "?")
    lanes += [Lane("events", "".join(events)), Lane("silence", "".join(silence)), Lane("feeling", "".join(feeling))]
    return lanes


def _axis(duration: float, columns: int) -> str:
    """Tick labels every ~15 columns, at round times."""
    axis = [" "] * columns
    ticks = max(1, columns // 15)
    for k in range(ticks + 1):
        c = min(columns - 5, round(k * (columns - 1) / ticks))
        t = duration * c / columns
        label = f"{int(t // 60)}:{int(t % 60):02d}"
        if all(ch == " " for ch in axis[max(0, c - 1): c + len(label)]):
            axis[c: c + len(label)] = list(label)
    return "".join(axis)[:columns]
