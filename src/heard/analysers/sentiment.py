"""sentiment: per-turn sentiment (one series per party), per party overall / by quarter / trajectory / recovery,
escalation moments tied to the agent turn before them, and frustration cues the lexicon misses.

Sentiment is about the customer: agent turns are scored with empathy and apology phrases removed
(see heard/sentiment.py). Quarters run from 0 to each party's own last turn end, as Amazon's do,
and are also given on Amazon's -5..+5 scale. Without turn times, quarters and slope use turn order
and are marked approximate. A question asked again is looked for among the customer's last
`question_lookback` different questions, so a long call costs work in proportion to its turns.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Output, analyser, metrics_of
from heard.model import Call, Evidence, Finding, Role
from heard.text import sentiment as lexicon
from heard.text.frustration import find_cues, questions
from heard.text.speech import AGENT, CUSTOMER, OTHER, is_backchannel, word_count

NAME = "sentiment"
STRONG_CUES = {"manager_request", "cancel_threat", "profanity"}


class SentimentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    neutral_band: float = Field(default=0.05, ge=0, lt=1, description="|compound| below this is neutral")
    drop: float = Field(default=0.5, gt=0, description="a customer turn this much below the previous one escalates")
    drop_floor: float = Field(default=-0.3, description="...and at or below this score")
    sustained_below: float = Field(default=-0.4, description="customer turns at or below this are negative")
    sustained_turns: int = Field(default=2, ge=2, description="this many negative customer turns in a row escalate")
    mask_agent_empathy: bool = True
    question_lookback: int = Field(default=200, ge=1, description="a question asked again is looked for among the "
                                   "customer's last this many different questions (bounds the work on long calls)")


@analyser(NAME, version=3, settings=SentimentSettings, produces=(
    "turn_sentiment", "sentiment_overall", "sentiment_overall_amazon", "sentiment_quarter", "sentiment_quarter_amazon",
    "sentiment_slope", "sentiment_recovery", "escalation", "frustration_cue"))
def sentiment(call: Call, settings: SentimentSettings) -> Output:
    """Per-turn sentiment and its shape over the call, escalation moments and frustration cues."""
    turns = call.turns
    timed = call.has_turn_times
    band = settings.neutral_band
    # Looked up on each call, not imported by name: lexicon.uncached() swaps these module attributes.
    score, label = lexicon.score, lexicon.label
    score_agent = lexicon.score_agent if settings.mask_agent_empathy else score
    speakers = [t.speaker for t in turns]
    scored = [(score_agent if who is AGENT else score)(t.text) for t, who in zip(turns, speakers, strict=True)]
    scores = [compound for compound, _, _ in scored]
    # Every metric is built as a dict and validated in one call at the end: cheaper than a Metric() each.
    rows: list[dict[str, Any]] = []

    weights = [max(1, word_count(t)) for t in turns]   # a turn's weight is its word count
    weighted = [s * w for s, w in zip(scores, weights, strict=True)]
    # Where each turn sits: its midpoint in seconds, or its index when the call has no times.
    positions = [((t.start or 0) + (t.end or 0)) / 2 for t in turns] if timed else [float(i) for i in range(len(turns))]
    approximate = not timed
    parties: dict[Role, list[int]] = {AGENT: [], CUSTOMER: [], OTHER: []}   # each party's turns, in one pass
    for i, who in enumerate(speakers):
        parties[who].append(i)
    for role, own in parties.items():
        if not own:
            continue
        # Each turn's score and label, as one series per party (one metric per turn cost more than the rest).
        rows.append({"name": "turn_sentiment", "value": None, "party": role, "turns": own, "analyser": NAME,
                     "values": [round(scores[i], 4) for i in own],
                     "labels": [label(*scored[i], band) for i in own]})
        if role is OTHER:
            continue
        # Sums through map, not generators (quicker per turn), in the same order: the same floats.
        overall = sum(map(weighted.__getitem__, own)) / sum(map(weights.__getitem__, own))
        rows.append({"name": "sentiment_overall", "value": round(overall, 4), "party": role, "turns": own,
                     "analyser": NAME})
        rows.append({"name": "sentiment_overall_amazon", "value": round(5 * overall, 2), "party": role, "turns": own,
                     "analyser": NAME})
        # Quarters run from 0 to the party's own last turn end (Amazon's rule); a turn sits where its midpoint is.
        end = max((turns[i].end or 0.0) for i in own) if timed else float(len(turns))
        quarters: list[list[int]] = [[], [], [], []]
        for i in own:
            quarters[min(3, int(4 * positions[i] / end)) if end else 0].append(i)
        for q, inside in enumerate(quarters):
            value = sum(map(weighted.__getitem__, inside)) / sum(map(weights.__getitem__, inside)) if inside else None
            for name, factor in (("sentiment_quarter", 1), ("sentiment_quarter_amazon", 5)):
                rows.append({"name": name, "value": None if value is None else round(factor * value, 4),
                             "label": f"Q{q + 1}", "party": role, "turns": inside, "analyser": NAME,
                             "approximate": approximate})
        rows.append({"name": "sentiment_slope", "value": _slope([positions[i] / (60 if timed else 1) for i in own],
                                                                [scores[i] for i in own]),
                     "unit": "per minute" if timed else "per turn", "party": role, "turns": own, "analyser": NAME,
                     "approximate": approximate})
        k = max(1, min(3, len(own) // 2))
        recovery = sum(scores[i] for i in own[-k:]) / k - sum(scores[i] for i in own[:k]) / k
        rows.append({"name": "sentiment_recovery", "value": round(recovery, 4), "party": role,
                     "turns": own[:k] + own[-k:], "analyser": NAME})

    return Output(metrics=metrics_of(rows), findings=_cues_and_escalations(call, scores, settings))


def _slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys over xs, rounded; None for fewer than three points or no spread."""
    n = len(xs)
    if n < 3:
        return None
    mx = sum(xs) / n
    my = sum(ys) / n
    dx = [x - mx for x in xs]
    var = sum(d * d for d in dx)
    return round(sum(d * (y - my) for d, y in zip(dx, ys, strict=True)) / var, 4) if var else None


def _cues_and_escalations(call: Call, scores: list[float], settings: SentimentSettings) -> list[Finding]:
    findings: list[Finding] = []
    asked: dict[frozenset[str], None] = {}   # the customer's different questions so far, the latest last
    previous: float | None = None
    run = 0
    agent_before: int | None = None   # the agent's last turn so far that took the floor
    for i, turn in enumerate(call.turns):
        who = turn.speaker
        if who is AGENT:
            if not is_backchannel(turn):
                agent_before = i
            continue
        if who is not CUSTOMER:
            continue
        asks = "?" in turn.text
        cues = find_cues(turn.text, list(islice(reversed(asked), settings.question_lookback)) if asks else None)
        if asks:
            for question in map(frozenset, questions(turn.text)):
                asked.pop(question, None)   # asked again: it is the latest now
                asked[question] = None
        for cue in cues:
            findings.append(Finding(kind="frustration_cue", label=cue.kind, analyser=NAME, evidence=[
                Evidence(turn=i, span=cue.span, text=cue.text, time=turn.start)]))
        if is_backchannel(turn):
            continue
        reasons: list[str] = []
        s = scores[i]
        if previous is not None and previous - s >= settings.drop and s <= settings.drop_floor:
            reasons.append(f"sharp drop ({previous:+.2f} to {s:+.2f})")
        run = run + 1 if s <= settings.sustained_below else 0
        if run == settings.sustained_turns:
            reasons.append(f"{run} negative customer turns in a row")
        if cues:
            reasons += [f"cue: {kind}" for kind in sorted({c.kind for c in cues} & STRONG_CUES)]
        if reasons:
            before = agent_before
            evidence = ([Evidence(turn=before, time=call.turns[before].start)] if before is not None else []) + [
                Evidence(turn=i, time=turn.start)]
            findings.append(Finding(kind="escalation", label="escalation", analyser=NAME, evidence=evidence,
                                    detail={"reasons": reasons, "customer_turn": i, "agent_turn_before": before,
                                            "score": round(s, 4)}))
        previous = s
    return findings
