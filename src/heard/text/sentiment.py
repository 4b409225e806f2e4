"""Turn-level sentiment with VADER (vaderSentiment 3.3.2, lexicon shipped in its wheel, MIT).

The lexicon file is checked against a pinned sha256 before use, so a changed or tampered lexicon
can never silently change scores. Scores are cached by text: agents repeat their lines, and the
same text always gets the same score. The caches are bounded (32,768 texts, 16,384 for agent turns: about 15 MB
when full), so a worker's memory stays flat however many calls it scores.

Lexicons score an agent's empathy ("I'm so sorry, that must be frustrating") as negative, because of
"sorry" and "frustrating". For agent turns, `score_agent` removes the common empathy and apology
phrases before scoring, so an empathetic agent is not read as a negative one.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files
from typing import Any

from heard.errors import AnalysisError

VADER_LEXICON_SHA256 = "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5"

EMPATHY_MASK = re.compile("|".join([
    r"\bi'?m (?:so |really |very |truly |terribly |awfully )?sorry\b"
    r"(?: (?:to hear (?:that|about \w+)|about (?:that|this|the \w+)"
    r"|for (?:the|any|that|this|your|keeping) [\w ]{0,30}?(?=[.,!?;]|$)"
    r"|you(?:'ve| have| had)? [\w ]{0,40}?(?=[.,!?;]|$)))?",
    r"\b(?:i |we )?(?:do |sincerely |really )?apologi[sz]e\b(?: (?:for|about) [\w ]{0,30}?(?=[.,!?;]|$))?",
    r"\bi (?:completely |totally |really |fully )?understand\b"
    r"(?: (?:your|the) (?:frustration|concern|worry)| (?:how|why) [\w' ]{0,40}?(?=[.,!?;]|$))?",
    r"(?:'s|\bis|\bare|\bsounds|\bmust be|\bmust have been|\bmust feel) (?:really |so |very |incredibly |such |"
    r"quite )?(?:a )?(?:frustrating|stressful|annoying|worrying|upsetting|difficult|hard|awful|rotten|lot|nightmare"
    r"|pain|worry)\b", r"\boh no\b",
    r"\b(?:how |so )?frustrating\b", r"\b(?:i'?d|i would) be (?:fed up|annoyed|upset|frustrated|furious)(?: too)?\b",
]), re.I)


def _verified_analyzer() -> Any:
    from vaderSentiment import vaderSentiment as vader_module  # type: ignore[import-untyped]

    lexicon = files("vaderSentiment").joinpath("vader_lexicon.txt").read_bytes()
    digest = hashlib.sha256(lexicon).hexdigest()
    if digest != VADER_LEXICON_SHA256:
        raise AnalysisError(f"the VADER lexicon has sha256 {digest}, expected {VADER_LEXICON_SHA256}",
                            hint="Reinstall vaderSentiment==3.3.2: pip install --force-reinstall vaderSentiment==3.3.2")
    return vader_module.SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def analyzer() -> Any:
    return _verified_analyzer()


SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    return frozenset(analyzer().lexicon)


def has_lexicon_word(text: str) -> bool:
    """Does any token, as VADER splits and strips them, carry a valence in VADER's lexicon?

    VADER gives a word a valence only when its lower-cased token is in the lexicon; boosters,
    negations, idioms and punctuation only change valences that exist. So a sentence without such
    a token scores exactly zero, and need not be scored (tests check this against VADER itself).
    Text with non-ASCII characters always goes to VADER, which first turns emoji into words.
    """
    if not text.isascii():
        return True
    lexicon = _lexicon()
    for token in text.lower().split():
        stripped = token.strip(string.punctuation)
        if token in lexicon or (len(stripped) > 2 and stripped in lexicon):
            return True
    return False


@lru_cache(maxsize=32768)
def _sentence(text: str) -> tuple[float, float, float]:
    if not has_lexicon_word(text):
        return 0.0, 0.0, 0.0
    s = analyzer().polarity_scores(text)
    return float(s["compound"]), float(s["pos"]), float(s["neg"])


@lru_cache(maxsize=32768)
def score(text: str) -> tuple[float, float, float]:
    """(compound in -1..1, positive share, negative share) for a text.

    VADER reads negation across sentence boundaries ("... for nothing. I'm furious." comes out
    positive), so each sentence is scored on its own and the results averaged, weighted by words,
    as VADER's authors recommend for text longer than a sentence.
    """
    parts = [p.strip() for p in SENTENCE.findall(text) if p.strip(" .!?")]
    if len(parts) <= 1:
        return _sentence(text)
    weighted = [(_sentence(p), len(p.split())) for p in parts]
    total = sum(w for _, w in weighted)
    return (sum(v[0] * w for v, w in weighted) / total, sum(v[1] * w for v, w in weighted) / total,
            sum(v[2] * w for v, w in weighted) / total)


@lru_cache(maxsize=16384)
def score_agent(text: str) -> tuple[float, float, float]:
    """Like score(), with empathy and apology phrases removed first."""
    masked = EMPATHY_MASK.sub(" ", text)
    return score(masked) if masked.strip(" .,!?;") else (0.0, 0.0, 0.0)


def label(compound: float, pos: float, neg: float, threshold: float = 0.05) -> str:
    if pos >= 0.15 and neg >= 0.15:
        return "mixed"
    if compound >= threshold:
        return "positive"
    if compound <= -threshold:
        return "negative"
    return "neutral"


def cache_clear() -> None:
    """Forget every cached score (the lexicon stays loaded)."""
    for fn in (score, score_agent, _sentence):
        fn.cache_clear()


@contextmanager
def uncached() -> Iterator[None]:
    """Score without any cache, e.g. to measure the cost of scoring itself."""
    global score, score_agent, _sentence
    saved = score, score_agent, _sentence
    score, score_agent, _sentence = (fn.__wrapped__ for fn in saved)  # type: ignore[assignment]
    try:
        yield
    finally:
        score, score_agent, _sentence = saved
