"""Scores in the store (SQLite and PostgreSQL): scorecard versions, reviews kept apart from automatic answers,
retroactive and incremental rules, reports and the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.cli import app
from heard.model import Call, Role, Turn
from heard.scorecards import definition, rules
from heard.scorecards.definition import Scorecard
from heard.scorecards.report import summarise
from heard.scorecards.rules import RuleSet
from heard.scorecards.service import (
    apply_rules,
    latest_scores,
    list_cards,
    register,
    review_item,
    score_stored,
    stored_card,
)
from heard.store import Store

A, C = Role.AGENT, Role.CUSTOMER
ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due. Let me check."
CANNED = "I understand your frustration."
VERIFY = "Can I confirm your date of birth first?"
REFUND = "I've refunded the duplicate and your bank will show it within two working days."
MANAGER = "I want to speak to a manager."


def call(call_id: str, agent: str, team: str, *lines: str, customer_last: str = "Okay, thanks.") -> Call:
    turns = [Turn(speaker=A, start=0.0, end=3.0, text="Northwind, this call may be recorded. How can I help?"),
             Turn(speaker=C, start=3.5, end=9.0, text="I was charged twice and my rent is due Friday, I'm worried.")]
    t = 9.5
    for text in lines:
        turns += [Turn(speaker=A, start=t, end=t + 4.0, text=text),
                  Turn(speaker=C, start=t + 4.5, end=t + 6.0, text=customer_last)]
        t += 7.0
    return Call(id=call_id, agent_id=agent, team=team, queue="billing", turns=turns)


CALLS = [
    call("good-1", "ana", "north", ACKNOWLEDGE, VERIFY, REFUND),
    call("good-2", "ana", "north", ACKNOWLEDGE, VERIFY, REFUND),
    call("canned-1", "joe", "north", CANNED, VERIFY, REFUND, CANNED),
    call("nocheck-1", "kim", "south", ACKNOWLEDGE, REFUND, customer_last=MANAGER),
]


@pytest.fixture
def filled(store: Store) -> Store:
    for c in CALLS:
        store.add_call(c)
    return store


def edited(card: Scorecard, **changes: object) -> Scorecard:
    data = card.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.update(changes)
    return Scorecard.model_validate(data)


def test_scorecard_versions_are_immutable_once_used(filled: Store) -> None:
    card, ruleset = definition.load(), rules.load()
    first = register(filled, card)
    assert (first.version, first.status) == (1, "new")
    assert register(filled, card).status == "same"
    # Not used yet: an edit replaces version 1 in place.
    retitled = edited(card, title="Empathy-balanced (draft)")
    assert (register(filled, retitled).version, register(filled, retitled).status) == (1, "same")
    scored = list(score_stored(filled, retitled, ruleset))
    assert all(s.result is not None for s in scored)
    # Used: an edit makes version 2, and version 1 keeps its definition and its scores.
    stricter = edited(retitled, thresholds={"needs_improvement_below": 75, "exceeds_at": 95})
    second = register(filled, stricter)
    assert (second.version, second.status) == (2, "new_version")
    _, _, old = stored_card(filled, card.name, 1)
    assert old.thresholds.needs_improvement_below == 60
    assert len(latest_scores(filled, card.name, 1)) == len(CALLS)
    assert latest_scores(filled, card.name, 2) == []
    list(score_stored(filled, stricter, ruleset, ["good-1"]))
    rows = latest_scores(filled, card.name)
    assert [r["call_id"] for r in rows] == ["good-1"] and rows[0]["version"] == 2
    # Going back to an older definition finds its version instead of making a third.
    assert register(filled, retitled).version == 1
    assert {(c["version"], c["scores"]) for c in list_cards(filled)} == {(1, len(CALLS)), (2, 1)}


def test_scores_record_versions_and_keep_reviews_apart(filled: Store) -> None:
    card, ruleset = definition.load(), rules.load()
    results = {s.call_id: s.result for s in score_stored(filled, card, ruleset)}
    assert results["nocheck-1"] is not None and results["nocheck-1"].auto_failed   # refund without an ID check
    row = next(r for r in latest_scores(filled, card.name) if r["call_id"] == "canned-1")
    assert row["analysers"]["empathy"] >= 2 and row["version"] == 1
    before = row["automatic"].total
    review_item(filled, "canned-1", card.name, "no_robotic_empathy", "yes", comment="warm overall", reviewer="qa.lee")
    final = review_item(filled, "canned-1", card.name, "resolved", "yes", comment=None, reviewer="qa.lee")
    row = next(r for r in latest_scores(filled, card.name) if r["call_id"] == "canned-1")
    assert row["automatic"].total == before                       # the automatic score never changes
    assert row["final"].total == final.total and final.total != before
    assert row["review"]["no_robotic_empathy"]["reviewer"] == "qa.lee"
    # Re-scoring (e.g. after a rule change) keeps the evaluator's answers.
    list(score_stored(filled, card, ruleset, ["canned-1"]))
    row = next(r for r in latest_scores(filled, card.name) if r["call_id"] == "canned-1")
    assert row["final"].total == final.total
    summary = {s["agent"]: s for s in summarise(latest_scores(filled, card.name), card)}
    assert summary["joe"]["reviewed_items"] == 1 and summary["joe"]["overridden_items"] == 1
    assert summary["kim"]["auto_fails"] == 1 and summary["kim"]["score"] == 0.0
    assert summary["ana"]["score"] > summary["joe"]["score"]
    assert summary["joe"]["weakest"][0]["rate"] == 0.0


def test_rules_apply_retroactively_and_incrementally(filled: Store) -> None:
    ruleset = rules.load()
    first = apply_rules(filled, ruleset)
    assert first.evaluated == len(CALLS) * len(ruleset.rules) and first.unchanged == 0
    assert first.matched["manager_request"] == 1 and first.matched["identity_verification"] == 3
    again = apply_rules(filled, ruleset)
    assert again.evaluated == 0 and again.unchanged == len(CALLS) * len(ruleset.rules)
    assert again.matched == first.matched
    # A new rule, added later, applies to calls already stored; the others are not re-evaluated.
    extra = RuleSet(rules=[*ruleset.rules, rules.Rule.model_validate(
        {"name": "mentions_rent", "when": {"phrase": {"party": "customer", "any": ["rent"]}}})])
    third = apply_rules(filled, extra)
    assert third.evaluated == len(CALLS) and third.matched["mentions_rent"] == len(CALLS)
    # A call whose content changes is re-evaluated, the rest are not.
    filled.add_call(call("good-2", "ana", "north", ACKNOWLEDGE, REFUND), replace=True)
    fourth = apply_rules(filled, extra)
    assert fourth.evaluated == len(extra.rules) and fourth.matched["identity_verification"] == 2


def test_cli_score_review_report_and_export(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    files = tmp_path / "calls.jsonl"
    files.write_text("\n".join(c.model_dump_json() for c in CALLS) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["--db", db_url, "import", str(files)]).exit_code == 0
    table = runner.invoke(app, ["--db", db_url, "score"])
    assert table.exit_code == 0, table.output
    assert "4 call(s) scored (stored as empathy_balanced v1)" in " ".join(table.output.split())
    one = " ".join(runner.invoke(app, ["--db", db_url, "score", "nocheck-1"]).output.split())
    assert "AUTO-FAIL identity_verification" in one and "Open for an evaluator: resolved" in one
    assert 'turn 2 0:09: "That sounds really stressful' in one
    review = runner.invoke(app, ["--db", db_url, "review", "canned-1", "resolved", "yes", "-m", "refund done"])
    assert review.exit_code == 0, review.output
    bad = runner.invoke(app, ["--db", db_url, "review", "canned-1", "resolved", "perhaps"])
    assert bad.exit_code == 2 and "use yes or no" in bad.output
    out_csv = tmp_path / "scores.csv"
    report = runner.invoke(app, ["--db", db_url, "report", "--export", str(out_csv)])
    assert report.exit_code == 0, report.output
    assert "Weakest items" in report.output and "kim" in report.output
    with out_csv.open(encoding="utf-8") as fh:
        rows = {r["call_id"]: r for r in csv.DictReader(fh)}
    assert rows["canned-1"]["item_resolved"] == "yes" and rows["nocheck-1"]["auto_failed"] == "True"
    assert "Item rates" in report.output and "identity_verification" in report.output
    out_parquet = tmp_path / "scores.parquet"
    by_team = runner.invoke(app, ["--db", db_url, "report", "--by", "team", "--export", str(out_parquet)])
    assert by_team.exit_code == 0, by_team.output
    import pyarrow.parquet as pq

    table = pq.read_table(out_parquet).to_pylist()
    assert {r["call_id"] for r in table} == {c.id for c in CALLS}
    assert {r["team"] for r in table} == {"north", "south"}
    applied = runner.invoke(app, ["--db", db_url, "rules", "apply"])
    assert applied.exit_code == 0 and "32 rule result(s) evaluated" in " ".join(applied.output.split())
    matches = runner.invoke(app, ["--db", db_url, "rules", "matches", "manager_request"])
    assert "nocheck-1" in matches.output and "1 match(es)" in matches.output


def test_cli_scores_files_without_storing(tmp_path: Path) -> None:
    files = tmp_path / "calls.jsonl"
    files.write_text("\n".join(c.model_dump_json() for c in CALLS[:2]) + "\n", encoding="utf-8")
    db = tmp_path / "untouched.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", "score", str(files), "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 2 and '"total"' in lines[0]
    assert not db.exists()


def test_demo_prints_the_scorecard_table() -> None:
    result = CliRunner().invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # 45 sample transcripts and the recorded sample call
    assert "Scorecard empathy_balanced: automatic answers, 46 calls" in text and "Weakest items" in text


def _scored(runner: CliRunner, db: str, *options: str) -> list[dict[str, object]]:
    import json

    result = runner.invoke(app, ["--db", db, "score", "--json", *options])
    assert result.exit_code == 0, result.output
    return sorted((json.loads(line) for line in result.output.splitlines() if line.startswith("{")),
                  key=lambda r: str(r["call_id"]))


def test_cli_score_analyses_missing_calls_on_the_local_engine_alike(db_url: str, tmp_path: Path) -> None:
    """`heard score --engine local --workers 2` analyses the unanalysed calls in worker processes (stored), and
    scores them exactly as scoring in this process does."""
    runner = CliRunner()
    files = tmp_path / "calls.jsonl"
    files.write_text("\n".join(c.model_dump_json() for c in CALLS) + "\n", encoding="utf-8")
    single = f"sqlite:///{tmp_path / 'single.db'}"
    for db in (db_url, single):
        assert runner.invoke(app, ["--db", db, "import", str(files)]).exit_code == 0
    pooled = _scored(runner, db_url, "--engine", "local", "--workers", "2")
    alone = _scored(runner, single, "--workers", "1")
    assert len(pooled) == len(CALLS) and pooled == alone
    with Store.open(db_url) as store:
        assert store.analysed_call_ids([c.id for c in CALLS]) == {c.id for c in CALLS}
    wrong = runner.invoke(app, ["--db", db_url, "score", "--address", "auto"])
    assert wrong.exit_code != 0 and "--engine ray" in wrong.output
