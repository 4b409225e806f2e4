"""Mapping speaker labels to agent/customer: explicit, configured, or guessed with a confidence."""

from __future__ import annotations

import pytest

from heard.ingest.base import IngestOptions, RawTurn, map_speakers
from heard.ingest.speakers import LabelledText, guess_roles
from heard.model import Role

AGENT_GREETING = "Thanks for calling Northwind, you're through to Sam, how can I help?"
CUSTOMER_PROBLEM = "Hi, I'm calling because I was charged twice on my account."


@pytest.mark.parametrize("first", ["spk_0", "spk_1"])
def test_speakers_heuristic_finds_the_agent_whoever_speaks_first(first: str) -> None:
    other = "spk_1" if first == "spk_0" else "spk_0"
    # The customer speaks first here ("Hello?"), and the greeting still gives the agent away.
    turns = [LabelledText(first, "Hello?"), LabelledText(other, AGENT_GREETING), LabelledText(first, CUSTOMER_PROBLEM)]
    mapping = guess_roles(turns)
    assert mapping.roles == {other: Role.AGENT, first: Role.CUSTOMER}
    assert mapping.method == "heuristic" and mapping.confidence > 0.9
    assert mapping.reason is not None and other in mapping.reason


@pytest.mark.parametrize("text", ["Yes.", "Okay then."])
def test_speakers_heuristic_is_unsure_without_cues(text: str) -> None:
    mapping = guess_roles([LabelledText("A", text), LabelledText("B", text)])
    assert 0.5 <= mapping.confidence < 0.75  # only the first-speaker prior separates them


def test_speakers_third_party_becomes_other() -> None:
    turns = [LabelledText("A", AGENT_GREETING), LabelledText("B", CUSTOMER_PROBLEM),
             LabelledText("C", "This is the interpreter, I'll translate.")]
    roles = guess_roles(turns).roles
    assert roles["A"] is Role.AGENT and list(roles.values()).count(Role.AGENT) == 1
    assert sorted(r.value for r in roles.values()) == ["agent", "customer", "other"]


def test_speakers_explicit_agent_makes_the_guess_the_customer() -> None:
    turns = [RawTurn("AGENT", AGENT_GREETING, role=Role.AGENT), RawTurn("Bob", "thanks for calling me back")]
    mapping = map_speakers(turns, IngestOptions())
    assert mapping.roles == {"AGENT": Role.AGENT, "Bob": Role.CUSTOMER}


@pytest.mark.parametrize(("label", "role"), [("Rep", Role.AGENT), ("CALLER", Role.CUSTOMER)])
def test_speakers_configured_names_are_case_insensitive(label: str, role: Role) -> None:
    mapping = map_speakers([RawTurn(label, "hello")], IngestOptions())
    assert mapping.method == "config" and mapping.roles[label] is role
