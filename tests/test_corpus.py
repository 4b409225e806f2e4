"""heard's labelled call corpus: reading it (bad lines named, never fatal) and the speech-to-text augmenter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heard.empathy.augment import Rates, noisy
from heard.empathy.corpus import LabelledCall, parse_call, read_corpus
from heard.errors import IngestError
from heard.model import Role

ROOT = Path(__file__).resolve().parents[1]
CALL = {"id": "T-001", "author": "T", "industry": "telecom", "register": "clean", "speakers": "roles", "turns": [
    {"speaker": "agent", "role": "agent", "text": "Thanks for calling Northwind, this is Sam. How can I help?",
     "behaviours": [], "question": "open"},
    {"speaker": "customer", "role": "customer", "text": "I was charged twice and I'm really worried about rent.",
     "opportunity": True, "kind": "worry"},
    {"speaker": "agent", "role": "agent", "text": "That sounds stressful, right before rent.",
     "behaviours": ["acknowledge_emotion"], "question": "none"},
    {"speaker": "agent", "role": "agent", "text": "Can I take your date of birth?", "behaviours": [],
     "question": "closed", "identity_check": True},
    {"speaker": "customer", "role": "customer", "text": "It's the first of May, 1980.", "opportunity": False},
    {"speaker": "agent", "role": "agent", "text": "I've refunded the second payment, you'll see it by Friday.",
     "behaviours": ["next_steps", "reassurance"], "question": "none", "account_action": True},
]}


def test_corpus_labels_become_turn_labels() -> None:
    lc = parse_call(CALL)
    assert [t.role for t in lc.labels] == [Role.AGENT, Role.CUSTOMER, Role.AGENT, Role.AGENT, Role.CUSTOMER,
                                           Role.AGENT]
    assert lc.labels[0].labels == {"question", "open_question"}
    assert lc.labels[1].labels == {"opportunity"} and lc.labels[1].kind == "worry"
    assert lc.labels[3].labels == {"question", "identity_check"}
    assert lc.labels[5].labels == {"next_steps", "reassurance", "account_action"}
    assert lc.call.turns[2].speaker is Role.AGENT and lc.author == "T"


def test_corpus_bad_lines_are_named_and_skipped(tmp_path: Path) -> None:
    bad = dict(CALL, id="T-002", turns=[dict(CALL["turns"][2], behaviours=["empathising"])])
    path = tmp_path / "T.jsonl"
    path.write_text("\n".join([json.dumps(CALL), "{not json", json.dumps(bad), ""]), encoding="utf-8")
    items = list(read_corpus([path]))
    assert isinstance(items[0], LabelledCall)
    assert [(type(i).__name__, getattr(i, "line", None)) for i in items[1:]] == [("IngestError", 2),
                                                                                ("IngestError", 3)]
    assert isinstance(items[2], IngestError) and "empathising" in str(items[2])


def test_corpus_in_repo_reads_cleanly() -> None:
    files = sorted((ROOT / "training" / "corpus" / "authored").glob("*.jsonl"))
    items = list(read_corpus(files))
    assert files and not [i for i in items if isinstance(i, IngestError)]
    assert len({i.call.id for i in items if isinstance(i, LabelledCall)}) == len(items)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_corpus_augmenter_is_seeded_and_keeps_labels_with_their_words(seed: int) -> None:
    lc = parse_call(CALL)
    a, b = noisy(lc, seed), noisy(lc, seed)
    assert [t.text for t in a.call.turns] == [t.text for t in b.call.turns]
    assert len(a.call.turns) == len(a.labels)
    everything = set().union(*(t.labels for t in lc.labels))
    assert set().union(*(t.labels for t in a.labels)) == everything   # merging and splitting lose no label


def test_corpus_augmenter_writes_like_speech_to_text() -> None:
    lc = parse_call(CALL)
    rates = Rates(lower=1.0, unpunctuated=1.0, filler=0.0, repeat=0.0, drop=0.0, pii=1.0, merge=1.0, split=0.0,
                  spk_labels=1.0)
    out = noisy(lc, 0, rates)
    texts = [t.text for t in out.call.turns]
    assert all(t == t.lower().replace("[pii]", "[PII]") and "?" not in t and "." not in t for t in texts)
    # The two consecutive agent turns were merged, with both turns' labels.
    assert len(out.call.turns) == len(lc.call.turns) - 1
    merged = next(t for t in out.labels if "acknowledge_emotion" in t.labels)
    assert {"question", "identity_check"} <= merged.labels
    assert {t.speaker_id for t in out.call.turns} == {"spk_0", "spk_1"}
    assert "[PII]" in " ".join(texts)
