"""Scorecard arithmetic (each mode, weights, N/A, pending manual items, auto-fail, bonus, scale and points)
and automatic answers from conditions, on hand-built scorecards and calls."""

from __future__ import annotations

from typing import Any

import pytest

from heard.errors import ConfigError
from heard.model import Call, Outcome, Role, Turn
from heard.pipeline import analyse
from heard.scorecards import definition, rules
from heard.scorecards.conditions import Condition, Facts, evaluate, reading_ease
from heard.scorecards.definition import Scorecard
from heard.scorecards.scoring import ItemAnswer, answer_automatically, compute, reviewed, score

A, C = Role.AGENT, Role.CUSTOMER


def card(*sections: dict[str, Any], scoring: str = "item_weighted", **extra: Any) -> Scorecard:
    return Scorecard.model_validate({"name": "test_card", "title": "Test", "scoring": scoring,
                                     "sections": list(sections), **extra})


def section(sid: str, weight: float, *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": sid, "title": sid.title(), "weight": weight, "items": list(items)}


def item(iid: str, weight: float = 1, **extra: Any) -> dict[str, Any]:
    return {"id": iid, "question": f"{iid}?", "weight": weight, **extra}


def answers(c: Scorecard, given: dict[str, Any]) -> list[ItemAnswer]:
    """Answers as an evaluator would give them: a value, "na", or absent (pending)."""
    out = []
    for s, i in c.items:
        value = given.get(i.id)
        if value is None:
            out.append(ItemAnswer(item=i.id, section=s.id, pending=True))
        elif value == "na":
            out.append(ItemAnswer(item=i.id, section=s.id, na=True))
        else:
            out.append(ItemAnswer(item=i.id, section=s.id, answer=value, fraction=None))
    pending = [a.model_copy(update={"pending": True}) if a.answer is not None else a for a in out]
    review = {i: {"answer": v} for i, v in given.items() if v not in (None, "na")}
    return reviewed(c, pending, review)


TWO_SECTIONS = (section("care", 2, item("ack", 3), item("mirror", 1)), section("admin", 1, item("verify", 1)))


@pytest.mark.parametrize(("scoring", "expected"), [
    # item-weighted: (3 + 0 + 1) / (3 + 1 + 1)
    ("item_weighted", 80.0),
    # section-weighted: care 3/4 = 75, admin 100 -> (2 x 75 + 1 x 100) / 3
    ("section_weighted", 83.33),
    # points: a yes/no item is worth its weight, so the same as item-weighted here
    ("points", 80.0),
])
def test_scoring_modes(scoring: str, expected: float) -> None:
    c = card(*TWO_SECTIONS, scoring=scoring)
    result = compute(c, answers(c, {"ack": "yes", "mirror": "no", "verify": "yes"}))
    assert result.total == expected
    assert result.sections == {"care": 75.0, "admin": 100.0}


def test_scoring_na_and_pending_are_left_out_of_both_sides() -> None:
    c = card(*TWO_SECTIONS, scoring="section_weighted")
    result = compute(c, answers(c, {"ack": "yes", "mirror": "na"}))   # verify pending
    assert result.sections == {"care": 100.0, "admin": None}
    assert result.total == 100.0          # a section with nothing answered does not count
    assert result.pending == ["verify"]


def test_scoring_nothing_answered_is_no_score_not_zero() -> None:
    c = card(*TWO_SECTIONS)
    result = compute(c, answers(c, {"ack": "na", "mirror": "na", "verify": "na"}))
    assert result.total is None and result.category is None


def test_scoring_auto_fail_sets_zero_and_says_why() -> None:
    c = card(section("care", 1, item("ack")), section("admin", 1, item("verify", auto_fail=True)))
    result = compute(c, answers(c, {"ack": "yes", "verify": "no"}))
    assert result.total == 0.0 and result.auto_failed
    assert result.fail_reasons and result.fail_reasons[0].startswith("verify: verify?")
    assert result.sections == {"care": 100.0, "admin": 0.0}      # sections are still reported
    passing = compute(c, answers(c, {"ack": "yes", "verify": "yes"}))
    assert passing.total == 100.0 and not passing.auto_failed
    not_applicable = compute(c, answers(c, {"ack": "yes", "verify": "na"}))
    assert not_applicable.total == 100.0 and not not_applicable.auto_failed


def test_scoring_bonus_lifts_a_section_capped_at_100() -> None:
    items = (item("ack", 1), item("mirror", 1), item("extra", 1, bonus=True))
    c = card(section("care", 1, *items))
    assert compute(c, answers(c, {"ack": "yes", "mirror": "no", "extra": "yes"})).total == 100.0   # 50 + 50
    assert compute(c, answers(c, {"ack": "yes", "mirror": "no", "extra": "no"})).total == 50.0
    assert compute(c, answers(c, {"ack": "yes", "mirror": "yes", "extra": "yes"})).total == 100.0  # capped
    uncapped = card(section("care", 1, *items), bonus_can_exceed_100=True)
    assert compute(uncapped, answers(uncapped, {"ack": "yes", "mirror": "yes", "extra": "yes"})).total == 150.0


def test_scoring_scale_and_points_answers() -> None:
    c = card(section("s", 1, item("tone", 2, answer="scale"), item("steps", 1, answer="points", max_points=10)),
             scoring="points")
    # points mode: scale item worth its weight 2 -> 2 x (4-1)/4 = 1.5; points item 5 of 10 -> 5; (1.5 + 5) / 12
    result = compute(c, answers(c, {"tone": 4, "steps": 5}))
    assert result.total == pytest.approx(100 * 6.5 / 12, abs=0.01)
    item_weighted = card(section("s", 1, item("tone", 2, answer="scale"),
                                 item("steps", 1, answer="points", max_points=10)))
    # item-weighted: (2 x 0.75 + 1 x 0.5) / 3
    assert compute(item_weighted, answers(item_weighted, {"tone": 4, "steps": 5})).total == pytest.approx(66.67)


@pytest.mark.parametrize(("answer", "message"), [
    ("maybe", "use yes or no"), (7, "from 1 to 5"), (11, "0 to 10 points"), ("lots", "not a number")])
def test_scoring_rejects_answers_an_item_cannot_take(answer: Any, message: str) -> None:
    c = card(section("s", 1, item("ack"), item("tone", answer="scale"),
                     item("steps", answer="points", max_points=10)))
    target = {"maybe": "ack", 7: "tone", 11: "steps", "lots": "steps"}[answer]
    with pytest.raises(ConfigError, match=message):
        answers(c, {target: answer})


@pytest.mark.parametrize(("total_answers", "category"), [
    ({"a": "yes", "b": "yes", "c": "yes", "d": "yes", "e": "yes", "f": "yes", "g": "no"}, "exceeds"),   # 85.7
    ({"a": "yes", "b": "yes", "c": "yes", "d": "yes", "e": "no", "f": "no", "g": "no"}, "needs_improvement"),  # 57
    ({"a": "yes", "b": "yes", "c": "yes", "d": "yes", "e": "yes", "f": "no", "g": "no"}, "meets"),   # 71.4
])
def test_scoring_performance_category(total_answers: dict[str, str], category: str) -> None:
    c = card(section("s", 1, *(item(x) for x in "abcdefg")))
    assert compute(c, answers(c, total_answers)).category == category


# --- automatic answers from a call --------------------------------------------------------------------------

GREETING = "Thank you for calling Northwind, this call may be recorded for quality. This is Sam."
PROBLEM = "I've been charged twice this month and my rent is due on Friday, I'm really worried."
ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due."
HELP = "Let me check what happened."
VERIFY = "Before I look, can I confirm your date of birth?"
REFUND = "I've refunded the second payment, and your bank will show it within two working days."
CANNED = "I understand your frustration."
CLOSE = "Is there anything else I can help with today?"


def call(*agent: str, customer: str = PROBLEM, call_id: str = "score-test", **fields: Any) -> Call:
    turns = [Turn(speaker=A, start=0.0, end=4.0, text=GREETING), Turn(speaker=C, start=4.5, end=10.0, text=customer)]
    t = 10.5
    for text in agent:
        turns += [Turn(speaker=A, start=t, end=t + 4.0, text=text), Turn(speaker=C, start=t + 4.5, end=t + 5.5,
                                                                        text="Okay.")]
        t += 6.0
    return Call(id=call_id, turns=turns, **fields)


def facts(c: Call, **norms: float) -> Facts:
    return Facts(c, analyse(c), norms=dict(norms))


def auto(c: Call, **norms: float) -> dict[str, ItemAnswer]:
    result = score(definition.load(), facts(c, **norms), rules.load())
    return {a.item: a for a in result.answers}


def test_default_scorecard_answers_with_evidence() -> None:
    good = auto(call(f"{ACKNOWLEDGE} {HELP}", VERIFY, REFUND, CLOSE))
    assert good["early_acknowledgement"].answer == "yes"
    assert good["early_acknowledgement"].evidence[0].turn == 2
    assert good["early_acknowledgement"].evidence[0].text == ACKNOWLEDGE
    assert good["identity_verification"].answer == "yes"
    assert "date of birth" in good["identity_verification"].evidence[0].text
    assert good["recording_disclosure"].answer == "yes"
    assert good["plain_next_steps"].answer == "yes"
    assert good["no_robotic_empathy"].answer == "yes"
    assert good["resolved"].pending                     # an evaluator answers it


def test_default_scorecard_near_misses() -> None:
    bad = auto(call(CANNED, REFUND, CANNED))
    # By the annotation guide a canned line that names the feeling is an acknowledgement; said twice on its own,
    # it is flagged robotic, and that item fails.
    assert bad["no_robotic_empathy"].answer == "no"
    assert {e.text for e in bad["no_robotic_empathy"].evidence} >= {CANNED}   # the flags are the evidence
    # A refund without an identity check fails the whole call.
    result = score(definition.load(), facts(call(CANNED, REFUND, CANNED)), rules.load())
    assert result.auto_failed and result.total == 0.0
    assert any(r.startswith("identity_verification") for r in result.fail_reasons)


def test_default_scorecard_not_applicable_items() -> None:
    calm = auto(call("Let me look at the plan options for you.", customer="I'd like to check my plan options please."))
    assert calm["early_acknowledgement"].na             # no emotion or hardship: N/A, never a penalty
    assert calm["opportunity_response"].na
    assert calm["identity_verification"].na             # no account action
    assert calm["handle_time"].na                       # no queue norm given


@pytest.mark.parametrize(("seconds", "level"), [(80, 5.0), (110, 4.0), (140, 3.0), (190, 2.0), (300, 1.0)])
def test_default_scorecard_handle_time_against_the_queue_norm(seconds: float, level: float) -> None:
    c = call(ACKNOWLEDGE, queue="billing", outcome=Outcome(handle_time=seconds))
    assert auto(c, billing=100.0)["handle_time"].answer == level


BEREAVED = "My husband passed away last week and I need to close his account, I'm struggling."


def test_heavy_calls_are_not_scored_on_handle_time() -> None:
    """Taking extra minutes on a hard call is never penalised: the default scorecard excludes heavy calls from
    handle time (N/A, with the reason), scores the same long call normally when it is not heavy, and a scorecard
    may instead compare heavy calls with the queue's own norm for heavy calls."""
    long = Outcome(handle_time=300)
    heavy = auto(call(ACKNOWLEDGE, customer=BEREAVED, queue="billing", outcome=long), billing=100.0)
    assert heavy["handle_time"].na and heavy["handle_time"].answer is None
    assert "emotionally heavy call" in heavy["handle_time"].why and "bereavement" in heavy["handle_time"].why
    light = auto(call(ACKNOWLEDGE, queue="billing", outcome=long), billing=100.0)
    assert light["handle_time"].answer == 1.0                # the same 300 s on an ordinary call: 3x the norm

    card = definition.load()
    data = card.model_dump(mode="json", by_alias=True, exclude_none=True)
    for section in data["sections"]:
        for item in section["items"]:
            if item["id"] == "handle_time":
                item["source"]["heavy_calls"] = "heavy_norm"
    own_norm = definition.Scorecard.model_validate(data)
    result = score(own_norm, facts(call(ACKNOWLEDGE, customer=BEREAVED, queue="billing", outcome=long),
                                   billing=100.0, **{"billing|heavy": 320.0}), rules.load())
    answer = {a.item: a for a in result.answers}["handle_time"]
    assert answer.answer == 5.0 and "norm for heavy calls of 320 s" in answer.why
    with pytest.raises(ValueError, match="handle_time source only"):
        definition.Source.model_validate({"metric": "duration", "scale": [1, 2, 3, 4], "heavy_calls": "exclude"})


def test_reviewed_answers_are_kept_apart_from_automatic() -> None:
    c = definition.load()
    automatic = answer_automatically(c, facts(call(CANNED, REFUND, CANNED)), rules.load())
    final = reviewed(c, automatic, {"no_robotic_empathy": {"answer": "yes", "comment": "warm tone"},
                                    "resolved": {"answer": "yes"}})
    auto_by, final_by = {a.item: a for a in automatic}, {a.item: a for a in final}
    assert auto_by["no_robotic_empathy"].answer == "no" and final_by["no_robotic_empathy"].answer == "yes"
    assert final_by["no_robotic_empathy"].by == "evaluator" and final_by["no_robotic_empathy"].comment == "warm tone"
    assert auto_by["resolved"].pending and not final_by["resolved"].pending
    assert compute(c, final).pending == [] and compute(c, automatic).pending == ["resolved"]


# --- the condition language ---------------------------------------------------------------------------------

def cond(data: dict[str, Any]) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(("condition", "matched"), [
    ({"phrase": {"any": ["date of birth"]}}, True),
    ({"phrase": {"any": ["date of birth"], "party": "customer"}}, False),
    ({"phrase": {"any": ["date of birth"], "first_seconds": 5}}, False),          # said at 10.5 s
    ({"phrase": {"any": ["confirm your date of brith"], "match": "fuzzy"}}, True),  # a typo still matches
    ({"phrase": {"any": ["confirm your postcode"], "match": "fuzzy"}}, False),
    ({"phrase": {"any": ["birth"]}}, True),
    ({"phrase": {"any": ["birt"]}}, False),                                         # whole words only
    ({"semantic": {"examples": ["May I check your birthday for security?"], "threshold": 0.6}}, True),
    ({"semantic": {"examples": ["The weather is lovely today."], "threshold": 0.6}}, False),
    ({"metric": {"name": "opportunities", "party": "customer", "at_least": 1}}, True),
    ({"metric": {"name": "opportunities", "party": "customer", "equals": 0}}, False),
    ({"behaviour": "acknowledge_emotion"}, True),
    ({"finding": {"kind": "robotic"}}, False),
    ({"call": {"queue": ["billing"]}}, True),
    ({"call": {"queue": ["sales"]}}, False),
    ({"all": [{"behaviour": "acknowledge_emotion"}, {"call": {"queue": ["sales"]}}]}, False),
    ({"any": [{"behaviour": "acknowledge_emotion"}, {"call": {"queue": ["sales"]}}]}, True),
    ({"not": {"finding": {"kind": "robotic"}}}, True),
    ({"sentiment": {"party": "customer", "first_seconds": 10, "below": -0.1}}, True),   # "really worried"
    ({"sentiment": {"party": "customer", "last_seconds": 5, "below": -0.1}}, False),    # "Okay."
])
def test_conditions(condition: dict[str, Any], matched: bool) -> None:
    f = facts(call(f"{ACKNOWLEDGE} {HELP}", VERIFY, REFUND, queue="billing"))
    assert evaluate(cond(condition), f).matched is matched


def test_condition_evidence_points_at_the_words() -> None:
    f = facts(call(f"{ACKNOWLEDGE} {HELP}", VERIFY, REFUND))
    m = evaluate(cond({"phrase": {"any": ["date of birth"]}}), f)
    turn = f.call.turns[m.evidence[0].turn]
    start, end = m.evidence[0].span or (0, 0)
    assert turn.text[start:end] == "date of birth"


def test_reading_ease_separates_plain_from_jargon() -> None:
    assert reading_ease("I've refunded it. You'll see it on Friday.") > 70
    assert reading_ease("Your provisioning remediation has been escalated to tier two infrastructure.") < 30
