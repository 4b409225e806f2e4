"""Train heard's learned empathy head from the sentences in training/ and write src/heard/empathy/head.json.

    .venv/bin/python scripts/train_head.py            # train, report held-out figures, write head.json
    .venv/bin/python scripts/train_head.py --check    # retrain and fail if head.json would change

Only sentences the heard team wrote are used (training/empathy_head.yaml); the held-out file
training/empathy_head_heldout.yaml is scored, never trained on. The public datasets in ../shared/data
are not read here. Deterministic: the same files give the same weights on one machine; on another CPU they agree within
`WEIGHT_TOLERANCE` (onnxruntime's int8 kernels and BLAS differ by instruction set), which `--check` allows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GroupKFold  # type: ignore[import-untyped]

from heard.empathy.head import BEHAVIOUR, WEIGHTS, features
from heard.text.embeddings import encoder

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training" / "empathy_head.yaml"
HELDOUT = ROOT / "training" / "empathy_head_heldout.yaml"
LABELS = tuple(BEHAVIOUR)
PER_TEMPLATE = 40
SEED = 7
SLOT = re.compile(r"\{(\w+)\}")
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def expand(template: str, slots: dict[str, list[str]], rng: random.Random) -> list[str]:
    """Up to PER_TEMPLATE distinct fillings of a template, sampled with a fixed seed."""
    names = SLOT.findall(template)
    missing = [n for n in names if n not in slots]
    if missing:
        raise SystemExit(f"{TRAINING}: template {template!r} uses unknown slots {missing}")
    combos = 1
    for n in names:
        combos *= len(slots[n])
    if combos <= PER_TEMPLATE:
        fillings = [dict(zip(names, values, strict=True)) for values in product(*(slots[n] for n in names))]
    else:
        fillings = [{n: rng.choice(slots[n]) for n in names} for _ in range(PER_TEMPLATE * 3)]
    out: list[str] = []
    for filling in fillings:
        text = SLOT.sub(lambda m: filling[m.group(1)], template)  # noqa: B023
        text = re.sub(r"\s+([.,?!:])", r"\1", re.sub(r" {2,}", " ", text)).strip()
        text = text[0].upper() + text[1:]
        if text not in out:
            out.append(text)
        if len(out) == PER_TEMPLATE:
            break
    return out


def training_set() -> tuple[list[str], np.ndarray[Any, Any], list[int]]:
    """Sentences, a (sentences, labels) 0/1 matrix, and a group id per sentence (its template)."""
    data = yaml.safe_load(TRAINING.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    texts: list[str] = []
    rows: list[list[int]] = []
    groups: list[int] = []
    group = 0
    for key, templates in data["templates"].items():
        for template in templates:
            for text in expand(template, data["slots"], rng):
                texts.append(text)
                rows.append(_row(key))
                groups.append(group)
            group += 1
    for key, sentences in data["sentences"].items():
        for k, text in enumerate(sentences):
            texts.append(text)
            rows.append(_row(key))
            groups.append(group + k % 5)
        group += 5
    return texts, np.array(rows), groups


def heldout_set() -> tuple[list[str], np.ndarray[Any, Any]]:
    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    return [text for _, text in items], np.array([_row(key) for key, _ in items])


def _row(key: str) -> list[int]:
    parts = set(key.split("+"))
    unknown = parts - set(LABELS) - {"none"}
    if unknown:
        raise SystemExit(f"unknown label(s) {sorted(unknown)} in {key!r}; use {', '.join(LABELS)} or none")
    return [int(label in parts) for label in LABELS]


def _f1(y: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]) -> tuple[float, float, float]:
    tp = float(np.sum(y & predicted))
    p = tp / max(1.0, float(np.sum(predicted)))
    r = tp / max(1.0, float(np.sum(y)))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def train() -> dict[str, Any]:
    texts, y, groups = training_set()
    enc = encoder()
    x = features(texts, enc.encode(texts))
    held_texts, held_y = heldout_set()
    held_x = features(held_texts, enc.encode(held_texts))
    out: dict[str, Any] = {
        "version": "",
        "labels": list(LABELS),
        "training": {"file": "training/empathy_head.yaml", "sha256": _sha(TRAINING), "sentences": len(texts),
                     "heldout_file": "training/empathy_head_heldout.yaml", "heldout_sha256": _sha(HELDOUT),
                     "heldout_sentences": len(held_texts)},
        "heads": {},
    }
    for k, label in enumerate(LABELS):
        # Choose C and the threshold by cross-validation across templates (a template never sits in both folds).
        best = (-1.0, 1.0, 0.5)
        for c in C_GRID:
            scores = np.zeros(len(texts))
            for train_idx, test_idx in GroupKFold(n_splits=5).split(x, y[:, k], groups):
                model = _model(c).fit(x[train_idx], y[train_idx, k])
                scores[test_idx] = model.predict_proba(x[test_idx])[:, 1]
            for threshold in np.arange(0.5, 0.91, 0.05):
                f1 = _f1(y[:, k].astype(bool), scores >= threshold)[2]
                if f1 > best[0] + 1e-9:
                    best = (f1, c, round(float(threshold), 2))
        cv_f1, c, threshold = best
        model = _model(c).fit(x, y[:, k])
        held = model.predict_proba(held_x)[:, 1] >= threshold
        p, r, f1 = _f1(held_y[:, k].astype(bool), held)
        out["heads"][label] = {
            "behaviour": BEHAVIOUR[label], "C": c, "threshold": threshold,
            "positives": int(y[:, k].sum()), "cross_validated_f1": round(cv_f1, 4),
            "heldout": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                        "support": int(held_y[:, k].sum())},
            "bias": round(float(model.intercept_[0]), 6),
            "weights": [round(float(w), 6) for w in model.coef_[0]],
        }
    body = json.dumps(out["heads"], sort_keys=True).encode()
    out["version"] = hashlib.sha256(body).hexdigest()[:12]
    return out


# Another CPU (other SIMD kernels in onnxruntime and BLAS) moves the weights in the 5th digit; a real change of
# data or settings moves them far more, or changes C, the threshold or the held-out counts.
WEIGHT_TOLERANCE = 1e-3


def differences(current: dict[str, Any], trained: dict[str, Any]) -> list[str]:
    """What differs between the shipped head and a retrained one, beyond floating-point noise."""
    problems = [f"training files: {key} differs" for key in ("sha256", "heldout_sha256", "sentences")
                if current["training"].get(key) != trained["training"][key]]
    for label, new in trained["heads"].items():
        old = current["heads"].get(label)
        if old is None:
            problems.append(f"{label}: missing from the shipped head")
            continue
        problems += [f"{label}: {key} {old[key]} -> {new[key]}" for key in ("C", "threshold", "heldout")
                     if old[key] != new[key]]
        gap = float(np.max(np.abs(np.array(old["weights"]) - np.array(new["weights"]))))
        if len(old["weights"]) != len(new["weights"]) or gap > WEIGHT_TOLERANCE or \
                abs(old["bias"] - new["bias"]) > WEIGHT_TOLERANCE:
            problems.append(f"{label}: weights differ by up to {gap:.2g} (tolerance {WEIGHT_TOLERANCE})")
    return problems


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if head.json is not what training gives")
    args = parser.parse_args()
    trained = train()
    for label, head in trained["heads"].items():
        h = head["heldout"]
        print(f"{label:9} C={head['C']:<5} threshold={head['threshold']:.2f} cv F1={head['cross_validated_f1']:.3f}"
              f"  held-out P={h['precision']:.3f} R={h['recall']:.3f} F1={h['f1']:.3f} (support {h['support']})")
    text = json.dumps(trained, indent=1) + "\n"
    if args.check:
        current = json.loads(WEIGHTS.read_text(encoding="utf-8"))
        problems = differences(current, trained)
        if problems:
            print(f"{WEIGHTS} is out of date: run scripts/train_head.py\n" + "\n".join(problems), file=sys.stderr)
            return 1
        print(f"{WEIGHTS} matches retraining within {WEIGHT_TOLERANCE} (version {current['version']})")
        return 0
    WEIGHTS.write_text(text, encoding="utf-8")
    print(f"wrote {WEIGHTS} (version {trained['version']}, {trained['training']['sentences']} training sentences)")
    print(json.dumps({label: head["heldout"] for label, head in trained["heads"].items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
