"""Huddle packs and weekly check-ins on SQLite and PostgreSQL: the toughest calls (heavy ones, hardest first, with
why and the moment), the empathy wins (turned around, and comments about feeling heard, patience or kindness),
the discussion questions, who may open a pack, the email text, and check-ins private to a lead and the agent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from heard.auth.accounts import Denied, User, add_user, audit_entries
from heard.model import Call, Outcome, OutcomeRecord, Role, Turn
from heard.runners.local import analyse_and_store
from heard.store import Store
from heard.team import huddle

PASSWORD = "correct-horse-battery"
WEEK = date(2026, 11, 9)          # a Monday
A, C = Role.AGENT, Role.CUSTOMER
HELLO = "Thanks for calling Northwind, how can I help?"
# Named customer lines, one per thing the pack must recognise.
GRIEF = "My husband passed away last month and I need to close his account. I'm struggling with all of it."
ABUSE = "You people are useless idiots, this is a bloody joke."
ABUSE_AGAIN = "Just fix it, I'm sick of this rubbish, I want your manager."
ANGRY = "I'm really angry, you overcharged me again and it's awful."
DELIGHTED = "That's brilliant, thank you so much, really great help!"
PLAIN = "I'd like to update my address please."
HEARD = "She was so patient with me and I really felt heard."
MIXED = "She was kind but she rushed me off the phone."


def call(call_id: str, agent: str, team: str, day: date, customer: list[str], agent_lines: list[str]) -> Call:
    turns = [Turn(speaker=A, text=HELLO, start=0.0, end=3.0)]
    t = 4.0
    for said, reply in zip(customer, agent_lines, strict=True):
        turns += [Turn(speaker=C, text=said, start=t, end=t + 4.0),
                  Turn(speaker=A, text=reply, start=t + 4.5, end=t + 8.0)]
        t += 9.0
    return Call(id=call_id, agent_id=agent, team=team, turns=turns,
                started_at=datetime.combine(day, time(10), tzinfo=UTC))


def calls(monday: date) -> list[Call]:
    """Team north's week from `monday`: a grieving customer (ana), an abusive one (ben), a call that turned around
    (ana) and a calm call (ben); plus a south call that week and a north call the week before."""
    def day(n: int) -> date:
        return monday + timedelta(days=n)

    return [
        call("grief", "ana", "north", day(1), [GRIEF, "Thank you."],
             ["I'm so sorry for your loss. I'll take care of this for you.",
              "It's all done, nothing more for you to do."]),
        call("abuse", "ben", "north", day(2), [ABUSE, ABUSE_AGAIN, "Whatever, this is pathetic."],
             ["I hear how frustrating this is. Let me look.", "I'll sort it now.", "It's fixed."]),
        call("turned", "ana", "north", day(3), [ANGRY, "Okay.", DELIGHTED],
             ["That sounds really stressful, I'd be upset too. Let me fix it.",
              "I've refunded it, you'll see it tomorrow.", "You're welcome."]),
        call("calm", "ben", "north", day(4), [PLAIN, "12 High Street."], ["Of course, what's the new one?", "Done."]),
        call("south-grief", "kim", "south", day(1), [GRIEF], ["I'm so sorry for your loss."]),
        call("last-week", "ana", "north", day(-6), [GRIEF], ["I'm so sorry for your loss."]),
    ]


USERS = (("ana", "agent", "ana", "north"), ("ben", "agent", "ben", "north"), ("kim", "agent", "kim", "south"),
         ("nora", "lead", None, "north"), ("nell", "lead", None, "north"), ("sam", "lead", None, "south"),
         ("quinn", "qa", None, None), ("ada", "admin", None, None))


def build(store: Store, monday: date) -> None:
    """The calls of `calls(monday)` analysed, two survey comments (one warm, one mixed) and one user per part."""
    week = calls(monday)
    for c in week:
        store.add_call(c)
    list(analyse_and_store(store, week))
    store.apply_outcome(OutcomeRecord("calm", {}, Outcome(survey_comment=HEARD)))
    store.apply_outcome(OutcomeRecord("abuse", {}, Outcome(survey_comment=MIXED)))
    for username, role, agent_id, name in USERS:
        add_user(store, username, PASSWORD, role, agent_id=agent_id, team=name)


@pytest.fixture
def team(store: Store) -> Store:
    build(store, WEEK)
    return store


def user(store: Store, username: str) -> User:
    from heard.auth.accounts import find_user

    return find_user(store, username)[0]


def test_huddle_pack_lists_the_toughest_calls_hardest_first(team: Store) -> None:
    p = huddle.pack(team, user(team, "nora"), None, date(2026, 11, 12))     # any day of the week: its Monday
    assert (p.team, p.week_start) == ("north", WEEK)
    assert (p.calls, p.analysed) == (4, 4)
    ids = [t.call_id for t in p.toughest]
    assert "south-grief" not in ids and "last-week" not in ids and "calm" not in ids
    assert ids[:2] == ["grief", "abuse"] or ids[:2] == ["abuse", "grief"]
    grief = next(t for t in p.toughest if t.call_id == "grief")
    assert "bereavement" in grief.labels and "grieving" in grief.why
    assert grief.turn == 1 and grief.link == "/calls/grief#turn-1"          # the customer's words, the moment
    abuse = next(t for t in p.toughest if t.call_id == "abuse")
    assert abuse.escalations > 0 and abuse.why.endswith(".") and len(abuse.why) < 160
    assert p.heavy == len(p.toughest) <= huddle.MAX_TOUGH


def test_huddle_pack_empathy_wins_are_turnarounds_and_warm_comments(team: Store) -> None:
    p = huddle.pack(team, user(team, "nora"), "north", WEEK)
    wins = {w.call_id: w for w in p.empathy_wins}
    assert set(wins) == {"turned", "calm"}                                   # "kind but rushed me" is no win
    assert wins["turned"].kinds == ["turned around"] and "went from" in wins["turned"].why
    assert wins["calm"].quote == HEARD and "felt heard" in wins["calm"].why
    assert p.wins == 2 and p.empathy_wins[0].call_id == "turned"


def test_huddle_questions_add_one_from_the_week_never_naming_feelings(team: Store) -> None:
    p = huddle.pack(team, user(team, "quinn"), "north", WEEK)
    assert p.questions[:3] == list(huddle.QUESTIONS)
    assert p.questions[3] == "One customer this week was grieving — how did that call feel?"
    assert len(p.questions) == 4 and not any(name in q for q in p.questions for name in ("ana", "ben"))
    quiet = huddle.pack(team, user(team, "quinn"), "north", date(2026, 12, 7))
    assert (quiet.calls, quiet.heavy, quiet.wins, quiet.toughest, quiet.questions) == \
        (0, 0, 0, [], list(huddle.QUESTIONS))


@pytest.mark.parametrize(("username", "asked"), [("ana", None), ("sam", "north"), ("nora", "south")])
def test_huddle_pack_refused_outside_the_users_scope(team: Store, username: str, asked: str | None) -> None:
    with pytest.raises(Denied):
        huddle.pack(team, user(team, username), asked, WEEK)


def test_huddle_pack_for_qa_and_admin_names_a_team(team: Store) -> None:
    assert huddle.teams(team, user(team, "ada")) == ["north", "south"]
    assert huddle.teams(team, user(team, "nora")) == ["north"]
    assert [t.call_id for t in huddle.pack(team, user(team, "ada"), "south", WEEK).toughest] == ["south-grief"]
    with pytest.raises(huddle.HuddleError, match="name the team"):
        huddle.pack(team, user(team, "quinn"), None, WEEK)


def test_huddle_text_is_an_email_of_short_lines(team: Store) -> None:
    p = huddle.pack(team, user(team, "nora"), None, WEEK)
    text = huddle.as_text(p, "https://heard.example.org/")
    lines = text.splitlines()
    assert lines[0] == "Subject: Huddle: team north, week of Mon 09 Nov 2026" and lines[1] == ""
    assert all(len(line) <= 72 for line in lines), max(lines, key=len)
    assert "<" not in text and "https://heard.example.org/calls/grief#turn-1" in text
    tough = text[text.index("THE TOUGHEST CALLS"):text.index("EMPATHY WINS")]
    assert "grief" in tough and "ana" not in tough and "ben" not in tough     # no agent named on a tough call
    assert "ana, turned" in text and f"\u201c{HEARD}\u201d" in text
    assert "1. What made a call tough this week?" in text and "4. One customer this week was grieving" in text


def test_huddle_text_wraps_long_names_and_ids(team: Store) -> None:
    p = huddle.pack(team, user(team, "nora"), None, WEEK)
    p.team = "customer-care-and-retention-west-weekend-evenings"
    p.toughest[0].call_id = "x" * 150
    assert all(len(line) <= 72 for line in huddle.as_text(p, "https://heard.example.org").splitlines())


def test_checkins_are_private_to_the_lead_and_the_agent(team: Store) -> None:
    nora = user(team, "nora")
    made = huddle.add_checkin(team, nora, "ana", date(2026, 11, 11), "More time between heavy calls.",
                              "Try a 5-minute reset after bereavement calls.")
    assert made["week"] == "2026-11-09" and made["lead"] == "nora"
    assert [c["support"] for c in huddle.checkins_for(team, nora, "ana")] == ["More time between heavy calls."]
    assert [c["id"] for c in huddle.checkins_for(team, user(team, "ana"), "ana")] == [made["id"]]
    for other in ("sam", "quinn", "ada", "ben"):               # another lead, QA, an admin, another agent
        with pytest.raises(Denied):
            huddle.checkins_for(team, user(team, other), "ana")
    assert huddle.checkins_for(team, user(team, "nell"), "ana") == []      # north's other lead: not hers
    assert huddle.checkin_counts(team, user(team, "ada")) == {"ana": 1}    # admins: how many, never what
    entry = next(e for e in audit_entries(team) if e["object_type"] == "checkin")
    assert "heavy calls" not in str(entry["detail"]) and entry["detail"] == {"agent": "ana"}


@pytest.mark.parametrize("username", ["sam", "quinn", "ada", "ana"])
def test_checkins_are_written_only_by_the_agents_lead(team: Store, username: str) -> None:
    with pytest.raises(Denied):
        huddle.add_checkin(team, user(team, username), "ana", WEEK, "Nothing this week.")


def test_checkin_needs_the_agents_answer(team: Store) -> None:
    with pytest.raises(huddle.HuddleError, match="support do you need today"):
        huddle.add_checkin(team, user(team, "nora"), "ana", WEEK, "   ")
