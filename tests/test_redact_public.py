"""heard.redact on text nobody here wrote (../shared/data; skipped cleanly where the data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from heard.redact import find_pii
from heard.redact.public import annomi, multiwoz

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANNOMI = SHARED / "annomi" / "AnnoMI-simple.csv"
MWOZ = SHARED / "uss-user-satisfaction" / "MWOZ.txt"


def test_redact_sentence_end_is_not_an_email() -> None:
    """Found on AnnoMI: "looking at people. It sounds" read as someone at people.it."""
    assert find_pii("So you avoided looking at people. It sounds like you worried") == []
    assert [s.type.value for s in find_pii("it's jo.smith@people.it thanks")] == ["email"]
    assert [s.type.value for s in find_pii("my email is jo smith at people dot it")] == ["email"]


@pytest.mark.skipif(not ANNOMI.exists(), reason="AnnoMI is not in ../shared/data")
def test_redact_finds_nothing_in_counselling_transcripts() -> None:
    result = annomi(ANNOMI)
    assert result["utterances"] > 7000 and result["spans"] == 0, result["examples"]


@pytest.mark.skipif(not MWOZ.exists(), reason="the USS data (MultiWOZ) is not in ../shared/data")
def test_redact_on_booking_dialogues() -> None:
    result = multiwoz(MWOZ)
    assert result["phone"]["turns"] > 400 and result["phone"]["recall"] >= 0.95      # measured 0.979
    assert result["postcode"]["recall"] >= 0.80                                       # measured 0.857
    assert result["clean"]["turns"] > 13000 and result["clean"]["spans"] <= 5        # measured 2 (a venue's address)
