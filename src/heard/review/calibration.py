"""Calibration sessions: several evaluators (and optionally an expert) score the same calls blind, then see item by
item where they split, and the lead records what good sounds like.

- A QA lead, lead or admin creates a session: calls, a scorecard version, evaluators, an optional expert.
- Scoring is blind: a rater sees only their own answers (not the others', not the machine's) until they submit.
- Calibration answers live in their own tables and never touch any agent's score.
- After submitting, a rater sees the results: per item Krippendorff's alpha, Fleiss' and Cohen's kappa, exact
  agreement (within one point for scales), each rater's deviation from the expert and from the consensus, with
  heard's automatic answers as one more rater ("heard"); and the calls and turns where answers split.
- The session's creator (or QA, an admin) records the agreed answer and a note for an item; the note becomes
  guidance shown next to the item on every evaluation of that scorecard.
- Grading the grader: per evaluator, alignment in each session over time, their override rate of automatic
  answers, and the time they take per evaluation.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, select, update

from heard.auth.accounts import User, UserRole, audit, can_see_call, find_user
from heard.errors import HeardError
from heard.review.agreement import Agreement, Level, consensus, measure
from heard.scorecards import definition, rules
from heard.scorecards.definition import Item, Scorecard
from heard.scorecards.scoring import parse_answer
from heard.scorecards.service import score_stored, stored_card
from heard.store import Store, aware
from heard.store.schema import (
    calibration_answers,
    calibration_calls,
    calibration_raters,
    calibration_sessions,
    evaluations,
    item_guidance,
    scorecards,
    users,
)

MACHINE = "heard"   # the automatic answers' name as a rater


class CalibrationError(HeardError):
    """The request does not fit the session (or the user's part in it)."""


class NotAllowed(HeardError):
    """Not this user's session, or not their step."""


def _now() -> datetime:
    return datetime.now(UTC)


def level_of(item: Item) -> Level:
    return "nominal" if item.answer == "yes_no" else "ordinal"


@dataclass(frozen=True)
class Session:
    id: int
    name: str
    scorecard: str
    version: int
    card: Scorecard
    created_by: str
    expert: str | None
    state: str
    created_at: datetime
    calls: list[str]
    raters: dict[str, datetime | None]      # username -> submitted_at

    @property
    def everyone_submitted(self) -> bool:
        return all(when is not None for when in self.raters.values())

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "scorecard": self.scorecard, "version": self.version,
                "created_by": self.created_by, "expert": self.expert, "state": self.state,
                "created_at": aware(self.created_at).isoformat(), "calls": self.calls,
                "raters": {u: aware(t).isoformat() if t else None for u, t in self.raters.items()},
                "everyone_submitted": self.everyone_submitted}


def create(store: Store, lead: User, name: str, call_ids: Sequence[str], evaluators: Sequence[str], *,
           expert: str | None = None, card: Scorecard | None = None) -> Session:
    """A new session. Every rater must be able to evaluate and to see every call."""
    if not lead.can_evaluate:
        raise NotAllowed("only QA, leads and admins run calibration sessions")
    if not name.strip():
        raise CalibrationError("a session needs a name")
    calls = list(dict.fromkeys(c.strip() for c in call_ids if c.strip()))
    if not calls:
        raise CalibrationError("a session needs at least one call", hint="Pick calls from the call list.")
    names = list(dict.fromkeys([*evaluators, *([expert] if expert else [])]))
    if len(names) < 2:
        raise CalibrationError("a session needs at least two raters (evaluators, and the expert if any)")
    raters = [find_user(store, n)[0] for n in names]
    for call_id in calls:
        if not can_see_call(store, lead, call_id):
            raise CalibrationError(f"no call {call_id!r} that you can see")
    for user in raters:
        if not user.can_evaluate:
            raise CalibrationError(f"{user.username} is a {user.role.value}: only QA, leads and admins rate")
        hidden = [c for c in calls if not can_see_call(store, user, c)]
        if hidden:
            raise CalibrationError(f"{user.username} cannot see call {hidden[0]!r}",
                                   hint="Pick calls every rater may see, or other raters.")
    card = card or definition.load()
    scored = {s.call_id: s for s in score_stored(store, card, rules.load(), calls)}
    failed = [c for c in calls if scored[c].result is None]
    if failed:
        raise CalibrationError(f"call {failed[0]!r} could not be scored: {scored[failed[0]].error}")
    card_id, _, _ = stored_card(store, card.name)
    expert_id = next((u.id for u in raters if u.username == expert), None)
    with store.engine.begin() as conn:
        key = conn.execute(insert(calibration_sessions).values(
            name=name.strip()[:200], scorecard_id=card_id, created_by=lead.id, expert_id=expert_id, state="open",
            created_at=_now())).inserted_primary_key
        assert key is not None
        session_id = int(key[0])
        for call_id in calls:
            result = scored[call_id].result
            assert result is not None
            conn.execute(insert(calibration_calls).values(session_id=session_id, call_id=call_id,
                                                          automatic=result.model_dump(mode="json")))
        for user in raters:
            conn.execute(insert(calibration_raters).values(session_id=session_id, user_id=user.id))
    audit(store, lead, "create", "calibration", str(session_id), calls=calls, raters=names, expert=expert)
    return get(store, lead, session_id)


def _load(store: Store, session_id: int) -> Session:
    creator = users.alias("creator")
    expert = users.alias("expert")
    with store.engine.connect() as conn:
        row = conn.execute(select(calibration_sessions, scorecards.c.name.label("card_name"),
                                  scorecards.c.version.label("card_version"),
                                  scorecards.c.definition, creator.c.username.label("creator"),
                                  expert.c.username.label("expert_name"))
                           .join(scorecards, scorecards.c.id == calibration_sessions.c.scorecard_id)
                           .join(creator, creator.c.id == calibration_sessions.c.created_by)
                           .outerjoin(expert, expert.c.id == calibration_sessions.c.expert_id)
                           .where(calibration_sessions.c.id == session_id)).first()
        if row is None:
            raise CalibrationError(f"no calibration session {session_id}")
        calls = [r.call_id for r in conn.execute(select(calibration_calls.c.call_id).where(
            calibration_calls.c.session_id == session_id).order_by(calibration_calls.c.call_id))]
        raters = {r.username: r.submitted_at for r in conn.execute(
            select(users.c.username, calibration_raters.c.submitted_at)
            .join(users, users.c.id == calibration_raters.c.user_id)
            .where(calibration_raters.c.session_id == session_id).order_by(users.c.username))}
    return Session(row.id, row.name, row.card_name, row.card_version, Scorecard.model_validate(row.definition),
                   row.creator, row.expert_name, row.state, row.created_at, calls, raters)


def _may_manage(user: User, session: Session) -> bool:
    return user.username == session.created_by or user.sees_all


def get(store: Store, user: User, session_id: int) -> Session:
    """The session, if the user rates in it, made it, or is QA or an admin."""
    session = _load(store, session_id)
    if user.username not in session.raters and not _may_manage(user, session):
        raise CalibrationError(f"no calibration session {session_id}")
    return session


def sessions_of(store: Store, user: User) -> list[Session]:
    """Sessions the user rates in or made (QA and admins: all), newest first."""
    with store.engine.connect() as conn:
        ids = [int(r.id) for r in conn.execute(select(calibration_sessions.c.id)
                                               .order_by(calibration_sessions.c.id.desc()))]
    out = []
    for session_id in ids:
        try:
            out.append(get(store, user, session_id))
        except CalibrationError:
            continue
    return out


def _answers(store: Store, session_id: int, username: str | None = None) -> dict[str, dict[tuple[str, str], Any]]:
    """username -> (call, item) -> {answer, comment, turn}."""
    query = (select(calibration_answers, users.c.username).join(users, users.c.id == calibration_answers.c.user_id)
             .where(calibration_answers.c.session_id == session_id))
    if username is not None:
        query = query.where(users.c.username == username)
    out: dict[str, dict[tuple[str, str], Any]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(query):
            out.setdefault(r.username, {})[(r.call_id, r.item)] = {"answer": r.answer, "comment": r.comment,
                                                                    "turn": r.turn}
    return out


def my_sheet(store: Store, user: User, session_id: int) -> dict[str, Any]:
    """What a rater sees while scoring: the calls, the items and their own answers, nobody else's."""
    session = get(store, user, session_id)
    if user.username not in session.raters:
        raise NotAllowed("you do not rate in this session")
    mine = _answers(store, session_id, user.username).get(user.username, {})
    return {"session": session.public(), "submitted": session.raters[user.username] is not None,
            "answers": {f"{c}|{i}": a for (c, i), a in mine.items()},
            "missing": [f"{c}|{i.id}" for c in session.calls for _, i in session.card.items
                        if (c, i.id) not in mine]}


def answer(store: Store, user: User, session_id: int, call_id: str, item_id: str, value: str, *,
           comment: str | None = None, turn: int | None = None) -> None:
    """A rater's answer for one item of one call (until they submit)."""
    session = get(store, user, session_id)
    if user.username not in session.raters:
        raise NotAllowed("you do not rate in this session")
    if session.raters[user.username] is not None:
        raise CalibrationError("you have submitted this session; your answers are final")
    if call_id not in session.calls:
        raise CalibrationError(f"call {call_id!r} is not in this session")
    item = session.card.item(item_id)
    if item is None:
        raise CalibrationError(f"the scorecard has no item {item_id!r}")
    try:
        parsed = parse_answer(item, value.strip().lower() if item.answer == "yes_no" else value.strip())
    except HeardError as exc:
        raise CalibrationError(str(exc), hint="yes / no, 1-5, points, or na") from None
    if item.answer == "yes_no" and parsed not in ("yes", "no", "na"):
        raise CalibrationError(f"item {item_id}: answer yes, no or na")
    stored = str(parsed if not isinstance(parsed, float) else f"{parsed:g}")
    where = and_(calibration_answers.c.session_id == session_id, calibration_answers.c.user_id == user.id,
                 calibration_answers.c.call_id == call_id, calibration_answers.c.item == item_id)
    values = {"answer": stored, "comment": (comment or "").strip()[:5000] or None, "turn": turn, "at": _now()}
    with store.engine.begin() as conn:
        if conn.execute(update(calibration_answers).where(where).values(**values)).rowcount == 0:
            conn.execute(insert(calibration_answers).values(session_id=session_id, user_id=user.id, call_id=call_id,
                                                            item=item_id, **values))
        conn.execute(update(calibration_raters).where(and_(
            calibration_raters.c.session_id == session_id, calibration_raters.c.user_id == user.id,
            calibration_raters.c.started_at.is_(None))).values(started_at=_now()))


def submit(store: Store, user: User, session_id: int) -> Session:
    """A rater submits: every item of every call must have an answer ("na" counts)."""
    sheet = my_sheet(store, user, session_id)
    if sheet["submitted"]:
        raise CalibrationError("you have already submitted this session")
    if sheet["missing"]:
        first = sheet["missing"][0].split("|")
        raise CalibrationError(f"{len(sheet['missing'])} answer(s) missing, first: call {first[0]}, item {first[1]}",
                               hint="Answer every item of every call (na where it does not apply), then submit.")
    with store.engine.begin() as conn:
        conn.execute(update(calibration_raters).where(and_(
            calibration_raters.c.session_id == session_id, calibration_raters.c.user_id == user.id))
            .values(submitted_at=_now()))
    audit(store, user, "submit", "calibration", str(session_id))
    return get(store, user, session_id)


def _automatic(store: Store, session_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(calibration_calls).where(calibration_calls.c.session_id == session_id)).all()
    return {(r.call_id, a["item"]): a for r in rows for a in r.automatic["answers"]}


def _machine_value(a: dict[str, Any]) -> str | None:
    if a.get("na"):
        return "na"
    if a.get("pending") or a.get("answer") is None:
        return None
    value = a["answer"]
    return f"{value:g}" if isinstance(value, float | int) and not isinstance(value, bool) else str(value)


def results(store: Store, user: User, session_id: int) -> dict[str, Any]:
    """Agreement per item and overall, the splits with their calls and turns, each rater's deviation.

    A rater sees this once they have submitted (even one who made the session); the creator, QA and admins who
    do not rate, at any time. Only the answers of those who submitted are shown, so no draft leaks."""
    session = get(store, user, session_id)
    if user.username in session.raters and session.raters[user.username] is None:
        raise NotAllowed("submit your own answers first: scoring is blind until you do")
    submitted = [u for u, when in session.raters.items() if when is not None]
    given = {u: a for u, a in _answers(store, session_id).items() if u in submitted}
    automatic = _automatic(store, session_id)
    items = []
    pooled: dict[str, dict[tuple[str, str], str]] = {}
    for section, item in session.card.items:
        humans = {u: {c: a["answer"] for (c, i), a in answers.items() if i == item.id} for u, answers in given.items()}
        machine = {c: v for c in session.calls if (v := _machine_value(automatic.get((c, item.id), {}))) is not None}
        with_machine = {**humans, MACHINE: machine} if machine else dict(humans)
        stats = measure(_typed(humans, item), level_of(item), expert=session.expert)
        stats_all = measure(_typed(with_machine, item), level_of(item), expert=session.expert)
        splits = []
        for call_id in session.calls:
            said = {u: given[u][(call_id, item.id)] for u in given if (call_id, item.id) in given[u]}
            distinct = {a["answer"] for a in said.values() if a["answer"] != "na"}
            if len(distinct) > 1:
                evidence = [e["turn"] for e in automatic.get((call_id, item.id), {}).get("evidence", [])
                            if isinstance(e, dict) and e.get("turn") is not None]
                turns = sorted({a["turn"] for a in said.values() if a.get("turn") is not None} | set(evidence))
                splits.append({"call_id": call_id, "answers": {u: a["answer"] for u, a in said.items()},
                               "comments": {u: a["comment"] for u, a in said.items() if a.get("comment")},
                               "machine": machine.get(call_id), "turns": turns})
        for u, values in humans.items():
            for c, v in values.items():
                pooled.setdefault(u, {})[(c, item.id)] = v
        for c, v in machine.items():
            pooled.setdefault(MACHINE, {})[(c, item.id)] = v
        items.append({"item": item.id, "question": item.question, "section": section.title,
                      "level": level_of(item), "humans": stats.public(), "with_machine": stats_all.public(),
                      "machine_to_consensus": _public_dev(stats_all, MACHINE, "to_consensus"),
                      "machine_to_expert": _public_dev(stats_all, MACHINE, "to_expert"),
                      "splits": splits, "guidance": guidance(store, session.scorecard).get(item.id, [])})
    overall_humans = measure({u: v for u, v in pooled.items() if u != MACHINE}, "nominal", expert=session.expert)
    overall = measure(pooled, "nominal", expert=session.expert)
    return {"session": session.public(), "submitted": submitted, "items": items,
            "overall": {"humans": overall_humans.public(), "with_machine": overall.public()},
            "split_items": sorted((i for i in items if i["splits"]), key=lambda i: -len(i["splits"]))}


def _public_dev(stats: Agreement, rater: str, which: str) -> dict[str, Any] | None:
    found = getattr(stats, which).get(rater)
    return None if found is None else {"units": found.units, "agreement": found.agreement,
                                       "leniency": found.leniency}


def _typed(ratings: dict[str, dict[str, str]], item: Item) -> dict[str, dict[str, Any]]:
    """Answers as their item's type: numbers for scales and points, words for yes/no."""
    if item.answer == "yes_no":
        return ratings
    return {u: {c: (v if v == "na" else float(v)) for c, v in given.items()} for u, given in ratings.items()}


def agree(store: Store, user: User, session_id: int, item_id: str, note: str, *, agreed_answer: str | None = None,
          call_id: str | None = None) -> dict[str, Any]:
    """The lead records what good sounds like for an item; it becomes guidance next to the item."""
    session = get(store, user, session_id)
    if not _may_manage(user, session):
        raise NotAllowed("only the session's creator, QA or an admin records the agreed answer")
    item = session.card.item(item_id)
    if item is None:
        raise CalibrationError(f"the scorecard has no item {item_id!r}")
    if not note.strip():
        raise CalibrationError("say what good sounds like for this item: the note is what evaluators will read")
    if call_id is not None and call_id not in session.calls:
        raise CalibrationError(f"call {call_id!r} is not in this session")
    if agreed_answer:
        try:
            parse_answer(item, agreed_answer.strip().lower() if item.answer == "yes_no" else agreed_answer.strip())
        except HeardError as exc:
            raise CalibrationError(str(exc)) from None
    with store.engine.begin() as conn:
        conn.execute(insert(item_guidance).values(
            scorecard=session.scorecard, item=item_id, session_id=session_id, call_id=call_id,
            agreed_answer=(agreed_answer or "").strip()[:20] or None, note=note.strip()[:5000], created_by=user.id,
            created_at=_now()))
    audit(store, user, "agree", "calibration", str(session_id), item=item_id, answer=agreed_answer, call_id=call_id)
    return {"item": item_id, "note": note.strip(), "agreed_answer": agreed_answer, "call_id": call_id}


def guidance(store: Store, scorecard: str) -> dict[str, list[dict[str, Any]]]:
    """item -> the notes recorded for it, newest first ("what good sounds like")."""
    out: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(item_guidance, users.c.username)
                            .join(users, users.c.id == item_guidance.c.created_by)
                            .where(item_guidance.c.scorecard == scorecard).order_by(item_guidance.c.id.desc()))
        for r in rows:
            out.setdefault(r.item, []).append({"note": r.note, "agreed_answer": r.agreed_answer, "call_id": r.call_id,
                                               "session_id": r.session_id, "by": r.username,
                                               "at": aware(r.created_at).isoformat()})
    return out


def close(store: Store, user: User, session_id: int) -> Session:
    session = get(store, user, session_id)
    if not _may_manage(user, session):
        raise NotAllowed("only the session's creator, QA or an admin closes it")
    with store.engine.begin() as conn:
        conn.execute(update(calibration_sessions).where(calibration_sessions.c.id == session_id)
                     .values(state="closed", closed_at=_now()))
    return get(store, user, session_id)


# --- grading the grader -------------------------------------------------------------------------------------

def alignment(store: Store, session_id: int, username: str) -> float | None:
    """Share of a rater's answers in a session that matched the reference: the expert's answers if there is an
    expert (and the rater is not them), else the consensus of the other submitted raters."""
    session = _load(store, session_id)
    submitted = [u for u, when in session.raters.items() if when is not None]
    if username not in submitted:
        return None
    given = {u: {f"{c}|{i}": a["answer"] for (c, i), a in answers.items() if a["answer"] != "na"}
             for u, answers in _answers(store, session_id).items() if u in submitted}
    mine = given.get(username, {})
    if session.expert and session.expert != username and session.expert in given:
        reference = given[session.expert]
    else:
        others = {u: v for u, v in given.items() if u != username}
        if not others:
            return None
        reference = {k: str(v) for k, v in consensus(others, "nominal").items()}
    both = [k for k in mine if k in reference]
    return sum(mine[k] == reference[k] for k in both) / len(both) if both else None


def grader(store: Store, username: str) -> dict[str, Any]:
    """An evaluator over time: alignment per calibration session, override rate of automatic answers, and the
    median minutes from starting an evaluation to submitting it."""
    user, _ = find_user(store, username)
    with store.engine.connect() as conn:
        joined = conn.execute(select(calibration_sessions.c.id, calibration_sessions.c.name,
                                     calibration_raters.c.submitted_at)
                              .join(calibration_raters, calibration_raters.c.session_id == calibration_sessions.c.id)
                              .where(calibration_raters.c.user_id == user.id,
                                     calibration_raters.c.submitted_at.is_not(None))
                              .order_by(calibration_raters.c.submitted_at)).all()
        evals = conn.execute(select(evaluations.c.answers, evaluations.c.automatic, evaluations.c.created_at,
                                    evaluations.c.submitted_at)
                             .where(evaluations.c.evaluator_id == user.id,
                                    evaluations.c.submitted_at.is_not(None))).all()
    trend = [{"session": r.id, "name": r.name, "submitted_at": aware(r.submitted_at).isoformat(),
              "alignment": alignment(store, r.id, username)} for r in joined]
    answered = overridden = 0
    for e in evals:
        automatic = {a["item"]: a for a in (e.automatic or {}).get("answers", [])}
        for item_id, given in (e.answers or {}).items():
            auto = automatic.get(item_id, {})
            if auto.get("pending"):
                continue
            answered += 1
            overridden += bool(given.get("override"))
    minutes = [(aware(e.submitted_at) - aware(e.created_at)).total_seconds() / 60 for e in evals]
    return {"evaluator": username, "sessions": trend, "evaluations": len(evals),
            "override_rate": overridden / answered if answered else None, "automatic_items_answered": answered,
            "median_minutes": statistics.median(minutes) if minutes else None}


def last_alignment_sentence(store: Store, username: str) -> str | None:
    """A plain sentence an agent sees on an evaluation of their call: how aligned the evaluator was last time."""
    trend = [s for s in grader(store, username)["sessions"] if s["alignment"] is not None]
    if not trend:
        return None
    last = trend[-1]
    return (f"In their last calibration session ({last['name']}, {last['submitted_at'][:10]}), {username}'s answers "
            f"matched the agreed standard on {last['alignment']:.0%} of items.")


def is_rater(user: User) -> bool:
    return user.role in (UserRole.QA, UserRole.ADMIN, UserRole.LEAD)


# --- drift ---------------------------------------------------------------------------------------------------

def drift(store: Store, old: Scorecard, new: Scorecard, *, ids: Sequence[str] | None = None, sample: int = 200,
          threshold: float = 0.10, old_rules: rules.RuleSet | None = None,
          new_rules: rules.RuleSet | None = None) -> dict[str, Any]:
    """Score a fixed reference sample with two scorecard versions, without saving anything, and report each
    item's shift: the mean answer (yes = 1, or the answer's fraction of the item's best) under each, how many
    calls changed answer, and a warning where the shift passes `threshold`. Nobody's stored score changes.

    The sample is `ids`, else the first `sample` stored calls by id (the same calls every time)."""
    from heard.scorecards.conditions import Facts
    from heard.scorecards.scoring import answer_automatically
    from heard.scorecards.service import queue_norms

    wanted = list(ids) if ids is not None else sorted(store.call_ids())[:sample]
    norms = queue_norms(store)
    old_rules, new_rules = old_rules or rules.load(), new_rules or rules.load()
    old.check_rules(old_rules, old.name)
    new.check_rules(new_rules, new.name)
    per: dict[str, dict[str, list[float]]] = {}
    changed: dict[str, int] = {}
    used = 0
    for call in store.iter_calls(wanted):
        analysis = store.latest_analysis(call.id)
        if analysis is None:
            continue
        used += 1
        before = {a.item: a for a in answer_automatically(old, Facts(call, analysis, norms=norms), old_rules)}
        after = {a.item: a for a in answer_automatically(new, Facts(call, analysis, norms=norms), new_rules)}
        for item_id in before.keys() & after.keys():
            a, b = before[item_id], after[item_id]
            if a.fraction is not None:
                per.setdefault(item_id, {"old": [], "new": []})["old"].append(a.fraction)
            if b.fraction is not None:
                per.setdefault(item_id, {"old": [], "new": []})["new"].append(b.fraction)
            changed[item_id] = changed.get(item_id, 0) + ((a.answer, a.na) != (b.answer, b.na))
    rows = []
    for _, item in new.items:
        if item.id not in per and item.id not in changed:
            continue
        values = per.get(item.id, {"old": [], "new": []})
        mean_old = sum(values["old"]) / len(values["old"]) if values["old"] else None
        mean_new = sum(values["new"]) / len(values["new"]) if values["new"] else None
        shift = mean_new - mean_old if mean_old is not None and mean_new is not None else None
        rows.append({"item": item.id, "old": mean_old, "new": mean_new, "shift": shift,
                     "changed_calls": changed.get(item.id, 0),
                     "warn": shift is not None and abs(shift) > threshold})
    old_ids = {i.id for _, i in old.items}
    new_ids = {i.id for _, i in new.items}
    return {"calls": used, "threshold": threshold, "items": rows, "added": sorted(new_ids - old_ids),
            "removed": sorted(old_ids - new_ids), "warnings": [r["item"] for r in rows if r["warn"]]}
