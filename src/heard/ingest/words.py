"""Build turns from word lists: the shared step for vendors that diarise words, not utterances."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heard.ingest.base import RawTurn
from heard.model import Role, Word


@dataclass
class LabelledWord:
    label: str
    text: str
    start: float
    end: float
    confidence: float | None = None
    punctuation: bool = False


def clamp_confidence(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return min(max(number, 0.0), 1.0)


def words_to_turns(words: Iterable[LabelledWord], roles: dict[str, Role] | None = None) -> list[RawTurn]:
    """Consecutive words by the same speaker become one turn; punctuation sticks to the word before."""
    turns: list[RawTurn] = []
    for w in words:
        if w.punctuation:
            if turns and turns[-1].words:
                last = turns[-1].words[-1]
                turns[-1].words[-1] = last.model_copy(update={"text": last.text + w.text})
                turns[-1].text += w.text
            continue
        word = Word(text=w.text, start=w.start, end=max(w.start, w.end), confidence=w.confidence)
        if turns and turns[-1].label == w.label:
            current = turns[-1]
            assert current.words is not None
            current.words.append(word)
            current.text += " " + w.text
            current.end = max(current.end or 0.0, word.end)
        else:
            turns.append(RawTurn(label=w.label, text=w.text, start=word.start, end=word.end, words=[word],
                                 role=(roles or {}).get(w.label)))
    return turns
