"""Analyse many calls on this machine, in-process or across a process pool.

    analyse_source(CallFiles(("calls/",)), workers=4, out=Path("results/"))      # files in, Parquet out
    analyse_source(StoredCalls.of(store), store=store, resume=True, workers=4)  # stored calls, results stored

`analyse_source` is the engine `heard analyze --engine local` runs: its workers read their own calls and return
results ready to write, and this process only writes them (to the store a batch at a time, and to a Parquet
folder). `analyse_many` and `analyse_and_store` take calls already in memory and yield CallAnalysis objects:
the library's way for a few calls. Also here: results written as Parquet rows, which both engines write.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heard.errors import HeardError
from heard.model import Analysed, Call, CallAnalysis
from heard.pipeline import analyse, select_analysers
from heard.runners.sources import (
    Failed,
    Result,
    Skipped,
    Source,
    StoredCalls,
    Worker,
    check_analysers,
    shared_store,
    split_done,
    store_url,
    work_items,
)
from heard.runtime import settle_gc
from heard.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Failed", "ParquetResults", "Result", "Skipped", "analyse_and_store", "analyse_many", "analyse_source",
           "result_row", "split_done", "write_results"]


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


def _unfinished(store: Store, calls: Iterable[Call], only: list[str] | None, skipped: list[Skipped],
                size: int = 500) -> Iterator[Call]:
    chosen = select_analysers(only)
    for chunk in _chunks(calls, size):
        todo, done = split_done(store, chunk, chosen)
        skipped.extend(done)
        yield from todo


def analyse_and_store(store: Store, calls: Iterable[Call], *, batch: int = 200, resume: bool = False,
                      **options: Any) -> Iterator[CallAnalysis | Failed | Skipped]:
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


# --- the engine: a source in, results written -----------------------------------------------------------------

def analyse_source(source: Source, *, store: Store | None = None, out: Path | None = None,
                   only: list[str] | None = None, settings: Mapping[str, Mapping[str, Any]] | None = None,
                   workers: int = 1, resume: bool = False, batch: int = 200) -> Iterator[Result]:
    """Analyse the source's calls with `workers` processes; save the analyses in `store` (a batch a transaction)
    and/or as Parquet in `out`. Yields every Analysed, Failed and (resume=True) Skipped, in the source's order.

    Each worker reads its own calls. A store other processes cannot open (in-memory SQLite) runs in this one."""
    check_analysers(only, settings)
    if resume and store is None:
        raise HeardError("resuming needs the store, to know which calls are already analysed",
                         hint="Pass the store, or analyse everything again.")
    workers = max(1, min(workers, os.cpu_count() or 1))
    if store is not None and not shared_store(store):
        workers = 1
    kwargs: dict[str, Any] = dict(only=only, settings=settings, resume=resume,
                                  options=getattr(source, "options", None))
    readers = store if isinstance(source, StoredCalls) else None
    items = work_items(source, workers, store=readers)
    if workers == 1:
        worker = Worker(**kwargs, store_url=None, store=store if resume or readers else None)
        results: Iterator[Result] = (r for item in items for r in worker.run(item))
    else:
        url = store_url(store) if store is not None and (resume or readers) else None
        results = _pooled(items, workers, {**kwargs, "store_url": url})
    yield from write_results(results, store=store, out=out, batch=batch)


def write_results(results: Iterable[Result], *, store: Store | None, out: Path | None,
                  batch: int = 200) -> Iterator[Result]:
    """What the one writing process of a run does with each result (any engine): save analyses in the store a
    batch at a time, write analyses and failures to the Parquet folder, and pass every result on."""
    pending: list[Analysed] = []
    writer = ParquetResults(out) if out is not None else None
    try:
        for result in results:
            if writer is not None and not isinstance(result, Skipped):
                writer.add(result)
            if store is not None and isinstance(result, Analysed):
                pending.append(result)
                if len(pending) >= batch:
                    store.save_analyses(pending)
                    pending = []
            yield result
        if store is not None:
            store.save_analyses(pending)
    finally:
        if writer is not None:
            writer.close()


_WORKER: Worker | None = None


def _start_worker(kwargs: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = Worker(**kwargs)
    settle_gc()


def _run_item(item: dict[str, Any]) -> list[Result]:
    assert _WORKER is not None, "the pool's initializer makes the worker"
    return _WORKER.run(item)


def _pooled(items: Iterable[dict[str, Any]], workers: int, kwargs: dict[str, Any]) -> Iterator[Result]:
    """Items through a pool of worker processes, results in item order, two items a worker in flight."""
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(kwargs,)) as pool:
        pending: list[Future[list[Result]]] = []
        for item in items:
            pending.append(pool.submit(_run_item, item))
            if len(pending) >= workers * 2:
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


# --- results as Parquet ------------------------------------------------------------------------------------------

ROWS_PER_WRITE = 250   # results buffered before a write: ~4 MB of analyses
RESULT_COLUMNS = ("call_id", "content_hash", "analyser_key", "status", "error", "summary", "result")


def result_schema() -> pa.Schema:
    pa = _pyarrow()
    return pa.schema([(c, pa.string()) for c in RESULT_COLUMNS])


def result_row(result: Analysed | CallAnalysis | Failed | Skipped) -> dict[str, str | None]:
    """One Parquet row: an analysis (its summary and the whole result as JSON), a failure with its error, or a
    skipped call (which the Ray engine's batches carry, and the Parquet folder leaves out)."""
    if isinstance(result, Failed):
        return {**dict.fromkeys(RESULT_COLUMNS), "call_id": result.call_id, "status": "failed", "error": result.error}
    if isinstance(result, Skipped):
        return {**dict.fromkeys(RESULT_COLUMNS), "call_id": result.call_id, "status": "skipped"}
    row = result if isinstance(result, Analysed) else Analysed.of(result)
    return {"call_id": row.call_id, "content_hash": row.content_hash, "analyser_key": row.analyser_key,
            "status": "analysed", "error": None, "summary": row.summary, "result": row.result}


def result_of_row(row: Mapping[str, str | None]) -> Result:
    """result_row read back."""
    if row["status"] == "skipped":
        return Skipped(str(row["call_id"]))
    if row["status"] == "failed":
        return Failed(str(row["call_id"]), str(row["error"]))
    return Analysed(str(row["call_id"]), str(row["content_hash"]), str(row["analyser_key"]), str(row["summary"]),
                    str(row["result"]))


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
        self.schema = result_schema()
        self.rows: list[dict[str, str | None]] = []
        self.writer: Any = None
        self.in_file = 0
        self.files = 0
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("part-*.parquet"):
            old.unlink()  # a rerun replaces the folder's results rather than mixing two runs

    def add(self, result: Analysed | CallAnalysis | Failed) -> None:
        self.rows.append(result_row(result))
        if len(self.rows) >= ROWS_PER_WRITE:
            self._flush()

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
            self.pa.default_memory_pool().release_unused()  # else Arrow's allocator keeps each batch's peak
            self.in_file += part.num_rows
            self.written += part.num_rows
            offset += part.num_rows

    def _open(self) -> None:
        self._close_file()
        # Dictionary encoding only where values repeat: tried on the results' JSON (every value different) it held
        # ~150 MB of the writer's memory for nothing.
        self.writer = self.pa.parquet.ParquetWriter(str(self.folder / f"part-{self.files:05d}.parquet"), self.schema,
                                                    use_dictionary=["status", "analyser_key"])
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
