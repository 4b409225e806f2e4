"""Coaching plans and sessions: one empathy behaviour at a time, with moments from the agent's own calls.

The focus is the behaviour with the largest gap between the agent's rate and their team's, each gap weighted
by how much the behaviour matters. Until the insights work measures that in this organisation's own outcomes,
the weights are heard's documented defaults (WEIGHTS). The plan explains itself in plain words, shows three
missed moments and two best moments from the agent's own recent calls, several ways a better reply could sound
for those customers' words, and one practice. It is met when the agent's rate over the recent weeks reaches
the target over enough calls, or when the coach closes it.

Sessions are 1:1s on a plan: notes, the moments discussed, an action both agree (the agent can add to it), a
follow-up date. The agent acknowledges; overdue follow-ups show on the lead's page. The effect of a session is
the behaviour's rate in the agent's calls before and after it, with a 95% interval for the difference and the
number of calls on each side, or "too few calls yet".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from statsmodels.stats.proportion import confint_proportions_2indep  # type: ignore[import-untyped]

from heard.auth.accounts import User, UserRole, audit, call_scope
from heard.errors import HeardError
from heard.live.engine import key_phrase
from heard.model import Call, CallAnalysis, Role
from heard.store import Store, aware
from heard.store.schema import calls as calls_table
from heard.store.schema import coaching_plans, coaching_sessions, users

# How much each behaviour matters when choosing a focus, until this organisation's outcome data says otherwise
# (docs/coaching.md): acknowledging feelings and explaining why are the behaviours most tied to trust and first-
# contact resolution in the research this product rests on; the rest follow.
WEIGHTS = {"acknowledge_emotion": 1.0, "explain_why": 1.0, "next_steps": 0.9, "clarifying_question": 0.8,
           "confidence_check": 0.8, "reassurance": 0.7, "mirror_paraphrase": 0.7, "summarise_goal": 0.6}
LABELS = {"acknowledge_emotion": "acknowledging how the customer feels", "explain_why": "explaining why",
          "next_steps": "stating clear next steps", "clarifying_question": "asking a clarifying question",
          "confidence_check": "checking the concern is resolved", "reassurance": "reassuring the customer",
          "mirror_paraphrase": "restating what the customer said", "summarise_goal": "summarising the customer's goal"}
MIN_CALLS = 5              # calls on each side before an effect, or a met target, is reported
RECENT_DAYS = 28           # "recent" calls for moments and progress
PRACTICE = {
    "acknowledge_emotion": "Before your first fix on each call this week, name the feeling you heard in the "
                           "customer's own words, then pause for their answer.",
    "explain_why": "When you say no or ask for something, add one sentence that starts with 'because' or 'the "
                   "reason is'.",
    "next_steps": "End every call with who does what by when, in one plain sentence, and check it landed.",
    "clarifying_question": "Ask one open question about the problem before you start solving it.",
    "confidence_check": "Before you close, ask whether what you did solves it for them — and wait.",
    "reassurance": "When a customer is worried, tell them one concrete thing that will be OK and why.",
    "mirror_paraphrase": "Once per call, give the customer's problem back in your words and ask if you got it.",
    "summarise_goal": "Early in the call, say what the customer wants to end up with, in their terms.",
}
REPLIES = {  # several shapes per behaviour; {p} is the customer's own words, [brackets] what the agent fills in
    "acknowledge_emotion": ["That sounds really stressful — {p}. Let's sort it out together.",
                            "I can hear how much this matters: {p}. I'm sorry you've had to deal with that.",
                            "{P}… that would worry me too. Here's what I can do right now.",
                            "Thank you for telling me about {p}; it makes sense you're upset."],
    "explain_why": ["The reason is [one plain sentence], and that's why I'm going to [the step] about {p}.",
                    "Good question about {p} — it happens because [the reason]; here's what I'll change.",
                    "Let me explain why first, because {p} deserves a real answer: [the reason].",
                    "What's behind {p} is [the reason]; knowing that, I'll [the step]."],
    "next_steps": ["So for {p}: I'll [your step] today, you'll see [the result] by [when], and if not, call us back.",
                   "Here's what happens next with {p}: first [step], then [step] — does that work for you?",
                   "To close the loop on {p}, I'm [doing what] now and you'll hear from us by [when]."],
    "clarifying_question": ["Before I fix {p}, can you tell me when it started?",
                            "Just so I get {p} right — what did you see on your side?",
                            "What would a good outcome for {p} look like for you?"],
    "confidence_check": ["Does that fully sort out {p}, or is anything still worrying you?",
                         "Before we finish — is {p} resolved the way you needed?",
                         "How does that sound for {p}? Anything I've missed?"],
    "reassurance": ["You won't lose anything over {p}: here's why.", "{P} is fixable, and I'll stay on it with you.",
                    "I've seen {p} before and it gets sorted — here's how."],
    "mirror_paraphrase": ["So if I've got it right, {p} — is that it?", "Let me check I understand: {p}.",
                          "What I'm hearing is {p}. Have I got that right?"],
    "summarise_goal": ["So what you want is to get {p} sorted without another call — right?",
                       "Your goal today is {p}; let's make sure we get there.",
                       "To sum up, you need {p} — I'll keep us on that."],
}
# When the agent's reply asked for something without saying why, the better reply gives the reason for it.
ASKED_FOR = re.compile(r"\b(?:can|could|may) i (?:have|take|get|grab)(?: your| the)? ([a-z][a-z ]{1,30}?)"
                       r"(?: please| first| from you)?\s*[?.!]?\s*$|\bwhat(?:'s| is) your ([a-z][a-z ]{1,30}?)\s*[?.]",
                       re.I)
ASK_WHY = ["Could I take your {x}? That's how I find your details and see why {p}.",
           "So I can check what's behind {p}, I'll need your {x} — is that OK?",
           "I'll ask for your {x} first, because it lets me look into {p} properly."]


class CoachingError(HeardError):
    """The request does not fit the plan or the user's part in it."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Moment:
    call_id: str
    customer_turn: int | None
    customer: str
    agent_turn: int | None
    agent: str
    time: float | None
    started_at: str | None
    score: float = 0.0

    def public(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "customer_turn": self.customer_turn, "customer": self.customer,
                "agent_turn": self.agent_turn, "agent": self.agent, "time": self.time, "started_at": self.started_at,
                "link": f"/calls/{self.call_id}#turn-{self.agent_turn if self.agent_turn is not None else 0}"}


@dataclass
class Weights:
    """How much each behaviour counts when choosing a focus, and where that came from."""

    values: dict[str, float]
    source: str = "heard's default weights; insights on this organisation's outcomes will replace them"
    reasons: dict[str, list[str]] = field(default_factory=dict)   # behaviour -> the findings behind its weight


def outcome_weights(store: Store) -> Weights:
    """heard's default weights, raised by half for a behaviour that went with better outcomes in this
    organisation's own calls (an effect surviving the false-discovery correction, in the good direction) and
    lowered by a quarter for one that went only with worse; from the newest insights run over every call (else
    none: the defaults). Customer outcomes only: a behaviour that lengthens handle time is not weighed down for
    it (heard never penalises taking time to be understood)."""
    from heard.insights.effects import OUTCOME
    from heard.insights.report import InsightsScope, latest

    kept = latest(store, InsightsScope())
    if kept is None:
        return Weights(dict(WEIGHTS))
    run, _, result = kept
    values, reasons = dict(WEIGHTS), {}
    for behaviour in WEIGHTS:
        good: list[str] = []
        bad: list[str] = []
        for e in result.get("effects", []):
            if e.get("exposure") != f"b_{behaviour}" or not e.get("survives") or e.get("outcome") not in OUTCOME \
                    or e["outcome"] == "handle_time":
                continue
            better = (e["estimate"] > 0) == OUTCOME[e["outcome"]].higher_is_better
            (good if better else bad).append(e["sentence"])
        if good or bad:
            values[behaviour] = round(WEIGHTS[behaviour] * (1.5 if good and not bad else 0.75 if bad and not good
                                                            else 1.0), 3)
            reasons[behaviour] = good + bad
    return Weights(values, f"weights from this organisation's outcomes, insights run {run} of "
                           f"{str(result.get('generated_at', '?'))[:10]}", reasons)


@dataclass
class Focus:
    behaviour: str
    agent_rate: float
    team_rate: float
    agent_calls: int
    team_calls: int
    weight: float
    gaps: dict[str, float] = field(default_factory=dict)
    agent_rates: dict[str, float] = field(default_factory=dict)   # every behaviour, not only the focus
    team_rates: dict[str, float] = field(default_factory=dict)
    weights: Weights = field(default_factory=lambda: Weights(dict(WEIGHTS)))

    def on(self, behaviour: str) -> Focus:
        """The same rates, with another behaviour as the focus (the coach's choice)."""
        return Focus(behaviour, self.agent_rates[behaviour], self.team_rates[behaviour], self.agent_calls,
                     self.team_calls, self.weights.values[behaviour], self.gaps, self.agent_rates, self.team_rates,
                     self.weights)

    def sentence(self, agent_id: str, team: str | None) -> str:
        text = (f"{agent_id} was {LABELS.get(self.behaviour, self.behaviour)} on {self.agent_rate:.0%} of their "
                f"calls ({self.agent_calls} calls) against {self.team_rate:.0%} for team {team or '—'} "
                f"({self.team_calls} calls). Of the gaps to the team, this one counts most once each behaviour is "
                f"weighted by how much it matters ({self.weights.source}).")
        reasons = self.weights.reasons.get(self.behaviour)
        if reasons:
            text += f" In this organisation's calls: {reasons[0]}"
        return text


def _ids(store: Store, *, agent_id: str | None = None, team: str | None = None) -> list[str]:
    """The ids of an agent's (or a team's) calls."""
    query = select(calls_table.c.id)
    if agent_id is not None:
        query = query.where(calls_table.c.agent_id == agent_id)
    if team is not None:
        query = query.where(calls_table.c.team == team)
    with store.engine.connect() as conn:
        return [r.id for r in conn.execute(query.order_by(calls_table.c.id))]


def _found_by_start(store: Store, agent_id: str, behaviour: str) -> list[tuple[datetime, bool]]:
    """For each of the agent's analysed calls with a start time: when it started, and whether the behaviour was
    found (read from the stored summaries, not the calls)."""
    with store.engine.connect() as conn:
        starts = {r.id: aware(r.started_at) for r in conn.execute(
            select(calls_table.c.id, calls_table.c.started_at).where(calls_table.c.agent_id == agent_id,
                                                                     calls_table.c.started_at.is_not(None)))}
    summaries = store.latest_summaries(list(starts))
    return [(starts[i], behaviour in (summary.get("behaviours") or [])) for i, summary in summaries.items()]


def rates(store: Store, ids: Sequence[str]) -> tuple[dict[str, float], int]:
    """Share of the calls (with an analysis) where each behaviour was found, and how many calls that is."""
    summaries = store.latest_summaries(list(ids))
    n = len(summaries)
    found = {b: sum(b in (s.get("behaviours") or []) for s in summaries.values()) for b in WEIGHTS}
    return ({b: (k / n if n else 0.0) for b, k in found.items()}, n)


def choose_focus(store: Store, agent_id: str, team: str | None,
                 weights: Weights | None = None) -> Focus:
    """The behaviour with the largest weighted gap between the agent and the team (ties: the order of WEIGHTS),
    weighted by this organisation's outcomes when insights have run (outcome_weights)."""
    chosen = weights or outcome_weights(store)
    per_behaviour = chosen.values
    mine = _ids(store, agent_id=agent_id)
    theirs = _ids(store, team=team) if team else mine
    my_rates, n_mine = rates(store, mine)
    team_rates, n_team = rates(store, theirs)
    if n_mine == 0:
        raise CoachingError(f"agent {agent_id} has no analysed calls yet", hint="Run heard analyze first.")
    gaps = {b: round(max(0.0, team_rates[b] - my_rates[b]) * per_behaviour.get(b, 0.5), 4) for b in per_behaviour}
    best = max(gaps, key=lambda b: (gaps[b], -list(per_behaviour).index(b)))
    if gaps[best] == 0:   # at or above the team everywhere: the weakest behaviour by absolute rate
        order = list(per_behaviour)
        best = min(order, key=lambda b: (my_rates[b] - 1.0) * per_behaviour[b] + order.index(b) * 1e-6)
    return Focus(best, my_rates[best], team_rates[best], n_mine, n_team, per_behaviour.get(best, 0.5), gaps,
                 my_rates, team_rates, chosen)


def _customer_before(call: Call, turn: int) -> int | None:
    return next((j for j in range(turn - 1, -1, -1) if call.turns[j].speaker is Role.CUSTOMER), None)


def _agent_after(call: Call, turn: int) -> int | None:
    return next((j for j in range(turn + 1, len(call.turns)) if call.turns[j].speaker is Role.AGENT), None)


def _moment(call: Call, customer: int | None, agent: int | None, score: float) -> Moment:
    c = call.turns[customer] if customer is not None else None
    a = call.turns[agent] if agent is not None else None
    return Moment(call.id, customer, c.text if c else "", agent, a.text if a else "",
                  (c.start if c else None) if c and c.start is not None else (a.start if a else None),
                  call.started_at.isoformat() if call.started_at else None, score)


def moments(store: Store, agent_id: str, behaviour: str, *, missed: int = 3, best: int = 2,
            ) -> tuple[list[Moment], list[Moment]]:
    """Missed and best moments for a behaviour, from this agent's own calls only (newest calls first).

    Best: agent turns where the behaviour was found, most confident first, with the customer's turn before.
    Missed: for feelings (acknowledge, reassure, restate), empathy opportunities left unmet; for the others, a
    customer turn that called for the behaviour (a "why", the problem statement, the close) in a call where the
    agent never did it."""
    found_missed: list[Moment] = []
    found_best: list[Moment] = []
    for call in sorted(store.iter_calls(_ids(store, agent_id=agent_id)),
                       key=lambda c: (c.started_at or datetime.min.replace(tzinfo=UTC), c.id), reverse=True):
        if call.agent_id != agent_id:
            continue
        analysis = store.latest_analysis(call.id)
        if analysis is None:
            continue
        hits = [f for f in analysis.findings if f.kind == "behaviour" and f.label == behaviour and f.evidence]
        for f in hits:
            turn = f.evidence[0].turn
            found_best.append(_moment(call, _customer_before(call, turn), turn, f.confidence or 0.5))
        found_missed += _missed_in(call, analysis, behaviour, bool(hits))
    found_missed.sort(key=lambda m: -m.score)
    found_best.sort(key=lambda m: -m.score)
    return _one_per_call(found_missed, missed), _one_per_call(found_best, best)


def _one_per_call(found: list[Moment], n: int) -> list[Moment]:
    """The top moments, from as many different calls as possible."""
    out: list[Moment] = []
    seen: set[str] = set()
    for m in found:
        if m.call_id not in seen:
            out.append(m)
            seen.add(m.call_id)
    out += [m for m in found if m not in out]
    return out[:n]


def _missed_in(call: Call, analysis: CallAnalysis, behaviour: str, done: bool) -> list[Moment]:
    if behaviour in ("acknowledge_emotion", "reassurance", "mirror_paraphrase"):
        out = []
        for f in analysis.findings:
            if f.kind == "opportunity" and f.label == "missed" and f.evidence:
                turn = f.evidence[0].turn
                out.append(_moment(call, turn, _agent_after(call, turn), f.confidence or 0.5))
        return out
    if done:
        return []
    customers = [i for i, t in enumerate(call.turns) if t.speaker is Role.CUSTOMER and len(t.text.split()) >= 4]
    if not customers:
        return []
    if behaviour == "explain_why":
        asked = [i for i in customers if any(w in call.turns[i].text.lower() for w in ("why", "how come"))]
        pick = asked[0] if asked else max(customers, key=lambda i: len(call.turns[i].text))
    elif behaviour in ("next_steps", "confidence_check"):
        pick = customers[-1]
    else:   # clarifying_question, summarise_goal: the first time the customer states the problem
        pick = customers[0]
    return [_moment(call, pick, _agent_after(call, pick), 0.5)]


def better_replies(behaviour: str, customer_words: str, n: int = 3, agent_words: str = "") -> list[str]:
    """Several ways a better reply could sound, built on what this customer said (never one canned line); for
    explaining why, on what the agent asked for without a reason, when they did."""
    phrase = key_phrase(customer_words) if customer_words.strip() else "this"
    shapes = REPLIES.get(behaviour, REPLIES["acknowledge_emotion"])
    asked = ASKED_FOR.search(agent_words.strip()) if behaviour == "explain_why" else None
    if asked:
        thing = (asked.group(1) or asked.group(2)).strip()
        shapes = [shape.replace("{x}", thing) for shape in ASK_WHY]
    start = int(hashlib.sha256(customer_words.encode()).hexdigest(), 16) % len(shapes)
    picked = [shapes[(start + k) % len(shapes)] for k in range(min(n, len(shapes)))]
    return [s.replace("{P}", phrase[:1].upper() + phrase[1:]).replace("{p}", phrase) for s in picked]


# --- plans ---------------------------------------------------------------------------------------------------

def _plan_row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "agent_id": row.agent_id, "team": row.team, "behaviour": row.behaviour,
            "label": LABELS.get(row.behaviour, row.behaviour), "target": row.target, "state": row.state,
            "why": row.why, "created_by": row.created_by, "created_at": aware(row.created_at).isoformat(),
            "closed_at": aware(row.closed_at).isoformat() if row.closed_at else None, "closed_why": row.closed_why}


def _may_see_agent(store: Store, user: User, agent_id: str) -> bool:
    with store.engine.connect() as conn:
        return conn.execute(select(calls_table.c.id).where(calls_table.c.agent_id == agent_id, call_scope(user))
                            .limit(1)).first() is not None


def active_plan(store: Store, user: User, agent_id: str) -> dict[str, Any] | None:
    if not _may_see_agent(store, user, agent_id):
        raise CoachingError(f"no agent {agent_id} whose calls you can see")
    with store.engine.connect() as conn:
        row = conn.execute(select(coaching_plans).where(coaching_plans.c.agent_id == agent_id,
                                                        coaching_plans.c.state == "active")
                           .order_by(coaching_plans.c.id.desc())).first()
    return _plan_row(row) if row else None


def plan_history(store: Store, user: User, agent_id: str) -> list[dict[str, Any]]:
    if not _may_see_agent(store, user, agent_id):
        raise CoachingError(f"no agent {agent_id} whose calls you can see")
    with store.engine.connect() as conn:
        rows = conn.execute(select(coaching_plans).where(coaching_plans.c.agent_id == agent_id)
                            .order_by(coaching_plans.c.id.desc())).all()
    return [_plan_row(r) for r in rows]


def start_plan(store: Store, coach: User, agent_id: str, *, behaviour: str | None = None,
               target: float | None = None) -> dict[str, Any]:
    """A new plan for the agent (the focus chosen by the gaps unless the coach names one); an active plan is
    replaced only by closing it first."""
    if coach.role is UserRole.AGENT:
        raise CoachingError("leads, QA and admins start coaching plans")
    if not _may_see_agent(store, coach, agent_id):
        raise CoachingError(f"no agent {agent_id} whose calls you can see")
    if active_plan(store, coach, agent_id) is not None:
        raise CoachingError(f"{agent_id} already has an active plan", hint="Close it (met, or the coach's call) first.")
    team = _team_of(store, agent_id)
    focus = choose_focus(store, agent_id, team)
    if behaviour is not None and behaviour != focus.behaviour:
        if behaviour not in WEIGHTS:
            raise CoachingError(f"unknown behaviour {behaviour!r}", hint=f"One of: {', '.join(WEIGHTS)}.")
        focus = focus.on(behaviour)
        chosen_by = "the coach"
    else:
        chosen_by = "the largest weighted gap"
    goal = target if target is not None else round(min(0.95, max(focus.team_rate, 0.6)), 2)
    why = {"sentence": focus.sentence(agent_id, team), "agent_rate": focus.agent_rate, "team_rate": focus.team_rate,
           "agent_calls": focus.agent_calls, "team_calls": focus.team_calls, "weight": focus.weight,
           "gaps": focus.gaps, "chosen_by": chosen_by, "weights": focus.weights.source,
           "weight_reasons": focus.weights.reasons.get(focus.behaviour, [])}
    with store.engine.begin() as conn:
        key = conn.execute(insert(coaching_plans).values(
            agent_id=agent_id, team=team, behaviour=focus.behaviour, target=goal, state="active", why=why,
            created_by=coach.username, created_at=_now())).inserted_primary_key
    assert key is not None
    audit(store, coach, "start", "coaching_plan", str(key[0]), agent=agent_id, behaviour=focus.behaviour)
    plan = active_plan(store, coach, agent_id)
    assert plan is not None
    return plan


def _team_of(store: Store, agent_id: str) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(select(calls_table.c.team).where(calls_table.c.agent_id == agent_id,
                                                             calls_table.c.team.is_not(None))
                            .order_by(calls_table.c.id.desc()).limit(1)).scalar()


def progress(store: Store, plan: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """The behaviour's weekly rate in the agent's calls, and whether the target is met: the rate over the last
    RECENT_DAYS reaches the target over at least MIN_CALLS * 2 calls."""
    found = _found_by_start(store, plan["agent_id"], plan["behaviour"])
    weeks: dict[str, list[int]] = {}
    for started, hit in found:
        iso = started.isocalendar()
        weeks.setdefault(f"{iso.year}-W{iso.week:02d}", []).append(int(hit))
    series = [{"week": w, "rate": sum(v) / len(v), "calls": len(v)} for w, v in sorted(weeks.items())]
    end = datetime.combine(today or _now().date(), datetime.max.time(), tzinfo=UTC)
    recent = [int(hit) for started, hit in found if end - timedelta(days=RECENT_DAYS) <= started <= end]
    rate = sum(recent) / len(recent) if recent else None
    enough = len(recent) >= MIN_CALLS * 2
    return {"weeks": series, "recent_rate": rate, "recent_calls": len(recent), "target": plan["target"],
            "met": bool(enough and rate is not None and rate >= plan["target"]),
            "status": ("target met" if enough and rate is not None and rate >= plan["target"] else
                       "too few calls yet" if not enough else "not yet")}


def close_plan(store: Store, coach: User, plan_id: int, why: str, *, today: date | None = None) -> dict[str, Any]:
    """The plan moves on: 'met' when progress says so, otherwise only because the coach chooses (a reason)."""
    row = _plan(store, coach, plan_id)
    if coach.role is UserRole.AGENT:
        raise CoachingError("the coach closes a plan")
    if row["state"] != "active":
        raise CoachingError(f"plan {plan_id} is already {row['state']}")
    met = progress(store, row, today=today)["met"]
    if not met and not why.strip():
        raise CoachingError("the target is not met yet: say why you are moving on")
    with store.engine.begin() as conn:
        conn.execute(update(coaching_plans).where(coaching_plans.c.id == plan_id).values(
            state="met" if met else "closed", closed_at=_now(), closed_why=why.strip() or "target met"))
    audit(store, coach, "close", "coaching_plan", str(plan_id), met=met, why=why)
    return _plan(store, coach, plan_id)


def _plan(store: Store, user: User, plan_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(select(coaching_plans).where(coaching_plans.c.id == plan_id)).first()
    if row is None or not _may_see_agent(store, user, row.agent_id):
        raise CoachingError(f"no coaching plan {plan_id}")
    if user.role is UserRole.AGENT and user.agent_id != row.agent_id:
        raise CoachingError(f"no coaching plan {plan_id}")
    return _plan_row(row)


def view(store: Store, user: User, agent_id: str, *, today: date | None = None) -> dict[str, Any]:
    """Everything the plan page (and `heard coach`) shows for an agent: the plan or a proposed focus, its
    moments, better replies, the practice, progress and sessions."""
    if user.role is UserRole.AGENT and user.agent_id != agent_id:
        raise CoachingError(f"no agent {agent_id} whose calls you can see")
    plan = active_plan(store, user, agent_id)
    team = _team_of(store, agent_id)
    if plan is None:
        focus = choose_focus(store, agent_id, team)
        behaviour, sentence, target = focus.behaviour, focus.sentence(agent_id, team), \
            round(min(0.95, max(focus.team_rate, 0.6)), 2)
    else:
        behaviour, sentence, target = plan["behaviour"], plan["why"]["sentence"], plan["target"]
    missed, best = moments(store, agent_id, behaviour)
    return {"agent_id": agent_id, "team": team, "plan": plan, "behaviour": behaviour,
            "label": LABELS.get(behaviour, behaviour), "why": sentence, "target": target,
            "missed": [dict(m.public(), replies=better_replies(behaviour, m.customer, agent_words=m.agent))
                       for m in missed],
            "best": [m.public() for m in best], "practice": PRACTICE.get(behaviour, ""),
            "progress": progress(store, plan or {"agent_id": agent_id, "behaviour": behaviour, "target": target},
                                 today=today),
            "sessions": sessions_of(store, user, agent_id), "history": plan_history(store, user, agent_id)}


# --- sessions ------------------------------------------------------------------------------------------------

def log_session(store: Store, coach: User, plan_id: int, *, notes: str, action: str,
                moments_discussed: Sequence[dict[str, Any]] = (), held_at: datetime | None = None,
                follow_up: date | None = None) -> dict[str, Any]:
    """A 1:1 on a plan, held or scheduled: notes, the moments discussed, the action agreed, a follow-up date."""
    if coach.role is UserRole.AGENT:
        raise CoachingError("the coach logs a session; the agent adds to its action and acknowledges it")
    plan = _plan(store, coach, plan_id)
    if not action.strip():
        raise CoachingError("agree one action with the agent: it is what the follow-up checks")
    with store.engine.begin() as conn:
        key = conn.execute(insert(coaching_sessions).values(
            plan_id=plan_id, coach_id=coach.id, agent_id=plan["agent_id"], held_at=held_at or _now(),
            notes=notes.strip()[:10000], moments=[{"call_id": str(m["call_id"]), "turn": m.get("turn")}
                                                  for m in moments_discussed][:20],
            action=action.strip()[:2000], follow_up=follow_up, created_at=_now())).inserted_primary_key
    assert key is not None
    audit(store, coach, "log", "coaching_session", str(key[0]), plan=plan_id)
    return get_session(store, coach, int(key[0]))


def _session_row(row: Any) -> dict[str, Any]:
    return {"id": row.id, "plan_id": row.plan_id, "coach": row.coach, "agent_id": row.agent_id,
            "behaviour": row.behaviour, "held_at": aware(row.held_at).isoformat(), "notes": row.notes,
            "moments": row.moments, "action": row.action, "agent_action": row.agent_action,
            "follow_up": row.follow_up.isoformat() if row.follow_up else None,
            "followed_up_at": aware(row.followed_up_at).isoformat() if row.followed_up_at else None,
            "acknowledged_at": aware(row.acknowledged_at).isoformat() if row.acknowledged_at else None}


_SESSIONS = (select(coaching_sessions, users.c.username.label("coach"), coaching_plans.c.behaviour)
             .join(users, users.c.id == coaching_sessions.c.coach_id)
             .join(coaching_plans, coaching_plans.c.id == coaching_sessions.c.plan_id))


def get_session(store: Store, user: User, session_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(_SESSIONS.where(coaching_sessions.c.id == session_id)).first()
    if row is None or not _may_see_agent(store, user, row.agent_id) or \
            (user.role is UserRole.AGENT and user.agent_id != row.agent_id):
        raise CoachingError(f"no coaching session {session_id}")
    return _session_row(row)


def sessions_of(store: Store, user: User, agent_id: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(_SESSIONS.where(coaching_sessions.c.agent_id == agent_id)
                            .order_by(coaching_sessions.c.held_at.desc())).all()
    return [_session_row(r) for r in rows if _may_see_agent(store, user, r.agent_id)]


def agent_adds(store: Store, agent: User, session_id: int, addition: str, *,
               acknowledge: bool = True) -> dict[str, Any]:
    """The agent adds their part to the agreed action (co-created) and acknowledges the session."""
    row = get_session(store, agent, session_id)
    if agent.role is not UserRole.AGENT or agent.agent_id != row["agent_id"]:
        raise CoachingError("only the agent coached adds to the action and acknowledges")
    values: dict[str, Any] = {}
    if addition.strip():
        values["agent_action"] = addition.strip()[:2000]
    if acknowledge:
        values["acknowledged_at"] = _now()
    if values:
        with store.engine.begin() as conn:
            conn.execute(update(coaching_sessions).where(coaching_sessions.c.id == session_id).values(**values))
    audit(store, agent, "acknowledge", "coaching_session", str(session_id))
    return get_session(store, agent, session_id)


def followed_up(store: Store, coach: User, session_id: int) -> dict[str, Any]:
    row = get_session(store, coach, session_id)
    if coach.role is UserRole.AGENT:
        raise CoachingError("the coach marks the follow-up done")
    with store.engine.begin() as conn:
        conn.execute(update(coaching_sessions).where(and_(coaching_sessions.c.id == session_id,
                                                          coaching_sessions.c.followed_up_at.is_(None)))
                     .values(followed_up_at=_now()))
    return get_session(store, coach, row["id"])


def overdue(store: Store, user: User, *, today: date | None = None) -> list[dict[str, Any]]:
    """Sessions whose follow-up date has passed without a follow-up, for the calls the user may see."""
    day = today or _now().date()
    with store.engine.connect() as conn:
        rows = conn.execute(_SESSIONS.where(coaching_sessions.c.follow_up < day,
                                            coaching_sessions.c.followed_up_at.is_(None))
                            .order_by(coaching_sessions.c.follow_up)).all()
    return [_session_row(r) for r in rows if _may_see_agent(store, user, r.agent_id)]


def effect(store: Store, session: dict[str, Any], *, window_days: int = RECENT_DAYS) -> dict[str, Any]:
    """The behaviour's rate in the agent's calls in the `window_days` before the session and since it, the
    difference with its 95% interval (Newcombe's method, statsmodels), and the calls behind each side."""
    held = datetime.fromisoformat(session["held_at"])
    found = _found_by_start(store, session["agent_id"], session["behaviour"])
    before = [hit for started, hit in found if held - timedelta(days=window_days) <= started < held]
    after = [hit for started, hit in found if started >= held]
    out: dict[str, Any] = {"behaviour": session["behaviour"], "before_calls": len(before), "after_calls": len(after),
                           "before_rate": sum(before) / len(before) if before else None,
                           "after_rate": sum(after) / len(after) if after else None,
                           "difference": None, "low": None, "high": None}
    if len(before) < MIN_CALLS or len(after) < MIN_CALLS:
        out["status"] = "too few calls yet"
        out["sentence"] = (f"Too few calls yet to tell: {len(before)} before and {len(after)} since the session "
                           f"(at least {MIN_CALLS} each).")
        return out
    low, high = confint_proportions_2indep(sum(after), len(after), sum(before), len(before), method="newcomb")
    diff = out["after_rate"] - out["before_rate"]
    out.update(difference=diff, low=float(low), high=float(high), status="measured")
    out["sentence"] = (f"{LABELS.get(session['behaviour'], session['behaviour']).capitalize()}: "
                       f"{out['before_rate']:.0%} of {len(before)} calls before the session, {out['after_rate']:.0%} "
                       f"of {len(after)} since: {diff * 100:+.0f} points (95% interval {low * 100:+.0f} to "
                       f"{high * 100:+.0f}).")
    return out


def team_plans(store: Store, user: User, team: str | None = None) -> list[dict[str, Any]]:
    """Active plans of the agents whose calls the user may see (a lead: their team), with their progress."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(coaching_plans).where(coaching_plans.c.state == "active")
                            .order_by(coaching_plans.c.agent_id)).all()
    out = []
    for r in rows:
        if (team is not None and r.team != team) or not _may_see_agent(store, user, r.agent_id):
            continue
        plan = _plan_row(r)
        out.append({**plan, "progress": progress(store, plan)})
    return out



