"""Coaching plans and sessions on SQLite and PostgreSQL: the focus choice, moments (missed vs best, from the agent's
own calls only), better replies built on the customer's words, the progress rule, sessions with the agent's part
and acknowledgement, overdue follow-ups, and the before/after effect with its interval."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.proportion import confint_proportions_2indep  # type: ignore[import-untyped]
from typer.testing import CliRunner

from heard.auth.accounts import SYSTEM, add_user, authenticate
from heard.cli import app as cli
from heard.coaching import plans
from heard.model import Call, CallAnalysis, Evidence, Finding, Role, Turn
from heard.store import Store
from heard.web.app import create_app

PASSWORD = "correct-horse-battery"
TODAY = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
WORRY = "My card was declined at the pharmacy and I'm really worried about my prescription."


def add(store: Store, call_id: str, agent: str, team: str, days_ago: int, behaviours: list[str], *,
        missed: bool = False, reply: str = "Let me look into that for you.") -> None:
    """A stored call with an analysis that found exactly these behaviours (and a missed opportunity if asked)."""
    turns = [Turn(speaker=Role.AGENT, text="Thanks for calling, how can I help?", start=0.0, end=2.0),
             Turn(speaker=Role.CUSTOMER, text=f"{WORRY} ({call_id})", start=2.5, end=7.0),
             Turn(speaker=Role.AGENT, text=reply, start=7.5, end=10.0),
             Turn(speaker=Role.CUSTOMER, text="Okay, thanks.", start=10.5, end=11.5)]
    call = Call(id=call_id, agent_id=agent, team=team, turns=turns, started_at=TODAY - timedelta(days=days_ago))
    store.add_call(call)
    confidence = 0.6 + 0.01 * (sum(map(ord, call_id)) % 30)
    findings = [Finding(kind="behaviour", label=b, analyser="empathy", confidence=confidence,
                        evidence=[Evidence(turn=2, text=reply, time=7.5)]) for b in behaviours]
    if missed:
        findings.append(Finding(kind="opportunity", label="missed", analyser="empathy", confidence=0.9,
                                evidence=[Evidence(turn=1, time=2.5)]))
    store.save_analysis(CallAnalysis(call_id=call_id, content_hash=call.content_hash(), analysers={"empathy": 3},
                                     findings=findings))


@pytest.fixture
def team(store: Store) -> Store:
    """Team north: ana rarely acknowledges (1 of 6 calls) while ben and cy nearly always do; everyone explains
    why equally (so that gap is zero). A south agent with missed moments that must never show up for ana."""
    for i in range(6):
        add(store, f"ana-{i}", "ana", "north", 3 + i, ["explain_why"] + (["acknowledge_emotion"] if i == 0 else []),
            missed=i != 0, reply="I apologise for the inconvenience." if i != 0 else
            "That sounds really worrying, I'm sorry. Let me fix it.")
    for agent in ("ben", "cy"):
        for i in range(6):
            add(store, f"{agent}-{i}", agent, "north", 3 + i, ["explain_why", "acknowledge_emotion"])
    for i in range(3):
        add(store, f"kim-{i}", "kim", "south", 3 + i, [], missed=True)
    add_user(store, "nora", PASSWORD, "lead", team="north")
    add_user(store, "ana", PASSWORD, "agent", agent_id="ana", team="north")
    add_user(store, "ben", PASSWORD, "agent", agent_id="ben", team="north")
    add_user(store, "sam", PASSWORD, "lead", team="south")
    return store


def who(store: Store, username: str) -> Any:
    user = authenticate(store, username, PASSWORD)
    assert user is not None
    return user


def test_focus_is_the_largest_weighted_gap_and_explains_itself(team: Store) -> None:
    focus = plans.choose_focus(team, "ana", "north")
    assert focus.behaviour == "acknowledge_emotion"
    assert focus.agent_rate == pytest.approx(1 / 6) and focus.team_rate == pytest.approx(13 / 18)
    assert focus.gaps["explain_why"] == 0 and focus.gaps["acknowledge_emotion"] == pytest.approx(13 / 18 - 1 / 6,
                                                                                                 abs=1e-4)
    sentence = focus.sentence("ana", "north")
    assert "17% of their calls (6 calls) against 72% for team north (18 calls)" in sentence
    # The weights decide between gaps: weighting explaining far above acknowledging does not change a zero gap,
    # but a coach-supplied weighting that zeroes acknowledgement moves the focus elsewhere.
    zeroed = plans.Weights({**plans.WEIGHTS, "acknowledge_emotion": 0.0})
    other = plans.choose_focus(team, "ana", "north", weights=zeroed)
    assert other.behaviour != "acknowledge_emotion"


def test_moments_are_missed_and_best_from_the_agents_own_calls(team: Store) -> None:
    missed, best = plans.moments(team, "ana", "acknowledge_emotion")
    assert len(missed) == 3 and len(best) == 1
    assert all(m.call_id.startswith("ana-") for m in missed + best)           # never kim's, never ben's
    assert len({m.call_id for m in missed}) == 3                              # three different calls
    assert all(m.customer.startswith(WORRY[:20]) and m.agent == "I apologise for the inconvenience." for m in missed)
    assert best[0].call_id == "ana-0" and "sounds really worrying" in best[0].agent
    assert missed[0].public()["link"] == f"/calls/{missed[0].call_id}#turn-2"
    replies = plans.better_replies("acknowledge_emotion", missed[0].customer)
    assert len(set(replies)) == 3 and all("card was declined" in r.lower() or "pharmacy" in r.lower()
                                          for r in replies)     # built on what this customer said


def test_progress_rule_and_closing(team: Store) -> None:
    nora = who(team, "nora")
    plan = plans.start_plan(team, nora, "ana")
    assert plan["behaviour"] == "acknowledge_emotion" and plan["target"] == pytest.approx(0.72)
    with pytest.raises(plans.CoachingError, match="already has an active plan"):
        plans.start_plan(team, nora, "ana")
    with pytest.raises(plans.CoachingError, match="can see"):
        plans.start_plan(team, who(team, "sam"), "ana")                      # another team's lead
    shown = plans.progress(team, plan)
    assert shown["recent_calls"] == 6 and shown["status"] == "too few calls yet" and not shown["met"]
    with pytest.raises(plans.CoachingError, match="say why"):
        plans.close_plan(team, nora, plan["id"], "")
    # Eight more calls, all acknowledging: 9 of 14 recent calls = 64% < 72%: not met yet.
    for i in range(8):
        add(team, f"ana-new-{i}", "ana", "north", 1, ["acknowledge_emotion"])
    assert plans.progress(team, plan)["status"] == "not yet"
    for i in range(6):
        add(team, f"ana-more-{i}", "ana", "north", 0, ["acknowledge_emotion"])
    now = plans.progress(team, plan)
    assert now["recent_rate"] == pytest.approx(15 / 20) and now["met"] and now["status"] == "target met"
    closed = plans.close_plan(team, nora, plan["id"], "")
    assert closed["state"] == "met"


def test_sessions_acknowledgement_overdue_and_effect(team: Store) -> None:
    nora, ana = who(team, "nora"), who(team, "ana")
    plan = plans.start_plan(team, nora, "ana")
    held = TODAY - timedelta(days=2, hours=12)
    session = plans.log_session(team, nora, plan["id"], notes="Listened to ana-1 together.",
                                action="Name the feeling before the fix.", held_at=held,
                                moments_discussed=[{"call_id": "ana-1", "turn": 2}],
                                follow_up=date.today() - timedelta(days=1))
    with pytest.raises(plans.CoachingError):
        plans.agent_adds(team, who(team, "ben"), session["id"], "not mine")
    done = plans.agent_adds(team, ana, session["id"], "I'll pause after naming it.")
    assert done["agent_action"] == "I'll pause after naming it." and done["acknowledged_at"]
    assert [o["id"] for o in plans.overdue(team, nora)] == [session["id"]]
    assert plans.overdue(team, who(team, "sam")) == []                        # not south's
    effect = plans.effect(team, session)
    assert effect["status"] == "too few calls yet" and effect["after_calls"] == 0
    for i in range(6):                                                        # since the session: 5 of 6
        add(team, f"ana-after-{i}", "ana", "north", 1, ["acknowledge_emotion"] if i else [])
    effect = plans.effect(team, session)
    low, high = confint_proportions_2indep(5, 6, 1, 6, method="newcomb")
    assert effect["before_calls"] == 6 and effect["after_calls"] == 6
    assert effect["difference"] == pytest.approx(5 / 6 - 1 / 6)
    assert (effect["low"], effect["high"]) == (pytest.approx(low), pytest.approx(high))
    assert "+67 points" in effect["sentence"]
    plans.followed_up(team, nora, session["id"])
    assert plans.overdue(team, nora) == []


def test_coach_cli_and_pages(team: Store) -> None:
    url = team.engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(cli, ["--db", url, "coach", "ana", "--start", "nora"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "Coaching ana: acknowledging how the customer feels" in text and "could sound like" in text
    assert plans.active_plan(team, SYSTEM, "ana") is not None

    def login(username: str) -> TestClient:
        c = TestClient(create_app(team, secret="s"))
        assert c.post("/api/session", json={"username": username, "password": PASSWORD}).status_code == 200
        return c

    lead, agent, other = login("nora"), login("ana"), login("ben")
    page = lead.get("/coaching/agents/ana")
    assert page.status_code == 200 and "Moments to work on" in page.text and "Log a 1:1" in page.text
    assert other.get("/coaching/agents/ana").status_code == 404              # another agent's plan
    assert login("sam").get("/coaching/agents/ana").status_code == 404       # another team's lead
    mine = agent.get("/coaching", follow_redirects=True)
    assert mine.url.path == "/coaching/agents/ana" and "Log a 1:1" not in mine.text


def test_feedback_help_on_the_session_page_and_the_api(team: Store) -> None:
    nora = who(team, "nora")
    plan = plans.start_plan(team, nora, "ana")
    session = plans.log_session(team, nora, plan["id"], notes="You never acknowledge customers, you're careless.",
                                action="Do better.")
    lead = TestClient(create_app(team, secret="s"))
    me = lead.post("/api/session", json={"username": "nora", "password": PASSWORD}).json()
    page = lead.get(f"/coaching/sessions/{session['id']}").text
    assert "Feedback help" in page and "label not behaviour" in page and "absolute" in page
    agent = TestClient(create_app(team, secret="s"))
    agent.post("/api/session", json={"username": "ana", "password": PASSWORD})
    assert "Feedback help" not in agent.get(f"/coaching/sessions/{session['id']}").text   # advice is the coach's
    advice = lead.post("/api/feedback/check", headers={"X-CSRF-Token": me["csrf_token"]},
                       json={"text": "You always rush the close."}).json()
    assert "absolute" in {f["kind"] for f in advice["flags"]}
    assert all(len(f["suggestions"]) >= 2 for f in advice["flags"])
