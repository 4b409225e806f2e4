"""What the API and the pages show, assembled from the store and always scoped to the user's calls."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Connection, Select, and_, false, func, literal, not_, or_, select, text, true, tuple_
from sqlalchemy.sql.elements import ColumnElement

from heard.auth.accounts import User, UserRole, call_scope
from heard.empathy.lexicon import BEHAVIOURS
from heard.model import Call, CallAnalysis, Role
from heard.scorecards.definition import Scorecard
from heard.scorecards.scoring import Result
from heard.store import Store, aggregates
from heard.store.schema import agent_weeks, calls, scorecards, scores

DEFAULT_CARD = aggregates.LIST_CARD
SORTS = ("started_at", "-started_at", "score", "-score", "agent", "id")
TOTAL_CAP = 1000   # counting stops past this: the list then says "total_exact": false and gives an estimate
_SORT_COLUMNS = {"started_at": calls.c.started_at, "score": calls.c.score, "agent": calls.c.agent_id,
                 "id": calls.c.id}


def _cursor(sort: str, row: dict[str, Any]) -> str:
    """The opaque `after` value that continues a list after this row: its sort key and id."""
    key = {"started_at": "started_at", "score": "score", "agent": "agent_id", "id": "id"}[sort.lstrip("-")]
    raw = json.dumps([sort, row[key], row["id"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[str, Any, str]:
    try:
        sort, key, call_id = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        if sort not in SORTS or not isinstance(call_id, str):
            raise ValueError(sort)
        if key is not None:
            if sort.lstrip("-") == "started_at":
                key = datetime.fromisoformat(key)
            elif sort.lstrip("-") == "score":
                key = float(key)
            elif not isinstance(key, str):
                raise ValueError(key)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor of this list: pass the `next` value of the previous page unchanged") from exc
    return sort, key, call_id


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
    after: str | None = Field(default=None, max_length=2000,
                              description="the `next` value of the previous page: the page after it (keyset "
                                          "paging, as fast deep in the list as on the first page)")

    @model_validator(mode="after")
    def _cursor_fits(self) -> CallFilters:
        if self.after is not None:
            sort, _, _ = _decode_cursor(self.after)
            if sort != self.sort:
                raise ValueError(f"the cursor continues a list sorted by {sort}, not {self.sort}: keep the sort")
            if self.offset:
                raise ValueError("give `after` or `offset`, not both")
        return self


EMPTY = {"behaviours": [], "robotic": 0, "escalations": 0, "opportunities": 0, "met": 0, "duration": None}


def summary_of(analysis: CallAnalysis | None) -> dict[str, Any]:
    return analysis.summary() if analysis is not None else dict(EMPTY)


_ROW = select(calls.c.id, calls.c.agent_id, calls.c.team, calls.c.queue, calls.c.reason, calls.c.started_at,
              calls.c.channel, calls.c.n_turns, calls.c.score, calls.c.auto_score, calls.c.auto_failed,
              calls.c.category, calls.c.score_version, calls.c.summary)


def _row(r: Any) -> dict[str, Any]:
    """A call row as the API shows it: its fields, latest score and stored summary, and an ISO start time."""
    return {"id": r.id, "agent_id": r.agent_id, "team": r.team, "queue": r.queue, "reason": r.reason,
            "started_at": r.started_at.isoformat() if isinstance(r.started_at, datetime) else None,
            "channel": r.channel, "n_turns": r.n_turns, "score": r.score, "auto_score": r.auto_score,
            "auto_failed": r.auto_failed, "category": r.category, "version": r.score_version,
            **(r.summary if r.summary is not None else EMPTY)}


def _where(user: User, filters: CallFilters) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions on `calls` (the list columns heard.store.aggregates keeps), scope first."""
    where = [call_scope(user)]
    for column, value in ((calls.c.agent_id, filters.agent), (calls.c.team, filters.team),
                          (calls.c.queue, filters.queue)):
        if value:
            where.append(column == value)
    if filters.date_from:
        where.append(calls.c.started_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        where.append(calls.c.started_at < datetime.combine(filters.date_to + timedelta(days=1), time(), UTC))
    if filters.min_score is not None:
        where.append(calls.c.score >= filters.min_score)
    if filters.max_score is not None:
        where.append(calls.c.score <= filters.max_score)
    if filters.behaviour:
        where.append(_found(filters.behaviour))
    if filters.missing:
        where.append(or_(calls.c.behaviours.is_(None), not_(_found(filters.missing))))
    for column, wanted in ((calls.c.robotic, filters.robotic), (calls.c.escalations, filters.escalation)):
        if wanted is True:
            where.append(column > 0)
        elif wanted is False:
            where.append(or_(column.is_(None), column <= 0))
    return where


def _found(label: str) -> ColumnElement[bool]:
    if "," in label:   # no behaviour's label has one, and it would break the ',a,b,' matching
        return false()
    return calls.c.behaviours.contains(f",{label},", autoescape=True)


def call_rows(store: Store, user: User, filters: CallFilters, *,
              count: bool = True) -> tuple[list[dict[str, Any]], int]:
    """The user's calls matching the filters, sorted, one page; and how many matched in all (up to TOTAL_CAP + 1:
    more than TOTAL_CAP means "at least that many"; -1 when `count` is false).

    Sorted by the key then the id, both in the sort's direction, calls without the key (no score, no start) last
    in id order. One query on the `calls` table's list columns; `after` continues from a page's last row through
    an index, so a deep page costs what the first one does."""
    query = _ROW.where(*_where(user, filters))
    key = _SORT_COLUMNS[filters.sort.lstrip("-")]
    desc = filters.sort.startswith("-")
    cursor = _decode_cursor(filters.after) if filters.after else None
    with store.engine.connect() as conn:
        rows = _page(conn, query, key, desc, cursor, filters.offset, filters.limit)
        total = -1
        if count:
            total = int(conn.execute(select(func.count()).select_from(
                query.with_only_columns(calls.c.id).limit(TOTAL_CAP + 1).subquery())).scalar_one())
    return [_row(r) for r in rows], total


def _page(conn: Connection, query: Select[Any], key: Any, desc: bool, cursor: tuple[str, Any, str] | None,
          offset: int, limit: int) -> list[Any]:
    """One page in two parts, calls with the sort key then those without it: each part is an index range scan,
    where one ORDER BY with NULLS LAST and a cursor OR-ed over both parts would not be."""
    ident = calls.c.id

    def order(column: Any) -> Any:
        return column.desc().nulls_last() if desc else column.asc().nulls_last()

    def beyond(left: Any, right: Any) -> ColumnElement[bool]:
        return left < right if desc else left > right

    if key is ident:
        if cursor is not None:
            query = query.where(beyond(ident, cursor[2]))
        return list(conn.execute(query.order_by(order(ident)).offset(offset).limit(limit)))
    rows: list[Any] = []
    if cursor is None or cursor[1] is not None:
        keyed = query.where(key.is_not(None))
        if cursor is not None:
            keyed = keyed.where(beyond(tuple_(key, ident), tuple_(literal(cursor[1], key.type), cursor[2])))
        rows = list(conn.execute(keyed.order_by(order(key), order(ident)).offset(offset).limit(limit)))
    if len(rows) == limit:
        return rows
    rest = query.where(key.is_(None))
    skip = 0
    if cursor is not None and cursor[1] is None:
        rest = rest.where(beyond(ident, cursor[2]))
    elif offset and not rows:   # the offset went past the calls with a key: skip the rest of it among those without
        before = conn.execute(select(func.count()).select_from(
            query.where(key.is_not(None)).with_only_columns(ident).subquery())).scalar_one()
        skip = max(0, offset - int(before))
    rows += conn.execute(rest.order_by(order(ident)).offset(skip).limit(limit - len(rows)))
    return rows


def estimated_total(store: Store, user: User, filters: CallFilters) -> int:
    """How many calls match, as PostgreSQL's planner estimates it (a millisecond, where counting a million rows
    takes a second): for lists past TOTAL_CAP. Never below TOTAL_CAP + 1; exactly that on other databases."""
    if store.engine.dialect.name != "postgresql":
        return TOTAL_CAP + 1
    compiled = select(calls.c.id).where(*_where(user, filters)).compile(dialect=store.engine.dialect)
    with store.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(TOTAL_CAP + 1, int(plan[0]["Plan"]["Plan Rows"]))


def next_after(filters: CallFilters, rows: list[dict[str, Any]]) -> str | None:
    """The `after` value for the page following these rows (None when this page was not full)."""
    return _cursor(filters.sort, rows[-1]) if len(rows) == filters.limit else None


def scope_options(store: Store, user: User, *, newest: int = 1000) -> dict[str, list[str]]:
    """The agents, teams and queues of the user's newest calls, for the list's filter menus."""
    query = (select(calls.c.agent_id, calls.c.team, calls.c.queue).where(call_scope(user))
             .order_by(calls.c.started_at.desc().nulls_last(), calls.c.id.desc()).limit(newest))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {key: sorted({getattr(r, key) for r in rows if getattr(r, key)}) for key in ("agent_id", "team", "queue")}


def iter_call_rows(store: Store, user: User, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every call the user may see, in call id order, with the same fields as `call_rows`: read `batch` calls at
    a time (keyset paging on the call id), so memory does not grow with the number of calls."""
    after: str | None = None
    while True:
        query = _ROW.where(call_scope(user)).order_by(calls.c.id).limit(batch)
        if after is not None:
            query = query.where(calls.c.id > after)
        with store.engine.connect() as conn:
            rows = [_row(r) for r in conn.execute(query)]
        if not rows:
            return
        yield from rows
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
    sentiment = [{"turn": t.turn, "time": call.turns[t.turn].start, "value": t.value}
                 for t in (analysis.per_turn("turn_sentiment", Role.CUSTOMER) if analysis else [])]
    turns = []
    for i, t in enumerate(call.turns):
        turns.append({"index": i, "speaker": t.speaker.value, "start": t.start, "end": t.end, "text": t.text,
                      "marks": marks.get(i, [])})
    return {"id": call.id, "agent_id": call.agent_id, "team": call.team, "queue": call.queue, "reason": call.reason,
            "started_at": call.started_at.isoformat() if call.started_at else None, "channel": call.channel.value,
            "outcome": call.outcome.model_dump(exclude_none=True) if call.outcome else None, "turns": turns,
            "gaps": gaps, "customer_sentiment": sentiment, "summary": summary_of(analysis),
            "speakers": call.speaker_mapping.model_dump(mode="json") if call.speaker_mapping else None}


RATED = (*BEHAVIOURS, "early_acknowledgement")


def _weeks_scope(user: User) -> ColumnElement[bool]:
    """call_scope's rule, on agent_weeks rows (each holds calls of one agent and one team)."""
    if user.sees_all:
        return true()
    if user.role is UserRole.LEAD:
        return agent_weeks.c.team == user.team if user.team else false()
    return agent_weeks.c.agent_id == user.agent_id if user.agent_id else false()


@dataclass(frozen=True)
class Week:
    """One agent_weeks row: an agent's analysed or scored calls in one team and ISO week (heard.store.aggregates)."""

    agent_id: str | None
    team: str | None
    week: date | None
    calls: int
    analysed: int
    behaviours: dict[str, int]
    robotic: int
    escalations: int
    scored: int
    score_sum: float
    auto_fails: int
    item_sums: dict[str, list[float]]


_NUMBERS = [c for c in agent_weeks.c if c.name not in ("id", "behaviours", "item_sums")]


def _weeks_where(user: User, agent: str | None, team: str | None) -> ColumnElement[bool]:
    where = [_weeks_scope(user)]
    if agent is not None:
        where.append(agent_weeks.c.agent_id == agent)
    if team is not None:
        where.append(agent_weeks.c.team == team)
    return and_(*where)


def weeks_of(store: Store, user: User, *, agent: str | None = None, team: str | None = None) -> list[Week]:
    """The agent_weeks rows of an agent or a team that the user may see, without their JSON columns (empty
    behaviours and item sums): a few hundred rows however many calls they hold, for weekly trends."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(*_NUMBERS).where(_weeks_where(user, agent, team))).all()
    return [Week(r.agent_id, r.team, r.week, r.calls, r.analysed, {}, r.robotic, r.escalations, r.scored,
                 r.score_sum, r.auto_fails, {}) for r in rows]


# The JSON objects summed key by key in the database (json_each), so a page never parses one object per week.
_JSON_SUMS = {
    "postgresql": ("SELECT aw.agent_id, aw.team, j.key, sum((j.value #>> '{{}}')::float), 0 FROM agent_weeks aw "
                   "CROSS JOIN LATERAL json_each(aw.behaviours) j WHERE {where} GROUP BY aw.agent_id, aw.team, j.key",
                   "SELECT aw.agent_id, aw.team, j.key, sum((j.value ->> 0)::float), sum((j.value ->> 1)::float) "
                   "FROM agent_weeks aw CROSS JOIN LATERAL json_each(aw.item_sums) j WHERE {where} "
                   "GROUP BY aw.agent_id, aw.team, j.key"),
    "sqlite": ("SELECT aw.agent_id, aw.team, j.key, sum(j.value), 0 FROM agent_weeks aw, json_each(aw.behaviours) j "
               "WHERE {where} GROUP BY aw.agent_id, aw.team, j.key",
               "SELECT aw.agent_id, aw.team, j.key, sum(json_extract(j.value, '$[0]')), "
               "sum(json_extract(j.value, '$[1]')) FROM agent_weeks aw, json_each(aw.item_sums) j WHERE {where} "
               "GROUP BY aw.agent_id, aw.team, j.key"),
}


def _weeks_text(user: User, agent: str | None, team: str | None) -> tuple[str, dict[str, str]]:
    """_weeks_where as SQL text on the alias `aw`, with its parameters."""
    where, params = ["1 = 1"], {}
    if not user.sees_all:
        own = ("team", user.team) if user.role is UserRole.LEAD else ("agent_id", user.agent_id)
        where.append(f"aw.{own[0]} = :scope" if own[1] else "1 = 0")
        params["scope"] = own[1] or ""
    for column, value in (("agent_id", agent), ("team", team)):
        if value is not None:
            where.append(f"aw.{column} = :{column}")
            params[column] = value
    return " AND ".join(where), params


def agent_totals(store: Store, user: User, *, agent: str | None = None, team: str | None = None) -> list[Week]:
    """One row per agent and team (week None): the sums of their agent_weeks rows that the user may see,
    behaviour counts and item sums included, added up by the database."""
    where = _weeks_where(user, agent, team)
    dialect = store.engine.dialect
    numbers = [func.sum(c).label(c.name) for c in _NUMBERS if c.name not in ("agent_id", "team", "week")]
    with store.engine.connect() as conn:
        rows = conn.execute(select(agent_weeks.c.agent_id, agent_weeks.c.team, *numbers).where(where)
                            .group_by(agent_weeks.c.agent_id, agent_weeks.c.team)).all()
        condition, params = _weeks_text(user, agent, team)
        found, items = (conn.execute(text(sql.format(where=condition)), params).all()
                        for sql in _JSON_SUMS["postgresql" if dialect.name == "postgresql" else "sqlite"])
    counts: dict[tuple[Any, Any], dict[str, int]] = defaultdict(dict)
    for a, t, key, total, _ in found:
        counts[(a, t)][key] = int(total)
    sums: dict[tuple[Any, Any], dict[str, list[float]]] = defaultdict(dict)
    for a, t, key, total, n in items:
        sums[(a, t)][key] = [float(total), float(n)]
    return [Week(r.agent_id, r.team, None, int(r.calls), int(r.analysed), counts[(r.agent_id, r.team)],
                 int(r.robotic), int(r.escalations), int(r.scored), float(r.score_sum), int(r.auto_fails),
                 sums[(r.agent_id, r.team)]) for r in rows]


def behaviour_rates(weeks: Iterable[Week]) -> dict[str, float]:
    """Share of the analysed calls in which each behaviour was found, from agent_weeks rows."""
    counts: dict[str, int] = defaultdict(int)
    n = 0
    for w in weeks:
        n += w.analysed
        for label, found in w.behaviours.items():
            counts[label] += found
    return {b: round(100 * counts[b] / n, 1) if n else 0.0 for b in RATED}


def by_agent(weeks: Iterable[Week]) -> dict[str, list[Week]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for w in weeks:
        out[w.agent_id or "-"].append(w)
    return dict(sorted(out.items()))


def weekly(weeks: Iterable[Week]) -> dict[str, dict[str, float]]:
    """Mean score per ISO week (YYYY-Www) per agent, from agent_weeks rows."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for w in weeks:
        if w.scored and w.week is not None:
            year, week, _ = w.week.isocalendar()
            pair = sums[w.agent_id or "-"][f"{year}-W{week:02d}"]
            pair[0] += w.score_sum
            pair[1] += w.scored
    return {a: {k: round(v[0] / v[1], 1) for k, v in sorted(series.items())} for a, series in sums.items()}


def item_summary(weeks: Iterable[Week], card: Scorecard, *, weakest: int = 3) -> list[dict[str, Any]]:
    """Per agent: scored calls, mean final score, auto-fails, item rates and the weakest regular items (what
    heard.scorecards.report.summarise gives from every score, here from agent_weeks rows)."""
    questions = {i.id: i.question for _, i in card.items}
    regular = {i.id for _, i in card.items if not i.bonus}
    out = []
    for agent, rows in by_agent(weeks).items():
        scored = sum(w.scored for w in rows)
        if not scored:
            continue
        items: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for w in rows:
            for item, (total, n) in w.item_sums.items():
                items[item][0] += total
                items[item][1] += n
        rates = {item: round(100 * total / n, 1) for item, (total, n) in items.items() if n}
        weak = sorted((r, i) for i, r in rates.items() if i in regular)[:weakest]
        out.append({"team": rows[0].team or "-", "agent": agent, "calls": scored,
                    "score": round(sum(w.score_sum for w in rows) / scored, 2),
                    "auto_fails": sum(w.auto_fails for w in rows), "items": rates,
                    "weakest": [{"item": i, "rate": r, "question": questions.get(i, i)} for r, i in weak]})
    return out


def result_of(data: dict[str, Any]) -> Result:
    return Result.model_validate(data)
