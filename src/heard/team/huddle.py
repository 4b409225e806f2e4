"""Huddle packs and weekly check-ins: making time for human conversations.

A huddle pack is one team's week, ready for a 15-minute team conversation: the toughest calls (heavy calls,
heard.analysers.heavy.is_heavy, hardest first), the empathy wins (calls the customer turned around, and survey
comments about feeling heard, patience or kindness), three standing discussion questions and at most one more
picked from the week's data. It reads stored summaries only, plus the analyses of the five calls it shows.
`as_text` makes it an email: a subject line and a plain-text body, no line longer than 72 characters.

Who sees what (docs/team.md):

- a pack is for leads (their own team), QA and admins (any team). Agents do not get packs: a pack names the
  agents on its calls, and an agent sees their own calls elsewhere. The email text names no agent on a tough
  call (a heavy call is something to talk about, never something to blame), only on a win.
- a check-in ("What kind of support do you need today?") is private to the lead who wrote it and the agent it is
  about. Another lead, QA and admins cannot read it, not even an admin: admins get counts only
  (`checkin_counts`). The audit log records that a check-in was written, never what it says.

Weeks start on Monday (ISO weeks) and are read in UTC; a call without a start time is in no week.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, insert, select

from heard.analysers.heavy import is_heavy
from heard.auth.accounts import Denied, User, UserRole, audit, call_scope
from heard.errors import HeardError
from heard.insights.comments import mentions
from heard.model import Role
from heard.store import Store, aware
from heard.store.schema import calls as calls_table
from heard.store.schema import checkins, outcomes, users
from heard.team.signals import turned_around

QUESTIONS = ("What made a call tough this week?", "Where do you feel stuck?",
             "How can we support each other more?")
SUPPORT_QUESTION = "What kind of support do you need today?"
MAX_TOUGH = 5
MAX_WINS = 5
WIDTH = 72              # the email text's widest line
# How hard each heavy label makes a call, for ranking the toughest (then the customer's start, escalations, cues).
HARD = {"threat": 4, "abuse": 3, "bereavement": 3, "distress": 2}
SAYS = {"threat": "made a threat", "abuse": "was abusive", "bereavement": "was grieving", "distress": "was in distress"}
WIN_THEMES = ("heard", "patient", "kind")          # heard.insights.comments themes that make a comment a win
MIXED = ("not_heard", "rushed", "scripted")        # ...unless the same comment says one of these too
VERY_NEGATIVE = -0.4    # the customer's sentiment (-1 to 1) at or below this: "very negative"
NEED = ("heavy", "customer_start", "customer_end", "escalations", "cues", "recovery")
NUMBERS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


class HuddleError(HeardError):
    """The request does not fit a huddle pack or a check-in."""


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


@dataclass
class ToughCall:
    call_id: str
    agent_id: str | None
    started_at: str | None
    labels: list[str]
    customer_start: float | None
    escalations: int
    cues: int
    why: str
    turn: int | None = None      # the first evidence turn of what made it heavy, when there is one

    @property
    def link(self) -> str:
        return f"/calls/{quote(self.call_id)}" + (f"#turn-{self.turn}" if self.turn is not None else "")

    def public(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "agent_id": self.agent_id, "started_at": self.started_at,
                "labels": self.labels, "customer_start": self.customer_start, "escalations": self.escalations,
                "cues": self.cues, "why": self.why, "turn": self.turn, "link": self.link}


@dataclass
class Win:
    call_id: str
    agent_id: str | None
    started_at: str | None
    why: str
    quote: str | None = None     # the survey comment's words, when the win is (also) a comment
    kinds: list[str] = field(default_factory=list)   # "turned around", "comment"

    @property
    def link(self) -> str:
        return f"/calls/{quote(self.call_id)}"

    def public(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "agent_id": self.agent_id, "started_at": self.started_at, "why": self.why,
                "quote": self.quote, "kinds": self.kinds, "link": self.link}


@dataclass
class Pack:
    team: str
    week_start: date
    calls: int                   # the team's calls that started this week
    analysed: int                # ...of which analysed
    heavy: int                   # ...of which heavy
    wins: int                    # every win (the list shows at most MAX_WINS)
    toughest: list[ToughCall]
    empathy_wins: list[Win]
    questions: list[str]

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    def public(self) -> dict[str, Any]:
        return {"team": self.team, "week_start": self.week_start.isoformat(), "week_end": self.week_end.isoformat(),
                "counts": {"calls": self.calls, "analysed": self.analysed, "heavy": self.heavy, "wins": self.wins},
                "toughest": [t.public() for t in self.toughest], "wins": [w.public() for w in self.empathy_wins],
                "questions": self.questions}


# --- scope -----------------------------------------------------------------------------------------------------

def _team_for(user: User, team: str | None) -> str:
    """The team whose pack the user asks for, if they may see it."""
    if user.role is UserRole.AGENT:
        raise Denied("huddle packs are for leads, QA and admins", hint="Ask your lead about this week's huddle.")
    if user.role is UserRole.LEAD:
        if team not in (None, "", user.team) or not user.team:
            raise Denied(f"you lead team {user.team or '—'}, not {team}", hint="Open your own team's pack.")
        return str(user.team)
    if not team:
        raise HuddleError("name the team whose huddle pack you want", hint="For example ?team=north.")
    return team


def teams(store: Store, user: User) -> list[str]:
    """The teams whose packs the user may open."""
    if user.role is UserRole.AGENT:
        return []
    if user.role is UserRole.LEAD:
        return [user.team] if user.team else []
    with store.engine.connect() as conn:
        return list(conn.execute(select(calls_table.c.team).where(calls_table.c.team.is_not(None))
                                 .group_by(calls_table.c.team).order_by(calls_table.c.team)).scalars())


# --- the pack --------------------------------------------------------------------------------------------------

def pack(store: Store, user: User, team: str | None, week_start: date) -> Pack:
    """The team's huddle pack for the week that holds `week_start` (any day of it: read as its Monday)."""
    name = _team_for(user, team)
    monday = week_of(week_start)
    start = datetime.combine(monday, time.min, tzinfo=UTC)
    with store.engine.connect() as conn:
        rows = conn.execute(select(calls_table.c.id, calls_table.c.agent_id, calls_table.c.started_at)
                            .where(calls_table.c.team == name, call_scope(user),
                                   calls_table.c.started_at >= start,
                                   calls_table.c.started_at < start + timedelta(days=7))
                            .order_by(calls_table.c.started_at, calls_table.c.id)).all()
        comments = {r.call_id: (r.data or {}).get("survey_comment") for r in conn.execute(
            select(outcomes.c.call_id, outcomes.c.data).where(outcomes.c.call_id.in_([r.id for r in rows])))}
    info = {r.id: (r.agent_id, aware(r.started_at).isoformat() if r.started_at else None) for r in rows}
    summaries = store.latest_summaries(list(info), need=NEED)
    heavy = [i for i in info if is_heavy(summaries.get(i))]
    toughest = sorted((_tough(i, *info[i], summaries[i]) for i in heavy), key=_hardest)[:MAX_TOUGH]
    for t in toughest:
        t.turn = _first_turn(store, t.call_id)
    wins = _wins(info, summaries, comments)
    return Pack(name, monday, len(info), len(summaries), len(heavy), len(wins), toughest, wins[:MAX_WINS],
                [*QUESTIONS, *_question(summaries, heavy, wins)])


def _tough(call_id: str, agent_id: str | None, started_at: str | None, summary: dict[str, Any]) -> ToughCall:
    labels = sorted(set(summary.get("heavy") or []), key=lambda label: (-HARD.get(label, 1), label))
    start = summary.get("customer_start")
    escalations, cues = int(summary.get("escalations") or 0), int(summary.get("cues") or 0)
    did = [SAYS.get(label, label.replace("_", " ")) for label in labels]
    if start is not None and start <= VERY_NEGATIVE:
        did.append(f"started very negative ({start:+.2f})")
    parts = ["The customer " + (", ".join(did[:-1]) + " and " + did[-1] if len(did) > 1 else did[0])] if did else []
    if escalations:
        parts.append(f"{escalations} escalation{'s' if escalations > 1 else ''}")
    if cues >= 2:
        parts.append(f"{cues} frustration cues")
    why = "; ".join(parts) or "a heavy call"
    return ToughCall(call_id, agent_id, started_at, labels, start, escalations, cues, why[:1].upper() + why[1:] + ".")


def _hardest(t: ToughCall) -> tuple[Any, ...]:
    start = t.customer_start if t.customer_start is not None else 0.0
    return (-sum(HARD.get(label, 1) for label in t.labels), start, -t.escalations, -t.cues, t.call_id)


def _first_turn(store: Store, call_id: str) -> int | None:
    """The customer's turn where the call got heavy: the first evidence of a heavy finding, else of a frustration
    cue, else of an escalation, else the customer's first very negative turn."""
    analysis = store.latest_analysis(call_id)
    if analysis is None:
        return None
    for wanted in (lambda f: f.kind == "heavy" or f.label in HARD, lambda f: f.kind == "frustration_cue",
                   lambda f: f.kind == "escalation"):
        turns = [f.evidence[-1].turn if f.kind == "escalation" else f.evidence[0].turn   # (agent before, customer)
                 for f in analysis.findings if wanted(f) and f.evidence]
        if turns:
            return min(turns)
    low = [t.turn for t in analysis.per_turn("turn_sentiment", Role.CUSTOMER)
           if t.value is not None and t.value <= VERY_NEGATIVE]
    return min(low) if low else None


def _wins(info: dict[str, tuple[str | None, str | None]], summaries: dict[str, dict[str, Any]],
          comments: dict[str, Any]) -> list[Win]:
    """Calls the customer turned around and comments about feeling heard, patience or kindness; one win per call,
    both kinds first, then the biggest turnarounds, then comments."""
    wins: dict[str, Win] = {}
    for call_id, (agent_id, started_at) in info.items():
        summary = summaries.get(call_id)
        if turned_around(summary):
            assert summary is not None
            wins[call_id] = Win(call_id, agent_id, started_at,
                                f"The customer went from {summary['customer_start']:+.2f} at the start to "
                                f"{summary['customer_end']:+.2f} at the end.", kinds=["turned around"])
        comment = comments.get(call_id)
        if not isinstance(comment, str) or not comment.strip():
            continue
        found = mentions(comment)
        if any(m.theme in MIXED for m in found):
            continue
        good = [m for m in found if m.theme in WIN_THEMES]
        if not good:
            continue
        said = {"heard": "felt heard", "patient": "noticed the patience", "kind": "noticed the kindness"}
        themes = " and ".join(dict.fromkeys(said[m.theme] for m in good))
        win = wins.setdefault(call_id, Win(call_id, agent_id, started_at, f"The customer {themes}."))
        if win.kinds:
            win.why += f" They {themes}."
        win.kinds.append("comment")
        win.quote = good[0].sentence.strip()
    return sorted(wins.values(), key=lambda w: (-len(w.kinds), "turned around" not in w.kinds,
                                                -((summaries.get(w.call_id) or {}).get("recovery") or 0),
                                                w.call_id))


def _count(n: int, one: str, many: str) -> str:
    return f"{NUMBERS[n] if n < len(NUMBERS) else n} {one if n == 1 else many}"


def _question(summaries: dict[str, dict[str, Any]], heavy: list[str], wins: list[Win]) -> list[str]:
    """At most one question from the week's data: about the calls, never naming anyone's feelings for them."""
    def having(*labels: str) -> int:
        return sum(any(label in (summaries[i].get("heavy") or []) for label in labels) for i in heavy)

    grieving, hostile, distress = having("bereavement"), having("abuse", "threat"), having("distress")
    turned = sum("turned around" in w.kinds for w in wins)
    if grieving:
        return [f"{_count(grieving, 'customer', 'customers')} this week {'was' if grieving == 1 else 'were'} "
                f"grieving — how did {'that call' if grieving == 1 else 'those calls'} feel?"]
    if hostile:
        return [f"{_count(hostile, 'call', 'calls')} this week had a customer who was abusive or threatening — "
                "what helped, and what would you want from the team next time?"]
    if distress:
        return [f"{_count(distress, 'customer', 'customers')} this week {'was' if distress == 1 else 'were'} in "
                "real distress — what helped in those conversations?"]
    if turned:
        return [f"{_count(turned, 'call', 'calls')} this week turned around after a rough start — what changed "
                f"in {'it' if turned == 1 else 'them'}?"]
    return []


# --- the email text --------------------------------------------------------------------------------------------

def _day(started_at: str | None) -> str:
    return datetime.fromisoformat(started_at).strftime("%a %d %b") if started_at else "no date"


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False) or [""]


def subject(p: Pack) -> str:
    team = p.team if len(p.team) <= 24 else p.team[:23] + "…"
    return f"Huddle: team {team}, week of {p.week_start:%a %d %b %Y}"


def as_text(p: Pack, base_url: str = "") -> str:
    """The pack as an email: 'Subject: ...', a blank line, and a plain-text body; lines of at most 72 characters.
    Links are `base_url` + the call's path (relative without one). Tough calls name no agent."""
    base = base_url.rstrip("/")
    out = [*_wrap(f"Subject: {subject(p)}", rest="  "), ""]
    out += _wrap(f"Team {p.team}, {p.week_start:%a %d %b} to {p.week_end:%a %d %b %Y}: "
                 f"{p.calls} call{'' if p.calls == 1 else 's'}, {p.heavy} heavy, "
                 f"{p.wins} empathy win{'' if p.wins == 1 else 's'}.")
    out += ["", "THE TOUGHEST CALLS", ""]
    for t in p.toughest:
        out += _wrap(f"{t.call_id} ({_day(t.started_at)}): {t.why}", "- ", "  ")
        out += _wrap(base + t.link, "  ", "  ")
    if not p.toughest:
        out += _wrap("No heavy calls this week.")
    out += ["", "EMPATHY WINS", ""]
    for w in p.empathy_wins:
        out += _wrap(f"{w.agent_id or 'An agent'}, {w.call_id} ({_day(w.started_at)}): {w.why}", "- ", "  ")
        if w.quote:
            out += _wrap(f"\u201c{w.quote}\u201d", "  ", "   ")
    if not p.empathy_wins:
        out += _wrap("None found this week: a good one to ask the team about.")
    out += ["", "TO TALK ABOUT", ""]
    for n, q in enumerate(p.questions, 1):
        out += _wrap(q, f"{n}. ", "   ")
    out += ["", *_wrap("Prepared by heard from this week's calls. Heavy calls are for talking about, "
                       "never for blaming.")]
    return "\n".join(line.rstrip() for line in out) + "\n"


# --- check-ins -------------------------------------------------------------------------------------------------

def team_of_agent(store: Store, agent_id: str) -> str | None:
    """The agent's team: their user's, else the team on their newest call."""
    with store.engine.connect() as conn:
        team = conn.execute(select(users.c.team).where(users.c.agent_id == agent_id, users.c.role == "agent",
                                                       users.c.team.is_not(None)).limit(1)).scalar()
        if team is None:
            team = conn.execute(select(calls_table.c.team).where(calls_table.c.agent_id == agent_id,
                                                                 calls_table.c.team.is_not(None))
                                .order_by(calls_table.c.started_at.desc(), calls_table.c.id.desc())
                                .limit(1)).scalar()
    return str(team) if team is not None else None


def team_agents(store: Store, team: str) -> list[str]:
    """The agent ids of a team: its agent users and the agents on its calls."""
    with store.engine.connect() as conn:
        found = set(conn.execute(select(users.c.agent_id).where(users.c.team == team, users.c.role == "agent",
                                                                users.c.agent_id.is_not(None))).scalars())
        found |= set(conn.execute(select(calls_table.c.agent_id).where(calls_table.c.team == team,
                                                                       calls_table.c.agent_id.is_not(None))
                                  .group_by(calls_table.c.agent_id)).scalars())
    return sorted(found)


def _leads_agent(store: Store, lead: User, agent_id: str) -> bool:
    return lead.role is UserRole.LEAD and bool(lead.team) and team_of_agent(store, agent_id) == lead.team


def _row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "lead": row.lead, "agent_id": row.agent_id, "week": row.week.isoformat(),
            "support": row.support, "notes": row.notes, "created_at": aware(row.created_at).isoformat()}


def add_checkin(store: Store, lead: User, agent_id: str, week: date, support: str,
                notes: str = "") -> dict[str, Any]:
    """A lead logs the week's check-in with an agent of their team: the agent's answer to "What kind of support
    do you need today?" and the lead's notes. Only that lead and the agent can read it back."""
    if not _leads_agent(store, lead, agent_id):
        raise Denied("only the agent's own lead logs their check-ins",
                     hint="Check-ins are private to a lead and the agents of their team.")
    if not support.strip():
        raise HuddleError(f"write down the agent's answer to \u201c{SUPPORT_QUESTION}\u201d",
                          hint="Even \u201cnothing this week\u201d is worth keeping.")
    with store.engine.begin() as conn:
        key = conn.execute(insert(checkins).values(
            lead_id=lead.id, agent_id=agent_id, week=week_of(week), support=support.strip()[:4000],
            notes=notes.strip()[:10000] or None, created_at=datetime.now(UTC))).inserted_primary_key
    assert key is not None
    audit(store, lead, "add", "checkin", str(key[0]), agent=agent_id)     # never the words
    return next(c for c in checkins_for(store, lead, agent_id) if c["id"] == key[0])


def checkins_for(store: Store, user: User, agent_id: str) -> list[dict[str, Any]]:
    """An agent's check-ins, newest week first: for the agent themself (every lead's), or for a lead of the
    agent's team (the ones that lead wrote). Anyone else, QA and admins included, is refused."""
    query = select(checkins, users.c.username.label("lead")).join(users, users.c.id == checkins.c.lead_id) \
        .where(checkins.c.agent_id == agent_id).order_by(checkins.c.week.desc(), checkins.c.id.desc())
    if user.role is UserRole.AGENT and user.agent_id == agent_id:
        pass
    elif _leads_agent(store, user, agent_id):
        query = query.where(checkins.c.lead_id == user.id)
    else:
        raise Denied("check-ins are private to the agent and their lead",
                     hint="Admins see how many there are (heard.team.huddle.checkin_counts), never what they say.")
    with store.engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def checkin_counts(store: Store, user: User) -> dict[str, int]:
    """How many check-ins each agent has had, without a word of them: for admins (every agent) and leads (the
    ones they wrote)."""
    query = select(checkins.c.agent_id, func.count().label("n")).group_by(checkins.c.agent_id)
    if user.role is UserRole.LEAD:
        query = query.where(checkins.c.lead_id == user.id)
    elif user.role is not UserRole.ADMIN:
        raise Denied("check-in counts are for admins and leads")
    with store.engine.connect() as conn:
        return {r.agent_id: int(r.n) for r in conn.execute(query.order_by(checkins.c.agent_id))}
