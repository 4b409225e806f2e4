"""Recognition: a monthly Empathy MVP per team, peer kudos on moments, and a feed of the team's wins.

The MVP ranking is transparent: four components per agent, each divided by the team's best value that month
(so the best agent on a component gets 1 and everyone else a share of it), weighted (WEIGHTS) and summed into
a score out of 100:

- behaviours (0.40): the mean, over the agent's analysed calls of the month, of the share of the eight
  empathy behaviours (heard.empathy.lexicon.BEHAVIOURS) found in the call;
- turned around (0.30): calls where the customer started negative and ended positive
  (heard.team.signals.turned_around);
- praising comments (0.20): survey comments on their calls that say the customer felt heard, or that the
  agent was patient or kind (heard.insights.comments), with the words and the call as evidence;
- kudos (0.10): kudos their moments received from colleagues.

Only agents with at least MIN_CALLS analysed calls in the month are ranked; the others are listed with how many
calls they had. Equal scores share a rank and are ordered by turned-around calls, then comments, then kudos,
then behaviours, then name, and each tie says which of these separated them. A month is the calls that started
in it (UTC); a kudos counts in the month of the call it was given on.

Nothing is announced by heard: a lead of the team (or an admin) confirms an MVP, which stores the ranking as
it stood (mvp_picks); until then the team sees no MVP. The lead may pick someone other than the top of the
ranking, with a note saying why.

Kudos: a lead, QA or admin gives kudos from a call they can see; agents see only their own calls, so an agent
gives kudos to a teammate's moment shown in the wins feed. Nobody gives kudos to their own call, and one person
gives at most one kudos per call, so kudos cannot be piled up for the ranking. The note is required and short.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from heard.auth.accounts import Denied, Unknown, User, UserRole, audit, call_scope, can_see_call
from heard.empathy.lexicon import BEHAVIOURS
from heard.errors import ConflictError, HeardError
from heard.insights.comments import mentions
from heard.model import Role
from heard.store import Store, aware
from heard.store.schema import calls, kudos, mvp_picks, outcomes, turns, users
from heard.team.signals import END_ABOVE, START_BELOW, turned_around

MIN_CALLS = 5          # analysed calls in the month before an agent is ranked
NOTE_MAX = 280         # characters in a kudos note: a line, not a review
# How much each component counts once normalised within the team (they sum to 1). Behaviours come from every
# call, so they weigh most; turning an upset customer around is the hardest thing on a call; customers' own
# words are rarer; kudos are the easiest to give, so they weigh least.
WEIGHTS = {"behaviours": 0.40, "turned_around": 0.30, "comments": 0.20, "kudos": 0.10}
COMPONENTS = {"behaviours": "empathy behaviours per call", "turned_around": "upset customers turned around",
              "comments": "comments saying they felt heard or the agent was patient or kind",
              "kudos": "kudos from colleagues"}
PRAISE = ("heard", "patient", "kind")     # comment themes that count (heard.insights.comments.THEMES)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class RecognitionError(HeardError):
    """The request does not fit recognition's rules (a missing note, a bad month, an agent not ranked)."""


def _now() -> datetime:
    return datetime.now(UTC)


def month_span(month: str) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one (UTC) for "YYYY-MM"."""
    found = MONTH.match(month or "")
    if not found:
        raise RecognitionError(f"month {str(month)[:20]!r} is not YYYY-MM", hint="For example 2026-11.")
    year, number = int(found.group(1)), int(found.group(2))
    if not 1900 <= year <= 9000:
        raise RecognitionError(f"month {month} is out of range", hint="For example 2026-11.")
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def this_month() -> str:
    return _now().strftime("%Y-%m")


def may_confirm(user: User, team: str) -> bool:
    """A lead of the team, or an admin."""
    return user.role is UserRole.ADMIN or (user.role is UserRole.LEAD and user.team == team)


def may_view(user: User, team: str) -> bool:
    """Members of the team (its agents and lead), QA and admins."""
    return user.sees_all or (user.team is not None and user.team == team)


# --- kudos -------------------------------------------------------------------------------------------------

def give_kudos(store: Store, user: User, call_id: str, turn: int | None, note: str) -> dict[str, Any]:
    """Kudos for a moment (a turn) of a call, to the call's agent."""
    text = " ".join((note or "").split())
    if not text:
        raise RecognitionError("say what was good about the moment", hint="One line is enough.")
    if len(text) > NOTE_MAX:
        raise RecognitionError(f"the note is {len(text)} characters; keep it to {NOTE_MAX}",
                               hint="One line: what they did and why it mattered.")
    with store.engine.connect() as conn:
        row = conn.execute(select(calls.c.id, calls.c.agent_id, calls.c.team, calls.c.n_turns)
                           .where(calls.c.id == call_id)).first()
    teammate = row is not None and user.role is UserRole.AGENT and user.team is not None and row.team == user.team
    if row is None or not (teammate or can_see_call(store, user, call_id)):
        raise Unknown(f"no call {call_id[:200]} that you can see")
    if not row.agent_id:
        raise RecognitionError(f"call {call_id} names no agent, so there is nobody to give kudos to")
    if user.agent_id is not None and user.agent_id == row.agent_id:
        raise Denied("kudos are for a colleague's moment, not your own call",
                     hint="Give kudos to a teammate from the Wins feed.")
    if turn is not None and not 0 <= turn < row.n_turns:
        raise RecognitionError(f"call {call_id} has turns 0 to {row.n_turns - 1}, not {turn}")
    with store.engine.begin() as conn:
        if conn.execute(select(kudos.c.id).where(kudos.c.call_id == call_id, kudos.c.given_by == user.id)).first():
            raise ConflictError(f"you already gave kudos on call {call_id}", hint="One kudos per person per call.")
        key = conn.execute(insert(kudos).values(call_id=call_id, turn=turn, agent_id=row.agent_id, given_by=user.id,
                                                note=text, created_at=_now())).inserted_primary_key
    assert key is not None
    audit(store, user, "give", "kudos", str(key[0]), call=call_id, turn=turn, agent=row.agent_id)
    return {"id": int(key[0]), "call_id": call_id, "turn": turn, "agent_id": row.agent_id,
            "agent": _names(store, [row.agent_id])[row.agent_id], "note": text, "from": user.display_name}


# --- the ranking -------------------------------------------------------------------------------------------

@dataclass
class Standing:
    """One agent's month: the components, the evidence behind them, the score and the sentence."""

    agent_id: str
    name: str
    calls: int                                   # analysed calls in the month
    behaviour_share: float = 0.0                 # mean share of the eight behaviours per call
    acknowledge_rate: float = 0.0                # share of calls where they acknowledged feelings
    turned_around: list[str] = field(default_factory=list)                 # call ids
    comments: list[dict[str, Any]] = field(default_factory=list)          # {call_id, themes, words, sentence}
    kudos: list[dict[str, Any]] = field(default_factory=list)             # {call_id, turn, from, note}
    normalised: dict[str, float] = field(default_factory=dict)
    score: float | None = None                   # 0-100; None when not ranked
    rank: int | None = None
    sentence: str = ""
    tie: str | None = None

    def values(self) -> dict[str, float]:
        return {"behaviours": self.behaviour_share, "turned_around": float(len(self.turned_around)),
                "comments": float(len(self.comments)), "kudos": float(len(self.kudos))}

    def order_key(self) -> tuple[Any, ...]:
        return (-(self.score or 0.0), -len(self.turned_around), -len(self.comments), -len(self.kudos),
                -round(self.behaviour_share, 6), self.agent_id)

    def public(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "name": self.name, "calls": self.calls,
                "behaviour_share": round(self.behaviour_share, 4), "acknowledge_rate": round(self.acknowledge_rate, 4),
                "turned_around": self.turned_around, "comments": self.comments, "kudos": self.kudos,
                "normalised": {k: round(v, 4) for k, v in self.normalised.items()}, "score": self.score,
                "rank": self.rank, "sentence": self.sentence, "tie": self.tie}


@dataclass
class Ranking:
    team: str
    month: str
    ranked: list[Standing]
    unranked: list[Standing]

    @property
    def top(self) -> Standing | None:
        return self.ranked[0] if self.ranked else None

    def standing(self, agent_id: str) -> Standing | None:
        return next((s for s in self.ranked if s.agent_id == agent_id), None)

    def public(self) -> dict[str, Any]:
        return {"team": self.team, "month": self.month, "weights": WEIGHTS, "min_calls": MIN_CALLS,
                "ranked": [s.public() for s in self.ranked], "unranked": [s.public() for s in self.unranked]}


def _names(store: Store, agent_ids: Sequence[str]) -> dict[str, str]:
    """Agents' display names from their users (the agent id when no user carries it)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(users.c.agent_id, users.c.display_name)
                            .where(users.c.agent_id.in_(list(agent_ids)), users.c.role == UserRole.AGENT.value)
                            .order_by(users.c.id)).all()
    found: dict[str, str] = {}
    for r in rows:
        found.setdefault(r.agent_id, r.display_name)
    return {a: found.get(a, a) for a in agent_ids}


def _month_calls(store: Store, team: str, start: datetime, end: datetime) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(calls.c.id, calls.c.agent_id, calls.c.started_at)
                                 .where(calls.c.team == team, calls.c.agent_id.is_not(None),
                                        calls.c.started_at >= start, calls.c.started_at < end)
                                 .order_by(calls.c.started_at, calls.c.id)))


def _praise(store: Store, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Call id -> the survey comment's praise (themes heard/patient/kind, their words, the sentence)."""
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(outcomes.c.call_id, outcomes.c.data).where(outcomes.c.call_id.in_(list(ids))))
        for r in rows:
            comment = (r.data or {}).get("survey_comment")
            if not comment:
                continue
            found = [m for m in mentions(str(comment)) if m.theme in PRAISE]
            if found:
                out[r.call_id] = {"call_id": r.call_id, "themes": [m.theme for m in found],
                                  "words": {m.theme: m.text for m in found},
                                  "sentence": found[0].sentence.strip()}
    return out


def _kudos_on(store: Store, ids: Sequence[str]) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(kudos, users.c.display_name.label("giver"))
                                 .join(users, users.c.id == kudos.c.given_by)
                                 .where(kudos.c.call_id.in_(list(ids)))
                                 .order_by(kudos.c.created_at, kudos.c.id)))


def mvp_ranking(store: Store, team: str, month: str) -> Ranking:
    """The team's agents for the month, ranked by the weighted, team-normalised components, each explained."""
    start, end = month_span(month)
    rows = _month_calls(store, team, start, end)
    ids = [r.id for r in rows]
    summaries = store.latest_summaries(ids, need=("customer_start", "customer_end"))
    praise = _praise(store, ids)
    given = _kudos_on(store, ids)
    agents = sorted({r.agent_id for r in rows})
    names = _names(store, agents)
    standings: dict[str, Standing] = {}
    for agent in agents:
        mine = [r.id for r in rows if r.agent_id == agent]
        analysed = [summaries[i] for i in mine if i in summaries]
        n = len(analysed)
        shares = [len(set(s.get("behaviours") or []) & set(BEHAVIOURS)) / len(BEHAVIOURS) for s in analysed]
        standings[agent] = Standing(
            agent, names[agent], n, sum(shares) / n if n else 0.0,
            sum("acknowledge_emotion" in (s.get("behaviours") or []) for s in analysed) / n if n else 0.0,
            [i for i in mine if turned_around(summaries.get(i))], [praise[i] for i in mine if i in praise],
            [{"call_id": k.call_id, "turn": k.turn, "from": k.giver, "note": k.note} for k in given
             if k.agent_id == agent])
    ranked = [s for s in standings.values() if s.calls >= MIN_CALLS]
    unranked = sorted((s for s in standings.values() if s.calls < MIN_CALLS), key=lambda s: (-s.calls, s.agent_id))
    best = {c: max((s.values()[c] for s in ranked), default=0.0) for c in WEIGHTS}
    for s in ranked:
        s.normalised = {c: (s.values()[c] / best[c] if best[c] > 0 else 0.0) for c in WEIGHTS}
        s.score = round(100 * sum(WEIGHTS[c] * s.normalised[c] for c in WEIGHTS), 1)
    ranked.sort(key=Standing.order_key)
    for s in ranked:
        s.rank = 1 + sum((o.score or 0) > (s.score or 0) for o in ranked)
    _explain_ties(ranked)
    for s in [*ranked, *unranked]:
        s.sentence = _sentence(s)
    return Ranking(team, month, ranked, unranked)


TIE_KEYS = (("turned-around calls", lambda s: len(s.turned_around)), ("praising comments", lambda s: len(s.comments)),
            ("kudos", lambda s: len(s.kudos)), ("behaviours per call", lambda s: round(s.behaviour_share, 6)))


def _explain_ties(ranked: list[Standing]) -> None:
    for i, s in enumerate(ranked):
        tied = [o for o in ranked if o is not s and o.score == s.score]
        if not tied:
            continue
        others = ", ".join(o.name for o in tied)
        text = f"Tied at {s.score:g} with {others}"
        neighbour, ahead = (ranked[i + 1], True) if i + 1 < len(ranked) and ranked[i + 1].score == s.score \
            else (ranked[i - 1], False)
        for label, key in TIE_KEYS:
            mine, theirs = key(s), key(neighbour)
            if mine != theirs:
                shown = (f"{mine:.0%} against {theirs:.0%}" if isinstance(mine, float)
                         else f"{mine} against {theirs}")
                text += f"; listed {'ahead of' if ahead else 'after'} {neighbour.name} on {label} ({shown})."
                break
        else:
            text += "; nothing else separates them, so they are listed by name. The lead chooses."
        s.tie = text


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _quote(comment: dict[str, Any], theme: str, most: int = 80) -> str:
    """The comment's sentence when it is short, else the words that carry the theme."""
    sentence = comment["sentence"]
    return sentence if len(sentence) <= most else f"…{comment['words'][theme]}…"


THEME_WORDS = {"heard": "they felt heard", "patient": "{name} was patient", "kind": "{name} was kind"}


def _sentence(s: Standing) -> str:
    parts = [f"{s.name}: {_plural(s.calls, 'call')}"]
    if s.calls:
        parts.append(f"acknowledged feelings on {s.acknowledge_rate:.0%}, and used {s.behaviour_share:.0%} of the "
                     f"{len(BEHAVIOURS)} empathy behaviours on an average call")
    k = len(s.turned_around)
    parts.append(f"turned {_plural(k, 'upset customer')} around" if k else "turned no upset customers around")
    if s.comments:
        said: list[str] = []
        quoted: set[str] = set()
        for theme in PRAISE:
            with_theme = [c for c in s.comments if theme in c["themes"]]
            if not with_theme:
                continue
            first = with_theme[0]
            lead = f"{_plural(len(with_theme), 'comment')} said" if not said else f"{len(with_theme)} that"
            text = f"{lead} {THEME_WORDS[theme].format(name=s.name)}"
            if first["call_id"] not in quoted:
                quoted.add(first["call_id"])
                text += f" ('{_quote(first, theme)}', call {first['call_id']})"
            said.append(text)
        parts.append(", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0])
    else:
        parts.append("no survey comments about feeling heard, patience or kindness")
    if s.kudos:
        givers = list(dict.fromkeys(k["from"] for k in s.kudos))
        who = givers[0] if len(givers) == 1 else ", ".join(givers[:-1]) + " and " + givers[-1]
        parts.append(f"{len(s.kudos)} kudos from {who}")
    else:
        parts.append("no kudos yet")
    text = "; ".join(parts) + "."
    if s.score is None:
        text += f" Not ranked: {MIN_CALLS} analysed calls in the month are needed."
    return text


# --- confirming --------------------------------------------------------------------------------------------

def confirm_mvp(store: Store, lead: User, team: str, month: str, agent_id: str, note: str = "") -> dict[str, Any]:
    """The lead confirms the month's Empathy MVP; the ranking as it stands is kept with the pick."""
    if not may_confirm(lead, team):
        raise Denied(f"only a lead of team {team} or an admin confirms its Empathy MVP")
    ranking = mvp_ranking(store, team, month)
    chosen = ranking.standing(agent_id)
    if chosen is None:
        names = ", ".join(s.agent_id for s in ranking.ranked) or "nobody yet"
        raise RecognitionError(f"{agent_id} is not ranked for team {team} in {month}",
                               hint=f"Ranked: {names} (at least {MIN_CALLS} analysed calls in the month).")
    text = " ".join((note or "").split())[:2000]
    top = ranking.top
    if top is not None and chosen.rank != 1 and not text:
        raise RecognitionError(f"{chosen.name} is not at the top of the ranking ({top.name} is)",
                               hint="Add a note saying why you chose them: the team will read it.")
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(mvp_picks).values(team=team, month=month, agent_id=agent_id,
                                                  ranking=ranking.public(), confirmed_by=lead.id,
                                                  confirmed_at=_now(), note=text or None))
    except IntegrityError:
        raise ConflictError(f"team {team}'s Empathy MVP for {month} is already confirmed",
                            hint="A confirmed pick stays: it has been announced.") from None
    audit(store, lead, "confirm", "mvp", f"{team}/{month}", agent=agent_id)
    pick = mvp_pick(store, lead, team, month)
    assert pick is not None
    return pick


def _pick_row(row: Any) -> dict[str, Any]:
    chosen: dict[str, Any] = next((s for s in row.ranking.get("ranked", []) if s["agent_id"] == row.agent_id), {})
    return {"team": row.team, "month": row.month, "agent_id": row.agent_id, "name": chosen.get("name", row.agent_id),
            "sentence": chosen.get("sentence", ""), "note": row.note, "confirmed_by": row.confirmed_by_name,
            "confirmed_at": aware(row.confirmed_at).isoformat()}


_PICKS = select(mvp_picks, users.c.display_name.label("confirmed_by_name")).join(
    users, users.c.id == mvp_picks.c.confirmed_by)


def mvp_pick(store: Store, user: User, team: str, month: str) -> dict[str, Any] | None:
    """The confirmed MVP of the team's month (their own explanation, the lead's note), or None: nothing is
    announced before a lead confirms."""
    if not may_view(user, team):
        raise Denied(f"team {team}'s recognition is for its members")
    month_span(month)
    with store.engine.connect() as conn:
        row = conn.execute(_PICKS.where(mvp_picks.c.team == team, mvp_picks.c.month == month)).first()
    return _pick_row(row) if row else None


# --- the feed ----------------------------------------------------------------------------------------------

def _turn_texts(store: Store, wanted: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str]:
    by_call: dict[str, set[int]] = {}
    for call_id, turn in wanted:
        by_call.setdefault(call_id, set()).add(turn)
    out: dict[tuple[str, int], str] = {}
    if not by_call:
        return out
    with store.engine.connect() as conn:
        for r in conn.execute(select(turns.c.call_id, turns.c.idx, turns.c.text)
                              .where(turns.c.call_id.in_(list(by_call)))):
            if r.idx in by_call[r.call_id]:
                out[(r.call_id, r.idx)] = r.text
    return out


def turning_point(store: Store, call_id: str) -> int | None:
    """The agent turn just before the customer's first positive turn after a negative one: where the call
    turned around (the customer's turn when no agent turn comes before it)."""
    analysis = store.latest_analysis(call_id)
    if analysis is None:
        return None
    per_turn = analysis.per_turn("turn_sentiment")
    low = False
    for index, party, value, _ in per_turn:
        if party is not Role.CUSTOMER or value is None:
            continue
        if value <= START_BELOW:
            low = True
        elif low and value >= END_ABOVE:
            return next((t.turn for t in reversed(per_turn) if t.turn < index and t.party is Role.AGENT), index)
    return None


def wins(store: Store, user: User, team: str, since: date | datetime,
         until: date | datetime | None = None, *, limit: int = 200) -> list[dict[str, Any]]:
    """The team's wins on calls started from `since` (to `until`), newest first: confirmed MVPs, survey comments
    that praise being heard, patience or kindness, customers turned around, and kudos, each linked to its
    moment (call id and turn). The link and the moment's words only for a viewer who may see the call."""
    if not may_view(user, team):
        raise Denied(f"team {team}'s wins are for its members")
    start = since if isinstance(since, datetime) else datetime.combine(since, time.min, tzinfo=UTC)
    start = aware(start)
    end = aware(until if isinstance(until, datetime) else datetime.combine(until, time.min, tzinfo=UTC)) \
        if until is not None else datetime.max.replace(tzinfo=UTC)
    rows = _month_calls(store, team, start, end)
    ids = [r.id for r in rows]
    info = {r.id: r for r in rows}
    names = _names(store, sorted({r.agent_id for r in rows}))
    items: list[dict[str, Any]] = []

    def item(kind: str, call_id: str, turn: int | None, at: datetime, text: str, **extra: Any) -> dict[str, Any]:
        agent = info[call_id].agent_id
        return {"kind": kind, "call_id": call_id, "turn": turn, "agent_id": agent, "agent": names[agent],
                "at": aware(at).isoformat(), "text": text, **extra}

    for call_id, found in _praise(store, ids).items():
        themes = ["felt heard" if t == "heard" else t for t in found["themes"]]
        items.append(item("comment", call_id, None, info[call_id].started_at, found["sentence"], themes=themes,
                          words=found["words"]))
    summaries = store.latest_summaries(ids, need=("customer_start", "customer_end"))
    for call_id in ids:
        if turned_around(summaries.get(call_id)):
            items.append(item("turned_around", call_id, turning_point(store, call_id), info[call_id].started_at,
                              f"{names[info[call_id].agent_id]} turned an upset customer around"))
    on_calls = _kudos_on(store, ids)
    given = {k.call_id for k in on_calls if k.given_by == user.id}
    for k in on_calls:
        items.append(item("kudos", k.call_id, k.turn, k.created_at, k.note, giver=k.giver,
                          mine=k.given_by == user.id))
    with store.engine.connect() as conn:
        picks = conn.execute(_PICKS.where(mvp_picks.c.team == team, mvp_picks.c.month >= start.strftime("%Y-%m"),
                                          mvp_picks.c.month < (end.strftime("%Y-%m") if until is not None
                                                               else "9999-99"))).all()
    with store.engine.connect() as conn:
        visible = set(conn.execute(select(calls.c.id).where(calls.c.id.in_(ids), call_scope(user))).scalars())
    moments = _turn_texts(store, [(i["call_id"], i["turn"]) for i in items
                                  if i["turn"] is not None and i["call_id"] in visible])
    for i in items:
        seen = i["call_id"] in visible
        i["link"] = (f"/calls/{i['call_id']}#turn-{i['turn'] if i['turn'] is not None else 0}") if seen else None
        i["moment"] = moments.get((i["call_id"], i["turn"])) if seen and i["turn"] is not None else None
        i["own"] = user.agent_id is not None and user.agent_id == i["agent_id"]
        i["given"] = i["call_id"] in given     # the viewer already gave kudos on this call (one per call)
    for p in picks:
        pick = _pick_row(p)
        items.append({"kind": "mvp", "call_id": None, "turn": None, "agent_id": pick["agent_id"],
                      "agent": pick["name"], "at": pick["confirmed_at"], "text": pick["sentence"],
                      "note": pick["note"], "month": pick["month"], "link": None, "moment": None,
                      "own": user.agent_id == pick["agent_id"], "given": False})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:limit]

