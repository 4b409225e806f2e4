"""Turn a cleanly written labelled call into what speech-to-text makes of it, without changing its labels.

Each operation below is one thing real transcripts do; `noisy(call, seed)` applies them at random with
the rates in `Rates`, seeded, so the same call and seed always give the same variant:

- lower case and punctuation dropped or left partly (most ASR output; some vendors punctuate badly);
- fillers ("um", "uh", "like", "you know", "real quick") and repeated words ("i i", "the the");
- a short word dropped (an ASR deletion);
- names and numbers replaced by [PII] (vendors' redaction);
- two consecutive turns of one speaker merged into one (labels: the union, which is what the merged
  turn shows) and an unlabelled turn split in two (no label can land on the wrong half);
- speaker labels replaced by spk_0 / spk_1 (roles then have to be inferred).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from heard.empathy.corpus import LabelledCall, TurnLabels
from heard.model import Turn

FILLERS = ("um", "uh", "um", "uh", "like", "you know", "so", "i mean", "real quick", "okay", "just")
PII = re.compile(r"\b(?:\d[\d ,.-]*\d|\d|[A-Z][a-z]+(?= [A-Z][a-z]+))\b")


@dataclass(frozen=True)
class Rates:
    lower: float = 0.85          # the call is lower-cased
    unpunctuated: float = 0.7    # ...and loses its punctuation (else keeps it, with some marks dropped)
    filler: float = 0.06         # per word: a filler before it
    repeat: float = 0.03         # per word: said twice
    drop: float = 0.02           # per short word: lost
    pii: float = 0.5             # the call's names and numbers become [PII]
    merge: float = 0.15          # per pair of consecutive same-speaker turns: merged
    split: float = 0.1           # per unlabelled turn of 8+ words: split in two
    spk_labels: float = 0.2      # the call's speakers become spk_0 / spk_1


def noisy(labelled: LabelledCall, seed: int, rates: Rates = Rates()) -> LabelledCall:
    """A speech-to-text-like variant of the call; labels follow their turns."""
    rng = random.Random(f"{labelled.call.id}:{seed}")
    lower, unpunctuated = rng.random() < rates.lower, rng.random() < rates.unpunctuated
    pii = rng.random() < rates.pii
    turns: list[Turn] = []
    labels: list[TurnLabels] = []
    for turn, label in zip(labelled.call.turns, labelled.labels, strict=True):
        text = _words(turn.text, rng, rates)
        if pii:
            text = PII.sub("[PII]", text)
        if lower:
            text = text.lower().replace("[pii]", "[PII]")
        if unpunctuated:
            text = re.sub(r"[.,!?;:]+(?=\s|$)", "", text)
        else:
            text = re.sub(r"[.,;](?=\s)", lambda m: "" if rng.random() < 0.3 else m.group(0), text)
        text = re.sub(r"\s+", " ", text).strip() or turn.text
        if turns and turns[-1].speaker is turn.speaker and rng.random() < rates.merge:
            turns[-1] = turns[-1].model_copy(update={"text": f"{turns[-1].text} {text}"})
            labels[-1] = replace(labels[-1], labels=labels[-1].labels | label.labels,
                                 kind=labels[-1].kind or label.kind, robotic=labels[-1].robotic or label.robotic)
            continue
        words = text.split()
        if not label.labels and len(words) >= 8 and rng.random() < rates.split:
            cut = rng.randint(3, len(words) - 3)
            for part in (words[:cut], words[cut:]):
                turns.append(turn.model_copy(update={"text": " ".join(part)}))
                labels.append(replace(label))
            continue
        turns.append(turn.model_copy(update={"text": text}))
        labels.append(replace(label))
    if rng.random() < rates.spk_labels:
        first = turns[0].speaker
        turns = [t.model_copy(update={"speaker_id": "spk_0" if t.speaker is first else "spk_1"}) for t in turns]
    call = labelled.call.model_copy(update={"id": f"{labelled.call.id}~{seed}", "turns": turns})
    return LabelledCall(call, labels, labelled.author, labelled.industry, "asr")


def _words(text: str, rng: random.Random, rates: Rates) -> str:
    out: list[str] = []
    for word in text.split():
        if rng.random() < rates.filler:
            out.append(rng.choice(FILLERS))
        if len(word) <= 3 and word.isalpha() and rng.random() < rates.drop:
            continue
        out.append(word)
        if rng.random() < rates.repeat and word.isalpha():
            out.append(word)
    return " ".join(out)

