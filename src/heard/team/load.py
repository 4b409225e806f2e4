"""Emotional load: per agent and day, how many of the calls they took were heavy, the longest run of heavy calls in
a row, what made them heavy, and a kind suggestion for the lead when a day carried a lot.

Emotional load, not emotion surveillance. A call is heavy by the one rule in heard.analysers.heavy.is_heavy, read
from what the customer said and how the call went (bereavement, abuse, threats, distress, a very upset start,
frustration, an escalation); nothing about how the agent sounded or felt is inferred, stored or shown. Suggestions
are about the calls ("3 heavy calls in a row"), never a judgement of the agent.

Days are calendar days in UTC (stored times are UTC). A call whose analysis cannot tell (never analysed) counts in
`calls` and `unknown`, not in the share, and breaks a run. Who sees what follows the calls a user may see
(heard.auth.accounts.call_scope): an agent their own days, a lead their team's, QA and admins everyone's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import distinct, func, select

from heard.analysers.heavy import CUES_AT, START_AT, is_heavy
from heard.auth.accounts import User, call_scope
from heard.store import Store, aware
from heard.store.schema import agent_weeks, calls

RUN_AT = 3               # this many heavy calls in a row in a day: suggest a pause
SHARE_AT = 0.4           # or this share of a day's calls heavy ...
SHARE_MIN_CALLS = 5      # ... over at least this many analysed calls
DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_AGENTS = 200         # more agents than this in view (QA over a whole center): pick a team first
# What made a call heavy besides the analyser's labels, in the words the page shows.
START_REASON, CUES_REASON, ESCALATION_REASON = "upset at the start", "frustration", "escalation"


@dataclass(frozen=True)
class CallLoad:
    """One call as the load page sees it: whose, when, and whether (and why) it was heavy."""

    call_id: str
    agent_id: str
    started_at: datetime
    heavy: bool | None
    reasons: tuple[str, ...] = ()


@dataclass
class DayLoad:
    """One agent's day."""

    agent_id: str
    day: date
    calls: int = 0
    heavy: int = 0
    unknown: int = 0
    longest_run: int = 0
    run_last_at: datetime | None = None     # when the last call of the longest run started
    reasons: dict[str, int] = field(default_factory=dict)
    suggestion: str | None = None

    @property
    def known(self) -> int:
        return self.calls - self.unknown

    @property
    def share(self) -> float | None:
        return self.heavy / self.known if self.known else None

    @property
    def band(self) -> int:
        """0-4 for a heat-map cell: no heavy calls, then under 20%, under 40%, under 60%, 60% or more heavy."""
        share = self.share
        if not share:
            return 0
        return 1 + sum(share >= cut for cut in (0.2, 0.4, 0.6))


@dataclass
class AgentLoad:
    """One agent over the period: their days (oldest first) and totals."""

    agent_id: str
    days: list[DayLoad]

    @property
    def calls(self) -> int:
        return sum(d.calls for d in self.days)

    @property
    def heavy(self) -> int:
        return sum(d.heavy for d in self.days)

    @property
    def share(self) -> float | None:
        known = sum(d.known for d in self.days)
        return self.heavy / known if known else None

    @property
    def longest_run(self) -> int:
        return max((d.longest_run for d in self.days), default=0)

    @property
    def reasons(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for d in self.days:
            total.update(d.reasons)
        return dict(total.most_common())


@dataclass
class Load:
    """The load page: the days shown (oldest first), each visible agent's days, and the suggestions (newest first)."""

    days: list[date]
    agents: list[AgentLoad]
    suggestions: list[DayLoad]
    team: str | None = None
    too_many: int = 0       # agents in view when more than MAX_AGENTS and no team was picked: nothing drawn
    teams: list[str] = field(default_factory=list)

    def cell(self, agent: AgentLoad, day: date) -> DayLoad | None:
        return next((d for d in agent.days if d.day == day), None)


def reasons(summary: Mapping[str, Any] | None) -> tuple[str, ...]:
    """What made a call heavy, from its summary: the heavy analyser's labels, then the other parts of is_heavy."""
    if not summary:
        return ()
    found = list(summary.get("heavy") or [])
    start = summary.get("customer_start")
    if start is not None and start <= START_AT:
        found.append(START_REASON)
    if (summary.get("cues") or 0) >= CUES_AT:
        found.append(CUES_REASON)
    if (summary.get("escalations") or 0) > 0:
        found.append(ESCALATION_REASON)
    return tuple(found)


def day_loads(loads: Iterable[CallLoad]) -> list[DayLoad]:
    """Each agent's days from their calls: counts, the longest run of heavy calls in a row (by start time) and the
    suggestion, ordered by agent then day."""
    by_day: dict[tuple[str, date], list[CallLoad]] = {}
    for c in loads:
        by_day.setdefault((c.agent_id, c.started_at.astimezone(UTC).date()), []).append(c)
    out = []
    for (agent_id, day), day_calls in sorted(by_day.items()):
        d = DayLoad(agent_id, day)
        run = 0
        counted: Counter[str] = Counter()
        for c in sorted(day_calls, key=lambda c: (c.started_at, c.call_id)):
            d.calls += 1
            d.unknown += c.heavy is None
            if c.heavy:
                d.heavy += 1
                counted.update(c.reasons)
                run += 1
                if run > d.longest_run:
                    d.longest_run, d.run_last_at = run, c.started_at
            else:
                run = 0
        d.reasons = dict(counted.most_common())
        d.suggestion = suggestion(d)
        out.append(d)
    return out


def suggestion(d: DayLoad) -> str | None:
    """A kind note for the lead when a day carried a lot: RUN_AT heavy calls in a row, or SHARE_AT of at least
    SHARE_MIN_CALLS analysed calls heavy. About the calls, never a judgement of the agent; None otherwise."""
    run = d.longest_run >= RUN_AT
    share = d.share is not None and d.known >= SHARE_MIN_CALLS and d.share >= SHARE_AT
    if not (run or share):
        return None
    when = f"{d.day:%a} {d.day.day} {d.day:%b}"
    kinds = [r for r in d.reasons if r not in (START_REASON, CUES_REASON, ESCALATION_REASON)]
    about = f", including {' and '.join(kinds[:2])}" if kinds else ""
    if run and d.run_last_at is not None:
        what = (f"On {when}, {d.agent_id} took {d.longest_run} heavy calls in a row "
                f"(the last at {d.run_last_at.astimezone(UTC):%H:%M} UTC)")
        if share:
            what += f"; {d.heavy} of their {d.known} calls were heavy"
    else:
        what = f"On {when}, {d.heavy} of the {d.known} calls {d.agent_id} took were heavy"
    after = "a run like that" if run else "the heaviest stretch"
    return (f"{what}{about}. That is a lot to carry. Consider 10 minutes off the phones after {after}; "
            f"a check-in to ask how the day went and whether anything would help.")


def bounded_days(value: Any, default: int = DEFAULT_DAYS) -> int:
    """A number of days from a request: a whole number from 1 to MAX_DAYS, the default when it is not one."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(days, 1), MAX_DAYS)


def load(store: Store, user: User, days: int = DEFAULT_DAYS, today: date | None = None, *,
         team: str | None = None, max_agents: int = MAX_AGENTS) -> Load:
    """The load of every agent `user` may see (of one team, when given) over the `days` days up to `today` (UTC;
    default now). Past `max_agents` agents (QA over a whole center) nothing is drawn and the teams are listed to pick
    from, so the page costs what one team's calls cost, not the center's."""
    days = bounded_days(days)
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    since = datetime.combine(first, time(), UTC)
    until = datetime.combine(last + timedelta(days=1), time(), UTC)
    where = [call_scope(user), calls.c.agent_id.is_not(None), calls.c.started_at >= since, calls.c.started_at < until]
    if team:
        where.append(calls.c.team == team)
    shown_days = [first + timedelta(days=i) for i in range(days)]
    with store.engine.connect() as conn:
        if team is None and user.sees_all:
            # Counted on the agent-week totals (a few rows per agent, heard.store.aggregates), not on the calls: a
            # center's fortnight is tens of thousands of calls. Those totals hold analysed calls only, so a center
            # whose calls are not analysed yet is drawn in full; its calls are then all unknown anyway.
            monday = first - timedelta(days=first.weekday())
            recent = [agent_weeks.c.week >= monday, agent_weeks.c.agent_id.is_not(None)]
            agents_in_view = conn.execute(select(func.count(distinct(agent_weeks.c.agent_id))).where(*recent)
                                          ).scalar_one()
            if agents_in_view > max_agents:
                teams = sorted(t for t in conn.execute(select(agent_weeks.c.team).where(*recent).distinct()).scalars()
                               if t)
                return Load(days=shown_days, agents=[], suggestions=[], too_many=agents_in_view, teams=teams)
        # The call row holds its latest analysis's summary (heard.store.aggregates); older rows are looked up.
        rows = conn.execute(select(calls.c.id, calls.c.agent_id, calls.c.started_at, calls.c.summary)
                            .where(*where)).all()
    summaries: dict[str, Any] = {r.id: r.summary for r in rows if r.summary is not None and "heavy" in r.summary}
    summaries |= store.latest_summaries([r.id for r in rows if r.id not in summaries], need=("heavy",))
    per_day = day_loads(CallLoad(r.id, r.agent_id, aware(r.started_at), is_heavy(summaries.get(r.id)),
                                 reasons(summaries.get(r.id))) for r in rows)
    agents: dict[str, list[DayLoad]] = {}
    for d in per_day:
        agents.setdefault(d.agent_id, []).append(d)
    suggestions = sorted((d for d in per_day if d.suggestion), key=lambda d: (d.day, d.agent_id), reverse=True)
    return Load(days=shown_days, agents=[AgentLoad(a, ds) for a, ds in sorted(agents.items())],
                suggestions=suggestions, team=team)
