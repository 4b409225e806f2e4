"""Analyse calls on a Ray cluster with Ray Data: the same pure pipeline as the local engine, at cluster scale.

    for result in analyse_on_ray(CallFiles(("calls/",)), workers=8):     # starts a local cluster of 8 CPUs
        ...
    list(analyse_on_ray(StoredCalls.of(store), store=store, address="ray://head:10001"))  # joins a cluster

The work goes out as small items (a few call files, one Parquet row group, a range of stored call ids). A pool of
actors reads and analyses each item, so whatever is heavy (a model) loads once per actor, not once per call.
Results come back to the driver, which alone writes them: to the store in batches and to a Parquet folder.
Workers only read (files, and the store by its URL: PostgreSQL for a real cluster, SQLite on one machine).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from heard.errors import ConfigError, HeardError, IngestError
from heard.ingest import expand_paths, read_path
from heard.ingest.base import IngestOptions
from heard.model import Call, CallAnalysis
from heard.pipeline import analyse, select_analysers
from heard.runners.local import RESULT_COLUMNS, Failed, ParquetResults, Result, Skipped, result_row, split_done
from heard.store import Store
from heard.store.schema import calls as calls_table

IDS_PER_ITEM = 500


@dataclass(frozen=True)
class CallFiles:
    """Call files in any format heard reads (folders of heard JSONL included), by path, folder or glob."""

    paths: tuple[str, ...]
    options: IngestOptions | None = None


@dataclass(frozen=True)
class ParquetCalls:
    """Parquet files, or folders of them, one call per row: a `call` column of heard JSON, or the call's fields
    as columns (`id`, `turns`, ...)."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class StoredCalls:
    """Stored calls (all, or these ids), read by the workers from the store's URL."""

    url: str
    ids: tuple[str, ...] | None = None

    @classmethod
    def of(cls, store: Store, ids: Sequence[str] | None = None) -> StoredCalls:
        return cls(store.engine.url.render_as_string(hide_password=False), None if ids is None else tuple(ids))


Source = CallFiles | ParquetCalls | StoredCalls


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ModuleNotFoundError:
        raise HeardError("the Ray engine needs Ray, which is not installed",
                         hint="Run: pip install 'heard[ray]' (or use --engine local).") from None
    return ray


def _check(only: list[str] | None, settings: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Fail on a typo in the analysers or their settings before a cluster starts, not once per call on it."""
    chosen = select_analysers(only)
    unknown = set(settings or {}) - {a.name for a in chosen}
    if unknown:
        raise ConfigError(f"settings for unknown analyser(s): {', '.join(sorted(unknown))}",
                          hint=f"Analysers in this run: {', '.join(a.name for a in chosen)}.")
    for a in chosen:
        a.settings(dict((settings or {}).get(a.name, {})))


def _items(source: Source, workers: int) -> Iterator[dict[str, Any]]:
    """The work items, small enough to spread over the workers: files, row groups or id ranges."""
    if isinstance(source, CallFiles):
        files = [str(p) for p in expand_paths(source.paths)]
        # At least four items a worker keeps them all busy to the end; at most 64 files an item keeps items small.
        size = max(1, min(64, len(files) // (workers * 4)))
        for start in range(0, len(files), size):
            yield {"kind": "files", "paths": files[start: start + size]}
    elif isinstance(source, ParquetCalls):
        import pyarrow.parquet as pq

        for path in source.paths:
            found = sorted(Path(path).rglob("*.parquet")) if Path(path).is_dir() else [Path(path)]
            for file in found:
                try:
                    groups = pq.ParquetFile(file).num_row_groups
                except (OSError, ValueError) as exc:
                    raise HeardError(f"{file}: cannot read it as Parquet ({exc})",
                                     hint="Give Parquet files of calls, one call per row.") from None
                for group in range(groups):
                    yield {"kind": "parquet", "path": str(file), "group": group}
    elif source.ids is not None:
        for start in range(0, len(source.ids), IDS_PER_ITEM):
            yield {"kind": "ids", "ids": list(source.ids[start: start + IDS_PER_ITEM])}
    else:
        yield from _id_ranges(source.url)


def _id_ranges(url: str) -> Iterator[dict[str, Any]]:
    """Ranges of IDS_PER_ITEM stored call ids, read as a stream: only each range's ends stay in memory."""
    with Store.open(url, migrate=False) as store, store.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
            select(calls_table.c.id).order_by(calls_table.c.id)).scalars()
        first = last = None
        count = 0
        for call_id in rows:
            first = call_id if first is None else first
            last, count = call_id, count + 1
            if count == IDS_PER_ITEM:
                yield {"kind": "range", "first": first, "last": last}
                first, count = None, 0
        if first is not None:
            yield {"kind": "range", "first": first, "last": last}


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.string()) for c in RESULT_COLUMNS])


def _without_nulls(value: Any) -> Any:
    """A Parquet row as the call's JSON would have it: a field Parquet filled with null was simply absent."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


class Analyse:
    """The callable class Ray Data runs on each actor: read one item's calls, analyse each, return result rows.

    Constructed once per actor, so models the analysers load stay loaded for every later item."""

    def __init__(self, only: list[str] | None, settings: Mapping[str, Mapping[str, Any]] | None,
                 options: IngestOptions | None, store_url: str | None, resume: bool) -> None:
        self.only = only
        self.settings = settings
        self.options = options or IngestOptions()
        self.chosen = select_analysers(only)
        self.store = Store.open(store_url, migrate=False) if store_url else None
        self.resume = resume
        self.schema = _schema()

    def __call__(self, batch: Any) -> Any:
        rows: list[dict[str, str | None]] = []
        for text in batch.column("item").to_pylist():
            item = json.loads(text)
            try:
                calls, failed = self._read(item)
            except Exception as exc:  # an unreadable file or an unreachable store costs its item, not the job
                rows.append(result_row(Failed(_where(item), f"{_where(item)}: {type(exc).__name__}: {exc}")))
                continue
            rows.extend(result_row(f) for f in failed)
            if self.resume and self.store is not None:
                calls, skipped = split_done(self.store, calls, self.chosen)
                rows.extend({**dict.fromkeys(RESULT_COLUMNS), "call_id": s.call_id, "status": "skipped"}
                            for s in skipped)
            for call in calls:
                try:
                    rows.append(result_row(analyse(call, only=self.only, settings=self.settings)))
                except HeardError as exc:
                    rows.append(result_row(Failed(call.id, str(exc))))
        import pyarrow as pa

        return pa.Table.from_pylist(rows, schema=self.schema)

    def _read(self, item: dict[str, Any]) -> tuple[list[Call], list[Failed]]:
        calls: list[Call] = []
        failed: list[Failed] = []
        if item["kind"] == "files":
            for path in item["paths"]:
                for read in read_path(Path(path), options=self.options):
                    if isinstance(read, IngestError):
                        failed.append(Failed(read.call_id or read.where, str(read)))
                    elif isinstance(read, Call):
                        calls.append(read)
        elif item["kind"] == "parquet":
            import pyarrow.parquet as pq

            file = pq.ParquetFile(item["path"])
            offset = sum(file.metadata.row_group(g).num_rows for g in range(item["group"]))
            for n, row in enumerate(file.read_row_group(item["group"]).to_pylist(), start=offset + 1):
                try:
                    calls.append(Call.model_validate_json(row["call"]) if isinstance(row.get("call"), str)
                                 else Call.model_validate(_without_nulls(row)))
                except ValidationError as exc:
                    e = exc.errors()[0]
                    where = f"{item['path']}, row {n}"
                    failed.append(Failed(str(row.get("id") or where), f"{where}: "
                                         f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}. Fix the row; "
                                         "`heard schema` shows a call's fields."))
        else:
            if self.store is None:
                raise HeardError("stored calls need the store's URL")
            ids = item["ids"] if item["kind"] == "ids" else self._ids_between(item["first"], item["last"])
            calls = list(self.store.iter_calls(ids))
        return calls, failed

    def _ids_between(self, first: str, last: str) -> list[str]:
        assert self.store is not None
        with self.store.engine.connect() as conn:
            return list(conn.execute(select(calls_table.c.id).where(
                calls_table.c.id >= first, calls_table.c.id <= last).order_by(calls_table.c.id)).scalars())


def _where(item: dict[str, Any]) -> str:
    if item["kind"] == "files":
        return item["paths"][0] if len(item["paths"]) == 1 else f"{item['paths'][0]} (+{len(item['paths']) - 1})"
    if item["kind"] == "parquet":
        return f"{item['path']} row group {item['group']}"
    if item["kind"] == "ids":
        return f"stored calls {item['ids'][0]}..{item['ids'][-1]}"
    return f"stored calls {item['first']}..{item['last']}"


def analyse_on_ray(source: Source, *, store: Store | None = None, out: Path | None = None,
                   only: list[str] | None = None, settings: Mapping[str, Mapping[str, Any]] | None = None,
                   workers: int | None = None, address: str | None = None, resume: bool = False,
                   batch: int = 200) -> Iterator[Result]:
    """Analyse the source's calls on Ray; save the analyses in `store` (batch at a time) and/or as Parquet in `out`.

    Yields every CallAnalysis, Failed and (resume=True: calls already analysed by these analyser versions)
    Skipped, in no particular order. Without `address` a local cluster of `workers` CPUs (default: all) starts
    and stops with the run; with it, the run joins that cluster and uses `workers` actors (default: its CPUs)."""
    _check(only, settings)
    if resume and store is None:
        raise HeardError("resuming needs the store, to know which calls are already analysed",
                         hint="Pass the store, or analyse everything again.")
    ray = _ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers or os.cpu_count(), include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    writer = ParquetResults(out) if out is not None else None
    try:
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        items = [json.dumps(i) for i in _items(source, actors)]
        if items:
            yield from _run(ray, items, store, writer, actors, batch, Analyse, dict(
                only=only, settings=settings, options=source.options if isinstance(source, CallFiles) else None,
                store_url=source.url if isinstance(source, StoredCalls) else
                store.engine.url.render_as_string(hide_password=False) if resume and store else None,
                resume=resume))
    finally:
        if writer is not None:
            writer.close()
        if started:
            ray.shutdown()


def _run(ray: Any, items: list[str], store: Store | None, writer: ParquetResults | None, actors: int, batch: int,
         udf: type[Analyse], kwargs: dict[str, Any]) -> Iterator[Result]:
    import pyarrow.compute as pc

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    ds = ray.data.from_items([{"item": i} for i in items], override_num_blocks=len(items)).map_batches(
        udf, batch_size=1, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=min(actors, len(items))),
        fn_constructor_kwargs=kwargs)
    pending: list[CallAnalysis] = []
    for table in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        if writer is not None:
            writer.write(table.filter(pc.not_equal(table["status"], "skipped")))
        for row in table.select(["call_id", "status", "error", "result"]).to_pylist():
            if row["status"] == "skipped":
                yield Skipped(row["call_id"])
            elif row["status"] == "failed":
                yield Failed(row["call_id"], row["error"])
            else:
                analysis = CallAnalysis.model_validate_json(row["result"])
                if store is not None:
                    pending.append(analysis)
                    if len(pending) >= batch:
                        store.save_analyses(pending)
                        pending = []
                yield analysis
    if store is not None:
        store.save_analyses(pending)
