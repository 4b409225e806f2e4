"""Baseline for the turn model: logistic heads over FROZEN MiniLM sentence embeddings of a turn and its context.

    .venv/bin/python scripts/baseline_frozen_heads.py     # writes training/baseline_frozen_report.json

Not what heard ships (that is the fine-tuned model of scripts/finetune_model.py); kept so the comparison
in docs/accuracy.md can be re-run. Same splits: TEST_AUTHORS are the test split (their consensus gold
from training/corpus/gold/), the other authors train, with out-of-author folds choosing each head's C,
its Platt calibration and its threshold; each training call also gets a speech-to-text-like variant.
Features per agent turn: its sentences' embeddings (mean and max), the customer's words before it and
their element-wise product with the turn's, the customer's reply, similarity and shared content words,
position, surface cues and which lexicon patterns match. Needs scikit-learn (the `train` extra).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from corpus_splits import CORPUS, TEST_AUTHORS, corpus, with_gold
from sklearn.linear_model import LogisticRegression
from training_metrics import ece, measure, platt_and_threshold, prf

from heard.empathy.augment import noisy
from heard.empathy.corpus import AGENT_LABELS, CUSTOMER_LABELS, LabelledCall
from heard.empathy.lexicon import BEHAVIOURS, QUESTION_START, Lexicon, pattern_hit
from heard.empathy.lexicon import load as load_lexicon
from heard.model import Call, Role
from heard.text import sentences as splitter
from heard.text.embeddings import DIMENSIONS, encoder
from heard.text.sentiment import score
from heard.text.speech import content_words

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "training" / "baseline_frozen_report.json"
Encode = Callable[[list[str]], np.ndarray[Any, Any]]
Span = tuple[int, int]
CACHE = ROOT / ".cache" / "train_model_vectors.npz"
C_GRID = (0.02, 0.1, 0.5)
FOLDS = 3
BETA = 0.8            # thresholds maximise F-beta on out-of-author predictions: precision weighs a little more
AUGMENT_SEEDS = (1,)
WEIGHT_TOLERANCE = 2e-3


@dataclass
class CallView:
    """A call split into sentences with one embedding per sentence: everything the features read."""

    call: Call
    spans: list[list[Span]]                    # per turn, its sentences
    vectors: list[np.ndarray[Any, Any]]        # per turn, (sentences, DIMENSIONS)

    def text(self, turn: int, k: int) -> str:
        a, b = self.spans[turn][k]
        return self.call.turns[turn].text[a:b]


def view(call: Call, encode: Encode) -> CallView:
    spans = [splitter.split(t.text) or [(0, len(t.text))] for t in call.turns]
    texts = [t.text[a:b] for t, ss in zip(call.turns, spans, strict=True) for a, b in ss]
    flat = encode(texts) if texts else np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors, at = [], 0
    for ss in spans:
        vectors.append(flat[at:at + len(ss)])
        at += len(ss)
    return CallView(call, spans, vectors)


def _unit(v: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _context(cv: CallView, turn: int, role: Role, lookback: int) -> list[int]:
    """The other party's turns before `turn`, most recent last, at most `lookback` of them."""
    before = [i for i in range(turn) if cv.call.turns[i].speaker is role]
    return before[-lookback:]


AFFIRM = ("yes", "yeah", "yep", "exactly", "that's right", "thats right", "correct", "right", "that's it", "mhm",
          "no that's", "no that's everything", "no that's all", "that's everything", "that's all")
SURFACE = ("question_mark", "question_opener", "log_words", "position", "last_agent_turns", "first_agent_turn",
           "after_customer", "customer_asked", "cosine_context", "max_sentence_similarity", "shared_share",
           "shared_count", "starts_so", "has_you", "has_i_will", "pii", "reply_affirms", "reply_asks", "reply_words")
AGENT_SCALARS = (*SURFACE, *(f"pattern_{b}" for b in BEHAVIOURS), "canned")
CUSTOMER_SCALARS = ("question_mark", "exclamation", "log_words", "position", "first_customer_turn", "negative",
                    "positive", "opportunity_pattern", "after_agent_question")
AGENT_WIDTH = 5 * DIMENSIONS + len(AGENT_SCALARS)
CUSTOMER_WIDTH = 2 * DIMENSIONS + len(CUSTOMER_SCALARS)


def agent_row(cv: CallView, turn: int, lexicon: Lexicon, sentence: int | None = None) -> np.ndarray[Any, Any]:
    """The features of one agent turn, or of one of its sentences read as if it were the whole turn."""
    call = cv.call
    vecs = cv.vectors[turn] if sentence is None else cv.vectors[turn][sentence:sentence + 1]
    texts = [cv.text(turn, k) for k in range(len(cv.spans[turn]))] if sentence is None else [cv.text(turn, sentence)]
    text = " ".join(texts)
    mean = _unit(vecs.mean(axis=0)) if len(vecs) else np.zeros(DIMENSIONS, dtype=np.float32)
    top = vecs.max(axis=0) if len(vecs) else np.zeros(DIMENSIONS, dtype=np.float32)
    said = _context(cv, turn, Role.CUSTOMER, 3)
    last = said[-1:] if said else []
    context = _unit(np.vstack([cv.vectors[i] for i in last]).mean(axis=0)) if last else np.zeros(DIMENSIONS)
    recent = np.vstack([cv.vectors[i] for i in said]) if said else np.zeros((0, DIMENSIONS))
    # The customer's reply: "yeah exactly" confirms a mirror, "no that's everything" a closing check.
    reply = next((i for i in range(turn + 1, len(call.turns)) if call.turns[i].speaker is Role.CUSTOMER), None)
    answer = _unit(cv.vectors[reply].mean(axis=0)) if reply is not None and len(cv.vectors[reply]) else \
        np.zeros(DIMENSIONS, dtype=np.float32)
    reply_text = call.turns[reply].text.lower().strip(" .,!?") if reply is not None else ""
    similarity = float(np.max(vecs @ recent.T)) if len(recent) and len(vecs) else 0.0
    own = content_words(text)
    theirs = set().union(*(content_words(call.turns[i].text) for i in said)) if said else set()
    shared = own & theirs
    agent_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.AGENT]
    rank = agent_turns.index(turn) if turn in agent_turns else 0
    lowered = text.lower()
    words = max(1, len(text.split()))
    scalars = [
        any(t.rstrip().endswith("?") for t in texts),
        any(QUESTION_START.match(t.strip()) is not None for t in texts),
        math.log1p(words) / 4,
        turn / max(1, len(call.turns) - 1),
        rank >= len(agent_turns) - 3,
        rank == 0,
        turn > 0 and call.turns[turn - 1].speaker is Role.CUSTOMER,
        bool(last) and "?" in call.turns[last[0]].text,
        float(mean @ context) if last else 0.0,
        similarity,
        len(shared) / max(1, len(own)),
        min(len(shared), 5) / 5,
        lowered.lstrip().startswith(("so ", "so,", "okay so", "ok so")),
        " you" in f" {lowered}" or " your" in f" {lowered}",
        any(k in lowered for k in ("i'll", "i will", "i'm going to", "i'm gonna", "we'll", "let me")),
        "[pii]" in lowered,
        reply_text.startswith(AFFIRM),
        "?" in reply_text or (reply is not None and "?" in call.turns[reply].text),
        math.log1p(len(reply_text.split())) / 4,
    ]
    patterns = [any(pattern_hit(name, lexicon.behaviours[name], t) for t in texts) for name in BEHAVIOURS]
    canned = lexicon.robotic.generic is not None and lexicon.robotic.generic.search(text) is not None
    return np.concatenate([mean, top, context, mean * context, answer,
                           np.array([*scalars, *patterns, canned], dtype=np.float32)]).astype(np.float32)


def customer_row(cv: CallView, turn: int, lexicon: Lexicon, negative: float, positive: float) -> np.ndarray[Any, Any]:
    call = cv.call
    vecs = cv.vectors[turn]
    text = call.turns[turn].text
    mean = _unit(vecs.mean(axis=0)) if len(vecs) else np.zeros(DIMENSIONS, dtype=np.float32)
    top = vecs.max(axis=0) if len(vecs) else np.zeros(DIMENSIONS, dtype=np.float32)
    customer_turns = [i for i, t in enumerate(call.turns) if t.speaker is Role.CUSTOMER]
    asked = _context(cv, turn, Role.AGENT, 1)
    scalars = [
        "?" in text, "!" in text, math.log1p(len(text.split())) / 4, turn / max(1, len(call.turns) - 1),
        bool(customer_turns) and customer_turns[0] == turn, negative, positive,
        any(p.search(text) for p in lexicon.opportunities.compiled.values()),
        bool(asked) and "?" in call.turns[asked[0]].text,
    ]
    return np.concatenate([mean, top, np.array(scalars, dtype=np.float32)]).astype(np.float32)


@dataclass(frozen=True)
class Heads:
    """Calibrated logistic heads for one party's turns."""

    labels: tuple[str, ...]
    mean: np.ndarray[Any, Any]        # (features,) standardisation
    scale: np.ndarray[Any, Any]
    weights: np.ndarray[Any, Any]     # (labels, features)
    bias: np.ndarray[Any, Any]        # (labels,)
    platt: np.ndarray[Any, Any]       # (labels, 2): calibrated p = sigmoid(a * logit + b)
    thresholds: np.ndarray[Any, Any]  # (labels,)

    def logits(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        logits: np.ndarray[Any, Any] = ((x - self.mean) / self.scale) @ self.weights.T + self.bias
        return logits

    def probabilities(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """(rows, labels) calibrated probabilities."""
        if len(x) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        z = self.logits(x) * self.platt[:, 0] + self.platt[:, 1]
        p: np.ndarray[Any, Any] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return p

    def index(self, label: str) -> int:
        return self.labels.index(label)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Heads:
        labels = tuple(doc["labels"])
        return cls(labels, np.array(doc["mean"], dtype=np.float32), np.array(doc["scale"], dtype=np.float32),
                   np.array([doc["heads"][lab]["weights"] for lab in labels], dtype=np.float32),
                   np.array([doc["heads"][lab]["bias"] for lab in labels], dtype=np.float32),
                   np.array([doc["heads"][lab]["platt"] for lab in labels], dtype=np.float32),
                   np.array([doc["heads"][lab]["threshold"] for lab in labels], dtype=np.float32))


class CachedEncoder:
    """MiniLM vectors kept on disk between runs (texts sorted by length so batches pad little)."""

    def __init__(self) -> None:
        self.vectors: dict[str, np.ndarray[Any, Any]] = {}
        if CACHE.exists():
            data = np.load(CACHE)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self.dirty = False

    def __call__(self, texts: list[str]) -> np.ndarray[Any, Any]:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = sorted({(t, k) for t, k in zip(texts, keys, strict=True) if k not in self.vectors},
                      key=lambda tk: len(tk[0]))
        if todo:
            enc = encoder()
            for start in range(0, len(todo), 32):
                chunk = todo[start:start + 32]
                for (_, key), vector in zip(chunk, enc.infer([t for t, _ in chunk]), strict=True):
                    self.vectors[key] = vector
            self.dirty = True
        return np.array([self.vectors[k] for k in keys], dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def save(self) -> None:
        if self.dirty:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted(self.vectors)
            np.savez(CACHE, keys=np.array(keys), vectors=np.array([self.vectors[k] for k in keys]))


def features(calls: list[LabelledCall], encode: CachedEncoder) -> dict[str, Any]:
    lexicon = load_lexicon()
    rows: dict[str, list[Any]] = defaultdict(list)
    for lc in calls:
        cv = view(lc.call, encode)
        for i, lab in enumerate(lc.labels):
            if lab.role is Role.AGENT:
                rows["ax"].append(agent_row(cv, i, lexicon))
                rows["ay"].append([label in lab.labels for label in AGENT_LABELS])
                rows["ag"].append(lc.author)
                rows["ac"].append(lc.call.id)
            elif lab.role is Role.CUSTOMER:
                _compound, pos, neg = score(lc.call.turns[i].text)
                rows["cx"].append(customer_row(cv, i, lexicon, neg, pos))
                rows["cy"].append([label in lab.labels for label in CUSTOMER_LABELS])
                rows["cg"].append(lc.author)
                rows["cc"].append(lc.call.id)
    return {k: np.array(v) for k, v in rows.items()}


def _fit(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def train_heads(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], groups: np.ndarray[Any, Any],
                labels: tuple[str, ...]) -> dict[str, Any]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    authors = sorted(set(groups.tolist()))
    fold_of = {a: k % FOLDS for k, a in enumerate(authors)}
    folds = np.array([fold_of[g] for g in groups])
    heads: dict[str, Any] = {}
    for k, label in enumerate(labels):
        target = y[:, k].astype(bool)
        best: tuple[float, float, np.ndarray[Any, Any]] | None = None
        for c in C_GRID:
            oof = np.zeros(len(target))
            for f in range(FOLDS):
                train, test = folds != f, folds == f
                if target[train].sum() < 2 or (~target[train]).sum() < 2:
                    continue
                oof[test] = _fit(xs[train], target[train], c).decision_function(xs[test])
            ap = _average_precision(target, oof)
            if best is None or ap > best[0] + 1e-9:
                best = (ap, c, oof)
        assert best is not None
        _, c, oof = best
        a, b, threshold, calibrated = platt_and_threshold(oof, target, BETA)
        p, r, f1 = prf(target, calibrated >= threshold)
        final = _fit(xs, target, c)
        heads[label] = {"C": c, "threshold": threshold, "platt": [round(a, 6), round(b, 6)],
                        "positives": int(target.sum()),
                        "dev": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
                                "ece": round(ece(target, calibrated), 4)},
                        "bias": round(float(final.intercept_[0]), 6),
                        "weights": [round(float(w), 6) for w in final.coef_[0]]}
        print(f"  {label:22} C={c:<5} t={threshold:.3f} dev P={p:.3f} R={r:.3f} F1={f1:.3f} (+{int(target.sum())})",
              flush=True)
    return {"labels": list(labels), "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale], "heads": heads}


def _average_precision(y: np.ndarray[Any, Any], score_: np.ndarray[Any, Any]) -> float:
    order = np.argsort(-score_)
    hits = y[order].astype(float)
    if hits.sum() == 0:
        return 0.0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def measure_heads(heads: Heads, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any],
                  calls: np.ndarray[Any, Any]) -> dict[str, Any]:
    return measure(heads.labels, heads.probabilities(x), y.astype(float), np.ones_like(y, dtype=float),
                   heads.thresholds, calls.tolist())


def train() -> tuple[dict[str, Any], dict[str, Any]]:
    calls = corpus()
    train_calls = [c for c in calls if c.author not in TEST_AUTHORS]
    test_calls, gold = with_gold([c for c in calls if c.author in TEST_AUTHORS])
    augmented = [noisy(c, seed) for c in train_calls for seed in AUGMENT_SEEDS]
    encode = CachedEncoder()
    print(f"{len(train_calls)} training calls (+{len(augmented)} noisy variants), {len(test_calls)} test calls",
          flush=True)
    tr = features(train_calls + augmented, encode)
    te = features(test_calls, encode)
    te_noisy = features([noisy(c, 7) for c in test_calls], encode)
    encode.save()
    print("agent heads:", flush=True)
    agent = train_heads(tr["ax"], tr["ay"], tr["ag"], AGENT_LABELS)
    print("customer heads:", flush=True)
    customer = train_heads(tr["cx"], tr["cy"], tr["cg"], CUSTOMER_LABELS)
    body = {"agent": agent, "customer": customer}
    version = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(CORPUS.glob("*.jsonl"))}
    config = {"test_authors": TEST_AUTHORS, "c_grid": C_GRID, "folds": FOLDS, "beta": BETA,
              "augment_seeds": AUGMENT_SEEDS, "agent_width": AGENT_WIDTH,
              "customer_width": CUSTOMER_WIDTH}
    doc = {"version": version, "training": {"corpus_sha256": digests, "config": config,
                                            "calls": len(train_calls), "variants": len(augmented),
                                            "agent_turns": len(tr["ay"]), "customer_turns": len(tr["cy"])},
           **body}
    agent_heads, customer_heads = Heads.from_json(agent), Heads.from_json(customer)
    report = {"version": version, "test_authors": TEST_AUTHORS, "test_gold":
              "consensus of the author and two independent annotators" if gold else "authors' labels",
              "test_calls": len(test_calls),
              "agent": measure_heads(agent_heads, te["ax"], te["ay"], te["ac"]),
              "customer": measure_heads(customer_heads, te["cx"], te["cy"], te["cc"]),
              "agent_noisy": measure_heads(agent_heads, te_noisy["ax"], te_noisy["ay"], te_noisy["ac"]),
              "customer_noisy": measure_heads(customer_heads, te_noisy["cx"], te_noisy["cy"], te_noisy["cc"]),
              "dev": {**{k: v["dev"] for k, v in agent["heads"].items()},
                      **{k: v["dev"] for k, v in customer["heads"].items()}}}
    return doc, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    _, report = train()
    for party in ("agent", "customer"):
        print(f"test ({report['test_gold']}), {party} turns:")
        for label, m in report[party].items():
            noisy_f1 = report[f"{party}_noisy"][label]["f1"]
            print(f"  {label:22} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                  f"[{m['f1_ci'][0]:.2f}-{m['f1_ci'][1]:.2f}] ece={m['ece']:.3f} (support {m['support']}) "
                  f"noisy F1={noisy_f1:.3f}")
    REPORT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
