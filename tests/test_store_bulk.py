"""Store.add_calls, the bulk path of imports: on SQLite and PostgreSQL it must do exactly what add_call does one
call at a time, and a kill -9 in the middle of a batch must leave whole calls or nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Table, Text, cast, delete, event, insert, select, text

from heard.errors import ConflictError, StoreError
from heard.ingest import expand_paths, read_path
from heard.model import AudioInfo, AudioSegment, Call, Outcome, Role, SpeakerMapping, Turn, Word
from heard.runners.importer import import_paths
from heard.samples.generate import write_corpus
from heard.store import Store, Written
from heard.store.schema import analyses, calls, outcomes, turns
from tests.conftest import FIXTURES, make_call, migrate_down

CAFE = "Le café était froid, et personne n'a rappelé."  # non-ASCII text: JSON must be written as SQLAlchemy does


def worded_call(call_id: str = "worded") -> Call:
    """A call with word timings, a speaker id, an untimed turn, an outcome, metadata, a speaker mapping and a
    recording: every column filled."""
    words = [Word(text=w, start=0.5 * i, end=0.5 * i + 0.4, confidence=0.9) for i, w in enumerate(CAFE.split())]
    audio = AudioInfo(file="café.wav", sha256="0" * 64, sample_rate=8000, channels=2, duration=5.0, layout="stereo",
                      transcript_source="whisper tiny", segments=[AudioSegment(speaker=Role.CUSTOMER, start=0, end=5)])
    return Call(id=call_id, agent_id="a.rossi", team="north", metadata={"crm": "x-1", "note": CAFE},
                outcome=Outcome(csat=2, fcr=False), vendor_metrics={"acme": {"talk": 0.5}}, audio=audio,
                started_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC), reason="billing", queue="q1",
                speaker_mapping=SpeakerMapping(method="heuristic", roles={"spk_1": Role.CUSTOMER}, confidence=0.8),
                turns=[Turn(speaker=Role.CUSTOMER, speaker_id="spk_1", start=0.0, end=5.0, text=CAFE, words=words),
                       Turn(speaker=Role.AGENT, text="I am sorry to hear that.")])


def fixture_calls() -> list[Call]:
    return [item for path in sorted(FIXTURES.rglob("*.json")) for item in read_path(path) if isinstance(item, Call)]


def wipe(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in (analyses, outcomes, turns, calls):
            conn.execute(delete(table))


def stored(store: Store) -> dict[str, Call]:
    assert store.integrity().broken == []
    return {call.id: call for call in store.iter_calls()}


def raw_turns(store: Store) -> list[tuple[Any, ...]]:
    """The turn rows as the database holds them, words as their JSON text."""
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(turns.c.call_id, turns.c.idx, turns.c.speaker, turns.c.speaker_id, turns.c.start, turns.c.end,
                   turns.c.text, cast(turns.c.words, Text)).order_by(turns.c.call_id, turns.c.idx))]


def outcome_of(result: Written | StoreError) -> object:
    return result if isinstance(result, Written) else (type(result).__name__, str(result))


def one_by_one(store: Store, batch: Sequence[Call], *, replace: bool = False,
               source_path: str | None = None) -> list[Written | StoreError]:
    results: list[Written | StoreError] = []
    for call in batch:
        try:
            results.append(store.add_call(call, replace=replace, source_path=source_path))
        except StoreError as exc:
            results.append(exc)
    return results


def test_store_bulk_stores_what_add_call_stores(store: Store) -> None:
    batch = [*fixture_calls(), worded_call(), *(make_call(f"c-{i}", turns=2 + i % 5) for i in range(30))]
    expected = one_by_one(store, batch, source_path="calls.jsonl")
    calls_one_by_one, turns_one_by_one = stored(store), raw_turns(store)
    wipe(store)
    results = store.add_calls(batch, source_path="calls.jsonl")
    assert results == expected and set(results) == {Written.ADDED}
    assert stored(store) == calls_one_by_one
    assert raw_turns(store) == turns_one_by_one
    assert store.count_calls() == len(batch)
    with store.engine.connect() as conn:
        assert set(conn.execute(select(calls.c.source_path)).scalars()) == {"calls.jsonl"}


def test_store_bulk_writes_json_as_sqlalchemy_does(store: Store) -> None:
    """COPY and the SQLite executemany bypass SQLAlchemy: every JSON value they write must read back as the same
    text as that value written by SQLAlchemy's own JSON type (here: each row copied by SQLAlchemy under id "ref")."""
    store.add_calls([worded_call()])
    key = {calls: calls.c.id, turns: turns.c.call_id, outcomes: outcomes.c.call_id}

    def json_text(table: Table, call_id: str) -> list[tuple[Any, ...]]:
        columns = [cast(c, Text) for c in table.columns if isinstance(c.type, JSON)]
        with store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*columns).where(key[table] == call_id).order_by(*(
                [turns.c.idx] if table is turns else [])))]

    with store.engine.begin() as conn:
        for table, column in key.items():
            for row in conn.execute(select(table).where(column == "worded")).mappings().all():
                conn.execute(insert(table).values({**row, column.name: "ref"} | (
                    {"content_hash": "ref"} if table is calls else {})))
    for table in key:
        written = json_text(table, "worded")
        assert written and written == json_text(table, "ref")
        assert all(value is not None for value in written[0][:2]), table.name  # JSON filled, not all NULL


def test_store_bulk_duplicates_within_and_across_batches_are_skipped(store: Store) -> None:
    a, b, c = make_call("a"), make_call("b", turns=3), make_call("c", outcome=Outcome(nps=7))
    assert store.add_calls([a, a, b]) == [Written.ADDED, Written.SKIPPED, Written.ADDED]
    assert store.add_calls([b, c, c, a]) == [Written.SKIPPED, Written.ADDED, Written.SKIPPED, Written.SKIPPED]
    assert stored(store) == {"a": a, "b": b, "c": c}


def test_store_bulk_conflict_in_the_middle_keeps_the_others(store: Store) -> None:
    store.add_call(make_call("taken", turns=2))
    results = store.add_calls([make_call("x"), make_call("taken", turns=4), make_call("y"),
                               make_call("twice", turns=2), make_call("twice", turns=3)])
    assert [type(r) for r in results] == [Written, ConflictError, Written, Written, ConflictError]
    assert "--replace" in str(results[1]) and "'taken'" in str(results[1])
    assert stored(store) == {"taken": make_call("taken", turns=2), "x": make_call("x"), "y": make_call("y"),
                             "twice": make_call("twice", turns=2)}


def test_store_bulk_replace_overwrites_stored_and_earlier_calls(store: Store) -> None:
    store.add_call(make_call("old", turns=2, outcome=Outcome(csat=1)))
    results = store.add_calls([make_call("old", turns=4), make_call("new", turns=2), make_call("new", turns=3)],
                              replace=True)
    assert results == [Written.REPLACED, Written.ADDED, Written.REPLACED]
    assert stored(store) == {"old": make_call("old", turns=4), "new": make_call("new", turns=3)}


def test_store_turns_have_no_foreign_key_and_no_orphans(store: Store) -> None:
    """Migration 0013 took the turns' foreign key to calls away (the server checked it row by row in every bulk
    import). heard itself keeps the two consistent: replacing calls one by one or in a batch leaves each stored
    call exactly its own turns, and no turn without its call."""
    from sqlalchemy import inspect

    assert inspect(store.engine).get_foreign_keys("turns") == []
    store.add_call(make_call("a", turns=5))
    store.add_calls([make_call("b", turns=4), make_call("c", turns=6)])
    store.add_call(make_call("a", turns=2), replace=True)
    store.add_calls([make_call("b", turns=1), make_call("c", turns=3)], replace=True)
    with store.engine.connect() as conn:
        per_call = dict(conn.execute(text("SELECT call_id, count(*) FROM turns GROUP BY call_id")).all())
    assert per_call == {"a": 2, "b": 1, "c": 3}
    assert store.integrity().orphaned == []
    with store.engine.begin() as conn:   # what a hand-written DELETE does now: the integrity check names it
        conn.execute(delete(calls).where(calls.c.id == "b"))
    assert store.integrity().orphaned == ["b"]


def test_store_migration_0013_keeps_every_turn(store: Store) -> None:
    """Down to 0012 (the key back) and up again: the turns are copied across each rebuild, unchanged."""
    from sqlalchemy import inspect

    store.add_calls([worded_call(), *fixture_calls()])
    before = raw_turns(store)
    migrate_down(store, "0012")
    assert [fk["referred_table"] for fk in inspect(store.engine).get_foreign_keys("turns")] == ["calls"]
    assert raw_turns(store) == before
    store.migrate()
    assert inspect(store.engine).get_foreign_keys("turns") == []
    assert raw_turns(store) == before and len(before) > 10


def test_store_bulk_source_path_per_call(store: Store) -> None:
    store.add_calls([make_call("a"), make_call("b")], source_path=["one.json", None])
    with store.engine.connect() as conn:
        paths = {row.id: row.source_path for row in conn.execute(select(calls.c.id, calls.c.source_path))}
    assert paths == {"a": "one.json", "b": None}
    with pytest.raises(ValueError, match="2 calls but 1 source paths"):
        store.add_calls([make_call("c"), make_call("d")], source_path=["one.json"])


def test_store_bulk_another_writer_storing_the_same_call_meanwhile(store: Store) -> None:
    """A second writer stores one of the batch's calls between the batch's duplicate check and its insert: the
    batch is rolled back and stored call by call, that call SKIPPED, as add_call would say."""
    raced = make_call("raced")
    other = Store.open(store.engine.url.render_as_string(hide_password=False))
    fired: list[str] = []

    def other_writer_after_the_check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT calls.id, calls.content_hash") and not fired:
            fired.append(statement)
            assert other.add_call(raced) is Written.ADDED

    event.listen(store.engine, "after_cursor_execute", other_writer_after_the_check)
    try:
        results = store.add_calls([make_call("before"), raced, make_call("after")])
    finally:
        event.remove(store.engine, "after_cursor_execute", other_writer_after_the_check)
        other.close()
    assert fired and results == [Written.ADDED, Written.SKIPPED, Written.ADDED]
    assert set(stored(store)) == {"before", "raced", "after"}


def test_store_bulk_a_call_the_database_refuses_costs_only_itself(store: Store) -> None:
    """An agent id longer than its column: PostgreSQL refuses it (SQLite keeps it); the rest of the batch is stored."""
    batch = [make_call("fine-1"), make_call("long", agent_id="a" * 300), make_call("fine-2")]
    expected = [outcome_of(r) for r in one_by_one(store, batch)]
    wipe(store)
    assert [outcome_of(r) for r in store.add_calls(batch)] == expected
    assert {"fine-1", "fine-2"} <= set(stored(store))
    if store.engine.dialect.name == "postgresql":
        assert expected[1][0] == "StoreError" and "could not store call 'long'" in expected[1][1]  # type: ignore[index]


POOL = [make_call(cid, turns=n, **({"outcome": Outcome(csat=n)} if n == 3 else {}))
        for cid in ("a", "b", "c") for n in (2, 3, 4)]
calls_from_pool = st.lists(st.sampled_from(POOL), max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=calls_from_pool, batch=calls_from_pool, replace=st.booleans())
def test_store_bulk_random_batches_match_add_call_one_by_one(store: Store, before: list[Call], batch: list[Call],
                                                             replace: bool) -> None:
    def run(add: Callable[[], list[Written | StoreError]]) -> tuple[list[object], dict[str, Call]]:
        wipe(store)
        one_by_one(store, before, replace=True)
        return [outcome_of(r) for r in add()], stored(store)

    expected = run(lambda: one_by_one(store, batch, replace=replace))
    assert run(lambda: store.add_calls(batch, replace=replace)) == expected


def recorder(store: Store) -> tuple[list[Path], Callable[[Path], None]]:
    """A progress callback that records each file, checking that the file's calls are stored by then."""
    seen: list[Path] = []

    def progress(path: Path) -> None:
        ids = {item.id for item in read_path(path) if isinstance(item, Call)}
        assert ids <= set(store.call_ids()), f"{path}: progress came before its calls were stored"
        seen.append(path)

    return seen, progress


def test_import_batches_give_the_same_report_and_calls(store: Store, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, calls=60, seed=3, per_file=7)
    paths = [corpus, FIXTURES / "heard", FIXTURES / "outcomes", FIXTURES / "amazon"]
    reports, contents = [], []
    for size in (1, 25, 500):
        wipe(store)
        seen, progress = recorder(store)
        report = import_paths(store, paths, batch_size=size, progress=progress)
        assert report.added > 60 and seen == list(expand_paths(paths))
        reports.append(report.as_dict() | {"call_ids": report.call_ids})
        contents.append(stored(store))
    assert reports[0] == reports[1] == reports[2]
    assert contents[0] == contents[1] == contents[2]


def test_import_batch_size_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        import_paths(store, [FIXTURES / "heard"], batch_size=0)


IMPORT = "import sys; from heard.store import Store; from heard.runners.importer import import_paths; " \
         "import_paths(Store.open(sys.argv[1]), [sys.argv[2]], batch_size=int(sys.argv[3]))"


def _writing(store: Store) -> bool:
    """Whether another connection is inside a write transaction right now."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")).scalar_one())
    import sqlite3

    probe = sqlite3.connect(store.engine.url.database or "", timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")  # fails at once while the importer holds the write lock
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def test_store_bulk_kill_9_in_the_middle_of_a_batch_leaves_whole_calls(db_url: str, tmp_path: Path) -> None:
    """kill -9 an import while it writes a batch of 1,000 calls: what is stored is whole calls equal to their
    source, the batch being written is gone entirely, and re-running completes the import."""
    total, batch = 4000, 1000
    corpus = tmp_path / "corpus"
    write_corpus(corpus, calls=total, seed=11, per_file=batch)
    source = {item.id: item for path in sorted(corpus.iterdir()) for item in read_path(path) if isinstance(item, Call)}
    store = Store.open(db_url)  # migrated before the import starts, so the kill lands during writes, not DDL
    proc = subprocess.Popen([sys.executable, "-c", IMPORT, db_url, str(corpus), str(batch)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while not (store.count_calls() >= batch and _writing(store)) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be interrupted; raise `total`"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = stored(store)
    assert batch <= len(kept) < total and len(kept) % batch == 0  # each file is one batch: whole batches or none
    assert all(call == source[call.id] for call in kept.values())
    resumed = subprocess.run([sys.executable, "-c", IMPORT, db_url, str(corpus), str(batch)],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert stored(store) == source
    store.close()
