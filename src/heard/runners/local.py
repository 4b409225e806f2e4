"""Analyse many calls on this machine, in-process or across a process pool."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from heard.errors import HeardError
from heard.model import Call, CallAnalysis
from heard.pipeline import analyse
from heard.store import Store


@dataclass(frozen=True)
class Failed:
    call_id: str
    error: str


def _analyse_chunk(calls: list[Call], only: list[str] | None,
                   settings: Mapping[str, Mapping[str, Any]] | None) -> list[CallAnalysis | Failed]:
    out: list[CallAnalysis | Failed] = []
    for call in calls:
        try:
            out.append(analyse(call, only=only, settings=settings))
        except HeardError as exc:
            out.append(Failed(call.id, str(exc)))
    return out


def _chunks(calls: Iterable[Call], size: int) -> Iterator[list[Call]]:
    it = iter(calls)
    while chunk := list(islice(it, size)):
        yield chunk


def analyse_and_store(store: Store, calls: Iterable[Call], *, batch: int = 200,
                      **options: Any) -> Iterator[CallAnalysis | Failed]:
    """analyse_many, saving the analyses in the store a batch (one transaction) at a time."""
    pending: list[CallAnalysis] = []
    for result in analyse_many(calls, **options):
        if isinstance(result, CallAnalysis):
            pending.append(result)
            if len(pending) >= batch:
                store.save_analyses(pending)
                pending = []
        yield result
    store.save_analyses(pending)


def analyse_many(calls: Iterable[Call], *, workers: int = 1, only: list[str] | None = None,
                 settings: Mapping[str, Mapping[str, Any]] | None = None,
                 chunk_size: int = 64) -> Iterator[CallAnalysis | Failed]:
    """Analyses in input order; a call whose analysis fails yields Failed and the rest go on."""
    if workers <= 1:
        for chunk in _chunks(calls, chunk_size):
            yield from _analyse_chunk(chunk, only, settings)
        return
    workers = min(workers, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk in _chunks(calls, chunk_size):
            pending.append(pool.submit(_analyse_chunk, chunk, only, settings))
            if len(pending) >= workers * 4:
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()
