"""The condition language shared by custom rules, scorecard items and N/A rules.

A condition is a YAML mapping with exactly one key:

    phrase     words said (exact or fuzzy), by a party, optionally in the first/last N seconds
    semantic   a sentence close in meaning to example sentences (MiniLM, cosine similarity)
    sentiment  a party's mean sentence sentiment in a window, below or above a value
    metric     any metric an analyser produced (talk share, interruptions, non-talk time...) against a threshold
    behaviour  an empathy behaviour was found (shorthand for finding: {kind: behaviour, label: ...})
    finding    any finding by kind and label, counted, optionally before another behaviour, in plain language
    handle_time  the call's handle time as a ratio of its queue's norm
    call       agent / team / queue / reason / channel filters
    rule       another named rule matched
    all / any / not   combine conditions

Evaluation is pure: call, analysis and context in, Match (matched, evidence, why) out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from heard.analysers.heavy import is_heavy
from heard.model import Call, CallAnalysis, Evidence, Finding, Metric, Role

Party = Literal["agent", "customer", "any"]
Encode = Callable[[list[str]], np.ndarray[Any, Any]]
SENTENCE = re.compile(r"[^.!?]+[.!?]*")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Window(_M):
    first_seconds: float | None = Field(default=None, gt=0, description="only the first N seconds of the call")
    last_seconds: float | None = Field(default=None, gt=0, description="only the last N seconds of the call")


class Phrase(Window):
    any: list[str] = Field(min_length=1, description="any of these phrases")
    party: Party = "agent"
    match: Literal["exact", "fuzzy"] = "exact"
    fuzzy_threshold: float = Field(default=0.85, gt=0, le=1, description="fuzzy: how close (0-1) counts")


class Semantic(Window):
    examples: list[str] = Field(min_length=1)
    party: Party = "agent"
    threshold: float = Field(default=0.7, gt=0, le=1, description="cosine similarity that counts")


class Sentiment(Window):
    party: Party = "customer"
    below: float | None = Field(default=None, ge=-1, le=1)
    above: float | None = Field(default=None, ge=-1, le=1)

    @model_validator(mode="after")
    def _one_bound(self) -> Sentiment:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of 'below' or 'above'")
        return self


class Threshold(_M):
    at_least: float | None = None
    at_most: float | None = None
    equals: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Threshold:
        if self.at_least is None and self.at_most is None and self.equals is None:
            raise ValueError("give at least one of 'at_least', 'at_most' or 'equals'")
        return self

    def holds(self, value: float) -> bool:
        return ((self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)
                and (self.equals is None or abs(value - self.equals) < 1e-9))

    def text(self) -> str:
        parts = [f">= {self.at_least:g}" if self.at_least is not None else "",
                 f"<= {self.at_most:g}" if self.at_most is not None else "",
                 f"= {self.equals:g}" if self.equals is not None else ""]
        return " and ".join(p for p in parts if p)


class MetricTest(Threshold):
    name: str
    party: Literal["agent", "customer"] | None = None


class FindingTest(_M):
    kind: str = "behaviour"
    label: str | None = None
    min_count: int = Field(default=1, ge=1)
    before: str | None = Field(default=None, description="the first one comes before the first finding of this label")
    min_reading_ease: float | None = Field(default=None, description="Flesch reading ease of the evidence, 0-100")
    no_jargon: bool = False


class HandleTime(Threshold):
    pass


class CallFilter(_M):
    agent: list[str] | None = None
    team: list[str] | None = None
    queue: list[str] | None = None
    reason: list[str] | None = None
    channel: list[str] | None = None


KEYS = ("all", "any", "not", "phrase", "semantic", "sentiment", "metric", "behaviour", "finding", "handle_time",
        "call", "rule")


class Condition(_M):
    all_: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")
    phrase: Phrase | None = None
    semantic: Semantic | None = None
    sentiment: Sentiment | None = None
    metric: MetricTest | None = None
    behaviour: str | None = None
    finding: FindingTest | None = None
    handle_time: HandleTime | None = None
    call: CallFilter | None = None
    rule: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [k for k in data if k not in KEYS]
            if unknown:
                raise ValueError(f"unknown condition {unknown[0]!r}; use one of: {', '.join(KEYS)}")
            if len(data) != 1:
                raise ValueError(f"a condition has exactly one of: {', '.join(KEYS)} "
                                 f"(found {', '.join(data) or 'none'}); combine several with all/any")
        return data

    def rules(self) -> set[str]:
        """Names of the rules this condition refers to, at any depth."""
        out = {self.rule} if self.rule else set()
        for child in [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])]:
            out |= child.rules()
        return out


@dataclass
class Match:
    matched: bool
    evidence: list[Evidence] = field(default_factory=list)
    why: str = ""
    missing: bool = False      # the data this needs is absent (e.g. no handle time norm): items become N/A
    confidence: float = 1.0


@dataclass
class Facts:
    """What a condition may look at: the call, its analysis, and context from outside the call."""

    call: Call
    analysis: CallAnalysis
    encode: Encode | None = None
    norms: dict[str, float] = field(default_factory=dict)  # queue -> typical handle time in seconds ("*" = all)
    rules: dict[str, Match] = field(default_factory=dict)  # rules already evaluated for this call

    @property
    def duration(self) -> float:
        ends = [t.end for t in self.call.turns if t.end is not None]
        return max(ends) if ends else 0.0


def evaluate(cond: Condition, facts: Facts) -> Match:
    if cond.all_ is not None:
        parts = [evaluate(c, facts) for c in cond.all_]
        ok = all(p.matched for p in parts)
        return Match(ok, [e for p in parts for e in p.evidence] if ok else
                     [e for p in parts if not p.matched for e in p.evidence],
                     " and ".join(p.why for p in parts), any(p.missing for p in parts),
                     min((p.confidence for p in parts), default=1.0))
    if cond.any_ is not None:
        parts = [evaluate(c, facts) for c in cond.any_]
        hits = [p for p in parts if p.matched]
        return Match(bool(hits), [e for p in hits for e in p.evidence], " or ".join(p.why for p in parts),
                     all(p.missing for p in parts), max((p.confidence for p in hits), default=1.0))
    if cond.not_ is not None:
        inner = evaluate(cond.not_, facts)
        # The evidence of a "not" is what made it fail: the flags that were there.
        return Match(not inner.matched and not inner.missing, inner.evidence, f"not ({inner.why})", inner.missing)
    if cond.phrase is not None:
        return _phrase(cond.phrase, facts)
    if cond.semantic is not None:
        return _semantic(cond.semantic, facts)
    if cond.sentiment is not None:
        return _sentiment(cond.sentiment, facts)
    if cond.metric is not None:
        return _metric(cond.metric, facts)
    if cond.behaviour is not None:
        return _finding(FindingTest(kind="behaviour", label=cond.behaviour), facts)
    if cond.finding is not None:
        return _finding(cond.finding, facts)
    if cond.handle_time is not None:
        return _handle_time(cond.handle_time, facts)
    if cond.call is not None:
        return _call(cond.call, facts)
    assert cond.rule is not None
    found = facts.rules.get(cond.rule)
    if found is None:
        return Match(False, why=f"rule {cond.rule} was not evaluated", missing=True)
    return Match(found.matched, found.evidence, f"rule {cond.rule}", found.missing, found.confidence)


def _turns(facts: Facts, party: str, window: Window) -> list[int]:
    duration = facts.duration
    out = []
    for i, t in enumerate(facts.call.turns):
        if party != "any" and t.speaker is not Role(party):
            continue
        if window.first_seconds is not None and (t.start is None or t.start > window.first_seconds):
            continue
        if window.last_seconds is not None and (t.end is None or t.end < duration - window.last_seconds):
            continue
        out.append(i)
    return out


def _where(window: Window) -> str:
    return (f" in the first {window.first_seconds:g} s" if window.first_seconds else "") + \
        (f" in the last {window.last_seconds:g} s" if window.last_seconds else "")


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", re.I)


def _phrase(p: Phrase, facts: Facts) -> Match:
    from rapidfuzz import fuzz

    evidence = []
    for i in _turns(facts, p.party, p):
        turn = facts.call.turns[i]
        for phrase in p.any:
            if p.match == "exact":
                m = _phrase_pattern(phrase).search(turn.text)
                if m:
                    evidence.append(Evidence(turn=i, span=(m.start(), m.end()), text=m.group(0), time=turn.start))
                    break
            else:
                found = fuzz.partial_ratio_alignment(phrase.lower(), turn.text.lower())
                if found is not None and found.score >= p.fuzzy_threshold * 100:
                    span = (found.dest_start, found.dest_end)
                    evidence.append(Evidence(turn=i, span=span, text=turn.text[span[0]:span[1]], time=turn.start))
                    break
    said = ", ".join(repr(x) for x in p.any[:3]) + ("..." if len(p.any) > 3 else "")
    return Match(bool(evidence), evidence, f"{p.party} said {said}{_where(p)}")


def sentences(text: str) -> list[tuple[int, int]]:
    out = []
    for m in SENTENCE.finditer(text):
        raw = m.group(0)
        start = m.start() + len(raw) - len(raw.lstrip())
        end = m.start() + len(raw.rstrip())
        if end > start:
            out.append((start, end))
    return out


def _semantic(s: Semantic, facts: Facts) -> Match:
    if facts.encode is None:
        from heard.text.embeddings import encoder

        facts.encode = encoder().encode
    spans = [(i, span) for i in _turns(facts, s.party, s) for span in sentences(facts.call.turns[i].text)]
    if not spans:
        return Match(False, why=f"no {s.party} sentences{_where(s)}")
    texts = [facts.call.turns[i].text[a:b] for i, (a, b) in spans]
    similarity = facts.encode(texts) @ facts.encode(list(s.examples)).T
    best = similarity.max(axis=1)
    evidence = [Evidence(turn=i, span=span, text=texts[k], time=facts.call.turns[i].start)
                for k, (i, span) in enumerate(spans) if best[k] >= s.threshold]
    return Match(bool(evidence), evidence, f"{s.party} said something like {s.examples[0]!r} "
                 f"(best similarity {float(best.max()):.2f}, needs {s.threshold:g})",
                 confidence=float(best.max()) if evidence else 1.0)


def _sentiment(s: Sentiment, facts: Facts) -> Match:
    wanted = set(_turns(facts, s.party, s))
    scored = [(t.turn, t.value) for t in facts.analysis.per_turn("turn_sentiment")
              if t.turn in wanted and t.value is not None]
    if not scored:
        return Match(False, why=f"no {s.party} sentiment{_where(s)} (run the sentiment analyser)", missing=True)
    mean = sum(v for _, v in scored) / len(scored)
    ok = mean < s.below if s.below is not None else mean > (s.above or 0.0)
    extreme = sorted(scored, key=lambda tv: tv[1], reverse=s.above is not None)[:3]
    evidence = [Evidence(turn=t, text=facts.call.turns[t].text, time=facts.call.turns[t].start) for t, _ in extreme]
    bound = f"below {s.below:g}" if s.below is not None else f"above {s.above:g}"
    return Match(ok, evidence, f"{s.party} sentiment{_where(s)} {mean:+.2f}, {bound}")


def find_metric(facts: Facts, name: str, party: str | None) -> Metric | None:
    """A metric by name and party; without a party, the call-level one, else the agent's."""
    metric = facts.analysis.metric(name, Role(party) if party else None)
    if metric is None and party is None:
        metric = facts.analysis.metric(name, Role.AGENT)
    return metric


def metric_evidence(facts: Facts, metric: Metric | None) -> list[Evidence]:
    turns = metric.turns[:5] if metric is not None else []
    return [Evidence(turn=i, text=facts.call.turns[i].text, time=facts.call.turns[i].start)
            for i in turns if 0 <= i < len(facts.call.turns)]


def _metric(t: MetricTest, facts: Facts) -> Match:
    metric = find_metric(facts, t.name, t.party)
    if metric is None or metric.value is None:
        label = f" ({metric.label})" if metric is not None and metric.label else ""
        return Match(False, why=f"{t.name} is not available{label}", missing=True)
    value = float(metric.value)
    return Match(t.holds(value), metric_evidence(facts, metric), f"{t.name} = {value:g} (needs {t.text()})")


def _findings(facts: Facts, kind: str, label: str | None) -> list[Finding]:
    return [f for f in facts.analysis.findings if f.kind == kind and (label is None or f.label == label)]


def _finding(t: FindingTest, facts: Facts) -> Match:
    found = _findings(facts, t.kind, t.label)
    name = f"{t.kind} {t.label}" if t.label else t.kind
    why = [name]
    if t.no_jargon:
        found = [f for f in found if not any("jargon" in h for h in f.detail.get("how", []))]
        why.append("without jargon")
    if t.min_reading_ease is not None:
        found = [f for f in found if all(reading_ease(e.text or "") >= t.min_reading_ease for e in f.evidence)]
        why.append(f"reading ease >= {t.min_reading_ease:g}")
    if t.before is not None:
        later = [e.turn for f in _findings(facts, "behaviour", t.before) for e in f.evidence]
        if later:
            found = [f for f in found if f.evidence and min(e.turn for e in f.evidence) < min(later)]
        why.append(f"before {t.before}")
    evidence = [e for f in found for e in f.evidence]
    return Match(len(found) >= t.min_count, evidence, " ".join(why) + f": {len(found)} found",
                 confidence=min((f.confidence for f in found), default=1.0))


HEAVY = "|heavy"   # norms key suffix: the queue's typical handle time on emotionally heavy calls


def heavy_reason(facts: Facts) -> str | None:
    """Why the call was emotionally heavy for the agent (heard.analysers.heavy.is_heavy), or None when it was not
    (or cannot be told)."""
    summary = facts.analysis.summary()
    if not is_heavy(summary):
        return None
    if summary.get("heavy"):
        return "the customer's words show " + ", ".join(str(label) for label in summary["heavy"])
    return "the customer started very upset, showed frustration repeatedly or escalated"


def handle_time_ratio(facts: Facts, *, heavy: bool = False) -> tuple[float | None, str]:
    """The call's handle time (the outcome's, else the call's length) over its queue's norm (the norm for heavy
    calls when `heavy`), and a sentence."""
    queue = facts.call.queue or "*"
    suffix, kind = (HEAVY, " for heavy calls") if heavy else ("", "")
    norm = facts.norms.get(queue + suffix) or facts.norms.get("*" + suffix)
    outcome = facts.call.outcome
    seconds = outcome.handle_time if outcome and outcome.handle_time else facts.duration
    if not norm or not seconds:
        return None, f"no handle time norm{kind} for queue {queue}"
    ratio = seconds / norm
    return ratio, f"handle time {seconds:.0f} s is {ratio:.2f}x the {queue} norm{kind} of {norm:.0f} s"


def _handle_time(t: HandleTime, facts: Facts) -> Match:
    ratio, why = handle_time_ratio(facts)
    if ratio is None:
        return Match(False, why=why, missing=True)
    return Match(t.holds(ratio), [], f"{why} (needs {t.text()})")


def _call(f: CallFilter, facts: Facts) -> Match:
    c = facts.call
    checks = {"agent": c.agent_id, "team": c.team, "queue": c.queue, "reason": c.reason, "channel": c.channel.value}
    failed = [key for key, value in checks.items() if getattr(f, key) is not None and value not in getattr(f, key)]
    return Match(not failed, [], "call " + ", ".join(f"{k} in {getattr(f, k)}" for k in checks
                                                     if getattr(f, k) is not None))


@lru_cache(maxsize=1)
def _hyphenator() -> Any:
    import pyphen  # type: ignore[import-untyped]

    return pyphen.Pyphen(lang="en_GB")


def syllables(word: str) -> int:
    return max(1, len(_hyphenator().positions(word)) + 1)


def reading_ease(text: str) -> float:
    """Flesch reading ease (206.835 - 1.015 words/sentence - 84.6 syllables/word); higher is plainer."""
    words = re.findall(r"[A-Za-z']+", text)
    if not words:
        return 100.0
    n_sentences = max(1, len(re.findall(r"[.!?]+", text)))
    n_syllables = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) / n_sentences - 84.6 * n_syllables / len(words)
