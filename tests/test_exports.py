"""Exports, on SQLite and PostgreSQL: the web export streams every call the user may see (past the 1,000 rows
a page holds), and no CSV that heard writes hands a spreadsheet a formula (OWASP's CSV injection)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from heard.auth.accounts import add_user, audit_entries, authenticate
from heard.cli import app as cli_app
from heard.csvcell import FORMULA_STARTS, safe_cell, safe_row
from heard.model import Call, Role, Turn
from heard.runners.local import analyse_and_store
from heard.scorecards import definition, rules
from heard.scorecards.service import score_stored
from heard.store import Store
from heard.web import views
from heard.web.api import export_scores
from heard.web.app import create_app
from tests.conftest import make_call

PASSWORD = "correct-horse-battery"
NORTH, SOUTH = 620, 425  # 1,045 calls: what QA saw in the outside test, past the old 1,000-row cut
COLUMNS = ["id", "agent_id", "team", "queue", "reason", "started_at", "score", "auto_score", "category", "robotic",
           "escalations", "opportunities", "met"]

# What an attacker puts in the fields a spreadsheet would run.
HYPERLINK = '=HYPERLINK("http://x","y")'
SUM = "@SUM(1+1)"
PLUS_AGENT, MINUS_AGENT = "+15551234", "-ana"
UPSET = "This is terrible, I was charged twice and I am furious, awful service."  # negative sentiment
ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due. Let me check."


def client(store: Store, username: str) -> TestClient:
    c = TestClient(create_app(store, secret="test-secret"), raise_server_exceptions=False)
    r = c.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def crowded(store: Store) -> Store:
    """1,045 unanalysed calls in two teams, a QA user and the north team's lead."""
    for i in range(NORTH + SOUTH):
        team = "north" if i < NORTH else "south"
        store.add_call(make_call(f"{team}-{i:04d}", agent_id=f"{team}-agent-{i % 9}", team=team))
    add_user(store, "quinn", PASSWORD, "qa")
    add_user(store, "nora", PASSWORD, "lead", team="north")
    return store


def hostile_call(call_id: str, agent_id: str) -> Call:
    A, C = Role.AGENT, Role.CUSTOMER
    return Call(id=call_id, agent_id=agent_id, team="north", queue=HYPERLINK, reason=SUM, turns=[
        Turn(speaker=A, start=0.0, end=3.0, text="Northwind, how can I help?"),
        Turn(speaker=C, start=3.5, end=9.0, text=UPSET),
        Turn(speaker=A, start=9.5, end=13.0, text=ACKNOWLEDGE),
        Turn(speaker=C, start=13.5, end=15.0, text="Okay, thanks.")])


@pytest.fixture
def hostile(store: Store) -> Iterator[Store]:
    """Two analysed and scored calls whose queue, reason and agent ids are spreadsheet formulas."""
    store.add_call(hostile_call("evil-plus", PLUS_AGENT))
    store.add_call(hostile_call("evil-minus", MINUS_AGENT))
    list(analyse_and_store(store, store.iter_calls()))
    list(score_stored(store, definition.load(), rules.load()))
    add_user(store, "quinn", PASSWORD, "qa")
    yield store


@pytest.mark.parametrize(("username", "teams", "expected"), [("quinn", {"north", "south"}, NORTH + SOUTH),
                                                           ("nora", {"north"}, NORTH)])
def test_exports_web_streams_every_visible_call(crowded: Store, username: str, teams: set[str],
                                                expected: int) -> None:
    r = client(crowded, username).get("/api/exports/scores.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == "attachment; filename=heard-scores.csv"
    rows = read_csv(r.text)
    assert list(rows[0]) == COLUMNS
    assert len(rows) == expected and len({row["id"] for row in rows}) == expected
    assert {row["team"] for row in rows} == teams
    entry = audit_entries(crowded, limit=1)[0]
    assert (entry["action"], entry["object_type"], entry["username"]) == ("export", "scores", username)
    assert entry["detail"]["calls"] == expected and entry["detail"]["complete"] is True


def test_exports_web_reads_the_store_in_batches(crowded: Store) -> None:
    """The export holds one batch of calls at a time: pulling the first row reads only the first batch."""
    quinn = authenticate(crowded, "quinn", PASSWORD)
    assert quinn is not None
    fetched: list[int] = []

    @event.listens_for(crowded.engine, "after_cursor_execute")
    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM calls" in statement:
            fetched.append(1)

    rows = views.iter_call_rows(crowded, quinn, batch=100)
    first = next(rows)
    assert len(fetched) == 1
    rest = list(rows)
    ids = [first["id"], *(row["id"] for row in rest)]
    assert len(ids) == NORTH + SOUTH and ids == sorted(ids)
    assert len(fetched) == -(-(NORTH + SOUTH) // 100)


def test_exports_web_audits_an_interrupted_export(crowded: Store) -> None:
    """A client that goes away after the first chunk: the audit log says how many rows left and that it stopped."""
    quinn = authenticate(crowded, "quinn", PASSWORD)
    assert quinn is not None
    body = export_scores(quinn, crowded).body_iterator
    assert isinstance(body, AsyncGenerator)

    async def first_chunk_then_hang_up() -> object:
        chunk = await anext(body)
        await body.aclose()  # what the event loop does to a response body the server stopped reading
        return chunk

    chunk = asyncio.run(first_chunk_then_hang_up())
    assert isinstance(chunk, str) and len(read_csv(chunk)) == 500
    entry = audit_entries(crowded, limit=1)[0]
    assert entry["action"] == "export" and entry["detail"] == {"calls": 500, "complete": False}


def test_exports_web_neutralises_formulas(hostile: Store) -> None:
    rows = {row["id"]: row for row in read_csv(client(hostile, "quinn").get("/api/exports/scores.csv").text)}
    assert set(rows) == {"evil-plus", "evil-minus"}
    assert rows["evil-plus"]["agent_id"] == "'" + PLUS_AGENT
    assert rows["evil-minus"]["agent_id"] == "'" + MINUS_AGENT
    for row in rows.values():
        assert row["queue"] == "'" + HYPERLINK and row["reason"] == "'" + SUM
        for column in ("score", "auto_score", "robotic", "escalations", "opportunities", "met"):
            float(row[column])  # a number, not a neutralised string


def test_exports_cli_csv_neutralises_formulas(hostile: Store, db_url: str, tmp_path: Path) -> None:
    target = tmp_path / "calls.csv"
    result = CliRunner().invoke(cli_app, ["--db", db_url, "export", "--format", "csv", "--out", str(target)])
    assert result.exit_code == 0, result.output
    rows = {row["call_id"]: row for row in read_csv(target.read_text(encoding="utf-8"))}
    assert rows["evil-plus"]["agent_id"] == "'" + PLUS_AGENT
    assert rows["evil-minus"]["agent_id"] == "'" + MINUS_AGENT
    for row in rows.values():
        assert row["queue"] == "'" + HYPERLINK and row["reason"] == "'" + SUM
        assert row["n_turns"] == "4"
        sentiment = float(row["sentiment_overall_customer"])  # stored as a float: still a bare number
        assert sentiment < 0 and row["sentiment_overall_customer"].startswith("-")


def test_exports_cli_jsonl_keeps_raw_values(hostile: Store, db_url: str, tmp_path: Path) -> None:
    target = tmp_path / "calls.jsonl"
    result = CliRunner().invoke(cli_app, ["--db", db_url, "export", "--format", "jsonl", "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert '"queue": "=HYPERLINK(' in text and f'"agent_id": "{MINUS_AGENT}"' in text


@pytest.mark.parametrize("text", ["=1+1", "+1555", "-ana", "@SUM(1+1)", "\t=1", "\rcmd", HYPERLINK])
def test_csvcell_neutralises_each_formula_start(text: str) -> None:
    assert text[0] in FORMULA_STARTS
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["billing", "a.rivera", "", "1+1", "x=1", "'quoted", " =1", "Zoë", "2026-11-01"])
def test_csvcell_keeps_safe_strings(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-0.5, -3, 0, 12.5, None, True])
def test_csvcell_keeps_numbers_and_empties(value: object) -> None:
    assert safe_cell(value) is value


@pytest.mark.parametrize("row", [{"id": "c1", "queue": HYPERLINK, "score": -0.5, "team": None}])
def test_csvcell_safe_row(row: dict[str, object]) -> None:
    assert safe_row(row) == {"id": "c1", "queue": "'" + HYPERLINK, "score": -0.5, "team": None}
