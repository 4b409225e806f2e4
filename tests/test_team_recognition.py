"""Recognition: the Empathy MVP ranking on a small hand-built team (who is first and why), turned-around calls,
kudos rules, and confirm-before-announce; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from heard.auth.accounts import Denied, Unknown, User, add_user
from heard.errors import ConflictError
from heard.model import Call, Outcome, OutcomeRecord, Role, Turn
from heard.runners.local import analyse_and_store
from heard.store import Store
from heard.team import recognition
from heard.team.recognition import RecognitionError, confirm_mvp, give_kudos, mvp_pick, mvp_ranking, wins
from heard.team.signals import turned_around

A, C = Role.AGENT, Role.CUSTOMER
GREET = "Northwind, how can I help?"
UPSET = "This is awful, I was charged twice and I'm furious and worried about rent."
ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due. Let me check."
EXPLAIN = ("The reason it happened is a system retry, so I've refunded the duplicate and your bank will show it "
           "within two working days.")
RELIEVED = "Oh that's great, thank you so much, I really appreciate it, wonderful."
CANNED = "I apologise for the inconvenience."
PLEASED = "Thanks so much, that's great, I'm really happy with the new plan."
ANGRY = "No, this is terrible, I'm furious and I want to cancel everything."

TURNED = [(A, GREET), (C, UPSET), (A, ACKNOWLEDGE), (C, "Okay."), (A, EXPLAIN), (C, RELIEVED)]  # upset -> relieved
HELPED = TURNED[:5]                                        # the same help; the customer's last word is neutral
SCRIPTED = [(A, GREET), (C, UPSET), (A, CANNED), (C, "Okay."), (A, "Anything else?"), (C, "No.")]
SOURED = [(A, GREET), (C, PLEASED), (A, "Let me look."), (C, "Okay."), (A, "I've moved you to the new plan."),
          (C, ANGRY)]                                                                       # pleased -> angry
MONTH = "2026-10"
HEARD_PATIENT = "She really listened and was so patient with me."
NOT_HEARD = "I didn't feel heard at all."
PASSWORD = "correct-horse-battery"


def call(call_id: str, agent: str, team: str, day: int, lines: list[tuple[Role, str]]) -> Call:
    turns = [Turn(speaker=who, start=i * 5.0, end=i * 5.0 + 4, text=text) for i, (who, text) in enumerate(lines)]
    return Call(id=call_id, agent_id=agent, team=team, turns=turns, started_at=datetime(2026, 10, day, 9, tzinfo=UTC))


def comment(store: Store, call_id: str, text: str) -> None:
    store.apply_outcome(OutcomeRecord(call_id, {}, Outcome(survey_comment=text)))


def build(store: Store, calls: dict[str, tuple[str, str, list[tuple[Role, str]]]],
          people: dict[str, tuple[str, str | None, str | None]]) -> dict[str, User]:
    for day, (call_id, (agent, team, lines)) in enumerate(calls.items(), start=1):
        store.add_call(call(call_id, agent, team, day, lines))
    list(analyse_and_store(store, store.iter_calls()))
    return {name: add_user(store, name, PASSWORD, role, agent_id=agent, team=team, display_name=name.capitalize())
            for name, (role, agent, team) in people.items()}


@pytest.fixture
def north(store: Store) -> dict[str, User]:
    """Team north in October: Ana helps and turns two upset customers around, Ben sounds scripted (and one of
    his customers leaves angrier than they came), Kim has only two calls; Dan is in team south."""
    calls = {f"ana-{i}": ("ana", "north", TURNED if i < 2 else HELPED) for i in range(5)}
    calls |= {f"ben-{i}": ("ben", "north", SOURED if i == 4 else SCRIPTED) for i in range(5)}
    calls |= {f"kim-{i}": ("kim", "north", TURNED) for i in range(2)}
    calls |= {f"dan-{i}": ("dan", "south", TURNED) for i in range(5)}
    users = build(store, calls, {"ana": ("agent", "ana", "north"), "ben": ("agent", "ben", "north"),
                                 "kim": ("agent", "kim", "north"), "dan": ("agent", "dan", "south"),
                                 "nora": ("lead", None, "north"), "sam": ("lead", None, "south"),
                                 "quinn": ("qa", None, None), "ada": ("admin", None, None)})
    comment(store, "ana-1", HEARD_PATIENT)
    comment(store, "ben-0", NOT_HEARD)
    give_kudos(store, users["ben"], "ana-0", 2, "Named the rent worry before fixing it")
    return users


def test_recognition_ranks_ana_first_and_says_why(store: Store, north: dict[str, User]) -> None:
    ranking = mvp_ranking(store, "north", MONTH)
    assert [(s.agent_id, s.rank) for s in ranking.ranked] == [("ana", 1), ("ben", 2)]
    ana, ben = ranking.ranked
    assert ana.sentence == (
        "Ana: 5 calls; acknowledged feelings on 100%, and used 38% of the 8 empathy behaviours on an average call; "
        "turned 2 upset customers around; 1 comment said they felt heard ('She really listened and was so patient "
        "with me.', call ana-1) and 1 that Ana was patient; 1 kudos from Ben.")
    assert ana.score == 100.0 and ana.normalised == {"behaviours": 1.0, "turned_around": 1.0, "comments": 1.0,
                                                    "kudos": 1.0}
    assert ana.turned_around == ["ana-0", "ana-1"]
    assert ana.comments == [{"call_id": "ana-1", "themes": ["heard", "patient"],
                             "words": {"heard": "listened", "patient": "patient"}, "sentence": HEARD_PATIENT}]
    assert ana.kudos == [{"call_id": "ana-0", "turn": 2, "from": "Ben",
                          "note": "Named the rent worry before fixing it"}]
    # "didn't feel heard" is not praise; a customer who left angrier is not turned around.
    assert ben.comments == [] and ben.turned_around == [] and ben.score == 2.7
    assert ben.sentence.startswith("Ben: 5 calls; acknowledged feelings on 0%")
    assert "no survey comments about feeling heard, patience or kindness; no kudos yet." in ben.sentence
    # Two calls are not enough to be ranked; team south is another team.
    assert [(s.agent_id, s.calls, s.score) for s in ranking.unranked] == [("kim", 2, None)]
    assert ranking.unranked[0].sentence.endswith("Not ranked: 5 analysed calls in the month are needed.")
    assert mvp_ranking(store, "north", "2026-09").ranked == []       # another month: nobody


@pytest.mark.parametrize(("summary", "expected"), [
    ({"customer_start": -0.6, "customer_end": 0.7}, True),     # upset, then relieved
    ({"customer_start": 0.6, "customer_end": -0.7}, False),    # pleased, then angry: the other way
    ({"customer_start": -0.6, "customer_end": 0.0}, False),    # calmer, not positive
    ({"customer_start": None, "customer_end": 0.7}, None),     # no first quarter to read
    (None, None),                                              # no analysis
])
def test_recognition_turned_around_from_summaries(summary: dict[str, Any] | None, expected: bool | None) -> None:
    assert turned_around(summary) is expected


@pytest.mark.parametrize(("lines", "expected"), [(TURNED, True), (SOURED, False)])
def test_recognition_turned_around_on_analysed_calls(store: Store, lines: list[tuple[Role, str]],
                                                     expected: bool) -> None:
    store.add_call(call("c-1", "ana", "north", 3, lines))
    list(analyse_and_store(store, store.iter_calls()))
    assert turned_around(store.latest_summaries(["c-1"])["c-1"]) is expected
    point = recognition.turning_point(store, "c-1")
    assert point == (2 if expected else None)       # the acknowledgement right after the upset customer


def test_recognition_ties_are_explained(store: Store) -> None:
    """Eve turned two customers around; Fay has a praising comment and a kudos: the same score, 70."""
    calls = {f"eve-{i}": ("eve", "east", TURNED if i < 2 else HELPED) for i in range(5)}
    calls |= {f"fay-{i}": ("fay", "east", HELPED) for i in range(5)}
    calls |= {f"gus-{i}": ("gus", "east", HELPED) for i in range(5)}
    users = build(store, calls, {"eve": ("agent", "eve", "east"), "fay": ("agent", "fay", "east"),
                                 "gus": ("agent", "gus", "east"), "lou": ("lead", None, "east")})
    comment(store, "fay-0", "the agent was so kind")
    give_kudos(store, users["lou"], "fay-1", None, "Calm and clear")
    ranked = mvp_ranking(store, "east", MONTH).ranked
    assert [(s.agent_id, s.score, s.rank) for s in ranked] == [("eve", 70.0, 1), ("fay", 70.0, 1), ("gus", 40.0, 3)]
    assert ranked[0].tie == "Tied at 70 with Fay; listed ahead of Fay on turned-around calls (2 against 0)."
    assert ranked[1].tie == "Tied at 70 with Eve; listed after Eve on turned-around calls (0 against 2)."
    assert ranked[2].tie is None


def test_recognition_kudos_rules(store: Store, north: dict[str, User]) -> None:
    u = north
    assert give_kudos(store, u["nora"], "ben-1", 2, "  Stayed calm  ")["note"] == "Stayed calm"   # a lead, their team
    assert give_kudos(store, u["ana"], "ben-2", None, "Good close")["agent"] == "Ben"   # a teammate, from the feed
    assert give_kudos(store, u["quinn"], "dan-0", 0, "Lovely")["agent_id"] == "dan"     # QA sees every call
    with pytest.raises(Denied, match="not your own call"):
        give_kudos(store, u["ana"], "ana-2", 2, "Me again")
    with pytest.raises(Unknown):
        give_kudos(store, u["ana"], "dan-1", 2, "Another team")       # an agent of another team
    with pytest.raises(Unknown):
        give_kudos(store, u["sam"], "ana-1", 2, "Another team")       # a lead of another team
    with pytest.raises(Unknown):
        give_kudos(store, u["nora"], "no-such-call", 2, "Nothing")
    with pytest.raises(ConflictError, match="One kudos per person per call"):
        give_kudos(store, u["ben"], "ana-0", 4, "Again")              # Ben already gave kudos on ana-0
    with pytest.raises(RecognitionError, match="say what was good"):
        give_kudos(store, u["nora"], "ana-2", 2, "   ")
    with pytest.raises(RecognitionError, match="keep it to 280"):
        give_kudos(store, u["nora"], "ana-2", 2, "x" * 281)
    with pytest.raises(RecognitionError, match="turns 0 to 4"):
        give_kudos(store, u["nora"], "ana-2", 9, "Out of range")
    ben = next(s for s in mvp_ranking(store, "north", MONTH).ranked if s.agent_id == "ben")
    assert [(k["call_id"], k["from"]) for k in ben.kudos] == [("ben-1", "Nora"), ("ben-2", "Ana")]


def test_recognition_nothing_is_announced_before_the_lead_confirms(store: Store, north: dict[str, User]) -> None:
    u = north
    assert mvp_pick(store, u["ana"], "north", MONTH) is None
    feed = wins(store, u["ana"], "north", datetime(2026, 10, 1, tzinfo=UTC))
    assert "mvp" not in {i["kind"] for i in feed}
    with pytest.raises(Denied):
        confirm_mvp(store, u["ana"], "north", MONTH, "ana")           # an agent
    with pytest.raises(Denied):
        confirm_mvp(store, u["sam"], "north", MONTH, "ana")           # the lead of another team
    with pytest.raises(RecognitionError, match="kim is not ranked"):
        confirm_mvp(store, u["nora"], "north", MONTH, "kim")
    with pytest.raises(RecognitionError, match="not at the top"):
        confirm_mvp(store, u["nora"], "north", MONTH, "ben")          # not #1 without saying why
    with pytest.raises(Denied):
        mvp_pick(store, u["dan"], "north", MONTH)                     # another team's recognition

    pick = confirm_mvp(store, u["nora"], "north", MONTH, "ana", "Two customers left smiling.")
    assert pick["name"] == "Ana" and pick["confirmed_by"] == "Nora" and pick["sentence"].startswith("Ana: 5 calls")
    with pytest.raises(ConflictError, match="already confirmed"):
        confirm_mvp(store, u["ada"], "north", MONTH, "ben", "Changed my mind")
    seen = mvp_pick(store, u["ben"], "north", MONTH)
    assert seen is not None and seen["agent_id"] == "ana" and seen["note"] == "Two customers left smiling."
    feed = wins(store, u["ben"], "north", datetime(2026, 10, 1, tzinfo=UTC))
    assert feed[0]["kind"] == "mvp" and feed[0]["agent"] == "Ana"


def test_recognition_wins_feed_links_each_moment(store: Store, north: dict[str, User]) -> None:
    u = north
    since = datetime(2026, 10, 1, tzinfo=UTC)
    feed = wins(store, u["nora"], "north", since)
    kinds = sorted((i["kind"], i["call_id"], i["turn"]) for i in feed)
    assert kinds == [("comment", "ana-1", None), ("kudos", "ana-0", 2), ("turned_around", "ana-0", 2),
                     ("turned_around", "ana-1", 2), ("turned_around", "kim-0", 2), ("turned_around", "kim-1", 2)]
    kudo = next(i for i in feed if i["kind"] == "kudos")
    assert kudo["link"] == "/calls/ana-0#turn-2" and kudo["moment"] == ACKNOWLEDGE and kudo["giver"] == "Ben"
    said = next(i for i in feed if i["kind"] == "comment")
    assert said["text"] == HEARD_PATIENT and said["themes"] == ["felt heard", "patient"]
    # Ben sees his team's wins, but not inside Ana's calls: no link, no words from the call.
    for item in wins(store, u["ben"], "north", since):
        assert item["link"] is None and item["moment"] is None
    assert wins(store, u["nora"], "north", since, datetime(2026, 10, 2, tzinfo=UTC))[0]["call_id"] == "ana-0"
    with pytest.raises(Denied):
        wins(store, u["dan"], "north", since)


@pytest.mark.parametrize("month", ["2026-13", "26-10", "", "2026-1", "9999-12", "0000-01"])
def test_recognition_month_must_be_year_and_month(month: str) -> None:
    with pytest.raises(RecognitionError, match=r"is not YYYY-MM|out of range"):
        recognition.month_span(month)
