"""The bundled sample calls: rebuilt from their hand-written source, varied, and correctly read."""

from __future__ import annotations

import filecmp
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from scripts.build_samples import ROOT, build, parse_source

from heard.ingest import read_path
from heard.ingest.base import OutcomeRecord
from heard.model import Call, Role
from heard.runners.importer import import_paths
from heard.runners.local import analyse_and_store
from heard.samples import CALLS_DIR, GOLD_BEHAVIOURS, OUTCOMES_CSV, SAMPLES_DIR
from heard.store import Store
from heard.team.promises import broken_promises, customer_of, history, open_promises

BEHAVIOURS = {"acknowledge_emotion", "mirror_paraphrase", "clarifying_question", "explain_why", "summarise_goal",
              "next_steps", "reassurance", "confidence_check", "empathy_opportunity", "robotic_empathy"}
# (earlier call, the same customer's later call): promises kept, broken, and a new one still open.
RETURNING = [("dc-06", "rc-01"), ("be-03", "rc-02"), ("al-03", "rc-03")]


@pytest.fixture(scope="module")
def source() -> dict[str, dict]:
    return {c["id"]: c for p in sorted((ROOT / "samples").glob("*.txt")) for c in parse_source(p.read_text("utf-8"))}


@pytest.fixture(scope="module")
def calls() -> dict[str, Call]:
    found = {}
    for path in sorted(CALLS_DIR.iterdir()):
        (call,) = read_path(path)
        assert isinstance(call, Call), call
        found[call.id] = call
    return found


def test_samples_bundled_files_match_their_source(tmp_path: Path) -> None:
    build(tmp_path)
    compare = filecmp.dircmp(tmp_path / "calls", CALLS_DIR)
    assert not (compare.left_only or compare.right_only or compare.diff_files), "run `make samples`"
    for name in ("outcomes.csv", "gold/behaviours.jsonl"):
        assert (tmp_path / name).read_bytes() == (SAMPLES_DIR / name).read_bytes(), "run `make samples`"


def test_samples_cover_reasons_agents_teams_formats_and_styles(calls: dict[str, Call], source: dict) -> None:
    assert len(calls) >= 40
    rows = [r for r in read_path(OUTCOMES_CSV) if isinstance(r, OutcomeRecord)]
    assert {r.call_id for r in rows} == set(calls)
    assert len({r.fields["reason"] for r in rows}) >= 6
    agents_by_team = Counter((r.fields["team"], r.fields["agent_id"]) for r in rows)
    assert len(agents_by_team) >= 6 and len({team for team, _ in agents_by_team}) == 2
    assert len({c.source_format for c in calls.values()}) >= 3
    assert {c["style"] for c in source.values()} == {"genuine", "scripted", "absent", "not_needed"}
    assert all(r.outcome is not None and r.outcome.csat for r in rows)
    assert sum(1 for r in rows if r.outcome and r.outcome.survey_comment) == len(rows)


def test_samples_have_times_overlaps_and_silences(calls: dict[str, Call]) -> None:
    assert all(c.has_turn_times for c in calls.values())
    overlaps = silences = 0
    for c in calls.values():
        for before, after in zip(c.turns, c.turns[1:], strict=False):
            assert before.end is not None and after.start is not None
            overlaps += after.start < before.end
            silences += after.start - before.end >= 3.0
    assert overlaps >= 3 and silences >= 20


def test_samples_speaker_roles_are_right_in_every_format(calls: dict[str, Call], source: dict) -> None:
    for call_id, call in calls.items():
        expected = [Role.AGENT if who == "A" else Role.CUSTOMER for who, _ in source[call_id]["turns"]]
        assert [t.speaker for t in call.turns] == expected, f"{call_id} ({call.source_format})"


def test_samples_gold_spans_point_at_the_right_words(calls: dict[str, Call]) -> None:
    lines = [json.loads(line) for line in GOLD_BEHAVIOURS.read_text().splitlines()]
    labelled = lines[0]["labelled_calls"]
    labels = lines[1:]
    assert len(labelled) >= 5 and len(labels) >= 50
    for label in labels:
        assert label["behaviour"] in BEHAVIOURS
        turn = calls[label["call_id"]].turns[label["turn"]]
        start, end = label["span"]
        assert turn.text[start:end] == label["text"]
        role = Role.CUSTOMER if label["behaviour"] == "empathy_opportunity" else Role.AGENT
        assert turn.speaker is role, label
    assert {label["behaviour"] for label in labels} == BEHAVIOURS


@pytest.mark.parametrize("today", [date(2026, 11, 8)])
def test_samples_returning_customers_have_kept_broken_and_open_promises(tmp_path: Path, today: date) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'samples.db'}")
    import_paths(store, [CALLS_DIR, OUTCOMES_CSV])
    stored = {c.id: c for c in store.iter_calls()}
    list(analyse_and_store(store, stored.values(), only=["promises"]))
    customers = Counter(customer_of(c) for c in stored.values())
    assert None not in customers and len(customers) == len(stored) - 3
    assert [(customer_of(stored[first]), customer_of(stored[later])) for first, later in RETURNING] == [
        ("c-1006", "c-1006"), ("c-1009", "c-1009"), ("c-1039", "c-1039")]

    kept = history(store, "c-1006", today=today)
    assert {(p.call_id, p.label, p.status, p.settled_by) for c in kept.calls for p in c.promises} == {
        ("dc-06", "refund", "kept", "rc-01"), ("dc-06", "send", "kept", "rc-01")}
    broken = history(store, "c-1009", today=today).broken
    assert [(p.call_id, p.label, p.due, p.settled_by) for p in broken] == [("be-03", "email", "2026-10-12", "rc-02")]
    assert ("be-03", "email") in {(p.call_id, p.label) for p in broken_promises(store, None, today=today)}
    assert [(p.call_id, p.label, p.due) for p in open_promises(store, "c-1039", today=today)] == [
        ("rc-03", "callback", None)]
    store.close()
