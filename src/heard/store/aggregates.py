"""The call list's columns on `calls` and the per-agent weekly totals (`agent_weeks`), kept up to date on write.

`refresh(conn, ids)` is called in the same transaction that saves an analysis or a score. It copies each call's
latest analysis summary and latest score (on LIST_CARD) onto its `calls` row, then recounts every agent-week those
calls belong to from the `calls` rows themselves. Recounting rather than adding a difference is what makes it
safe to call twice: re-analysing or re-scoring a call replaces its contribution, never adds it again, and
`rebuild(conn)` (the migration's backfill, and a repair) gives the same rows as any sequence of refreshes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from heard.model import CallAnalysis
from heard.store.schema import agent_weeks, analyses, calls, scorecards, scores

LIST_CARD = "empathy_balanced"   # the scorecard whose score the call list, agent and team pages show
BATCH = 500

Group = tuple[str | None, str | None, date | None]   # agent, team, Monday of the ISO week (UTC)


def week_of(started: datetime | None) -> date | None:
    """The Monday (UTC) of the ISO week a call started in; None for calls without a start time."""
    if started is None:
        return None
    day = (started.replace(tzinfo=UTC) if started.tzinfo is None else started.astimezone(UTC)).date()
    return day - timedelta(days=day.weekday())


def behaviour_text(labels: Iterable[str]) -> str:
    """Behaviours as ',a,b,' so `LIKE '%,a,%'` finds one exactly (',' for an analysis that found none)."""
    return "," + "".join(f"{label}," for label in sorted(labels))


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for offset in range(0, len(ids), BATCH):
        yield list(ids[offset: offset + BATCH])


def refresh(conn: Connection, call_ids: Iterable[str], *, also: Iterable[Group] = ()) -> None:
    """Copy these calls' latest summary and score onto their rows and recount their agent-weeks (and `also`'s:
    the groups they were in before their agent, team or start time changed)."""
    ids = sorted(set(call_ids))
    groups: set[Group] = set(also)
    for chunk in _chunks(ids):
        _copy_facts(conn, chunk)
        groups |= {(r.agent_id, r.team, week_of(r.started_at)) for r in conn.execute(
            select(calls.c.agent_id, calls.c.team, calls.c.started_at).where(calls.c.id.in_(chunk)))}
    recount(conn, groups)


def groups_of(conn: Connection, call_ids: Iterable[str]) -> set[Group]:
    """The agent-weeks these calls are counted in now (read before changing their agent, team or start)."""
    out: set[Group] = set()
    for chunk in _chunks(sorted(set(call_ids))):
        out |= {(r.agent_id, r.team, week_of(r.started_at)) for r in conn.execute(
            select(calls.c.agent_id, calls.c.team, calls.c.started_at).where(calls.c.id.in_(chunk)))}
    return out


def rebuild(conn: Connection) -> None:
    """Recompute every call's list columns and every agent-week from scratch."""
    ids = list(conn.execute(select(calls.c.id).order_by(calls.c.id)).scalars())
    for chunk in _chunks(ids):
        _copy_facts(conn, chunk)
    conn.execute(delete(agent_weeks))
    totals: dict[Group, dict[str, Any]] = defaultdict(_empty)
    for row in conn.execute(_FACTS).yield_per(5000):
        _add(totals[(row.agent_id, row.team, week_of(row.started_at))], row)
    _write(conn, totals)


def _copy_facts(conn: Connection, chunk: list[str]) -> None:
    latest = select(func.max(analyses.c.id)).where(analyses.c.call_id.in_(chunk)).group_by(analyses.c.call_id)
    rows = conn.execute(select(analyses.c.id, analyses.c.call_id, analyses.c.summary)
                        .where(analyses.c.id.in_(latest))).all()
    old = [r.id for r in rows if r.summary is None]   # analyses stored before summaries were (migration 0004)
    results = {r.id: r.result for r in conn.execute(
        select(analyses.c.id, analyses.c.result).where(analyses.c.id.in_(old)))} if old else {}
    summaries = {r.call_id: CallAnalysis.model_validate(results[r.id]).summary() if r.id in results else r.summary
                 for r in rows}
    scored: dict[str, Any] = {}
    for r in conn.execute(select(scores.c.call_id, scores.c.final_total, scores.c.auto_total, scores.c.final,
                                 scorecards.c.version)
                          .join(scorecards, scorecards.c.id == scores.c.scorecard_id)
                          .where(scorecards.c.name == LIST_CARD, scores.c.call_id.in_(chunk))
                          .order_by(scorecards.c.version, scores.c.updated_at, scores.c.id)):
        scored[r.call_id] = r   # the last row per call is the newest version's newest score
    values = []
    for call_id in chunk:
        summary, score = summaries.get(call_id), scored.get(call_id)
        final = (score.final or {}) if score is not None else {}
        values.append({
            "cid": call_id, "summary": summary,
            "behaviours": behaviour_text(summary["behaviours"]) if summary is not None else None,
            "robotic": summary["robotic"] if summary is not None else None,
            "escalations": summary["escalations"] if summary is not None else None,
            "score": score.final_total if score is not None else None,
            "auto_score": score.auto_total if score is not None else None,
            "auto_failed": bool(final.get("auto_failed")) if score is not None else None,
            "category": final.get("category"), "score_version": score.version if score is not None else None,
            "score_items": {a["item"]: a["fraction"] for a in final.get("answers", []) if a.get("fraction") is not None}
            if score is not None else None})
    conn.execute(_UPDATE, values)


_UPDATE = update(calls).where(calls.c.id == bindparam("cid")).values(
    {name: bindparam(name) for name in ("summary", "behaviours", "robotic", "escalations", "score", "auto_score",
                                         "auto_failed", "category", "score_version", "score_items")})
# Only calls with an analysis or a score count: importing a call changes no total, and replacing one (which drops
# its analyses and scores) takes it out again through recount().
_FACTS = select(calls.c.agent_id, calls.c.team, calls.c.started_at, calls.c.summary, calls.c.robotic,
                calls.c.escalations, calls.c.score, calls.c.auto_failed, calls.c.score_items).where(
    or_(calls.c.summary.is_not(None), calls.c.score_version.is_not(None)))


def _empty() -> dict[str, Any]:
    return {"calls": 0, "analysed": 0, "behaviours": {}, "robotic": 0, "escalations": 0, "scored": 0,
            "score_sum": 0.0, "auto_fails": 0, "item_sums": {}}


def _add(total: dict[str, Any], row: Any) -> None:
    total["calls"] += 1
    if row.summary is not None:
        total["analysed"] += 1
        for label in row.summary["behaviours"]:
            total["behaviours"][label] = total["behaviours"].get(label, 0) + 1
        total["robotic"] += (row.robotic or 0) > 0
        total["escalations"] += (row.escalations or 0) > 0
    if row.score is not None:
        total["scored"] += 1
        total["score_sum"] += row.score
    total["auto_fails"] += bool(row.auto_failed)
    for item, value in (row.score_items or {}).items():
        pair = total["item_sums"].setdefault(item, [0.0, 0])
        pair[0] += value
        pair[1] += 1


def _in_group(group: Group) -> ColumnElement[bool]:
    agent, team, week = group
    parts = [calls.c.agent_id == agent if agent is not None else calls.c.agent_id.is_(None),
             calls.c.team == team if team is not None else calls.c.team.is_(None)]
    if week is None:
        parts.append(calls.c.started_at.is_(None))
    else:
        monday = datetime.combine(week, time(), UTC)
        parts += [calls.c.started_at >= monday, calls.c.started_at < monday + timedelta(days=7)]
    return and_(*parts)


def _is_row(group: Group) -> ColumnElement[bool]:
    agent, team, week = group
    return and_(agent_weeks.c.agent_id == agent if agent is not None else agent_weeks.c.agent_id.is_(None),
                agent_weeks.c.team == team if team is not None else agent_weeks.c.team.is_(None),
                agent_weeks.c.week == week if week is not None else agent_weeks.c.week.is_(None))


def recount(conn: Connection, groups: Iterable[Group]) -> None:
    """Count these agent-weeks again from the calls rows."""
    ordered = sorted(groups, key=lambda g: (g[0] or "", g[1] or "", g[2] or date.min))  # one lock order: no deadlock
    for offset in range(0, len(ordered), 100):
        part = ordered[offset: offset + 100]
        conn.execute(delete(agent_weeks).where(or_(*(_is_row(g) for g in part))))
        totals: dict[Group, dict[str, Any]] = defaultdict(_empty)
        for row in conn.execute(_FACTS.where(or_(*(_in_group(g) for g in part)))):
            _add(totals[(row.agent_id, row.team, week_of(row.started_at))], row)
        _write(conn, totals)


def _write(conn: Connection, totals: dict[Group, dict[str, Any]]) -> None:
    rows = [{"agent_id": agent, "team": team, "week": week, **total} for (agent, team, week), total in totals.items()]
    for offset in range(0, len(rows), 5000):
        conn.execute(insert(agent_weeks), rows[offset: offset + 5000])


__all__ = ["LIST_CARD", "Group", "behaviour_text", "groups_of", "rebuild", "recount", "refresh", "week_of"]
