"""Scorecard definitions in YAML: sections with weights, items with answer types, sources, N/A rules,
auto-fail and bonus flags; validated with errors that give the file, the line and the key path."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heard.errors import ConfigError
from heard.scorecards.conditions import Condition
from heard.scorecards.rules import RuleSet
from heard.yamlfile import load_model

DEFAULT = Path(__file__).with_name("empathy_balanced.yaml")
HINT = "See docs/scorecards.md for the scorecard format; `heard scorecard check FILE` validates one."
ID = r"^[a-z][a-z0-9_]*$"
Answer = Literal["yes_no", "scale", "points"]
Mode = Literal["item_weighted", "section_weighted", "points"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_M):
    """Where an automatic answer comes from: a condition, a named rule, or a metric on a scale."""

    when: Condition | None = None
    rule: str | None = None
    metric: str | None = None
    party: Literal["agent", "customer"] | None = None
    handle_time: bool = Field(default=False, description="scale the handle time / queue norm ratio instead")
    heavy_calls: Literal["count", "exclude", "heavy_norm"] = Field(
        default="count", description="handle_time only: on an emotionally heavy call, score it like any other "
                                     "(count), not at all (exclude: the item is N/A), or against the queue's norm for "
                                     "heavy calls (heavy_norm)")
    scale: list[float] | None = Field(default=None, min_length=4, max_length=4,
                                      description="four cut points: the value at or past each earns 2, 3, 4, 5")
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        kinds = [k for k, v in (("when", self.when), ("rule", self.rule), ("metric", self.metric),
                                ("handle_time", self.handle_time or None)) if v is not None]
        if len(kinds) != 1:
            raise ValueError(f"a source has exactly one of: when, rule, metric, handle_time (found {kinds or 'none'})")
        if (self.metric or self.handle_time) and self.scale is None:
            raise ValueError("a metric or handle_time source needs 'scale': four cut points for answers 2, 3, 4 and 5")
        if self.heavy_calls != "count" and not self.handle_time:
            raise ValueError("heavy_calls applies to a handle_time source only")
        if self.scale is not None:
            ordered = sorted(self.scale, reverse=not self.higher_is_better)
            if self.scale != ordered:
                direction = "ascending" if self.higher_is_better else "descending (higher_is_better: false)"
                raise ValueError(f"scale cut points must be {direction}: {self.scale}")
        return self


class Item(_M):
    id: str = Field(pattern=ID)
    question: str = Field(min_length=1)
    instructions: str = ""
    answer: Answer = "yes_no"
    weight: float = Field(default=1.0, gt=0)
    max_points: float | None = Field(default=None, gt=0, description="points items: the most an answer earns")
    na_when: Condition | None = None
    auto_fail: bool = False
    bonus: bool = False
    source: Source | None = Field(default=None, description="omit for an item an evaluator answers")

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.answer == "points" and self.max_points is None:
            raise ValueError("a points item needs 'max_points'")
        if self.answer != "points" and self.max_points is not None:
            raise ValueError("'max_points' is only for answer: points")
        if self.auto_fail and self.bonus:
            raise ValueError("an item cannot be both auto_fail and bonus")
        if self.answer == "yes_no" and self.source is not None and self.source.scale is not None:
            raise ValueError("a yes_no item's source is a condition or a rule; a scale needs answer: scale or points")
        return self

    @property
    def manual(self) -> bool:
        return self.source is None


class Section(_M):
    id: str = Field(pattern=ID)
    title: str
    weight: float = Field(default=1.0, gt=0)
    items: list[Item] = Field(min_length=1)


class Thresholds(_M):
    needs_improvement_below: float = Field(default=60, ge=0, le=100)
    exceeds_at: float = Field(default=85, ge=0, le=100)


class Scorecard(_M):
    name: str = Field(pattern=ID)
    title: str
    description: str = ""
    scoring: Mode = "section_weighted"
    bonus_can_exceed_100: bool = False
    thresholds: Thresholds = Thresholds()
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Scorecard:
        seen: set[str] = set()
        for s, section in enumerate(self.sections):
            for i, item in enumerate(section.items):
                if item.id in seen:
                    raise ValueError(f"sections[{s}].items[{i}]: the item id {item.id!r} is used twice; "
                                     "item ids are unique across the scorecard")
                seen.add(item.id)
            if all(item.bonus for item in section.items):
                raise ValueError(f"sections[{s}] ({section.id}): a section needs at least one item that is not a bonus")
        return self

    @property
    def items(self) -> list[tuple[Section, Item]]:
        return [(s, i) for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item | None:
        return next((i for _, i in self.items if i.id == item_id), None)

    @property
    def digest(self) -> str:
        """Identifies the definition's content: an edit gives a new digest (and, once used, a new version)."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json", by_alias=True, exclude_none=True),
                                         sort_keys=True).encode()).hexdigest()

    def rules_used(self) -> set[str]:
        out: set[str] = set()
        for _, item in self.items:
            for cond in (item.na_when, item.source.when if item.source else None):
                if cond is not None:
                    out |= cond.rules()
            if item.source and item.source.rule:
                out.add(item.source.rule)
        return out

    def check_rules(self, ruleset: RuleSet, where: str) -> None:
        known = {r.name for r in ruleset.rules}
        missing = sorted(self.rules_used() - known)
        if missing:
            raise ConfigError(f"{where}: the scorecard uses rule {missing[0]!r}, which no rules file defines "
                              f"(known rules: {', '.join(sorted(known))})",
                              hint="Define it in your rules file (--rules) or fix the name.")


def load(path: Path | str | None = None) -> Scorecard:
    """A scorecard from YAML; without a path, heard's default empathy-balanced scorecard."""
    return load_model(path or DEFAULT, Scorecard, what="scorecard", hint=HINT)
