"""Broken scorecards and rules files get errors that say which file, which line, which key, and what is allowed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from heard.cli import app
from heard.errors import ConfigError
from heard.scorecards import definition, rules

GOOD_ITEM = """      - id: ack
        question: Did the agent acknowledge the customer?
        source: {when: {behaviour: acknowledge_emotion}}
"""


def scorecard(items: str = GOOD_ITEM, head: str = "", section: str = "") -> str:
    return (f"name: broken_card\ntitle: Broken\n{head}sections:\n  - id: care\n    title: Care\n{section}"
            f"    items:\n{items}")


# (what is broken, the YAML, what the message must say: each names the line and the key path)
BROKEN_SCORECARDS = [
    ("unknown answer type",
     scorecard(GOOD_ITEM + "      - id: tone\n        question: Tone?\n        answer: yesno\n"),
     ["line 12", "sections[0].items[1].answer", "'yesno' is not allowed", "yes_no", "scale", "points"]),
    ("misspelt item key",
     scorecard("      - id: ack\n        question: Ack?\n        wieght: 2\n"),
     ["line 9", "sections[0].items[0].wieght", "unknown key", "weight", "na_when", "auto_fail"]),
    ("missing question",
     scorecard("      - id: ack\n        weight: 2\n"),
     ["line 7", "sections[0].items[0].question", "required"]),
    ("negative weight",
     scorecard("      - id: ack\n        question: Ack?\n        weight: -1\n"),
     ["line 9", "sections[0].items[0].weight", "greater than 0"]),
    ("points item without max_points",
     scorecard("      - id: ack\n        question: Ack?\n        answer: points\n"),
     ["line 7", "sections[0].items[0]", "max_points"]),
    ("auto-fail and bonus at once",
     scorecard("      - id: ack\n        question: Ack?\n        auto_fail: true\n        bonus: true\n"),
     ["sections[0].items[0]", "both auto_fail and bonus"]),
    ("duplicate item id",
     scorecard(GOOD_ITEM + GOOD_ITEM),
     ["item id 'ack' is used twice"]),
    ("unknown scoring mode",
     scorecard(head="scoring: weighted\n"),
     ["line 3", "scoring", "item_weighted", "section_weighted", "points"]),
    ("unknown condition",
     scorecard("      - id: ack\n        question: Ack?\n        source: {when: {said: hello}}\n"),
     ["line 9", "sections[0].items[0].source.when", "unknown condition 'said'", "phrase", "semantic"]),
    ("two conditions in one mapping",
     scorecard("      - id: ack\n        question: Ack?\n        source: {when: {behaviour: x, rule: y}}\n"),
     ["sections[0].items[0].source.when", "exactly one of", "all/any"]),
    ("metric source without a scale",
     scorecard("      - id: ack\n        question: Ack?\n        answer: scale\n"
               "        source: {metric: opportunity_response_rate}\n"),
     ["sections[0].items[0].source", "needs 'scale'"]),
    ("scale cut points out of order",
     scorecard("      - id: ack\n        question: Ack?\n        answer: scale\n"
               "        source: {metric: talk_share, scale: [0.9, 0.5, 0.7, 1.0]}\n"),
     ["sections[0].items[0].source", "must be ascending"]),
    ("bad item id",
     scorecard("      - id: Ack Item\n        question: Ack?\n"),
     ["line 7", "sections[0].items[0].id", "pattern"]),
    ("not YAML",
     "name: x\nsections: [\n",
     ["not valid YAML", "line"]),
    ("not a mapping",
     "- just\n- a list\n",
     ["must be a mapping"]),
    ("section of only bonus items",
     scorecard("      - id: ack\n        question: Ack?\n        bonus: true\n"),
     ["at least one item that is not a bonus"]),
]


@pytest.mark.parametrize(("what", "text", "expected"), BROKEN_SCORECARDS, ids=[b[0] for b in BROKEN_SCORECARDS])
def test_broken_scorecard_error(tmp_path: Path, what: str, text: str, expected: list[str]) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        definition.load(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for part in expected:
        assert part in message, f"{what}: {part!r} not in {message!r}"
    assert info.value.hint and "docs/scorecards.md" in info.value.hint


def test_scorecard_using_an_undefined_rule(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(scorecard("      - id: ack\n        question: Ack?\n        source: {rule: greetng}\n"))
    card = definition.load(path)
    with pytest.raises(ConfigError, match=r"uses rule 'greetng', which no rules file defines.*identity_verification"):
        card.check_rules(rules.load(), str(path))


BROKEN_RULES = [
    ("duplicate rule name",
     "rules:\n  - name: a\n    when: {behaviour: x}\n  - name: a\n    when: {behaviour: y}\n",
     ["'a' is used twice"]),
    ("rule used before it is defined",
     "rules:\n  - name: a\n    when: {rule: b}\n  - name: b\n    when: {behaviour: y}\n",
     ["refers to rule 'b'", "define a rule before"]),
    ("phrase without phrases",
     "rules:\n  - name: a\n    when: {phrase: {any: []}}\n",
     ["line 3", "rules[0].when.phrase.any", "at least 1"]),
    ("sentiment with both bounds",
     "rules:\n  - name: a\n    when: {sentiment: {below: -0.5, above: 0.5}}\n",
     ["rules[0].when.sentiment", "exactly one of 'below' or 'above'"]),
    ("metric without a threshold",
     "rules:\n  - name: a\n    when: {metric: {name: talk_share}}\n",
     ["rules[0].when.metric", "at least one of 'at_least'"]),
    ("unknown party",
     "rules:\n  - name: a\n    when: {phrase: {any: [hi], party: supervisor}}\n",
     ["rules[0].when.phrase.party", "'supervisor' is not allowed", "agent", "customer"]),
    ("misspelt key in a rule",
     "rules:\n  - name: a\n    wen: {behaviour: x}\n",
     ["line 3", "rules[0].wen", "unknown key", "when", "category"]),
]


@pytest.mark.parametrize(("what", "text", "expected"), BROKEN_RULES, ids=[b[0] for b in BROKEN_RULES])
def test_broken_rules_error(tmp_path: Path, what: str, text: str, expected: list[str]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        rules.load(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{what}: {part!r} not in {message!r}"


def test_cli_reports_a_broken_scorecard_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(BROKEN_SCORECARDS[0][1], encoding="utf-8")
    result = CliRunner().invoke(app, ["scorecard", "check", str(path)])
    assert result.exit_code == 2
    assert "'yesno' is not allowed" in " ".join(result.output.split())


def test_cli_checks_the_default_scorecard() -> None:
    result = CliRunner().invoke(app, ["scorecard", "check"])
    assert result.exit_code == 0, result.output
    assert "empathy_balanced" in result.output and "identity_verification [auto-fail]" in result.output


# --- fuzzing: any YAML a person could write gives a scorecard or a ConfigError, never a crash ----------------

KEYS = ["name", "title", "scoring", "sections", "id", "weight", "items", "question", "answer", "source", "when",
        "behaviour", "rule", "metric", "scale", "na_when", "auto_fail", "bonus", "max_points", "not", "all", "phrase",
        "any", "party", "thresholds", "rules"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=False, width=32),
                    st.sampled_from(["yes_no", "scale", "points", "care", "agent", "item_weighted", "x y", ""]))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)


@settings(max_examples=int(os.environ.get("HEARD_FUZZ_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_fuzz_scorecard_and_rules_files(tmp_path: Path, document: object) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    for load in (definition.load, rules.load):
        try:
            load(path)
        except ConfigError as exc:
            assert str(path) in str(exc)
