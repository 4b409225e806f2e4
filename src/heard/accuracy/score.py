"""Precision, recall and F1 of heard's detectors (and of simple baselines) against labelled turns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from heard.accuracy.datasets import ACCEPTS, Labelled
from heard.model import Call
from heard.pipeline import analyse

Predict = Callable[[Call], dict[int, set[str]]]

# The baselines the issue asks for: a question mark for questions, keyword lists for the rest.
QUESTION = re.compile(r"\?")
ACKNOWLEDGE_WORDS = re.compile(r"\b(?:sorry|understand|sounds|must be|feel|that'?s (?:hard|tough|awful|terrible|"
                               r"difficult))\b", re.I)
MIRROR_WORDS = re.compile(r"\b(?:so you|you feel|sounds like|you mentioned|you said|you'?re saying|you are saying)\b",
                          re.I)
REASSURE_WORDS = re.compile(r"\b(?:don'?t worry|it will be|you will|you'?ll be|not alone|it'?s okay|it'?s ok|"
                            r"it'?s normal|i'?m sure|will be fine|you can do)\b", re.I)
# Baselines predict heard behaviours too, and are scored through the same mapping as heard.
BASELINE = {
    "clarifying_question": QUESTION,
    "question": QUESTION,
    "identity_check": re.compile(r"\b(?:date of birth|postcode|zip code|last (?:four|4)|security|verify|"
                                 r"confirm your (?:name|address|email))\b", re.I),
    "account_action": re.compile(r"\b(?:refund\w*|credit\w*|cancel\w*|i can see|updated|changed|booked)\b",
                                 re.I),
    "acknowledge_emotion": ACKNOWLEDGE_WORDS,
    "mirror_paraphrase": MIRROR_WORDS,
    "reassurance": REASSURE_WORDS,
    "explain_why": re.compile(r"\bbecause\b", re.I),
    "summarise_goal": re.compile(r"\bso you want\b", re.I),
    "next_steps": re.compile(r"\bi will\b", re.I),
    "confidence_check": re.compile(r"\bdoes that help\b", re.I),
    "empathy_opportunity": re.compile(r"\b(?:worried|stressed|upset|angry|frustrated|sad|scared)\b", re.I),
    "robotic_empathy": re.compile(r"\b(?:sorry|apologi[sz]e)\b", re.I),
}


def baseline(call: Call) -> dict[int, set[str]]:
    return {i: {name for name, pattern in BASELINE.items() if pattern.search(t.text)} for i, t in enumerate(call.turns)}


def heard(call: Call) -> dict[int, set[str]]:
    """What heard's empathy analyser finds, per turn (the same analyser users run)."""
    found: dict[int, set[str]] = {}
    for f in analyse(call, only=["empathy"]).findings:
        label = f.label if f.kind in ("behaviour", "account") else "empathy_opportunity" if f.kind == "opportunity" \
            else "robotic_empathy" if f.kind == "robotic" else "question" if f.kind == "question" and \
            f.label == "asked" else None
        if label is None:
            continue
        turns = {f.evidence[0].turn} if f.kind == "opportunity" else {e.turn for e in f.evidence}
        for t in turns:
            found.setdefault(t, set()).add(label)
    return found


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "support": self.support, "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=dict)
    turns: int = 0
    calls: int = 0


def evaluate(items: Iterable[Labelled], predictors: dict[str, Predict],
             on_call: Callable[[], None] | None = None) -> dict[str, Report]:
    """Score every predictor on every judged (turn, behaviour)."""
    reports = {name: Report() for name in predictors}
    for item in items:
        predictions = {name: predict(item.call) for name, predict in predictors.items()}
        for name, report in reports.items():
            report.calls += 1
            for turn, judged in item.evaluated.items():
                report.turns += 1
                predicted = predictions[name].get(turn, set())
                for behaviour in judged:
                    counts = report.counts.setdefault(behaviour, Counts())
                    gold = behaviour in item.labels.get(turn, set())
                    hit = bool(predicted & ACCEPTS.get(behaviour, {behaviour}))
                    counts.support += gold
                    counts.tp += gold and hit
                    counts.fp += hit and not gold
                    counts.fn += gold and not hit
        if on_call:
            on_call()
    return reports
