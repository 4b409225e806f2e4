"""heard's use of VADER: the zero-score shortcut must give exactly what VADER gives."""

from __future__ import annotations

import json

import pytest

from heard.ingest import read_path
from heard.model import Call
from heard.samples import CALLS_DIR
from heard.samples.generate import generate
from heard.text import sentiment
from tests.conftest import FIXTURES

EDGE_CASES = [
    "no", "No problem.", "kind of", "Not bad at all", "the shit", "yeah right", "I'm NOT happy", "ok", ":)", ":(",
    "Great!!!", "a.", "It's fine.", "don't", "Can I take your account number?", "😀 thanks", "café au lait",
    "the bomb", "bus stop", "to die for", "kiss of death", "sort of okay", "LOL", "meh", "?", "", "   ",
]


def every_sentence() -> list[str]:
    texts = list(EDGE_CASES)
    for path in [*CALLS_DIR.iterdir(), *FIXTURES.rglob("*.json")]:
        texts += [t.text for r in read_path(path) if isinstance(r, Call) for t in r.turns]
    texts += [t.text for c in generate(200, seed=5) for t in c.turns]
    return sorted({p.strip() for text in texts for p in sentiment.SENTENCE.findall(text)} | set(EDGE_CASES))


def test_sentiment_zero_shortcut_matches_vader_exactly() -> None:
    vader = sentiment.analyzer()
    skipped = 0
    for text in every_sentence():
        if sentiment.has_lexicon_word(text):
            continue
        skipped += 1
        s = vader.polarity_scores(text)
        assert (s["compound"], s["pos"], s["neg"]) == (0.0, 0.0, 0.0), text
    assert skipped > 100  # the shortcut is doing work


@pytest.mark.parametrize("text", ["I'm furious.", "Great, thanks.", "This is the worst service ever!!"])
def test_sentiment_cached_and_uncached_agree(text: str) -> None:
    sentiment.cache_clear()
    cached = sentiment.score(text)
    with sentiment.uncached():
        assert sentiment.score(text) == cached
    assert json.dumps(cached)
