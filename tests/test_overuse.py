"""Phrases an agent overuses across calls, against their team."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.cli import app
from heard.empathy.lexicon import load
from heard.empathy.overuse import phrase_overuse
from heard.model import Call, Role, Turn
from heard.store import Store

SCRIPTED = "I understand your frustration."
GENUINE = "That sounds really stressful, being charged twice."
PLAIN = "Let me check the account."


def call(call_id: str, agent: str, team: str, *lines: str) -> Call:
    turns = [Turn(speaker=Role.CUSTOMER, text="I was charged twice and I'm worried.")]
    turns += [Turn(speaker=Role.AGENT, text=line) for line in lines]
    return Call(id=call_id, agent_id=agent, team=team, turns=turns)


def corpus() -> list[Call]:
    # north: ana says the canned line in every call; ben once in three calls. south: cy alone in her team.
    return [
        call("a1", "ana", "north", SCRIPTED, PLAIN), call("a2", "ana", "north", SCRIPTED + " " + SCRIPTED),
        call("a3", "ana", "north", SCRIPTED, GENUINE),
        call("b1", "ben", "north", SCRIPTED), call("b2", "ben", "north", GENUINE), call("b3", "ben", "north", PLAIN),
        call("c1", "cy", "south", SCRIPTED), call("c2", "cy", "south", SCRIPTED),
    ]


def test_overuse_index_against_the_team() -> None:
    found = phrase_overuse(corpus(), load())
    assert [(o.agent_id, o.phrase) for o in found] == [("ana", "i understand your frustration")]
    (ana,) = found
    # ana: 4 uses in 3 calls; the rest of north (ben): 1 use in 3 calls.
    assert (ana.agent_uses_per_call, ana.team_uses_per_call, ana.index) == (1.333, 0.333, 4.0)
    assert (ana.calls_with_phrase, ana.agent_calls) == (3, 3)
    assert ana.examples[0] == ("a1", 1)


@pytest.mark.parametrize(("min_index", "min_share", "expected"), [
    (5.0, 0.5, []),                  # ana's index is 4
    (4.0, 0.5, ["ana"]),
    (0.2, 0.3, ["ana", "ben"]),      # ben: a third of his calls, index 1/3 / 4/3 = 0.25
    (0.2, 0.5, ["ana"]),             # ...but not in half of them
])
def test_overuse_thresholds(min_index: float, min_share: float, expected: list[str]) -> None:
    found = phrase_overuse(corpus(), load(), min_index=min_index, min_share=min_share)
    assert sorted(o.agent_id for o in found if o.phrase == "i understand your frustration") == expected


def test_overuse_phrase_nobody_else_uses_and_overlapping_patterns() -> None:
    sorry = "I'm so sorry to hear that."
    calls = [call("a1", "ana", "north", sorry), call("a2", "ana", "north", sorry), call("b1", "ben", "north", PLAIN)]
    (found,) = phrase_overuse(calls, load())
    assert found.phrase == "i'm so sorry to hear that"  # not also "i'm so sorry to hear"
    assert found.index == float("inf") and found.team_uses_per_call == 0


def test_overuse_cli_json(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with Store.open(f"sqlite:///{db}") as store:
        for c in corpus():
            store.add_call(c)
    result = CliRunner().invoke(app, ["--db", str(db), "overuse", "--json"])
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)
    assert (row["agent_id"], row["index"], row["calls_with_phrase"]) == ("ana", 4.0, 3)
