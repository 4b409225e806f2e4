"""heard's learned empathy head: one logistic regression per behaviour over the sentence embedding.

It catches the many ways people acknowledge, mirror and reassure that no pattern list can enumerate
("Being kept in the dark like that is maddening"). The weights in head.json were trained by
scripts/train_head.py on sentences the heard team wrote (training/empathy_head.yaml), never on any
public dataset; the file records the sha256 of its training data and the held-out figures.
A head only ever adds a candidate: mirroring must still connect to what the customer said.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from heard.errors import AnalysisError
from heard.text.embeddings import DIMENSIONS

WEIGHTS = Path(__file__).with_name("head.json")
# Which heard behaviour each head label stands for.
BEHAVIOUR = {"ack": "acknowledge_emotion", "mirror": "mirror_paraphrase", "reassure": "reassurance"}
_YOU = re.compile(r"\b(?:you|your|you're|you've|you'd|yourself)\b", re.I)
_ME = re.compile(r"\b(?:i|me|my|i'm|i've|i'd|i'll|we|our)\b", re.I)
FEATURES = DIMENSIONS + 4


def features(texts: list[str], vectors: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The embedding plus four surface cues a reflection or an acknowledgement depends on."""
    extra = np.zeros((len(texts), 4), dtype=np.float32)
    for k, text in enumerate(texts):
        words = max(1, len(text.split()))
        extra[k] = (text.rstrip().endswith("?"), min(1.0, 3 * len(_YOU.findall(text)) / words),
                    min(1.0, 3 * len(_ME.findall(text)) / words), text.lower().startswith("so "))
    return np.hstack([vectors.astype(np.float32), extra])


@dataclass(frozen=True)
class Head:
    labels: tuple[str, ...]
    weights: np.ndarray[Any, Any]      # (labels, FEATURES)
    bias: np.ndarray[Any, Any]         # (labels,)
    thresholds: dict[str, float]
    version: str

    def probabilities(self, texts: list[str], vectors: np.ndarray[Any, Any]) -> dict[str, np.ndarray[Any, Any]]:
        """Per heard behaviour, the probability that each sentence shows it."""
        if not texts:
            return {BEHAVIOUR[label]: np.zeros(0) for label in self.labels}
        logits = features(texts, vectors) @ self.weights.T + self.bias
        p = 1.0 / (1.0 + np.exp(-logits))
        return {BEHAVIOUR[label]: p[:, k] for k, label in enumerate(self.labels)}

    def threshold(self, behaviour: str) -> float:
        label = next(lab for lab, b in BEHAVIOUR.items() if b == behaviour)
        return self.thresholds[label]


@lru_cache(maxsize=1)
def load(path: Path = WEIGHTS) -> Head:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = tuple(data["labels"])
        weights = np.array([data["heads"][lab]["weights"] for lab in labels], dtype=np.float32)
        bias = np.array([data["heads"][lab]["bias"] for lab in labels], dtype=np.float32)
        thresholds = {lab: float(data["heads"][lab]["threshold"]) for lab in labels}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnalysisError(f"{path}: cannot read the empathy head: {exc}",
                            hint="Rebuild it with: .venv/bin/python scripts/train_head.py") from None
    if weights.shape != (len(labels), FEATURES) or set(labels) - set(BEHAVIOUR):
        raise AnalysisError(f"{path}: the empathy head has shape {weights.shape}, expected ({len(labels)}, {FEATURES})",
                            hint="Rebuild it with: .venv/bin/python scripts/train_head.py")
    return Head(labels, weights, bias, thresholds, str(data.get("version", "?")))
