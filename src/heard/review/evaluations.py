"""Evaluations: a person reviews a call's scorecard, pre-filled with the machine's answers.

States: draft -> submitted -> acknowledged, or disputed by the agent -> resolved by a lead, QA or admin.
The evaluator confirms or overrides each automatic answer with a comment; the machine's answers are
kept as they were, so overrides stay measurable. Every step is written to the audit log.

Every change is a compare-and-set on the evaluation's `version`: it is written only if the evaluation is still
the one that was read, inside one transaction with everything that goes with it (the dispute, the score's
final answers). Concurrent answers to different items are re-applied on the newer version, so none is lost;
a concurrent state change (two resolves of one dispute) lets exactly one win and the other gets a conflict.
A client that sends the version it saw (`If-Match`) gets a conflict instead of overwriting a newer change.
Agents never see an evaluator's draft of their call, only what was submitted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, true, update

from heard.auth.accounts import User, UserRole, audit, call_scope, can_see_call
from heard.errors import ConfigError, ConflictError, HeardError, StoreError
from heard.scorecards import definition, rules
from heard.scorecards.definition import Item, Scorecard
from heard.scorecards.scoring import Result, compute, parse_answer, reviewed
from heard.scorecards.service import review_item, score_stored, stored_card
from heard.store import Store
from heard.store.schema import calls, disputes, evaluations, scorecards, scores, users

STATES = ("draft", "submitted", "acknowledged", "disputed", "resolved")
ATTEMPTS = 50   # re-applications of one item's answer when other items changed meanwhile


class Forbidden(HeardError):
    """The user may not do this (or see this object)."""


class NotFound(HeardError):
    """No such object, or not one this user may see."""


class Invalid(HeardError):
    """The request does not fit the object's state or the scorecard."""


def _now() -> datetime:
    return datetime.now(UTC)


def _row(store: Store, user: User, evaluation_id: int) -> Any:
    with store.engine.connect() as conn:
        row = conn.execute(select(evaluations, calls.c.agent_id, calls.c.team, scorecards.c.name.label("card_name"),
                                  scorecards.c.version.label("card_version"), users.c.username.label("evaluator"))
                           .join(calls, calls.c.id == evaluations.c.call_id)
                           .join(scorecards, scorecards.c.id == evaluations.c.scorecard_id)
                           .join(users, users.c.id == evaluations.c.evaluator_id)
                           .where(evaluations.c.id == evaluation_id, call_scope(user), _visible(user))).first()
    if row is None:
        raise NotFound(f"no evaluation {evaluation_id}")
    return row


def _visible(user: User) -> Any:
    """Agents see submitted evaluations of their calls, never an evaluator's unfinished draft."""
    return evaluations.c.state != "draft" if user.role is UserRole.AGENT else true()


def _card(store: Store, scorecard_id: int) -> Scorecard:
    with store.engine.connect() as conn:
        definition_json = conn.execute(select(scorecards.c.definition).where(scorecards.c.id == scorecard_id)).scalar()
    return Scorecard.model_validate(definition_json)


def _disputes(store: Store, evaluation_id: int) -> list[dict[str, Any]]:
    raiser = users.alias("raiser")
    resolver = users.alias("resolver")
    with store.engine.connect() as conn:
        rows = conn.execute(select(disputes, raiser.c.username.label("raised_by_name"),
                                   resolver.c.username.label("resolved_by_name"))
                            .join(raiser, raiser.c.id == disputes.c.raised_by)
                            .outerjoin(resolver, resolver.c.id == disputes.c.resolved_by)
                            .where(disputes.c.evaluation_id == evaluation_id).order_by(disputes.c.id))
        return [{"id": r.id, "item": r.item, "reason": r.reason, "state": r.state, "raised_by": r.raised_by_name,
                 "resolution": r.resolution, "resolved_by": r.resolved_by_name,
                 "created_at": r.created_at.isoformat(), "resolved_at": r.resolved_at.isoformat() if r.resolved_at
                 else None} for r in rows]


def as_dict(store: Store, row: Any) -> dict[str, Any]:
    return {"id": row.id, "call_id": row.call_id, "agent_id": row.agent_id, "team": row.team,
            "scorecard": row.card_name, "scorecard_version": row.card_version, "evaluator": row.evaluator,
            "state": row.state, "automatic": row.automatic, "answers": row.answers, "result": row.result,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
            "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
            "version": row.version, "disputes": _disputes(store, row.id)}


def get(store: Store, user: User, evaluation_id: int) -> dict[str, Any]:
    row = _row(store, user, evaluation_id)
    audit(store, user, "view", "evaluation", str(evaluation_id))
    return as_dict(store, row)


def list_evaluations(store: Store, user: User, *, state: str | None = None, call_id: str | None = None,
                     agent_id: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    query = (select(evaluations.c.id, evaluations.c.call_id, evaluations.c.state, evaluations.c.result,
                    evaluations.c.updated_at, calls.c.agent_id, calls.c.team, users.c.username.label("evaluator"))
             .join(calls, calls.c.id == evaluations.c.call_id).join(users, users.c.id == evaluations.c.evaluator_id)
             .where(call_scope(user), _visible(user)))
    if state:
        query = query.where(evaluations.c.state == state)
    if call_id:
        query = query.where(evaluations.c.call_id == call_id)
    if agent_id:
        query = query.where(calls.c.agent_id == agent_id)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(evaluations.c.updated_at.desc(), evaluations.c.id.desc())
                            .limit(limit).offset(offset)).all()
    return [{"id": r.id, "call_id": r.call_id, "state": r.state, "agent_id": r.agent_id, "team": r.team,
             "evaluator": r.evaluator, "total": (r.result or {}).get("total"), "updated_at": r.updated_at.isoformat()}
            for r in rows]


def start(store: Store, user: User, call_id: str, card: Scorecard | None = None) -> dict[str, Any]:
    """A draft evaluation of the call, pre-filled with the automatic answers (an open draft is reused)."""
    if not user.can_evaluate:
        raise Forbidden("only QA evaluators, leads and admins evaluate calls")
    if not can_see_call(store, user, call_id):
        raise NotFound(f"no call {call_id!r}")
    card = card or definition.load()
    ruleset = rules.load()
    scored = list(score_stored(store, card, ruleset, [call_id]))
    if not scored or scored[0].result is None:
        raise Invalid(f"call {call_id!r} could not be scored: {scored[0].error if scored else 'unknown'}")
    card_id, _, _ = stored_card(store, card.name)
    automatic = scored[0].result
    with store.engine.begin() as conn:
        open_draft = conn.execute(select(evaluations.c.id).where(and_(
            evaluations.c.call_id == call_id, evaluations.c.evaluator_id == user.id,
            evaluations.c.scorecard_id == card_id, evaluations.c.state == "draft"))).first()
        if open_draft is not None:
            evaluation_id = int(open_draft.id)
        else:
            # The automatic answers of the *score* (the machine's), without any earlier evaluator's review.
            auto_json = conn.execute(select(scores.c.automatic).where(and_(
                scores.c.call_id == call_id, scores.c.scorecard_id == card_id))
                .order_by(scores.c.updated_at.desc(), scores.c.id.desc())).scalar() or automatic.model_dump(mode="json")
            now = _now()
            key = conn.execute(insert(evaluations).values(
                call_id=call_id, scorecard_id=card_id, evaluator_id=user.id, state="draft", automatic=auto_json,
                answers={}, result=auto_json, created_at=now, updated_at=now)).inserted_primary_key
            assert key is not None
            evaluation_id = int(key[0])
    audit(store, user, "start", "evaluation", str(evaluation_id), call_id=call_id)
    return as_dict(store, _row(store, user, evaluation_id))


def _parse(item: Item, value: str) -> str | float:
    try:
        return parse_answer(item, value)
    except ConfigError as exc:
        raise Invalid(str(exc)) from None


def _own_draft(store: Store, user: User, evaluation_id: int, action: str, why: str | None) -> Any:
    """The evaluation, if this user started it (or is an admin) and it is still a draft."""
    row = _row(store, user, evaluation_id)
    if row.evaluator_id != user.id and user.role is not UserRole.ADMIN:
        raise Forbidden(f"only the evaluator who started this evaluation can {action}")
    if row.state != "draft":
        raise Invalid(f"evaluation {evaluation_id} is {row.state}; {why}" if why
                      else f"evaluation {evaluation_id} is already {row.state}")
    return row


def _result(card: Scorecard, automatic: dict[str, Any], answers: dict[str, Any]) -> Result:
    auto = Result.model_validate(automatic).answers
    return compute(card, reviewed(card, auto, answers))


class _Stale(Exception):
    """The evaluation changed between reading and writing it."""


def _save(conn: Connection, row: Any, **values: Any) -> None:
    """Write the evaluation only if it is still the version that was read."""
    done = conn.execute(update(evaluations).where(evaluations.c.id == row.id, evaluations.c.version == row.version)
                        .values(version=row.version + 1, updated_at=_now(), **values))
    if done.rowcount != 1:
        raise _Stale


def _expect(row: Any, version: int | None) -> None:
    if version is not None and row.version != version:
        raise ConflictError(f"evaluation {row.id} changed since you loaded it (you had version {version}, it is now "
                            f"version {row.version})", hint="Reload it, check the changes, and try again.")


def _changed(store: Store, user: User, evaluation_id: int, doing: str) -> ConflictError:
    now = _row(store, user, evaluation_id)
    return ConflictError(f"evaluation {evaluation_id} changed while you were {doing}: it is now {now.state}",
                         hint="Reload it and check before trying again.")


def answer(store: Store, user: User, evaluation_id: int, item_id: str, value: str,
           comment: str | None, *, version: int | None = None) -> dict[str, Any]:
    """The evaluator confirms or overrides one item (a draft only); "na" marks it not applicable."""
    for _ in range(ATTEMPTS):
        row = _own_draft(store, user, evaluation_id, "change its answers",
                         "answers can change only while it is a draft")
        _expect(row, version)
        card = _card(store, row.scorecard_id)
        item = card.item(item_id)
        if item is None:
            raise Invalid(f"the scorecard has no item {item_id!r}")
        parsed = _parse(item, value)
        automatic = {a["item"]: a for a in row.automatic["answers"]}
        auto = automatic.get(item_id, {})
        overrides = not auto.get("pending") and ((auto.get("na") and parsed != "na") or
                                                 (not auto.get("na") and parsed != auto.get("answer")))
        if overrides and not (comment and comment.strip()):
            raise Invalid(f"item {item_id}: an override of the automatic answer needs a comment saying why")
        answers = dict(row.answers)
        answers[item_id] = {"answer": parsed, "comment": comment, "override": bool(overrides)}
        result = _result(card, row.automatic, answers)
        try:
            with store.engine.begin() as conn:
                _save(conn, row, answers=answers, result=result.model_dump(mode="json"))
        except _Stale:
            if version is not None:
                raise _changed(store, user, evaluation_id, f"answering {item_id}") from None
            continue   # another item was answered meanwhile: apply this answer to the newer version
        audit(store, user, "override" if overrides else "answer", "evaluation", str(evaluation_id), item=item_id,
              answer=parsed, automatic=auto.get("answer"), comment=comment)
        return as_dict(store, _row(store, user, evaluation_id))
    raise ConflictError(f"evaluation {evaluation_id} kept changing while {item_id} was answered", hint="Try again.")


def submit(store: Store, user: User, evaluation_id: int, *, version: int | None = None) -> dict[str, Any]:
    row = _own_draft(store, user, evaluation_id, "submit it", None)
    _expect(row, version)
    card = _card(store, row.scorecard_id)
    result = _result(card, row.automatic, row.answers)
    if result.pending:
        raise Invalid(f"answer the open items first: {', '.join(result.pending)}")
    try:
        with store.engine.begin() as conn:
            _save(conn, row, state="submitted", submitted_at=_now(), result=result.model_dump(mode="json"))
            # The reviewed answers become the score's final answers, so reports show them; in the same transaction.
            for item_id, given in row.answers.items():
                try:
                    review_item(store, row.call_id, row.card_name, item_id, str(given["answer"]),
                                comment=given.get("comment"), reviewer=user.username, version=row.card_version,
                                conn=conn)
                except StoreError as exc:
                    if isinstance(exc, ConflictError):
                        raise
                    break   # the call has no stored score on this card: the evaluation still stands
    except _Stale:
        raise _changed(store, user, evaluation_id, "submitting it") from None
    audit(store, user, "submit", "evaluation", str(evaluation_id), total=result.total)
    return as_dict(store, _row(store, user, evaluation_id))


def _is_agent_of(user: User, row: Any) -> bool:
    return user.role is UserRole.AGENT and user.agent_id is not None and user.agent_id == row.agent_id


def acknowledge(store: Store, user: User, evaluation_id: int, *, version: int | None = None) -> dict[str, Any]:
    row = _row(store, user, evaluation_id)
    if not _is_agent_of(user, row):
        raise Forbidden("only the agent on the call acknowledges its evaluation")
    _expect(row, version)
    if row.state != "submitted":
        raise Invalid(f"evaluation {evaluation_id} is {row.state}; only a submitted evaluation can be acknowledged")
    try:
        with store.engine.begin() as conn:
            _save(conn, row, state="acknowledged")
    except _Stale:
        raise _changed(store, user, evaluation_id, "acknowledging it") from None
    audit(store, user, "acknowledge", "evaluation", str(evaluation_id))
    return as_dict(store, _row(store, user, evaluation_id))


def dispute(store: Store, user: User, evaluation_id: int, reason: str, item: str | None = None, *,
            version: int | None = None) -> dict[str, Any]:
    row = _row(store, user, evaluation_id)
    if not _is_agent_of(user, row):
        raise Forbidden("only the agent on the call can dispute its evaluation")
    _expect(row, version)
    if row.state != "submitted":
        raise Invalid(f"evaluation {evaluation_id} is {row.state}; only a submitted evaluation can be disputed")
    if not reason.strip():
        raise Invalid("a dispute needs a reason")
    if item is not None and _card(store, row.scorecard_id).item(item) is None:
        raise Invalid(f"the scorecard has no item {item!r}")
    try:
        with store.engine.begin() as conn:
            _save(conn, row, state="disputed")
            conn.execute(insert(disputes).values(evaluation_id=evaluation_id, raised_by=user.id, item=item,
                                                 reason=reason.strip()[:5000], state="open", created_at=_now()))
    except _Stale:
        raise _changed(store, user, evaluation_id, "disputing it") from None
    audit(store, user, "dispute", "evaluation", str(evaluation_id), item=item, reason=reason)
    return as_dict(store, _row(store, user, evaluation_id))


def resolve(store: Store, user: User, evaluation_id: int, resolution: str,
            changes: dict[str, str] | None = None, *, version: int | None = None) -> dict[str, Any]:
    """A lead (of the call's team), QA or an admin resolves a dispute, optionally changing answers.

    The dispute, the evaluation and the score's final answers change in one transaction, or not at all."""
    row = _row(store, user, evaluation_id)
    if user.role is UserRole.AGENT:
        raise Forbidden("agents cannot resolve disputes")
    _expect(row, version)
    if row.state != "disputed":
        raise Invalid(f"evaluation {evaluation_id} is {row.state}; only a disputed evaluation can be resolved")
    if not resolution.strip():
        raise Invalid("a resolution needs a comment for the agent")
    card = _card(store, row.scorecard_id)
    answers = dict(row.answers)
    for item_id, value in (changes or {}).items():
        item = card.item(item_id)
        if item is None:
            raise Invalid(f"the scorecard has no item {item_id!r}")
        parsed = _parse(item, value)
        answers[item_id] = {"answer": parsed, "comment": f"changed on dispute: {resolution}", "override": True}
    result = _result(card, row.automatic, answers)
    try:
        with store.engine.begin() as conn:
            _save(conn, row, state="resolved", answers=answers, result=result.model_dump(mode="json"))
            conn.execute(update(disputes).where(and_(disputes.c.evaluation_id == evaluation_id,
                                                     disputes.c.state == "open")).values(
                state="resolved", resolution=resolution.strip()[:5000], resolved_by=user.id, resolved_at=_now()))
            for item_id in changes or {}:
                review_item(store, row.call_id, row.card_name, item_id, str(answers[item_id]["answer"]),
                            comment=answers[item_id]["comment"], reviewer=user.username, version=row.card_version,
                            conn=conn)
    except _Stale:
        raise _changed(store, user, evaluation_id, "resolving it") from None
    audit(store, user, "resolve", "evaluation", str(evaluation_id), resolution=resolution, changes=changes or {})
    return as_dict(store, _row(store, user, evaluation_id))
