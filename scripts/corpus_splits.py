"""The labelled call corpus as the training scripts split it: by author, the test split with its consensus gold."""

from __future__ import annotations

import sys
from pathlib import Path

from heard.empathy.corpus import BEHAVIOURS, LabelledCall, TurnLabels, read_corpus
from heard.errors import IngestError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training" / "corpus" / "authored"
GOLD = ROOT / "training" / "corpus" / "gold"
TEST_AUTHORS = ("A7", "A8")
DEV_AUTHORS = ("A6",)


def corpus() -> list[LabelledCall]:
    calls = []
    for item in read_corpus(sorted(CORPUS.glob("*.jsonl"))):
        if isinstance(item, IngestError):
            print(f"skipped: {item}", file=sys.stderr)
        else:
            calls.append(item)
    return calls


def with_gold(calls: list[LabelledCall]) -> tuple[list[LabelledCall], bool]:
    """Test calls with their consensus labels from training/corpus/gold/, when present."""
    golds = {c.call.id: c for c in (x for x in read_corpus(sorted(GOLD.glob("*.jsonl")))
                                    if isinstance(x, LabelledCall))} if GOLD.exists() else {}
    out = []
    for c in calls:
        gold = golds.get(c.call.id)
        if gold is not None and len(gold.labels) == len(c.labels):
            # The annotators label behaviours and opportunities; the flags (question, identity, account) stay
            # the author's.
            merged = []
            for mine, theirs in zip(c.labels, gold.labels, strict=True):
                flags = {lab for lab in mine.labels if lab not in theirs_scope()}
                merged.append(TurnLabels(mine.role, flags | {x for x in theirs.labels if x in theirs_scope()},
                                         theirs.kind, mine.robotic))
            out.append(LabelledCall(c.call, merged, c.author, c.industry, c.register))
        else:
            out.append(c)
    return out, bool(golds)


def theirs_scope() -> set[str]:
    return {*BEHAVIOURS, "opportunity"}
