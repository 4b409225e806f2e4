"""The call store: SQLite by default, PostgreSQL for teams, any SQLAlchemy URL.

Every call is written in one transaction (the call row, its turns and its outcome together), so
an import killed at any point leaves whole calls or nothing. A call's content hash makes
re-importing the same content a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, bindparam, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from heard.errors import ConflictError, StoreError
from heard.model import Call, CallAnalysis, Outcome, OutcomeRecord
from heard.store.schema import analyses, calls, outcomes, turns

DEFAULT_URL = "sqlite:///heard.db"
MIGRATIONS = Path(__file__).parent / "migrations"


# Statements built once: SQLAlchemy then reuses their compiled form for every call.
_FIND = select(calls.c.id, calls.c.content_hash).where(
    or_(calls.c.content_hash == bindparam("digest"), calls.c.id == bindparam("call_id")))
_INSERT_CALL = insert(calls)
_INSERT_TURNS = insert(turns)
_INSERT_OUTCOME = insert(outcomes)
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
                        raise ConflictError(
                            f"call {call.id!r} is already stored with different content",
                            hint="Pass --replace to overwrite it, or give the new call another id.")
                    conn.execute(delete(turns).where(turns.c.call_id == call.id))
                    conn.execute(delete(outcomes).where(outcomes.c.call_id == call.id))
                    conn.execute(delete(analyses).where(analyses.c.call_id == call.id))
                    conn.execute(delete(calls).where(calls.c.id == call.id))
                    result = Written.REPLACED
                self._insert(conn, call, digest, source_path)
                return result
        except IntegrityError as exc:
            # Another writer stored the same content between our check and insert.
            if self.has_hash(digest):
                return Written.SKIPPED
            raise StoreError(f"could not store call {call.id!r}: {exc.orig}",
                             hint="Another import may be writing the same call; run the import again.") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not store call {call.id!r}: {getattr(exc, 'orig', exc)}",
                             hint="Check the database is reachable and not full or locked, then re-run the "
                                  "import: calls already stored are skipped.") from None

    def _insert(self, conn: Connection, call: Call, digest: str, source_path: str | None) -> None:
        now = datetime.now(UTC)
        conn.execute(_INSERT_CALL, {
            "id": call.id, "content_hash": digest, "agent_id": call.agent_id, "team": call.team,
            "queue": call.queue, "reason": call.reason, "channel": call.channel.value,
            "started_at": call.started_at.astimezone(UTC) if call.started_at else None, "language": call.language,
            "meta": call.metadata, "speaker_mapping": call.speaker_mapping.model_dump(mode="json")
            if call.speaker_mapping else None, "vendor_metrics": call.vendor_metrics,
            "audio": call.audio.model_dump(mode="json") if call.audio else None,
            "source_format": call.source_format, "source_path": source_path, "n_turns": len(call.turns),
            "imported_at": now,
        })
        conn.execute(_INSERT_TURNS, [
            {"call_id": call.id, "idx": i, "speaker": t.speaker.value, "speaker_id": t.speaker_id,
             "start": t.start, "end": t.end, "text": t.text,
             "words": [w.model_dump(mode="json") for w in t.words] if t.words else None}
            for i, t in enumerate(call.turns)
        ])
        if call.outcome is not None:
            conn.execute(_INSERT_OUTCOME, {"call_id": call.id, "data": call.outcome.model_dump(exclude_none=True),
                                           "updated_at": now})

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
                conn.execute(update(calls).where(calls.c.id == record.call_id).values(**values))
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

    def save_analyses(self, batch: Sequence[CallAnalysis]) -> None:
        """Store several analyses in one transaction: all of them or none."""
        if not batch:
            return
        now = datetime.now(UTC)
        rows = [{"call_id": a.call_id, "content_hash": a.content_hash,
                 "analyser_key": ",".join(f"{n}@{v}" for n, v in sorted(a.analysers.items())),
                 "analysers": a.analysers, "result": a.model_dump(mode="json"), "created_at": now,
                 "summary": a.summary()} for a in batch]
        with self.engine.begin() as conn:
            conn.execute(_DELETE_ANALYSIS, [{"cid": r["call_id"], "key": r["analyser_key"]} for r in rows])
            conn.execute(_INSERT_ANALYSIS, rows)

    # --- reading -------------------------------------------------------------------------------

    def has_hash(self, digest: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(calls.c.id).where(calls.c.content_hash == digest)).first() is not None

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
        """Calls whose stored turns do not match their turn count (never expected: each call is one transaction)."""
        with self.engine.connect() as conn:
            counts = select(turns.c.call_id, func.count().label("n")).group_by(turns.c.call_id).subquery()
            rows = conn.execute(select(calls.c.id, calls.c.n_turns, counts.c.n)
                                .outerjoin(counts, counts.c.call_id == calls.c.id)).all()
        broken = [r.id for r in rows if (r.n or 0) != r.n_turns]
        return Integrity(calls=len(rows), broken=broken)


def aware(value: datetime) -> datetime:
    """SQLite returns times without their zone; heard stores them in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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
