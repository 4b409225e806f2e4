"""One row per stored call for the outcome analyses: what the agent did (behaviours, opportunity response,
robotic flags, scorecard sections), what the call was (queue, reason, the customer's starting sentiment,
length, heavy or not), and what happened after (outcomes, imported or derived; heard.insights.derive).

Read from the stored summaries (one small JSON per call), never from whole calls, in batches: memory grows with
the number of calls times a few dozen numbers, not with the transcripts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, select, true

from heard.analysers.heavy import is_heavy
from heard.empathy.lexicon import BEHAVIOURS
from heard.insights.derive import derive
from heard.store import Store, aware
from heard.store.schema import calls, outcomes, scorecards, scores

BATCH = 2000
OUTCOMES = ("csat", "nps", "fcr", "repeat_contact", "escalated", "churned", "handle_time")
# summary keys the rows need; a stored summary written before they existed is recomputed from its analysis
NEEDED = ("customer_start", "recovery", "cues", "handoffs", "heavy")


class InsightsSettings(BaseModel):
    """`[insights]` in heard.toml: how outcomes are derived and when an effect is reported."""

    model_config = ConfigDict(extra="forbid")

    customer_keys: list[str] = Field(
        default=["customer_id", "customer", "account_id", "caller_id"],
        description="call metadata keys that identify the customer (first present wins); used for repeat contacts")
    repeat_window_days: int = Field(default=7, ge=1, le=365,
                                    description="a contact within this many days counts as a repeat (unless the "
                                                "outcome row gives repeat_window_days)")
    min_calls: int = Field(default=30, ge=10, description="calls with the outcome known before an effect is shown")
    min_each_side: int = Field(default=10, ge=3,
                               description="calls with and without a behaviour (and yes and no answers of a yes/no "
                                           "outcome) before an effect is shown")
    min_agents: int = Field(default=5, ge=2, description="agents behind the calls before an effect is shown "
                                                         "(intervals are clustered by agent)")
    fdr: float = Field(default=0.10, gt=0, lt=1, description="false-discovery rate for marking findings")


@dataclass
class Frame:
    """The rows, and what was derived rather than imported (outcome -> number of calls)."""

    rows: pd.DataFrame
    derived: dict[str, int] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)   # column -> section title
    scorecard: str | None = None
    censored: int = 0      # calls too recent for their repeat-contact window to have closed


def customer_of(meta: dict[str, Any] | None, keys: Sequence[str]) -> str | None:
    """The customer a call is with: the first of `keys` present in its metadata ([insights] customer_keys)."""
    for key in keys:
        value = (meta or {}).get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def _flag(value: Any) -> float:
    return 1.0 if value is True else 0.0 if value is False else math.nan


def _summary_columns(summary: dict[str, Any] | None) -> dict[str, float]:
    if summary is None:
        return {f"b_{b}": math.nan for b in BEHAVIOURS} | dict.fromkeys(
            ("robotic", "opp_rate", "behaviour_count", "start_sentiment", "recovery", "duration", "heavy",
             "handoff", "manager_request"), math.nan)
    found = set(summary.get("behaviours") or [])
    opps, met = summary.get("opportunities") or 0, summary.get("met") or 0
    start = _num(summary.get("customer_start"))
    handoffs = summary.get("handoffs")
    return {f"b_{b}": float(b in found) for b in BEHAVIOURS} | {
        "robotic": float((summary.get("robotic") or 0) > 0),
        "opp_rate": met / opps if opps else math.nan,
        "behaviour_count": float(len(found & set(BEHAVIOURS))),
        "start_sentiment": start,
        "recovery": _num(summary.get("recovery")),
        "duration": _num(summary.get("duration")),
        "heavy": _flag(is_heavy(summary)),
        "handoff": math.nan if handoffs is None else float(bool(set(handoffs) & {"transfer", "supervisor"})),
        "manager_request": math.nan if handoffs is None else float("manager_request" in handoffs),
    }


def _batches(store: Store, scope: ColumnElement[bool]) -> Iterator[Sequence[Any]]:
    """Calls in scope with their outcome rows, in id order, a batch at a time (keyset paging)."""
    last = ""
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(calls.c.id, calls.c.agent_id, calls.c.team, calls.c.queue, calls.c.reason,
                       calls.c.started_at, calls.c.meta, calls.c.n_turns, outcomes.c.data)
                .outerjoin(outcomes, outcomes.c.call_id == calls.c.id)
                .where(scope, calls.c.id > last).order_by(calls.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _section_scores(store: Store, ids: list[str], card_id: int | None) -> dict[str, dict[str, float | None]]:
    """The final section scores (0-100) of each call's newest score on the scorecard."""
    if card_id is None:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(scores.c.call_id, scores.c.final)
                            .where(scores.c.scorecard_id == card_id, scores.c.call_id.in_(ids))
                            .order_by(scores.c.call_id, scores.c.updated_at, scores.c.id)).all()
    return {r.call_id: (r.final or {}).get("sections") or {} for r in rows}   # the newest wins: ordered last


def _scorecard(store: Store, name: str | None) -> tuple[int | None, str | None, dict[str, str]]:
    """The scorecard whose sections are studied: the named one, else the one with the most scores (its newest
    version)."""
    with store.engine.connect() as conn:
        if name is None:
            top = conn.execute(select(scorecards.c.name, func.count().label("n"))
                               .join(scores, scores.c.scorecard_id == scorecards.c.id)
                               .group_by(scorecards.c.name).order_by(func.count().desc(), scorecards.c.name)).first()
            if top is None:
                return None, None, {}
            name = top.name
        row = conn.execute(select(scorecards).where(scorecards.c.name == name)
                           .order_by(scorecards.c.version.desc())).first()
    if row is None:
        return None, None, {}
    titles = {f"s_{s['id']}": s.get("title", s["id"]) for s in row.definition.get("sections", [])}
    return row.id, name, titles


def load(store: Store, scope: ColumnElement[bool] | None = None, settings: InsightsSettings | None = None, *,
         scorecard: str | None = None) -> Frame:
    """The rows for every call in scope (all calls by default), with outcomes derived where none was imported."""
    settings = settings or InsightsSettings()
    card_id, card_name, titles = _scorecard(store, scorecard)
    parts: list[pd.DataFrame] = []
    for rows in _batches(store, scope if scope is not None else true()):
        ids = [r.id for r in rows]
        summaries = store.latest_summaries(ids, need=NEEDED)
        sections = _section_scores(store, ids, card_id)
        records = []
        for r in rows:
            data = r.data or {}
            record: dict[str, Any] = {
                "call_id": r.id, "agent_id": r.agent_id or "unknown", "team": r.team or "unknown",
                "queue": r.queue or "unknown", "reason": r.reason or "unknown",
                "started_at": aware(r.started_at) if r.started_at else None,
                "customer": customer_of(r.meta, settings.customer_keys), "n_turns": float(r.n_turns),
                "window_days": float(data.get("repeat_window_days") or settings.repeat_window_days),
                "comment": data.get("survey_comment"),
                "analysed": float(r.id in summaries),
            }
            for name in OUTCOMES:
                value = data.get(name)
                record[name] = _flag(value) if isinstance(value, bool) else _num(value)
            record |= _summary_columns(summaries.get(r.id))
            own = sections.get(r.id, {})
            record |= {col: _num(own.get(col[2:])) for col in titles}
            records.append(record)
        parts.append(pd.DataFrame.from_records(records))
    frame = pd.concat(parts, ignore_index=True) if parts else _empty(titles, settings)
    for col in ("agent_id", "team", "queue", "reason"):
        if col in frame:
            frame[col] = frame[col].astype("category")
    result = Frame(rows=frame, sections=titles, scorecard=card_name)
    result.imported = {name: int(frame[name].notna().sum()) if name in frame else 0 for name in OUTCOMES}
    with store.engine.connect() as conn:
        until = conn.execute(select(func.max(calls.c.started_at))).scalar()
    result.derived, result.censored = derive(frame, None if scope is None else _contacts(store, settings.customer_keys),
                                             aware(until) if until else None)
    return result


def _empty(titles: dict[str, str], settings: InsightsSettings) -> pd.DataFrame:
    """No calls in scope: every column still there, so each analysis says "too few calls" rather than failing."""
    text = ["call_id", "agent_id", "team", "queue", "reason", "started_at", "customer", "comment"]
    numbers = ["n_turns", "window_days", "analysed", *OUTCOMES, *_summary_columns(None), *titles]
    return pd.DataFrame({**{c: pd.Series(dtype=object) for c in text},
                         **{c: pd.Series(dtype=float) for c in numbers}})


def _contacts(store: Store, keys: Sequence[str]) -> Iterator[tuple[str, str, datetime]]:
    """(customer, call id, start) of every stored call with both, whatever the scope: a repeat contact may reach
    another team."""
    last = ""
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(select(calls.c.id, calls.c.meta, calls.c.started_at)
                                .where(calls.c.id > last, calls.c.started_at.is_not(None))
                                .order_by(calls.c.id).limit(BATCH)).all()
        if not rows:
            return
        for r in rows:
            customer = customer_of(r.meta, keys)
            if customer is not None:
                yield customer, r.id, aware(r.started_at)
        last = rows[-1].id


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)
