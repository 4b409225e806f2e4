"""The call store: SQLite by default, PostgreSQL for teams, any SQLAlchemy URL.

A call is written with its turns and outcome in one transaction, alone (add_call) or with the rest of
its batch (add_calls, what imports use), so an import killed at any point leaves whole calls or nothing.
A call's content hash makes re-importing the same content a no-op.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from heard.errors import ConflictError, StoreError
from heard.model import Analysed, Call, CallAnalysis, Outcome, OutcomeRecord, Role, analysis_key
from heard.store import aggregates
from heard.store.schema import analyses, calls, outcomes, turns

DEFAULT_URL = "sqlite:///heard.db"
MIGRATIONS = Path(__file__).parent / "migrations"


# Statements built once: SQLAlchemy then reuses their compiled form for every call.
_FIND = select(calls.c.id, calls.c.content_hash).where(
    or_(calls.c.content_hash == bindparam("digest"), calls.c.id == bindparam("call_id")))
_FIND_MANY = select(calls.c.id, calls.c.content_hash).where(
    or_(calls.c.content_hash.in_(bindparam("digests", expanding=True)),
        calls.c.id.in_(bindparam("ids", expanding=True))))
# The columns an import writes, in the order of its row tuples (the call list's columns stay NULL until analysis).
_CALL_COLUMNS = ("id", "content_hash", "agent_id", "team", "queue", "reason", "channel", "started_at", "language",
                 "meta", "speaker_mapping", "vendor_metrics", "audio", "source_format", "source_path", "n_turns",
                 "imported_at")
_TURN_COLUMNS = ("call_id", "idx", "speaker", "speaker_id", "start", "end", "text", "words")
_OUTCOME_COLUMNS = ("call_id", "data", "updated_at")
_ROLE_VALUES = {role: role.value for role in Role}  # Enum.value is a slow property: a lookup per turn is not
_FIND_CHUNK = 500   # ids per duplicate-check query: two bound values each, far below SQLite's limit
_DELETE_ANALYSIS = delete(analyses).where(analyses.c.call_id == bindparam("cid"),
                                          analyses.c.analyser_key == bindparam("key"))
_INSERT_ANALYSIS = insert(analyses)


class Written(StrEnum):
    ADDED = "added"
    SKIPPED = "skipped"      # same content already stored
    REPLACED = "replaced"


class Applied(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    MISSING = "missing"      # no call with that id


def resolve_url(url: str | None = None) -> str:
    """--db beats HEARD_DB beats ./heard.db; a bare file path means SQLite; postgresql:// uses psycopg 3."""
    url = url or os.environ.get("HEARD_DB") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class Integrity:
    calls: int
    broken: list[str]
    orphaned: list[str] = field(default_factory=list)   # call ids that have turns but no call row


class Store:
    """A heard database. Open with `Store.open(url)`; it migrates itself to the latest schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        url = resolve_url(url)
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise StoreError(f"the database driver is not installed ({exc.name})",
                             hint="Run: pip install 'heard[postgres]'") from None
        except Exception as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}",
                             hint="Give a SQLAlchemy URL, e.g. sqlite:///heard.db or postgresql://user@host/db",
                             ) from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise StoreError(f"cannot open the database at {self.engine.url.render_as_string()}: {exc.orig}",
                             hint="Check the server is running and the URL (--db or HEARD_DB) is right.") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------

    def add_call(self, call: Call, *, source_path: str | None = None, replace: bool = False) -> Written:
        """Store one call with its turns and outcome in one transaction."""
        digest = call.content_hash()
        try:
            with self.engine.begin() as conn:
                found = conn.execute(_FIND, {"digest": digest, "call_id": call.id}).all()
                if any(row.content_hash == digest for row in found):
                    return Written.SKIPPED
                result = Written.ADDED
                if found:
                    if not replace:
                        raise _conflict(call.id)
                    _delete_calls(conn, [call.id])
                    result = Written.REPLACED
                self._insert(conn, [(call, digest, source_path)])
                return result
        except IntegrityError as exc:
            # Another writer stored the same content between our check and insert.
            if self.has_hash(digest):
                return Written.SKIPPED
            raise StoreError(f"could not store call {call.id!r}: {exc.orig}",
                             hint="Another import may be writing the same call; run the import again.") from None
        except SQLAlchemyError as exc:
            raise _store_error(f"call {call.id!r}", exc) from None

    def add_calls(self, batch: Sequence[Call], *, source_path: str | Sequence[str | None] | None = None,
                  replace: bool = False) -> list[Written | StoreError]:
        """Store many calls in one transaction; for each call, what add_call would have returned or raised.

        The outcomes are those of add_call on each call in order: a later call of the batch with the same content
        is SKIPPED, one with the same id and other content conflicts or (with `replace`) REPLACES the earlier.
        Errors are returned in place, not raised, and the rest of the batch is stored. `source_path` is one path
        for every call or one per call. If the database refuses the batch (another writer stored one of these
        calls meanwhile, or one call breaks a column limit), it is rolled back and stored call by call, so a bad
        call costs only itself; an unreachable or locked database gives every call the same error.
        """
        todo = list(batch)
        paths = (list(source_path) if source_path is not None and not isinstance(source_path, str)
                 else [source_path] * len(todo))
        if len(paths) != len(todo):
            raise ValueError(f"add_calls: {len(todo)} calls but {len(paths)} source paths")
        if not todo:
            return []
        digests = [call.content_hash() for call in todo]
        try:
            with self.engine.begin() as conn:
                return self._add_batch(conn, todo, digests, paths, replace)
        except OperationalError as exc:
            error = _store_error(f"call {todo[0].id!r}" if len(todo) == 1 else f"a batch of {len(todo)} calls", exc)
            return [error] * len(todo)
        except SQLAlchemyError:
            results: list[Written | StoreError] = []
            for call, path in zip(todo, paths, strict=True):
                try:
                    results.append(self.add_call(call, source_path=path, replace=replace))
                except StoreError as exc:
                    results.append(exc)
            return results

    def _add_batch(self, conn: Connection, todo: list[Call], digests: list[str], paths: list[str | None],
                   replace: bool) -> list[Written | StoreError]:
        """add_call's checks for a whole batch from one query per 500 calls, then the writes."""
        stored: dict[str, str] = {}  # id -> content hash, as it stands after each call of the batch so far
        for at in range(0, len(todo), _FIND_CHUNK):
            found = conn.execute(_FIND_MANY, {"digests": digests[at: at + _FIND_CHUNK],
                                              "ids": [c.id for c in todo[at: at + _FIND_CHUNK]]})
            stored.update({row.id: row.content_hash for row in found})
        in_database = set(stored)
        hashes = set(stored.values())
        results: list[Written | StoreError] = []
        chosen: dict[str, int] = {}  # id -> index of the call that ends up stored under it
        for i, (call, digest) in enumerate(zip(todo, digests, strict=True)):
            if digest in hashes:
                results.append(Written.SKIPPED)
                continue
            old = stored.get(call.id)
            if old is None:
                results.append(Written.ADDED)
            elif not replace:
                results.append(_conflict(call.id))
                continue
            else:
                results.append(Written.REPLACED)
                hashes.discard(old)
            stored[call.id] = digest
            hashes.add(digest)
            chosen[call.id] = i
        _delete_calls(conn, [cid for cid in chosen if cid in in_database])
        self._insert(conn, [(todo[i], digests[i], paths[i]) for i in sorted(chosen.values())])
        return results

    def _insert(self, conn: Connection, rows: Sequence[tuple[Call, str, str | None]]) -> None:
        """Write calls (each with its content hash and source path): call rows, then turns, then outcomes."""
        if not rows:
            return
        now = datetime.now(UTC)
        _write_rows(conn, calls, _CALL_COLUMNS, [(
            call.id, digest, call.agent_id, call.team, call.queue, call.reason, call.channel.value,
            call.started_at.astimezone(UTC) if call.started_at else None, call.language, call.metadata,
            call.speaker_mapping.model_dump(mode="json") if call.speaker_mapping else None, call.vendor_metrics,
            call.audio.model_dump(mode="json") if call.audio else None, call.source_format, source_path,
            len(call.turns), now) for call, digest, source_path in rows])
        _write_rows(conn, turns, _TURN_COLUMNS, [
            (call.id, i, _ROLE_VALUES[t.speaker], t.speaker_id, t.start, t.end, t.text,
             [w.model_dump(mode="json") for w in t.words] if t.words else None)
            for call, _, _ in rows for i, t in enumerate(call.turns)])
        _write_rows(conn, outcomes, _OUTCOME_COLUMNS, [
            (call.id, call.outcome.model_dump(exclude_none=True), now) for call, _, _ in rows if call.outcome])

    def apply_outcome(self, record: OutcomeRecord) -> Applied:
        """Join one metadata/outcome row to its stored call; idempotent."""
        with self.engine.begin() as conn:
            row = conn.execute(select(calls).where(calls.c.id == record.call_id)).first()
            if row is None:
                return Applied.MISSING
            changed = False
            values: dict[str, Any] = {k: v for k, v in record.fields.items() if getattr(row, k) != v}
            if "started_at" in values:
                started = aware(datetime.fromisoformat(str(values["started_at"])))
                values["started_at"] = started
                if row.started_at is not None and aware(row.started_at) == started:
                    values.pop("started_at")
            merged_meta = {**(row.meta or {}), **record.metadata}
            if merged_meta != (row.meta or {}):
                values["meta"] = merged_meta
            if values:
                before = aggregates.groups_of(conn, [record.call_id])
                conn.execute(update(calls).where(calls.c.id == record.call_id).values(**values))
                aggregates.refresh(conn, [record.call_id], also=before)  # it may have moved agent, team or week
                changed = True
            if record.outcome is not None:
                current = conn.execute(select(outcomes.c.data).where(outcomes.c.call_id == record.call_id)).first()
                old = Outcome.model_validate(current.data) if current else Outcome()
                new = old.merged(record.outcome)
                if current is None:
                    conn.execute(insert(outcomes).values(call_id=record.call_id, data=new.model_dump(exclude_none=True),
                                                         updated_at=datetime.now(UTC)))
                    changed = True
                elif new != old:
                    conn.execute(update(outcomes).where(outcomes.c.call_id == record.call_id).values(
                        data=new.model_dump(exclude_none=True), updated_at=datetime.now(UTC)))
                    changed = True
            return Applied.UPDATED if changed else Applied.UNCHANGED

    def save_analysis(self, analysis: CallAnalysis) -> None:
        """Store an analysis, replacing any earlier one made by the same analyser versions."""
        self.save_analyses([analysis])

    def save_analyses(self, batch: Sequence[CallAnalysis | Analysed]) -> None:
        """Store several analyses in one transaction: all of them or none. An engine's Analysed rows are stored as
        they come (their JSON parsed, not validated again: the worker that made them did)."""
        if not batch:
            return
        now = datetime.now(UTC)
        rows = [{"call_id": a.call_id, "content_hash": a.content_hash, "analyser_key": a.analyser_key,
                 "analysers": a.analysers, "result": json.loads(a.result), "created_at": now,
                 "summary": json.loads(a.summary)} if isinstance(a, Analysed) else
                {"call_id": a.call_id, "content_hash": a.content_hash, "analyser_key": analysis_key(a.analysers),
                 "analysers": a.analysers, "result": a.model_dump(mode="json"), "created_at": now,
                 "summary": a.summary()} for a in batch]
        with self.engine.begin() as conn:
            conn.execute(_DELETE_ANALYSIS, [{"cid": r["call_id"], "key": r["analyser_key"]} for r in rows])
            conn.execute(_INSERT_ANALYSIS, rows)
            aggregates.refresh(conn, [a.call_id for a in batch])  # the call list's columns and weekly totals

    # --- reading -------------------------------------------------------------------------------

    def has_hash(self, digest: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(calls.c.id).where(calls.c.content_hash == digest)).first() is not None

    def analysed_call_ids(self, ids: Sequence[str]) -> set[str]:
        """Of these calls, those with any analysis."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(analyses.c.call_id).where(analyses.c.call_id.in_(list(ids)))
                                    .distinct()).scalars())

    def analysed_ids(self, key: str, ids: Sequence[str], *, batch: int = 500) -> dict[str, str]:
        """Of these calls, those with an analysis by exactly these analyser versions (key "name@v,name@v",
        sorted), each with the content hash that analysis was made of: a resumed run compares it with the call's."""
        found: dict[str, str] = {}
        wanted = list(ids)
        for offset in range(0, len(wanted), batch):
            with self.engine.connect() as conn:
                found.update((r.call_id, r.content_hash) for r in conn.execute(
                    select(analyses.c.call_id, analyses.c.content_hash).where(
                        analyses.c.analyser_key == key, analyses.c.call_id.in_(wanted[offset: offset + batch]))))
        return found

    def count_calls(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(calls)).scalar_one())

    def call_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(calls.c.id).order_by(calls.c.id)).scalars())

    def get_call(self, call_id: str) -> Call | None:
        found = list(self.iter_calls([call_id]))
        return found[0] if found else None

    def iter_calls(self, ids: Sequence[str] | None = None, *, batch: int = 500) -> Iterator[Call]:
        """Stored calls with turns and outcomes, loaded a batch at a time."""
        wanted = list(ids) if ids is not None else self.call_ids()
        for offset in range(0, len(wanted), batch):
            chunk = wanted[offset: offset + batch]
            with self.engine.connect() as conn:
                rows = {r.id: r for r in conn.execute(select(calls).where(calls.c.id.in_(chunk)))}
                by_call: dict[str, list[Any]] = {}
                for t in conn.execute(select(turns).where(turns.c.call_id.in_(chunk)).order_by(
                        turns.c.call_id, turns.c.idx)):
                    by_call.setdefault(t.call_id, []).append(t)
                outs = {o.call_id: o.data for o in conn.execute(select(outcomes).where(outcomes.c.call_id.in_(chunk)))}
            for call_id in chunk:
                if call_id in rows:
                    yield _call_from_rows(rows[call_id], by_call.get(call_id, []), outs.get(call_id))

    def latest_analysis(self, call_id: str) -> CallAnalysis | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(analyses.c.result).where(analyses.c.call_id == call_id)
                               .order_by(analyses.c.created_at.desc(), analyses.c.id.desc())).first()
        return CallAnalysis.model_validate(row.result) if row else None

    def latest_summaries(self, ids: Sequence[str], *, batch: int = 500,
                         need: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """CallAnalysis.summary() of each call's latest analysis, without loading the analyses (computed from the
        stored result for rows written before summaries were stored, or before they held every key in `need`)."""
        out: dict[str, dict[str, Any]] = {}
        wanted = list(ids)
        for offset in range(0, len(wanted), batch):
            chunk = wanted[offset: offset + batch]
            with self.engine.connect() as conn:
                latest = select(func.max(analyses.c.id)).where(analyses.c.call_id.in_(chunk)).group_by(
                    analyses.c.call_id)
                rows = conn.execute(select(analyses.c.id, analyses.c.call_id, analyses.c.summary)
                                    .where(analyses.c.id.in_(latest))).all()
                old = [r.id for r in rows if r.summary is None or any(k not in r.summary for k in need)]
                results = {r.id: r.result for r in conn.execute(
                    select(analyses.c.id, analyses.c.result).where(analyses.c.id.in_(old)))} if old else {}
            for r in rows:
                out[r.call_id] = CallAnalysis.model_validate(results[r.id]).summary() if r.id in results \
                    else r.summary
        return out

    def iter_analyses(self) -> Iterator[CallAnalysis]:
        """The latest analysis of every stored call that has one."""
        with self.engine.connect() as conn:
            latest = select(analyses.c.call_id, func.max(analyses.c.id).label("id")).group_by(
                analyses.c.call_id).subquery()
            for row in conn.execute(select(analyses.c.result).join(latest, latest.c.id == analyses.c.id)
                                    .order_by(analyses.c.call_id)):
                yield CallAnalysis.model_validate(row.result)

    def integrity(self) -> Integrity:
        """Calls whose stored turns do not match their turn count, and turns whose call is gone (neither expected:
        each call is one transaction, and heard removes a call's turns with it; turns have no foreign key since
        migration 0013, so a call deleted by hand in SQL would leave its turns behind)."""
        with self.engine.connect() as conn:
            counts = select(turns.c.call_id, func.count().label("n")).group_by(turns.c.call_id).subquery()
            rows = conn.execute(select(calls.c.id, calls.c.n_turns, counts.c.n)
                                .outerjoin(counts, counts.c.call_id == calls.c.id)).all()
            orphaned = conn.execute(select(turns.c.call_id).distinct()
                                    .where(~select(calls.c.id).where(calls.c.id == turns.c.call_id).exists())
                                    .order_by(turns.c.call_id)).scalars().all()
        broken = [r.id for r in rows if (r.n or 0) != r.n_turns]
        return Integrity(calls=len(rows), broken=broken, orphaned=list(orphaned))


def aware(value: datetime) -> datetime:
    """SQLite returns times without their zone; heard stores them in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _conflict(call_id: str) -> ConflictError:
    return ConflictError(f"call {call_id!r} is already stored with different content",
                         hint="Pass --replace to overwrite it, or give the new call another id.")


def _store_error(what: str, exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"could not store {what}: {getattr(exc, 'orig', exc)}",
                      hint="Check the database is reachable and not full or locked, then re-run the "
                           "import: calls already stored are skipped.")


def _delete_calls(conn: Connection, ids: list[str]) -> None:
    """Remove stored calls with everything hanging off them (before a replace)."""
    if ids:
        groups = aggregates.groups_of(conn, ids)
        for table in (turns, outcomes, analyses):
            conn.execute(delete(table).where(table.c.call_id.in_(ids)))
        conn.execute(delete(calls).where(calls.c.id.in_(ids)))
        aggregates.recount(conn, groups)  # their analyses and scores went with them


def _write_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows of `table` (values in `columns` order, JSON as Python data) by the fastest path the database has.

    PostgreSQL takes them by COPY on the transaction's own connection, SQLite by one executemany (unless the table
    has times, which SQLAlchemy stores in a text form of its own), anything else through SQLAlchemy. The first two
    bypass SQLAlchemy's per-row processing, so JSON is written here as its JSON type writes it: json.dumps, and
    SQL NULL for None only where the column is none_as_null."""
    if not rows:
        return
    dialect = conn.dialect.name
    types = [table.c[name].type for name in columns]
    if dialect != "postgresql" and (dialect != "sqlite" or any(isinstance(t, DateTime) for t in types)):
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    as_json = [(i, t.none_as_null) for i, t in enumerate(types) if isinstance(t, JSON)]
    if as_json:
        rows = [_json_dumped(row, as_json) for row in rows]
    names = ", ".join(f'"{name}"' for name in columns)  # quoted: "end" is an SQL keyword
    if dialect == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
        return
    statement = f"COPY {table.name} ({names}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    driver: Any = conn.connection.driver_connection  # psycopg's Connection, inside this transaction
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as exc:  # raised by the driver itself: wrap it as SQLAlchemy would, so callers see one kind
        raise DBAPIError.instance(statement, None, exc, dbapi.Error, dialect=conn.dialect) from exc


def _json_dumped(row: tuple[Any, ...], as_json: list[tuple[int, bool]]) -> tuple[Any, ...]:
    values = list(row)
    for i, none_as_null in as_json:
        if values[i] is not None or not none_as_null:
            values[i] = json.dumps(values[i])
    return tuple(values)


def _call_from_rows(row: Any, turn_rows: Iterable[Any], outcome: dict[str, Any] | None) -> Call:
    return Call.model_validate({
        "id": row.id, "agent_id": row.agent_id, "team": row.team, "queue": row.queue, "reason": row.reason,
        "channel": row.channel, "started_at": aware(row.started_at) if row.started_at else None,
        "language": row.language, "metadata": row.meta or {},
        "speaker_mapping": row.speaker_mapping, "vendor_metrics": row.vendor_metrics or {},
        "audio": row.audio, "source_format": row.source_format, "outcome": outcome,
        "turns": [{"speaker": t.speaker, "speaker_id": t.speaker_id, "start": t.start, "end": t.end,
                   "text": t.text, "words": t.words} for t in turn_rows],
    })


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


__all__ = ["DEFAULT_URL", "Applied", "Integrity", "SQLAlchemyError", "Store", "Written", "aware", "resolve_url"]
