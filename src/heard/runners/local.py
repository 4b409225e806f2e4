"""Analyse many calls on this machine, in-process or across a process pool.

Also what every engine shares: the Failed and Skipped results, resuming a run (skip calls already analysed
by the same analyser versions), and results written as Parquet rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heard.analysers import Analyser
from heard.errors import HeardError
from heard.model import Call, CallAnalysis
from heard.pipeline import analyse, select_analysers
from heard.store import Store

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Failed:
    call_id: str
    error: str


@dataclass(frozen=True)
class Skipped:
    """A call a resumed run left alone: already analysed by the same analyser versions, its content unchanged."""

    call_id: str


Result = CallAnalysis | Failed | Skipped


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


def analysis_key(versions: Mapping[str, int]) -> str:
    """The key an analysis is stored under: "name@v,name@v", sorted by name (as Store.save_analyses writes it)."""
    return ",".join(f"{n}@{v}" for n, v in sorted(versions.items()))


def split_done(store: Store, calls: Sequence[Call], chosen: Sequence[Analyser]) -> tuple[list[Call], list[Skipped]]:
    """The calls still to analyse (in order) and those already analysed by these analyser versions.

    A call's key holds only the analysers that can run on it (a text call skips the audio one), so the key is
    worked out per call; calls sharing a key are looked up together."""
    keys = [analysis_key({a.name: a.version for a in chosen if a.missing(call) is None}) for call in calls]
    done: dict[str, str] = {}
    for key in set(keys):
        done.update(store.analysed_ids(key, [c.id for c, k in zip(calls, keys, strict=True) if k == key]))
    todo: list[Call] = []
    skipped: list[Skipped] = []
    for call in calls:
        if call.id in done and done[call.id] == call.content_hash():
            skipped.append(Skipped(call.id))
        else:
            todo.append(call)
    return todo, skipped


def _unfinished(store: Store, calls: Iterable[Call], only: list[str] | None, skipped: list[Skipped],
                size: int = 500) -> Iterator[Call]:
    chosen = select_analysers(only)
    for chunk in _chunks(calls, size):
        todo, done = split_done(store, chunk, chosen)
        skipped.extend(done)
        yield from todo


def analyse_and_store(store: Store, calls: Iterable[Call], *, batch: int = 200, resume: bool = False,
                      **options: Any) -> Iterator[Result]:
    """analyse_many, saving the analyses in the store a batch (one transaction) at a time.

    With resume, calls already analysed by the same analyser versions (same content) yield Skipped instead."""
    pending: list[CallAnalysis] = []
    skipped: list[Skipped] = []
    todo = _unfinished(store, calls, options.get("only"), skipped) if resume else calls
    for result in analyse_many(todo, **options):
        yield from skipped
        skipped.clear()
        if isinstance(result, CallAnalysis):
            pending.append(result)
            if len(pending) >= batch:
                store.save_analyses(pending)
                pending = []
        yield result
    store.save_analyses(pending)
    yield from skipped


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


# --- results as Parquet ------------------------------------------------------------------------------------------

RESULT_COLUMNS = ("call_id", "content_hash", "analyser_key", "status", "error", "summary", "result")


def result_row(result: CallAnalysis | Failed) -> dict[str, str | None]:
    """One Parquet row: an analysis (its summary and the whole result as JSON) or a failure with its error."""
    if isinstance(result, Failed):
        return {"call_id": result.call_id, "content_hash": None, "analyser_key": None, "status": "failed",
                "error": result.error, "summary": None, "result": None}
    return {"call_id": result.call_id, "content_hash": result.content_hash,
            "analyser_key": analysis_key(result.analysers), "status": "analysed", "error": None,
            "summary": json.dumps(result.summary()), "result": result.model_dump_json()}


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ModuleNotFoundError:
        raise HeardError("writing Parquet needs pyarrow, which is not installed",
                         hint="Run: pip install 'heard[parquet]'") from None
    return pyarrow


class ParquetResults:
    """Results written into a folder as part-00000.parquet, part-00001.parquet, ... of `rows_per_file` rows.

    Columns: RESULT_COLUMNS, all strings; summary and result hold JSON. Failed calls are rows too (status
    "failed", with the error); read the folder back with pyarrow.parquet.read_table(folder)."""

    def __init__(self, folder: Path, *, rows_per_file: int = 50_000) -> None:
        self.pa = _pyarrow()
        self.folder = folder
        self.rows_per_file = rows_per_file
        self.schema = self.pa.schema([(c, self.pa.string()) for c in RESULT_COLUMNS])
        self.rows: list[dict[str, str | None]] = []
        self.writer: Any = None
        self.in_file = 0
        self.files = 0
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("part-*.parquet"):
            old.unlink()  # a rerun replaces the folder's results rather than mixing two runs

    def add(self, result: CallAnalysis | Failed) -> None:
        self.rows.append(result_row(result))
        if len(self.rows) >= 1000:
            self._flush()

    def write(self, table: pa.Table) -> None:
        """Rows already in RESULT_COLUMNS form (the Ray engine's batches)."""
        self._flush()
        self._write(table.select(list(RESULT_COLUMNS)).cast(self.schema))

    def _flush(self) -> None:
        if self.rows:
            self._write(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def _write(self, table: pa.Table) -> None:
        offset = 0
        while offset < table.num_rows:
            if self.writer is None or self.in_file >= self.rows_per_file:
                self._open()
            part = table.slice(offset, self.rows_per_file - self.in_file)
            self.writer.write_table(part)
            self.in_file += part.num_rows
            self.written += part.num_rows
            offset += part.num_rows

    def _open(self) -> None:
        self._close_file()
        self.writer = self.pa.parquet.ParquetWriter(str(self.folder / f"part-{self.files:05d}.parquet"), self.schema)
        self.files += 1

    def _close_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.in_file = None, 0

    def close(self) -> None:
        self._flush()
        if self.files == 0:
            self._open()  # an empty run still leaves a folder that reads as a table with no rows
        self._close_file()

    def __enter__(self) -> ParquetResults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
