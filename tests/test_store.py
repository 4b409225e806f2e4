"""The store, with the same test bodies on SQLite and PostgreSQL (see the db_url fixture)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from heard.analysers import REGISTRY
from heard.errors import ConflictError, StoreError
from heard.ingest import read_path
from heard.model import Call, Outcome
from heard.pipeline import analyse
from heard.runners.importer import import_paths
from heard.samples.generate import write_corpus
from heard.store import Applied, Store, Written, resolve_url
from heard.store.schema import metadata
from tests.conftest import FIXTURES, make_call


def test_store_round_trip(store: Store) -> None:
    for path in sorted(FIXTURES.rglob("*.json")):
        for item in read_path(path):
            if isinstance(item, Call):
                assert store.add_call(item) is Written.ADDED
                assert store.get_call(item.id) == item
    assert store.count_calls() == 16  # every .json fixture but outcomes.json (two under amazon-more/)


def test_store_same_content_twice_is_skipped(store: Store) -> None:
    call = make_call("c-1", outcome=Outcome(csat=4))
    assert store.add_call(call) is Written.ADDED
    assert store.add_call(call) is Written.SKIPPED
    assert store.count_calls() == 1


def test_store_same_id_other_content_conflicts_unless_replace(store: Store) -> None:
    store.add_call(make_call("c-1", turns=2))
    with pytest.raises(ConflictError) as info:
        store.add_call(make_call("c-1", turns=4))
    assert "--replace" in str(info.value)
    assert store.add_call(make_call("c-1", turns=4), replace=True) is Written.REPLACED
    stored = store.get_call("c-1")
    assert stored is not None and len(stored.turns) == 4
    assert store.integrity().broken == []


def test_store_import_is_idempotent(store: Store) -> None:
    paths = [FIXTURES / "heard", FIXTURES / "amazon", FIXTURES / "captions"]
    first = import_paths(store, paths)
    second = import_paths(store, paths)
    assert (first.added, first.failed) == (14, 0)  # 4 heard, 7 Amazon (2 under compare/), 3 captions
    assert (second.added, second.skipped, second.failed) == (0, 14, 0)
    assert store.count_calls() == 14


def test_store_outcomes_join_by_call_id(store: Store) -> None:
    report = import_paths(store, [FIXTURES / "heard", FIXTURES / "outcomes"])
    # outcomes.csv: heard-1 and heard-l0 join, no-such-call has no call, heard-l1 has csat 9 (an error).
    assert (report.outcomes_updated, report.outcomes_missing, report.failed) == (3, 1, 1)
    assert any("no-such-call" in str(p) and "import its transcript first" in str(p) for p in report.problems)
    call = store.get_call("heard-1")
    assert call is not None and call.outcome is not None
    # The call's own csat 4 is overwritten by the outcomes file, fcr stays, the rest is added.
    assert (call.outcome.csat, call.outcome.nps, call.outcome.fcr, call.outcome.escalated) == (5, 9, True, False)
    assert call.outcome.survey_comment == "Quick, and she listened."
    assert call.metadata == {"crm": "x-42", "crm_case": "C-1"}
    l0 = store.get_call("heard-l0")
    assert l0 is not None and (l0.team, l0.agent_id) == ("south", "j.okafor")
    again = import_paths(store, [FIXTURES / "outcomes"])
    assert (again.outcomes_updated, again.outcomes_unchanged) == (0, 3)


def test_store_apply_outcome_for_unknown_call(store: Store) -> None:
    from heard.ingest.base import OutcomeRecord

    assert store.apply_outcome(OutcomeRecord("nope", {}, Outcome(csat=3))) is Applied.MISSING


def test_store_analysis_records_versions_and_replaces_same_versions(store: Store) -> None:
    call = make_call("c-1")
    store.add_call(call)
    store.save_analysis(analyse(call))
    store.save_analysis(analyse(call))
    latest = store.latest_analysis("c-1")
    assert latest is not None and latest.analysers == {name: a.version for name, a in REGISTRY.items()
                                                       if name != "acoustics"}   # acoustics needs a recording
    assert latest.content_hash == call.content_hash()
    assert len(list(store.iter_analyses())) == 1


def test_store_schema_matches_migrations(db_url: str) -> None:
    """The Alembic migration and schema.py describe the same tables and columns."""
    Store.open(db_url).close()
    engine = create_engine(resolve_url(db_url))
    found = inspect(engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/none", "notadb://x"])
def test_store_unreachable_gives_an_actionable_error(url: str) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert info.value.hint


@pytest.mark.parametrize("value", ["my.db", "sqlite:///x.db", "postgresql://u@h/db"])
def test_store_resolve_url(value: str) -> None:
    url = resolve_url(value)
    assert url.startswith(("sqlite:///", "postgresql+psycopg://"))


def test_store_import_killed_midway_leaves_whole_calls_and_resumes(db_url: str, tmp_path: Path) -> None:
    """kill -9 an import half-way: no half-written call, and re-running completes it exactly."""
    total = 1500
    corpus = tmp_path / "corpus"
    write_corpus(corpus, calls=total, seed=7, per_file=100)
    Store.open(db_url).close()  # migrate first, so the kill lands during imports, not DDL
    env = {**os.environ, "HEARD_DB": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "heard.cli", "--quiet", "import", str(corpus)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store.open(db_url)
    deadline = time.monotonic() + 120
    while store.count_calls() < 200 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be interrupted; raise `total`"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = store.count_calls()
    assert 0 < partial < total
    assert store.integrity().broken == []
    resumed = subprocess.run([sys.executable, "-m", "heard.cli", "--quiet", "import", str(corpus)], env=env,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert store.count_calls() == total
    integrity = store.integrity()
    assert integrity.broken == [] and integrity.calls == total
    store.close()


def test_store_latest_summaries_match_the_analyses(db_url: str) -> None:
    """Call lists read stored summaries; rows written before summaries existed are summarised on the fly."""
    from sqlalchemy import update

    from heard.pipeline import analyse
    from heard.store.schema import analyses

    with Store.open(db_url) as store:
        calls = [make_call(f"sum-{i}", turns=4 + i) for i in range(3)]
        for c in calls:
            store.add_call(c)
        store.save_analyses([analyse(c) for c in calls])
        expected = {c.id: analyse(c).summary() for c in calls}
        assert store.latest_summaries([c.id for c in calls] + ["missing"]) == expected
        with store.engine.begin() as conn:
            conn.execute(update(analyses).where(analyses.c.call_id == "sum-1").values(summary=None))
        assert store.latest_summaries([c.id for c in calls]) == expected
