"""Scores per agent and per team: total and sections, every item's rate, the weakest items, and how often
evaluators overrode the automatic answer."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from heard.scorecards.definition import Scorecard
from heard.scorecards.scoring import Result

Which = Literal["final", "automatic"]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def summarise(rows: list[dict[str, Any]], card: Scorecard, *, by: Literal["agent", "team"] = "agent",
              which: Which = "final", weakest: int = 3) -> list[dict[str, Any]]:
    """One summary per agent (or team): calls, mean total, auto-fails, section means, item rates, weakest items."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = (row["team"] or "-", row["agent"] or "-") if by == "agent" else (row["team"] or "-", "")
        groups[key].append(row)
    questions = {i.id: i.question for _, i in card.items}
    out = []
    for (team, agent), members in sorted(groups.items()):
        results: list[Result] = [r[which] for r in members]
        items: dict[str, list[float]] = defaultdict(list)
        for result in results:
            for a in result.answers:
                if a.fraction is not None:
                    items[a.item].append(a.fraction)
        rates = {item: round(100 * sum(v) / len(v), 1) for item, v in items.items() if v}
        regular = [i.id for _, i in card.items if not i.bonus]
        weak = sorted((r, i) for i, r in rates.items() if i in regular)[:weakest]
        overrides, reviewed = _overrides(members)
        out.append({
            "team": team, **({"agent": agent} if by == "agent" else {}), "calls": len(members),
            "score": _mean([r.total for r in results if r.total is not None]),
            "auto_fails": sum(r.auto_failed for r in results),
            "sections": {s.id: _mean([v for r in results if (v := r.sections.get(s.id)) is not None])
                         for s in card.sections},
            "items": rates,
            "weakest": [{"item": i, "rate": r, "question": questions[i]} for r, i in weak],
            "reviewed_items": reviewed, "overridden_items": overrides,
        })
    return out


def _overrides(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(answers an evaluator changed, answers an evaluator gave) over items that had an automatic answer."""
    changed = given = 0
    for row in rows:
        automatic = {a.item: a for a in row["automatic"].answers}
        for item, review in row["review"].items():
            auto = automatic.get(item)
            if auto is None or auto.pending:
                continue
            given += 1
            answer = None if review["answer"] == "na" else review["answer"]
            if answer != auto.answer and not (answer is None and auto.na):
                changed += 1
    return changed, given


def score_rows(rows: list[dict[str, Any]], card: Scorecard) -> list[dict[str, Any]]:
    """One flat row per scored call, for CSV / Parquet: totals, sections and every item's final answer."""
    out = []
    for row in rows:
        final: Result = row["final"]
        auto: Result = row["automatic"]
        flat: dict[str, Any] = {"call_id": row["call_id"], "agent": row["agent"], "team": row["team"],
                                "queue": row["queue"], "scorecard": row["scorecard"], "version": row["version"],
                                "auto_total": auto.total, "final_total": final.total, "auto_failed": final.auto_failed,
                                "category": final.category, "pending": ",".join(final.pending)}
        for s in card.sections:
            flat[f"section_{s.id}"] = final.sections.get(s.id)
        for a in final.answers:
            flat[f"item_{a.item}"] = "na" if a.na else None if a.pending else str(a.answer)
        out.append(flat)
    return out
