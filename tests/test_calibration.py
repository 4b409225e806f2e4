"""Calibration sessions on SQLite and PostgreSQL: blind scoring, results with agreement per item and the machine as
one more rater, splits with their calls and turns, guidance next to the item, calibration never touching scores,
grading the grader, the drift alarm, the CLI and the pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from heard.auth.accounts import SYSTEM, add_user, authenticate
from heard.cli import app as cli
from heard.review import calibration
from heard.review.agreement import measure
from heard.scorecards import definition
from heard.store import Store
from heard.web.app import create_app
from heard.web.views import score_of
from tests.web_world import PASSWORD

CALLS = ["n-ana-1", "n-ben-1", "s-kim-1"]


def who(store: Store, username: str) -> Any:
    user = authenticate(store, username, PASSWORD)
    assert user is not None
    return user


def machine_answers(store: Store, session: calibration.Session) -> dict[tuple[str, str], str]:
    found = {}
    for call_id in session.calls:
        score = score_of(store, call_id)
        assert score is not None
        for a in score["automatic"]["answers"]:
            value = "na" if a["na"] or a["answer"] is None else (
                a["answer"] if isinstance(a["answer"], str) else f"{a['answer']:g}")
            found[(call_id, a["item"])] = value
    return found


def answer_all(store: Store, session: calibration.Session, username: str,
               changes: dict[tuple[str, str], tuple[str, int | None]] | None = None) -> None:
    """The machine's answers, except where `changes` says otherwise (with the turn pointed at)."""
    user = who(store, username)
    for (call_id, item), value in machine_answers(store, session).items():
        given, turn = (changes or {}).get((call_id, item), (value, None))
        calibration.answer(store, user, session.id, call_id, item, given, turn=turn,
                           comment="heard them out first" if turn is not None else None)


def test_blind_session_results_and_guidance(world: Store) -> None:
    add_user(world, "sam2", PASSWORD, "qa")          # a second QA evaluator
    before = {c: score_of(world, c)["final"] for c in CALLS}  # type: ignore[index]
    quinn, nora, ada = who(world, "quinn"), who(world, "nora"), who(world, "ada")
    with pytest.raises(calibration.CalibrationError, match="cannot see"):
        calibration.create(world, quinn, "mixed teams", CALLS, ["quinn", "nora"], expert="ada")
    session = calibration.create(world, quinn, "November: acknowledgement", CALLS, ["quinn", "sam2"], expert="ada")
    assert set(session.raters) == {"quinn", "sam2", "ada"} and session.expert == "ada"
    assert [s.id for s in calibration.sessions_of(world, who(world, "sam2"))] == [session.id]
    with pytest.raises(calibration.CalibrationError):
        calibration.get(world, nora, session.id)                       # not hers: not even visible

    answer_all(world, session, "quinn")
    # Blind: quinn's sheet holds only quinn's answers; the results stay closed until quinn submits.
    assert calibration.my_sheet(world, quinn, session.id)["missing"] == []
    sam_sheet = calibration.my_sheet(world, who(world, "sam2"), session.id)
    assert sam_sheet["answers"] == {} and len(sam_sheet["missing"]) == len(CALLS) * 17
    with pytest.raises(calibration.NotAllowed, match="blind"):
        calibration.results(world, quinn, session.id)
    with pytest.raises(calibration.CalibrationError, match="missing"):
        calibration.submit(world, who(world, "sam2"), session.id)
    calibration.submit(world, quinn, session.id)
    early = calibration.results(world, quinn, session.id)
    assert early["submitted"] == ["quinn"]                            # sam and ada's drafts never show

    split = {("n-ben-1", "early_acknowledgement"): ("yes", 2), ("s-kim-1", "resolved"): ("no", 5)}
    answer_all(world, session, "sam2", split)
    answer_all(world, session, "ada", {("n-ben-1", "early_acknowledgement"): ("yes", 2)})
    calibration.submit(world, who(world, "sam2"), session.id)
    calibration.submit(world, ada, session.id)
    with pytest.raises(calibration.CalibrationError, match="final"):
        calibration.answer(world, quinn, session.id, "n-ana-1", "resolved", "no")

    found = calibration.results(world, quinn, session.id)
    items = {i["item"]: i for i in found["items"]}
    ack = items["early_acknowledgement"]
    assert [s["call_id"] for s in ack["splits"]] == ["n-ben-1"]
    assert ack["splits"][0]["answers"] == {"ada": "yes", "quinn": "no", "sam2": "yes"}
    assert 2 in ack["splits"][0]["turns"] and ack["splits"][0]["machine"] == "no"
    # heard agrees with quinn, the expert and sam do not: heard sits with the minority on this item.
    assert ack["with_machine"]["to_expert"]["heard"]["agreement"] == pytest.approx(2 / 3, abs=1e-3)
    assert ack["humans"]["exact"] == pytest.approx(measure(
        {"quinn": {"n-ana-1": "yes", "n-ben-1": "no", "s-kim-1": "yes"},
         "sam2": {"n-ana-1": "yes", "n-ben-1": "yes", "s-kim-1": "yes"},
         "ada": {"n-ana-1": "yes", "n-ben-1": "yes", "s-kim-1": "yes"}}).exact, abs=1e-3)
    assert items["calm_at_end"]["splits"] == []
    assert found["overall"]["humans"]["most_lenient"] == "sam2" or found["overall"]["humans"]["strictest"] == "sam2"

    calibration.agree(world, quinn, session.id, "early_acknowledgement",
                      "A feeling named back in the customer's words counts; 'sorry for the inconvenience' alone does "
                      "not.", agreed_answer="yes", call_id="n-ben-1")
    with pytest.raises(calibration.CalibrationError, match="no calibration session"):
        calibration.agree(world, nora, session.id, "resolved", "x")     # a lead outside the session
    notes = calibration.guidance(world, "empathy_balanced")["early_acknowledgement"]
    assert notes[0]["agreed_answer"] == "yes" and "customer's words" in notes[0]["note"]
    # Calibration answers never count toward an agent's score.
    assert {c: score_of(world, c)["final"] for c in CALLS} == before  # type: ignore[index]


def test_grading_the_grader(world: Store) -> None:
    quinn = who(world, "quinn")
    session = calibration.create(world, quinn, "grader", CALLS[:2], ["quinn", "ada"])
    answer_all(world, session, "quinn", {("n-ana-1", "calm_at_end"): ("no", None)})
    answer_all(world, session, "ada")
    calibration.submit(world, quinn, session.id)
    calibration.submit(world, who(world, "ada"), session.id)
    ev = TestClient(create_app(world, secret="s"))
    r = ev.post("/api/session", json={"username": "quinn", "password": PASSWORD})
    ev.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    started = ev.post("/api/calls/n-ana-2/evaluations").json()
    eid = started["id"]
    confirm = next(a for a in started["automatic"]["answers"] if a["item"] != "calm_at_end" and a["answer"] in
                   ("yes", "no") and not a["pending"])
    ev.put(f"/api/evaluations/{eid}/items/resolved", json={"answer": "no", "comment": "not fixed yet"})  # manual
    ev.put(f"/api/evaluations/{eid}/items/calm_at_end", json={"answer": "no", "comment": "ended tense"})  # override
    ev.put(f"/api/evaluations/{eid}/items/{confirm['item']}", json={"answer": confirm["answer"]})      # confirm
    assert ev.post(f"/api/evaluations/{eid}/submit").status_code == 200
    graded = calibration.grader(world, "quinn")
    total = sum(v != "na" for v in machine_answers(world, session).values())   # "na" is not an answer compared
    assert graded["sessions"][0]["alignment"] == pytest.approx((total - 1) / total)
    assert graded["evaluations"] == 1 and graded["median_minutes"] is not None
    assert graded["override_rate"] == pytest.approx(1 / 2) and graded["automatic_items_answered"] == 2
    sentence = calibration.last_alignment_sentence(world, "quinn")
    assert sentence is not None and f"{(total - 1) / total:.0%}" in sentence
    # The agent sees it on the evaluation of her call.
    ana = TestClient(create_app(world, secret="s"))
    ana.post("/api/session", json={"username": "ana", "password": PASSWORD})
    assert sentence in ana.get(f"/evaluations/{eid}").text.replace("&#39;", "'")


def test_drift_warns_before_scores_change(world: Store, tmp_path: Path) -> None:
    old = definition.DEFAULT
    data = yaml.safe_load(old.read_text(encoding="utf-8"))
    for section in data["sections"]:
        for item in section["items"]:
            if item["id"] == "calm_at_end":     # a new version that is much harder to earn
                item["source"] = {"when": {"rule": "customer_frustrated_at_end"}}   # the opposite of before
    new = tmp_path / "stricter.yaml"
    new.write_text(yaml.safe_dump(data), encoding="utf-8")
    stored = {c: score_of(world, c)["final"] for c in CALLS}  # type: ignore[index]
    found = calibration.drift(world, definition.load(old), definition.load(new), threshold=0.2)
    rows = {r["item"]: r for r in found["items"]}
    assert found["calls"] == 5 and found["warnings"] == ["calm_at_end"]
    assert rows["calm_at_end"]["shift"] == pytest.approx(-1.0) and rows["calm_at_end"]["changed_calls"] == 5
    others = [r for r in rows.values() if r["item"] != "calm_at_end"]
    assert all(r["shift"] in (0, None) and r["changed_calls"] == 0 for r in others)
    assert rows["resolved"]["shift"] is None                          # a manual item has no automatic answer
    assert {c: score_of(world, c)["final"] for c in CALLS} == stored       # nothing was re-scored
    url = world.engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke(cli, ["--db", url, "calibrate", "drift", str(old), str(new), "--threshold", "0.2"])
    assert run.exit_code == 1 and "calm_at_end" in run.output and "WARN" in run.output
    same = CliRunner().invoke(cli, ["--db", url, "calibrate", "drift", str(old), str(old)])
    assert same.exit_code == 0, same.output


def test_calibrate_cli(world: Store) -> None:
    url = world.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    made = runner.invoke(cli, ["--db", url, "calibrate", "create", "cli session", "--calls", "n-ana-1,n-ben-1",
                               "--evaluator", "quinn", "--evaluator", "nora", "--lead", "quinn"])
    assert made.exit_code == 0, made.output
    session = calibration.sessions_of(world, SYSTEM)[0]
    answer_all(world, session, "quinn")
    calibration.submit(world, who(world, "quinn"), session.id)
    status = runner.invoke(cli, ["--db", url, "calibrate", "status", str(session.id)])
    assert "quinn: submitted" in status.output and "nora: not submitted yet" in status.output
    answer_all(world, session, "nora", {("n-ana-1", "calm_at_end"): ("no", 4)})
    calibration.submit(world, who(world, "nora"), session.id)
    report = runner.invoke(cli, ["--db", url, "calibrate", "report", str(session.id)])
    said = " ".join(report.output.split())
    assert report.exit_code == 0 and "split on calm_at_end in n-ana-1 turns 1, 3, 4, 5: nora no, quinn yes" in said
    data = json.loads(runner.invoke(cli, ["--db", url, "calibrate", "report", str(session.id), "--json"]).output)
    assert {i["item"] for i in data["split_items"]} == {"calm_at_end"}
    graded = runner.invoke(cli, ["--db", url, "calibrate", "grader", "nora"])
    assert graded.exit_code == 0 and "cli session" in graded.output


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_calibration_pages(world: Store) -> None:
    def login(username: str) -> TestClient:
        c = TestClient(create_app(world, secret="s"))
        assert c.post("/api/session", json={"username": username, "password": PASSWORD}).status_code == 200
        return c

    quinn, ada, ana = login("quinn"), login("ada"), login("ana")
    assert ana.get("/calibration").status_code == 404
    page = quinn.get("/calibration")
    made = quinn.post("/calibration", data={"csrf_token": _csrf(page.text), "name": "pages", "calls": "n-ana-1",
                                            "evaluators": ["quinn", "ada"]})
    session_id = int(made.url.path.split("/")[2])
    sheet = quinn.get(f"/calibration/{session_id}")
    assert "Submit my answers" in sheet.text
    answers = {f"a:{item}": value for (_, item), value in
               machine_answers(world, calibration.get(world, SYSTEM, session_id)).items()}
    quinn.post(f"/calibration/{session_id}/answers", data={"csrf_token": _csrf(sheet.text), "call": "n-ana-1",
                                                           **answers, "t:resolved": "3"})
    done = quinn.post(f"/calibration/{session_id}/submit", data={"csrf_token": _csrf(sheet.text)})
    assert done.url.path.endswith("/results") and "1 of 2 raters submitted" in done.text
    ada_sheet = ada.get(f"/calibration/{session_id}")
    assert "Submit my answers" in ada_sheet.text and "selected" not in ada_sheet.text   # blind: none of quinn's
    assert 'name="t:resolved" inputmode="numeric" value=""' in ada_sheet.text          # answers, nor her turn
    blind = ada.get(f"/api/calibration/{session_id}/results")       # ada rates too and has not submitted
    assert blind.status_code == 403 and "blind" in blind.json()["error"]["message"]
    api = quinn.get(f"/api/calibration/{session_id}/results")
    assert api.status_code == 200 and api.json()["submitted"] == ["quinn"]
