"""What the API and the pages show, assembled from the store and always scoped to the user's calls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from heard.auth.accounts import User, call_scope
from heard.empathy.lexicon import BEHAVIOURS
from heard.model import Call, CallAnalysis
from heard.scorecards.scoring import Result
from heard.store import Store
from heard.store.schema import calls, scorecards, scores

DEFAULT_CARD = "empathy_balanced"
SORTS = ("started_at", "-started_at", "score", "-score", "agent", "id")


class CallFilters(BaseModel):
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_score: float | None = Field(default=None, ge=0, le=100)
    max_score: float | None = Field(default=None, ge=0, le=100)
    behaviour: str | None = Field(default=None, description="only calls where this behaviour was found")
    missing: str | None = Field(default=None, description="only calls where this behaviour was not found")
    robotic: bool | None = Field(default=None, description="true: calls with robotic-empathy flags; false: without")
    escalation: bool | None = Field(default=None, description="true: calls with an escalation moment")
    sort: Literal["started_at", "-started_at", "score", "-score", "agent", "id"] = "-started_at"
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


def _latest_scores(store: Store, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(scores.c.call_id, scores.c.final_total, scores.c.auto_total, scores.c.auto_failed,
                                   scores.c.final, scorecards.c.version)
                            .join(scorecards, scorecards.c.id == scores.c.scorecard_id)
                            .where(scorecards.c.name == DEFAULT_CARD, scores.c.call_id.in_(ids))
                            .order_by(scorecards.c.version, scores.c.updated_at, scores.c.id))
        for r in rows:  # the last row per call is the newest version's newest score
            out[r.call_id] = {"score": r.final_total, "auto_score": r.auto_total, "auto_failed": r.auto_failed,
                              "category": (r.final or {}).get("category"), "version": r.version}
    return out


EMPTY = {"behaviours": [], "robotic": 0, "escalations": 0, "opportunities": 0, "met": 0, "duration": None}


def summary_of(analysis: CallAnalysis | None) -> dict[str, Any]:
    return analysis.summary() if analysis is not None else dict(EMPTY)


_ROW = select(calls.c.id, calls.c.agent_id, calls.c.team, calls.c.queue, calls.c.reason, calls.c.started_at,
              calls.c.channel, calls.c.n_turns)
NO_SCORE = {"score": None, "auto_score": None, "auto_failed": None, "category": None}


def _decorate(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Call rows with their latest score and stored summary (behaviours and flags) and an ISO start time."""
    ids = [r["id"] for r in rows]
    scored = _latest_scores(store, ids)
    summaries = store.latest_summaries(ids)   # one query per 500 calls
    for r in rows:
        r.update(scored.get(r["id"], NO_SCORE))
        r["started_at"] = r["started_at"].isoformat() if isinstance(r["started_at"], datetime) else None
        r.update(summaries.get(r["id"], EMPTY))
    return rows


def call_rows(store: Store, user: User, filters: CallFilters) -> tuple[list[dict[str, Any]], int]:
    """The user's calls matching the filters, sorted, one page; and how many matched in all."""
    query = _ROW.where(call_scope(user))
    for column, value in ((calls.c.agent_id, filters.agent), (calls.c.team, filters.team),
                          (calls.c.queue, filters.queue)):
        if value:
            query = query.where(column == value)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    if filters.date_from or filters.date_to:
        rows = [r for r in rows if r["started_at"] is not None
                and (filters.date_from is None or r["started_at"].date() >= filters.date_from)
                and (filters.date_to is None or r["started_at"].date() <= filters.date_to)]
    out = _decorate(store, rows)
    if filters.min_score is not None:
        out = [r for r in out if r["score"] is not None and r["score"] >= filters.min_score]
    if filters.max_score is not None:
        out = [r for r in out if r["score"] is not None and r["score"] <= filters.max_score]
    if filters.behaviour:
        out = [r for r in out if filters.behaviour in r["behaviours"]]
    if filters.missing:
        out = [r for r in out if filters.missing not in r["behaviours"]]
    if filters.robotic is not None:
        out = [r for r in out if (r["robotic"] > 0) == filters.robotic]
    if filters.escalation is not None:
        out = [r for r in out if (r["escalations"] > 0) == filters.escalation]
    key = filters.sort.lstrip("-")
    field = {"started_at": "started_at", "score": "score", "agent": "agent_id", "id": "id"}[key]
    present = [r for r in out if r[field] is not None]
    absent = [r for r in out if r[field] is None]
    present.sort(key=lambda r: r[field], reverse=filters.sort.startswith("-"))
    out = present + absent
    return out[filters.offset: filters.offset + filters.limit], len(out)


def iter_call_rows(store: Store, user: User, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every call the user may see, in call id order, with the same fields as `call_rows`: read `batch` calls at
    a time (keyset paging on the call id), so memory does not grow with the number of calls."""
    after: str | None = None
    while True:
        query = _ROW.where(call_scope(user)).order_by(calls.c.id).limit(batch)
        if after is not None:
            query = query.where(calls.c.id > after)
        with store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return
        yield from _decorate(store, rows)
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def score_of(store: Store, call_id: str) -> dict[str, Any] | None:
    """The newest score of a call on the default scorecard: automatic and final results."""
    with store.engine.connect() as conn:
        row = conn.execute(select(scores.c.automatic, scores.c.final, scores.c.review, scores.c.analysers,
                                  scorecards.c.name, scorecards.c.version, scorecards.c.definition)
                           .join(scorecards, scorecards.c.id == scores.c.scorecard_id)
                           .where(scores.c.call_id == call_id, scorecards.c.name == DEFAULT_CARD)
                           .order_by(scorecards.c.version.desc(), scores.c.updated_at.desc(), scores.c.id.desc())
                           ).first()
    if row is None:
        return None
    return {"scorecard": row.name, "version": row.version, "automatic": row.automatic, "final": row.final,
            "review": row.review, "analysers": row.analysers, "definition": row.definition}


def call_detail(call: Call, analysis: CallAnalysis | None) -> dict[str, Any]:
    """A call's turns with the evidence spans to highlight, the markers between turns, and the sentiment curve."""
    marks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if analysis is not None:
        for f in analysis.findings:
            if f.kind not in ("behaviour", "robotic", "opportunity", "overlap", "escalation", "frustration_cue",
                              "handoff"):
                continue
            if f.kind == "overlap" and f.label != "interruption":
                continue
            for e in f.evidence[:1] if f.kind == "opportunity" else f.evidence:
                marks[e.turn].append({"kind": f.kind, "label": f.label, "span": list(e.span) if e.span else None,
                                      "confidence": f.confidence})
    gaps = []
    if analysis is not None:
        for f in analysis.findings:
            if f.kind == "non_talk" and f.evidence:
                gaps.append({"after_turn": f.evidence[0].turn, "label": f.label,
                             "seconds": f.detail.get("seconds") or f.detail.get("duration")})
    sentiment = [{"turn": m.turns[0], "time": call.turns[m.turns[0]].start, "value": m.value}
                 for m in (analysis.metrics if analysis else [])
                 if m.name == "turn_sentiment" and m.party is not None and m.party.value == "customer" and m.turns]
    turns = []
    for i, t in enumerate(call.turns):
        turns.append({"index": i, "speaker": t.speaker.value, "start": t.start, "end": t.end, "text": t.text,
                      "marks": marks.get(i, [])})
    return {"id": call.id, "agent_id": call.agent_id, "team": call.team, "queue": call.queue, "reason": call.reason,
            "started_at": call.started_at.isoformat() if call.started_at else None, "channel": call.channel.value,
            "outcome": call.outcome.model_dump(exclude_none=True) if call.outcome else None, "turns": turns,
            "gaps": gaps, "customer_sentiment": sentiment, "summary": summary_of(analysis),
            "speakers": call.speaker_mapping.model_dump(mode="json") if call.speaker_mapping else None}


def behaviour_rates(store: Store, ids: list[str]) -> dict[str, float]:
    """Share of the calls in which each behaviour was found."""
    counts: dict[str, int] = defaultdict(int)
    summaries = store.latest_summaries(ids)
    n = len(summaries)
    for summary in summaries.values():
        for label in summary["behaviours"]:
            counts[label] += 1
    return {b: round(100 * counts[b] / n, 1) if n else 0.0 for b in (*BEHAVIOURS, "early_acknowledgement")}


def weekly(rows: list[dict[str, Any]], group: str) -> dict[str, dict[str, float]]:
    """Mean score per ISO week (YYYY-Www) per group value."""
    buckets: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["score"] is None or not r["started_at"]:
            continue
        year, week, _ = datetime.fromisoformat(r["started_at"]).isocalendar()
        buckets[r[group] or "-"][f"{year}-W{week:02d}"].append(r["score"])
    return {g: {w: round(sum(v) / len(v), 1) for w, v in sorted(weeks.items())} for g, weeks in buckets.items()}


def result_of(data: dict[str, Any]) -> Result:
    return Result.model_validate(data)
