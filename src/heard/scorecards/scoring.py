"""Answer a scorecard's automatic items from a call's analysis, and turn answers into scores.

Scoring modes (as the leaders name them):
  item_weighted     total = sum(weight x fraction) / sum(weight) over every answered item
  section_weighted  each section scored item-weighted, total = sum(section weight x section score) / sum(weights)
  points            total = points earned / points possible (a yes/no or scale item is worth its weight)
An item's fraction: yes 1, no 0; scale (answer - 1) / 4; points answer / max_points.
N/A and unanswered manual items are left out of both sides. Bonus items add to the earned side only
(capped at 100 unless bonus_can_exceed_100). An auto-fail item answered "no" (fraction 0) sets the total to 0
and says why; section scores are still reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heard.errors import ConfigError
from heard.model import Evidence
from heard.scorecards.conditions import (
    Facts,
    Match,
    evaluate,
    find_metric,
    handle_time_ratio,
    heavy_reason,
    metric_evidence,
)
from heard.scorecards.definition import Item, Scorecard, Section, Source
from heard.scorecards.rules import RuleSet, evaluate_rules

AnswerValue = str | float | None


class ItemAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    section: str
    answer: AnswerValue = None            # "yes" / "no", 1-5, or points; None when N/A or not answered yet
    fraction: float | None = None
    na: bool = False
    pending: bool = False                 # a manual item nobody has answered
    by: Literal["automatic", "evaluator"] = "automatic"
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float | None = None
    why: str = ""
    comment: str | None = None


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: float | None
    sections: dict[str, float | None]
    auto_failed: bool = False
    fail_reasons: list[str] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list)
    category: Literal["needs_improvement", "meets", "exceeds"] | None = None
    answers: list[ItemAnswer]


def fraction(item: Item, answer: AnswerValue) -> float:
    """The share of the item's weight an answer earns; raises ConfigError for an answer the item cannot take."""
    if item.answer == "yes_no":
        if answer not in ("yes", "no"):
            raise ConfigError(f"item {item.id}: answer {answer!r} is not allowed; use yes or no (or na)")
        return 1.0 if answer == "yes" else 0.0
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"item {item.id}: answer {answer!r} is not a number") from None
    if item.answer == "scale":
        if value not in (1, 2, 3, 4, 5):
            raise ConfigError(f"item {item.id}: answer {answer!r} is not allowed; use a whole number from 1 to 5")
        return (value - 1) / 4
    assert item.max_points is not None
    if not 0 <= value <= item.max_points:
        raise ConfigError(f"item {item.id}: answer {answer!r} is not allowed; use 0 to {item.max_points:g} points")
    return value / item.max_points


def parse_answer(item: Item, text: str) -> str | float:
    """An evaluator's answer as typed ("yes", "4", "7.5", "na") in the item's own type; ConfigError if it cannot be."""
    if text == "na":
        return text
    value: str | float = text
    if item.answer != "yes_no":
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"item {item.id}: answer {text!r} is not a number") from None
    fraction(item, value)  # validates, with a clear error
    return value


def _level(source: Source, value: float) -> int:
    assert source.scale is not None
    if source.higher_is_better:
        return 1 + sum(value >= cut for cut in source.scale)
    return 1 + sum(value <= cut for cut in source.scale)


def _value(source: Source, facts: Facts) -> tuple[float | None, list[Evidence], str]:
    """For metric / handle_time sources: the raw value (None when unavailable), its evidence, and why."""
    if source.handle_time:
        heavy = heavy_reason(facts) if source.heavy_calls != "count" else None
        if heavy is not None and source.heavy_calls == "exclude":
            return None, [], f"an emotionally heavy call ({heavy}): handle time is not scored on heavy calls"
        ratio, why = handle_time_ratio(facts, heavy=heavy is not None)
        return ratio, [], why + (f" (an emotionally heavy call: {heavy})" if heavy else "")
    assert source.metric is not None
    metric = find_metric(facts, source.metric, source.party)
    value = None if metric is None or metric.value is None else float(metric.value)
    label = f" ({metric.label})" if metric is not None and metric.label else ""
    why = f"{source.metric} = {value:.4g}" if value is not None else f"{source.metric} is not available{label}"
    return value, metric_evidence(facts, metric), why


def answer_item(section: Section, item: Item, facts: Facts) -> ItemAnswer:
    """The automatic answer to one item (pending when an evaluator answers it)."""
    base = {"item": item.id, "section": section.id}
    if item.na_when is not None:
        na = evaluate(item.na_when, facts)
        if na.matched:
            return ItemAnswer(**base, na=True, evidence=na.evidence, why=f"not applicable: {na.why}")
    source = item.source
    if source is None:
        return ItemAnswer(**base, pending=True, why="answered by an evaluator")
    if source.when is not None or source.rule is not None:
        cond = source.when
        match = evaluate(cond, facts) if cond is not None else facts.rules.get(source.rule or "") or \
            Match(False, why=f"rule {source.rule} was not evaluated", missing=True)
        if match.missing:
            return ItemAnswer(**base, na=True, evidence=match.evidence, why=f"not applicable: {match.why}")
        answer: AnswerValue = {"yes_no": "yes" if match.matched else "no",
                               "scale": 5.0 if match.matched else 1.0,
                               "points": (item.max_points or 0.0) if match.matched else 0.0}[item.answer]
        return ItemAnswer(**base, answer=answer, fraction=fraction(item, answer), evidence=match.evidence,
                          confidence=round(match.confidence, 4), why=match.why)
    value, evidence, why = _value(source, facts)
    if value is None:
        return ItemAnswer(**base, na=True, evidence=evidence, why=f"not applicable: {why}")
    level = _level(source, value)
    answer = float(level) if item.answer == "scale" else (item.max_points or 0.0) * (level - 1) / 4
    return ItemAnswer(**base, answer=answer, fraction=fraction(item, answer), evidence=evidence, confidence=1.0,
                      why=f"{why}; on the scale {source.scale} that is {level} of 5")


def answer_automatically(card: Scorecard, facts: Facts, ruleset: RuleSet | None = None) -> list[ItemAnswer]:
    """Every item's automatic answer, with its evidence; rules are evaluated first if given."""
    if ruleset is not None:
        evaluate_rules(ruleset, facts)
    return [answer_item(section, item, facts) for section, item in card.items]


def reviewed(card: Scorecard, automatic: list[ItemAnswer], review: Mapping[str, Mapping[str, Any]]) -> list[ItemAnswer]:
    """The final answers: an evaluator's answer (or "na") replaces the automatic one for that item."""
    out = []
    for a in automatic:
        given = review.get(a.item)
        if given is None:
            out.append(a)
            continue
        item = card.item(a.item)
        assert item is not None
        value = given.get("answer")
        if value == "na":
            out.append(a.model_copy(update={"answer": None, "fraction": None, "na": True, "pending": False,
                                            "by": "evaluator", "comment": given.get("comment")}))
        else:
            out.append(a.model_copy(update={"answer": value, "fraction": fraction(item, value), "na": False,
                                            "pending": False, "by": "evaluator", "comment": given.get("comment")}))
    return out


def _worth(item: Item) -> float:
    return item.max_points if item.answer == "points" and item.max_points else item.weight


def compute(card: Scorecard, answers: list[ItemAnswer]) -> Result:
    """Scores from answers: pure arithmetic, the same for automatic and reviewed answers."""
    by_id = {a.item: a for a in answers}
    cap = (lambda x: x) if card.bonus_can_exceed_100 else (lambda x: min(100.0, x))
    worth = _worth if card.scoring == "points" else (lambda item: item.weight)

    def ratio(pairs: list[tuple[Section, Item]]) -> float | None:
        regular = [(i, by_id[i.id]) for _, i in pairs if not i.bonus and by_id[i.id].fraction is not None]
        possible = sum(worth(i) for i, _ in regular)
        if not possible:
            return None
        earned = sum(worth(i) * (a.fraction or 0.0) for i, a in regular)
        bonus = sum(worth(i) * (by_id[i.id].fraction or 0.0) for _, i in pairs if i.bonus)
        return cap(100.0 * (earned + bonus) / possible)

    sections = {s.id: ratio([(s, i) for i in s.items]) for s in card.sections}
    if card.scoring == "section_weighted":
        weighted = [(s.weight, sections[s.id]) for s in card.sections if sections[s.id] is not None]
        total = sum(w * (v or 0.0) for w, v in weighted) / sum(w for w, _ in weighted) if weighted else None
    else:
        total = ratio(card.items)
    reasons = [f"{i.id}: {i.question} Answered {by_id[i.id].answer} ({by_id[i.id].why})"
               for _, i in card.items if i.auto_fail and by_id[i.id].fraction == 0.0]
    if reasons:
        total = 0.0
    category = None if total is None else "needs_improvement" if total < card.thresholds.needs_improvement_below \
        else "exceeds" if total >= card.thresholds.exceeds_at else "meets"
    return Result(total=None if total is None else round(total, 2),
                  sections={k: None if v is None else round(v, 2) for k, v in sections.items()},
                  auto_failed=bool(reasons), fail_reasons=reasons, pending=[a.item for a in answers if a.pending],
                  category=category, answers=answers)


def score(card: Scorecard, facts: Facts, ruleset: RuleSet | None = None) -> Result:
    """Answer every automatic item and score the call (manual items stay pending)."""
    return compute(card, answer_automatically(card, facts, ruleset))
