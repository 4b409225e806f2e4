"""Emotional load (heard.team.load): runs of heavy calls, the share, the kind suggestion for the lead, and who sees
whose days, on hand-built calls whose customers say heavy things (analysed and stored, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from heard.auth.accounts import User, UserRole
from heard.model import Call, Role, Turn
from heard.runners.local import analyse_and_store
from heard.store import Store
from heard.team import load
from heard.team.load import CallLoad, DayLoad, day_loads, suggestion

A, C = Role.AGENT, Role.CUSTOMER
GREETING = "Thanks for calling Northwind, how can I help?"
QUIET = "Hi, I'd like to update my address please."
# One named customer sentence per heavy label.
HEAVY = {"bereavement": "my husband passed away last week and the account is in his name",
         "distress": "sorry i'm crying i just can't cope with all this",
         "abuse": "you're a useless idiot just sort it out",
         "threat": "i know where your office is"}
DAY = date(2026, 11, 3)   # a Tuesday


def load_call(call_id: str, agent: str, team: str, at: datetime, line: str | None) -> Call:
    """A short call where the customer says `line` (a heavy sentence), or asks to update an address (None)."""
    turns = [Turn(speaker=A, start=0.0, end=3.0, text=GREETING),
             Turn(speaker=C, start=3.5, end=8.0, text=line or QUIET),
             Turn(speaker=A, start=8.5, end=12.0, text="Of course, I can help with that. Let me have a look."),
             Turn(speaker=C, start=12.5, end=14.0, text="Okay, thank you.")]
    return Call(id=call_id, agent_id=agent, team=team, turns=turns, started_at=at)


def day_of_calls(day: date) -> list[Call]:
    """ana (north): four heavy calls in a row then a quiet one; ben (north): one heavy call and two quiet ones, and a
    quiet call the day before; kim (south): three heavy calls in a row."""
    at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    ana = [HEAVY["bereavement"], HEAVY["distress"], HEAVY["abuse"], HEAVY["threat"], None]
    out = [load_call(f"ana-{i}", "ana", "north", at + timedelta(minutes=20 * i), line) for i, line in enumerate(ana)]
    out += [load_call(f"ben-{i}", "ben", "north", at + timedelta(minutes=30 * i), line)
            for i, line in enumerate([HEAVY["distress"], None, None])]
    out.append(load_call("ben-old", "ben", "north", at - timedelta(days=1), None))
    out += [load_call(f"kim-{i}", "kim", "south", at + timedelta(minutes=15 * i), HEAVY["abuse"]) for i in range(3)]
    return out


def build(store: Store, day: date) -> None:
    for c in day_of_calls(day):
        store.add_call(c)
    list(analyse_and_store(store, store.iter_calls()))


LEAD = User(1, "nora", "Nora", UserRole.LEAD, None, "north")
AGENT = User(2, "ben", "Ben", UserRole.AGENT, "ben", "north")
QA = User(3, "quinn", "Quinn", UserRole.QA, None, None)


def _calls(*heavy: bool | None, agent: str = "ana") -> list[CallLoad]:
    start = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    return [CallLoad(f"c{i}", agent, start + timedelta(minutes=10 * i), h, ("abuse",) if h else ())
            for i, h in enumerate(heavy)]


@pytest.mark.parametrize(("heavy", "run"), [
    pytest.param((True, True, False, True, True, True), 3, id="three_after_a_break"),
    pytest.param((True, None, True), 1, id="unknown_breaks_a_run"),
    pytest.param((False, False), 0, id="none_heavy"),
])
def test_load_longest_run(heavy: tuple[bool | None, ...], run: int) -> None:
    (d,) = day_loads(_calls(*heavy))
    assert d.longest_run == run


def test_load_runs_follow_start_time_not_input_order() -> None:
    calls = _calls(True, False, True, True)
    (d,) = day_loads([calls[2], calls[0], calls[3], calls[1]])
    assert d.longest_run == 2 and d.run_last_at == calls[3].started_at


def test_load_share_leaves_out_unanalysed_calls() -> None:
    (d,) = day_loads(_calls(True, False, None, None))
    assert (d.calls, d.heavy, d.unknown, d.share) == (4, 1, 2, 0.5)
    assert d.reasons == {"abuse": 1}


def test_load_days_split_by_agent_and_utc_day() -> None:
    late = CallLoad("late", "ana", datetime(2026, 11, 3, 23, 30, tzinfo=UTC), True)
    next_day = CallLoad("next", "ana", datetime(2026, 11, 4, 0, 30, tzinfo=UTC), True)
    other = CallLoad("ben", "ben", datetime(2026, 11, 3, 23, 45, tzinfo=UTC), True)
    got = [(d.agent_id, d.day, d.longest_run) for d in day_loads([next_day, other, late])]
    assert got == [("ana", date(2026, 11, 3), 1), ("ana", date(2026, 11, 4), 1), ("ben", date(2026, 11, 3), 1)]


@pytest.mark.parametrize(("heavy", "fires"), [
    pytest.param((True, True, True), True, id="three_in_a_row"),
    pytest.param((True, True, False), False, id="two_in_a_row"),
    pytest.param((True, False, True, False, False), True, id="share_40_over_5"),
    pytest.param((True, False, True, False), False, id="share_50_over_4_too_few"),
    pytest.param((True, False, False, True, False, False), False, id="share_33"),
])
def test_load_suggestion_thresholds(heavy: tuple[bool, ...], fires: bool) -> None:
    (d,) = day_loads(_calls(*heavy))
    assert (d.suggestion is not None) is fires


def test_load_suggestion_is_kind_and_about_the_calls() -> None:
    (d,) = day_loads(_calls(True, True, True, False))
    text = suggestion(d)
    assert text is not None
    assert text.startswith("On Tue 3 Nov, ana took 3 heavy calls in a row (the last at 09:20 UTC), including abuse.")
    assert "Consider 10 minutes off the phones after a run like that; a check-in" in text
    for judging in ("should", "failed", "poor", "struggl", "stressed", "upset", "angry", "sad"):
        assert judging not in text.lower()


def test_load_suggestion_for_share_names_the_heavy_stretch() -> None:
    d = DayLoad("ana", DAY, calls=5, heavy=2, longest_run=1, reasons={"distress": 2})
    assert suggestion(d) == ("On Tue 3 Nov, 2 of the 5 calls ana took were heavy, including distress. That is a lot to "
                             "carry. "
                             "Consider 10 minutes off the phones after the heaviest stretch; a check-in to ask how "
                             "the day went and whether anything would help.")


@pytest.mark.parametrize(("value", "days"), [("14", 14), ("0", 1), ("-3", 1), ("1000", 90), ("x", 14), (None, 14)])
def test_load_bounded_days(value: str | None, days: int) -> None:
    assert load.bounded_days(value) == days


def test_load_from_the_store_is_scoped(store: Store) -> None:
    build(store, DAY)
    lead = load.load(store, LEAD, 14, today=DAY)
    assert [a.agent_id for a in lead.agents] == ["ana", "ben"]
    ana = lead.agents[0]
    (d,) = ana.days
    assert (d.calls, d.heavy, d.longest_run) == (5, 4, 4)
    assert {"bereavement", "distress", "abuse", "threat"} <= set(d.reasons)
    assert [s.agent_id for s in lead.suggestions] == ["ana"]
    assert "ana took 4 heavy calls in a row (the last at 10:00 UTC); 4 of their 5 calls were heavy" in (
        lead.suggestions[0].suggestion or "")
    ben = lead.agents[1]
    assert [(x.day, x.calls, x.heavy) for x in ben.days] == [(DAY - timedelta(days=1), 1, 0), (DAY, 3, 1)]
    assert lead.days[0] == DAY - timedelta(days=13) and lead.days[-1] == DAY

    mine = load.load(store, AGENT, 14, today=DAY)
    assert [a.agent_id for a in mine.agents] == ["ben"] and mine.suggestions == []
    everyone = load.load(store, QA, 14, today=DAY)
    assert [a.agent_id for a in everyone.agents] == ["ana", "ben", "kim"]
    assert [s.agent_id for s in everyone.suggestions] == ["kim", "ana"]
    assert load.load(store, QA, 1, today=DAY - timedelta(days=1)).agents[0].agent_id == "ben"
    assert load.load(store, QA, 14, today=DAY - timedelta(days=2)).agents == []


def test_load_past_max_agents_asks_for_a_team_then_draws_it(store: Store) -> None:
    build(store, DAY)
    everyone = load.load(store, QA, 14, today=DAY, max_agents=2)
    assert (everyone.agents, everyone.suggestions, everyone.too_many, everyone.teams) == ([], [], 3, ["north", "south"])
    assert load.load(store, LEAD, 14, today=DAY, max_agents=1).too_many == 0   # a lead's team is always drawn
    north = load.load(store, QA, 14, today=DAY, max_agents=2, team="north")
    lead = load.load(store, LEAD, 14, today=DAY)   # the north lead
    assert north.too_many == 0 and north.team == "north"
    assert [(a.agent_id, a.calls, a.heavy, a.longest_run) for a in north.agents] == [
        (a.agent_id, a.calls, a.heavy, a.longest_run) for a in lead.agents]
    assert [s.suggestion for s in north.suggestions] == [s.suggestion for s in lead.suggestions]
