"""Build turns from word lists: the shared step for vendors that diarise words, not utterances.

Two rules make word runs look like the turns a person would mark:
- a speaker's run is split where they pause longer than SPLIT_GAP seconds;
- a short interjection (at most BACKCHANNEL_WORDS words, e.g. "okay", "mhm") by the other party
  in the middle of someone's speech does not cut that speech in two: it becomes its own turn that
  overlaps the speaker's, which is what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heard.ingest.base import RawTurn
from heard.model import Role, Word

SPLIT_GAP = 2.0
BACKCHANNEL_WORDS = 3


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


def attach_punctuation(words: Iterable[LabelledWord]) -> list[LabelledWord]:
    """Fold punctuation tokens into the word before them (they carry no time of their own)."""
    out: list[LabelledWord] = []
    for w in words:
        if w.punctuation:
            if out:
                out[-1].text += w.text
            continue
        out.append(w)
    return out


def words_to_turns(words: Iterable[LabelledWord], roles: dict[str, Role] | None = None) -> list[RawTurn]:
    """Turns from timed, labelled words (punctuation tokens are folded into the word before)."""
    ordered = sorted(attach_punctuation(words), key=lambda w: w.start)
    runs: list[list[LabelledWord]] = []
    for w in ordered:
        if runs and runs[-1][0].label == w.label and w.start - runs[-1][-1].end <= SPLIT_GAP:
            runs[-1].append(w)
        else:
            runs.append([w])
    merged: list[list[LabelledWord]] = []
    interjections: list[list[LabelledWord]] = []
    for run in runs:
        if (len(merged) >= 1 and interjections and merged[-1][0].label == run[0].label
                and run[0].start - merged[-1][-1].end <= SPLIT_GAP):
            merged[-1].extend(run)
            continue
        if (merged and run[0].label != merged[-1][0].label and len(run) <= BACKCHANNEL_WORDS
                and run[0].start < merged[-1][-1].end):
            interjections.append(run)  # started while the other party was still speaking
            continue
        merged.extend(interjections)
        interjections = []
        merged.append(run)
    merged.extend(interjections)
    turns = []
    for run in merged:
        turn_words = [Word(text=w.text, start=w.start, end=max(w.start, w.end), confidence=w.confidence) for w in run]
        turns.append(RawTurn(label=run[0].label, text=" ".join(w.text for w in run), start=turn_words[0].start,
                             end=max(w.end for w in turn_words), words=turn_words,
                             role=(roles or {}).get(run[0].label)))
    turns.sort(key=lambda t: t.start or 0.0)
    return turns
