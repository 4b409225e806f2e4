"""Custom rules (categories): named conditions in YAML, evaluated on a call and its analysis.

heard ships default rules (default_rules.yaml: identity verification, recording disclosure, wrap-up...);
an organisation's rules file adds rules and replaces built-in ones of the same name, so the phrases
a scorecard's compliance items use are the organisation's own. Unlike Amazon's rules, these apply to
calls already stored: `heard rules apply` re-evaluates, incrementally.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heard.errors import ConfigError
from heard.scorecards.conditions import Condition, Facts, Match, evaluate
from heard.yamlfile import load_model

BUILTIN = Path(__file__).with_name("default_rules.yaml")
HINT = "See docs/scorecards.md (Custom rules) for the rule format."
NAME = r"^[a-z][a-z0-9_]*$"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME, description="lower_snake_case, unique")
    description: str = ""
    category: str | None = Field(default=None, description="a group for reports, e.g. compliance")
    when: Condition

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json", by_alias=True, exclude_none=True),
                                         sort_keys=True).encode()).hexdigest()


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_and_references(self) -> RuleSet:
        seen: set[str] = set()
        for k, rule in enumerate(self.rules):
            if rule.name in seen:
                raise ValueError(f"rules[{k}]: the name {rule.name!r} is used twice; rule names are unique")
            unknown = rule.when.rules() - seen
            if unknown:
                raise ValueError(f"rules[{k}] ({rule.name}): refers to rule {sorted(unknown)[0]!r}, which is not "
                                 "defined above it; define a rule before the rules that use it")
            seen.add(rule.name)
        return self

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def load(path: Path | str | None = None) -> RuleSet:
    """The built-in rules, with an organisation's rules file added on top (same name replaces)."""
    builtin = load_model(BUILTIN, RuleSet, what="rules file", hint=HINT)
    if path is None:
        return builtin
    own = load_model(path, RuleSet, what="rules file", hint=HINT)
    merged = [own.get(r.name) or r for r in builtin.rules] + [r for r in own.rules if not builtin.get(r.name)]
    try:
        return RuleSet(rules=[r for r in merged if r is not None])
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}", hint=HINT) from None


def evaluate_rules(ruleset: RuleSet, facts: Facts) -> dict[str, Match]:
    """Every rule on one call, in order (a rule may use the rules above it)."""
    for rule in ruleset.rules:
        facts.rules[rule.name] = evaluate(rule.when, facts)
    return dict(facts.rules)
