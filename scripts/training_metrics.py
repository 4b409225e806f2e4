"""Figures for the training scripts: precision, recall and F-beta, calibration error, bootstrap intervals."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

BOOTSTRAP = 1000


def prf(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any], beta: float = 1.0) -> tuple[float, float, float]:
    tp = float(np.sum(y & p))
    precision = tp / max(1.0, float(np.sum(p)))
    recall = tp / max(1.0, float(np.sum(y)))
    b2 = beta * beta
    return precision, recall, ((1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall
                               else 0.0)


def ece(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any], bins: int = 10) -> float:
    """Expected calibration error over 10 equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            total += inside.sum() / len(p) * abs(float(p[inside].mean()) - float(y[inside].mean()))
    return total


def measure(labels: tuple[str, ...] | list[str], p: np.ndarray[Any, Any], y: np.ndarray[Any, Any],
            mask: np.ndarray[Any, Any], thresholds: np.ndarray[Any, Any], calls: list[str]) -> dict[str, Any]:
    """Per label: P, R, F1 with 95% bootstrap intervals over calls, and the calibration error."""
    ids = sorted(set(calls))
    index = np.array([ids.index(c) for c in calls])
    rng = np.random.default_rng(0)
    draws = [rng.integers(0, len(ids), len(ids)) for _ in range(BOOTSTRAP)]
    out = {}
    for k, label in enumerate(labels):
        rows = mask[:, k] > 0
        truth, guess, where = y[rows, k].astype(bool), p[rows, k] >= thresholds[k], index[rows]
        precision, recall, f1 = prf(truth, guess)
        by_call = [np.where(where == j)[0] for j in range(len(ids))]
        boot = np.array([prf(truth[s], guess[s]) for s in
                         (np.concatenate([by_call[j] for j in d]) for d in draws)])
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
        out[label] = {"support": int(truth.sum()), "flagged": int(guess.sum()), "precision": round(precision, 4),
                      "recall": round(recall, 4), "f1": round(f1, 4), "precision_ci": [round(lo[0], 3),
                                                                                         round(hi[0], 3)],
                      "recall_ci": [round(lo[1], 3), round(hi[1], 3)], "f1_ci": [round(lo[2], 3), round(hi[2], 3)],
                      "ece": round(ece(truth, p[rows, k]), 4)}
    return out


def platt_and_threshold(scores: np.ndarray[Any, Any], target: np.ndarray[Any, Any], beta: float,
                        min_precision: float | None = None) -> tuple[float, float, float, np.ndarray[Any, Any]]:
    """Platt scaling of held-out scores, then a threshold from 0.05 to 0.9.

    With `min_precision`, the threshold with the best F1 among those whose precision is at least that (a QA
    lead needs the detector to be right when it speaks, then to find as much as it can); where no threshold
    reaches it, or without it, the one that maximises F-beta. Returns a, b (calibrated p = sigmoid(a * score
    + b)), the threshold, and the calibrated probabilities.
    """
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), target)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    p = 1 / (1 + np.exp(-(a * scores + b)))
    candidates = [round(float(t), 3) for t in np.arange(0.05, 0.91, 0.025)]
    if min_precision is not None:
        reaching = [(prf(target, p >= t)[2], t) for t in candidates if prf(target, p >= t)[0] >= min_precision
                    and (p >= t).any()]
        if reaching:
            return a, b, max(reaching)[1], p
    threshold, best = 0.5, -1.0
    for t in candidates:
        f = prf(target, p >= t, beta)[2]
        if f > best + 1e-9:
            threshold, best = t, f
    return a, b, threshold, p
