"""What every engine shares: where calls come from, how a run is cut into work items, and the worker that reads
and analyses one item.

A worker reads its item's calls itself (files, a Parquet row group, a range of stored call ids) and returns
results ready to write (Analysed rows, Failed, Skipped): the one process that writes a run's results then does
little per call, so a run scales with its workers instead of stalling on its driver.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from heard.analysers import Analyser
from heard.errors import ConfigError, HeardError, IngestError
from heard.ingest import expand_paths, read_path
from heard.ingest.base import IngestOptions
from heard.model import Analysed, Call, analysis_key
from heard.pipeline import analyse, select_analysers
from heard.runtime import release_memory
from heard.store import Store
from heard.store.schema import calls as calls_table

IDS_PER_ITEM = 500            # stored calls a work item reads
ITEM_BYTES = 2 * 2**20        # call files grouped into items of about this size (~500 calls of heard JSONL)
BIG_FILE = 16 * 2**20         # a file above this is read by the driver and handed out as chunks of calls
CALLS_PER_CHUNK = 200


@dataclass(frozen=True)
class Failed:
    call_id: str
    error: str


@dataclass(frozen=True)
class Skipped:
    """A call a resumed run left alone: already analysed by the same analyser versions, its content unchanged."""

    call_id: str


Result = Analysed | Failed | Skipped


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
        return cls(store_url(store), None if ids is None else tuple(ids))


Source = CallFiles | ParquetCalls | StoredCalls


def store_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def shared_store(store: Store) -> bool:
    """Whether other processes can open this store by its URL (an in-memory SQLite database they cannot)."""
    url = store.engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def check_analysers(only: list[str] | None, settings: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Fail on a typo in the analysers or their settings before any worker starts, not once per call in each."""
    chosen = select_analysers(only)
    unknown = set(settings or {}) - {a.name for a in chosen}
    if unknown:
        raise ConfigError(f"settings for unknown analyser(s): {', '.join(sorted(unknown))}",
                          hint=f"Analysers in this run: {', '.join(a.name for a in chosen)}.")
    for a in chosen:
        a.settings(dict((settings or {}).get(a.name, {})))


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


# --- work items --------------------------------------------------------------------------------------------------

def work_items(source: Source, workers: int, store: Store | None = None) -> Iterator[dict[str, Any]]:
    """The work items, small enough to spread over the workers and to hold a few in memory: groups of files (a
    big file cut into chunks of calls), Parquet row groups, or ranges of stored call ids. `store` is the open store
    a StoredCalls source names (else it is opened by its URL)."""
    if isinstance(source, CallFiles):
        yield from _file_items(source, workers)
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
    elif store is not None:
        yield from _id_ranges(store)
    else:
        with Store.open(source.url, migrate=False) as opened:
            yield from _id_ranges(opened)


def _file_items(source: CallFiles, workers: int) -> Iterator[dict[str, Any]]:
    files = [(str(p), p.stat().st_size if p.is_file() else 0) for p in expand_paths(source.paths)]
    # Four items a worker at least keeps every worker busy to the end; ITEM_BYTES at most keeps results small.
    target = max(1, min(ITEM_BYTES, sum(size for _, size in files) // (max(1, workers) * 4)))
    group: list[str] = []
    held = 0
    for path, size in files:
        if size > BIG_FILE:
            yield from _chunks_of(path, source.options)
            continue
        if group and held + size > target:  # an item holds at most `target` bytes, or one file
            yield {"kind": "files", "paths": group}
            group, held = [], 0
        group.append(path)
        held += size
    if group:
        yield {"kind": "files", "paths": group}


def _chunks_of(path: str, options: IngestOptions | None) -> Iterator[dict[str, Any]]:
    """A file too big to be one item, read here and handed out CALLS_PER_CHUNK calls (as JSON) at a time."""
    reads = iter(read_path(Path(path), options=options or IngestOptions()))
    while chunk := list(islice(reads, CALLS_PER_CHUNK)):
        yield {"kind": "calls", "where": path,
               "calls": [c.model_dump_json() for c in chunk if isinstance(c, Call)],
               "failed": [[e.call_id or e.where, str(e)] for e in chunk if isinstance(e, IngestError)]}


def _id_ranges(store: Store) -> Iterator[dict[str, Any]]:
    """Ranges of IDS_PER_ITEM stored call ids, read as a stream: only each range's ends stay in memory."""
    with store.engine.connect() as conn:
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


def where(item: dict[str, Any]) -> str:
    if item["kind"] == "files":
        return item["paths"][0] if len(item["paths"]) == 1 else f"{item['paths'][0]} (+{len(item['paths']) - 1})"
    if item["kind"] == "calls":
        return str(item["where"])
    if item["kind"] == "parquet":
        return f"{item['path']} row group {item['group']}"
    if item["kind"] == "ids":
        return f"stored calls {item['ids'][0]}..{item['ids'][-1]}"
    return f"stored calls {item['first']}..{item['last']}"


def _without_nulls(value: Any) -> Any:
    """A Parquet row as the call's JSON would have it: a field Parquet filled with null was simply absent."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# --- the worker --------------------------------------------------------------------------------------------------

class Worker:
    """Reads one item's calls, analyses each and returns its results, ready to write.

    Made once per worker process (or Ray actor), so models the analysers load stay loaded for every later item.
    With `resume`, calls the store already holds an analysis of (same analyser versions, same content) are
    Skipped; the store is `store`, or opened by `store_url` in a worker process."""

    def __init__(self, only: list[str] | None, settings: Mapping[str, Mapping[str, Any]] | None,
                 options: IngestOptions | None, store_url: str | None, resume: bool,
                 store: Store | None = None) -> None:
        self.only = only
        self.settings = settings
        self.options = options or IngestOptions()
        self.chosen = select_analysers(only)
        self.store = store if store is not None else Store.open(store_url, migrate=False) if store_url else None
        self.resume = resume

    def run(self, item: dict[str, Any]) -> list[Result]:
        release_memory()   # what the previous item freed
        try:
            calls, out = self._read(item)
        except Exception as exc:  # an unreadable file or an unreachable store costs its item, not the run
            return [Failed(where(item), f"{where(item)}: {type(exc).__name__}: {exc}")]
        if self.resume and self.store is not None:
            calls, skipped = split_done(self.store, calls, self.chosen)
            out.extend(skipped)
        for call in calls:
            try:
                out.append(Analysed.of(analyse(call, only=self.only, settings=self.settings)))
            except HeardError as exc:
                out.append(Failed(call.id, str(exc)))
        return out

    def _read(self, item: dict[str, Any]) -> tuple[list[Call], list[Result]]:
        calls: list[Call] = []
        failed: list[Result] = []
        if item["kind"] == "files":
            for path in item["paths"]:
                for read in read_path(Path(path), options=self.options):
                    if isinstance(read, IngestError):
                        failed.append(Failed(read.call_id or read.where, str(read)))
                    elif isinstance(read, Call):
                        calls.append(read)
        elif item["kind"] == "calls":
            calls = [Call.model_validate_json(text) for text in item["calls"]]
            failed = [Failed(call_id, error) for call_id, error in item["failed"]]
        elif item["kind"] == "parquet":
            calls, failed = self._read_parquet(item["path"], item["group"])
        else:
            if self.store is None:
                raise HeardError("stored calls need the store's URL")
            ids = item["ids"] if item["kind"] == "ids" else self._ids_between(item["first"], item["last"])
            calls = list(self.store.iter_calls(ids))
        return calls, failed

    def _read_parquet(self, path: str, group: int) -> tuple[list[Call], list[Result]]:
        import pyarrow.parquet as pq

        calls: list[Call] = []
        failed: list[Result] = []
        file = pq.ParquetFile(path)
        offset = sum(file.metadata.row_group(g).num_rows for g in range(group))
        for n, row in enumerate(file.read_row_group(group).to_pylist(), start=offset + 1):
            try:
                calls.append(Call.model_validate_json(row["call"]) if isinstance(row.get("call"), str)
                             else Call.model_validate(_without_nulls(row)))
            except ValidationError as exc:
                e = exc.errors()[0]
                at = f"{path}, row {n}"
                failed.append(Failed(str(row.get("id") or at), f"{at}: {'.'.join(str(p) for p in e['loc'])}: "
                                     f"{e['msg']}. Fix the row; `heard schema` shows a call's fields."))
        return calls, failed

    def _ids_between(self, first: str, last: str) -> list[str]:
        assert self.store is not None
        with self.store.engine.connect() as conn:
            return list(conn.execute(select(calls_table.c.id).where(
                calls_table.c.id >= first, calls_table.c.id <= last).order_by(calls_table.c.id)).scalars())
