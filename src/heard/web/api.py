"""The JSON API: sessions and tokens, calls and their analyses and scores, evaluations and disputes, users,
exports and the audit log. Every route checks who is asking through heard.web.deps."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from itertools import islice
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from heard.auth import accounts
from heard.auth.accounts import User, UserRole
from heard.coaching import feedback
from heard.csvcell import safe_row
from heard.review import evaluations
from heard.store import Store
from heard.web import views
from heard.web.deps import (
    ApiError,
    CallId,
    CurrentUser,
    EvaluationId,
    LoginRefused,
    StoreDep,
    log_in,
    log_out,
    web_settings,
)

router = APIRouter()


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenRequest(BaseModel):
    name: str = Field(default="script", max_length=200)
    days: float | None = Field(default=None, gt=0, le=3650, description="lifetime (default: web.token_days)")
    scope: Literal["full", "live"] = Field(default="full", description="live: may only stream live calls (admins)")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


class UserChange(BaseModel):
    active: bool = Field(description="false deactivates the user and ends their sessions and tokens")


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1000)
    role: UserRole
    display_name: str | None = Field(default=None, max_length=200)
    agent_id: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)


class ItemAnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=20, description="yes / no, 1-5, points, or na")
    comment: str | None = Field(default=None, max_length=5000)


class DisputeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)
    item: str | None = Field(default=None, max_length=200)


class ResolveIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=5000)
    changes: dict[str, str] = Field(default_factory=dict, description="item -> new answer")


IfMatch = Annotated[str | None, Header(max_length=40, description="the evaluation's version as you saw it "
                                     "(its `version`): the change is refused with 409 if it changed since")]


def _version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ApiError(400, "bad_request", f"If-Match: {if_match[:40]!r} is not an evaluation version",
                       "Send the number in the evaluation's `version` field, or leave If-Match out.")
    return int(raw)


def _call_or_404(store: Store, user: User, call_id: str) -> Any:
    if not accounts.can_see_call(store, user, call_id):
        raise ApiError(404, "not_found", f"no call {call_id!r}", "List your calls with GET /api/calls.")
    call = store.get_call(call_id)
    if call is None:
        raise ApiError(404, "not_found", f"no call {call_id!r}")
    return call


@router.post("/api/session", tags=["auth"], summary="Log in; sets the session cookie",
             responses={429: {"description": "Too many failed logins; see Retry-After"}})
def login(request: Request, body: Login) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        # A cross-site form cannot send application/json without a CORS preflight heard never grants.
        raise ApiError(415, "unsupported_media_type", "send the login as application/json")
    try:
        user = log_in(request, body.username, body.password)
    except LoginRefused as exc:
        raise ApiError(exc.status, "throttled" if exc.status == 429 else "bad_credentials", exc.message,
                       headers={"retry-after": str(exc.retry_after)} if exc.retry_after else None) from None
    return {"user": user.public(), "csrf_token": request.session["csrf"]}

@router.delete("/api/session", tags=["auth"], summary="Log out (ends the session on the server)")
def logout(request: Request, user: CurrentUser) -> dict[str, bool]:
    log_out(request)
    return {"logged_out": True}

@router.get("/api/me", tags=["auth"], summary="Who is logged in, and the CSRF token for this session")
def me(request: Request, user: CurrentUser) -> dict[str, Any]:
    return {"user": user.public(), "csrf_token": request.session.get("csrf")}

@router.post("/api/me/password", tags=["auth"], summary="Change your password (ends all your sessions and tokens)")
def change_password(request: Request, body: PasswordChange, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    accounts.change_password(store, user, body.current_password, body.new_password)
    accounts.audit(store, user, "change_password", "user", user.username)
    log_out(request)
    return {"changed": True, "hint": "Every session and token you had has ended: log in again."}

@router.post("/api/tokens", tags=["auth"], summary="Create an API token for scripts (shown once)")
def new_token(request: Request, user: CurrentUser, store: StoreDep,
              body: TokenRequest | None = None) -> dict[str, Any]:
    asked = body or TokenRequest()
    days = asked.days or web_settings(request).token_days
    token = accounts.create_token(store, user, asked.name, days=days, scope=asked.scope)
    accounts.audit(store, user, "create_token", "user", user.username, scope=asked.scope, days=days)
    return {**accounts.token_record(store, token).public(), "token": token}

@router.get("/api/tokens", tags=["auth"], summary="Your API tokens (admins: everyone's), never the secrets")
def get_tokens(user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return {"tokens": [t.public() for t in accounts.list_tokens(store, user)]}

@router.delete("/api/tokens/{token_id}", tags=["auth"], summary="Revoke a token (your own; admins: any)")
def delete_token(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: CurrentUser,
                 store: StoreDep) -> dict[str, Any]:
    revoked = accounts.revoke_token(store, user, token_id)
    accounts.audit(store, user, "revoke_token", "token", str(token_id), owner=revoked.username)
    return {"token": revoked.public()}

@router.get("/api/calls", tags=["calls"], summary="The calls you may see, filtered and sorted, one page",
            description="`next` is the `after` value of the following page (null on the last page): keyset "
                        "paging, as fast deep in the list as on the first page; `offset` also works. `total` is "
                        f"exact when `total_exact` is true; past {views.TOTAL_CAP} matches counting stops and "
                        "`total` is the database's estimate (PostgreSQL's planner; elsewhere "
                        f"{views.TOTAL_CAP + 1}, meaning more than {views.TOTAL_CAP}), with `total_exact` false.")
def list_calls(user: CurrentUser, store: StoreDep,
               filters: Annotated[views.CallFilters, Query()]) -> dict[str, Any]:
    rows, total = views.call_rows(store, user, filters)
    exact = total <= views.TOTAL_CAP
    return {"total": total if exact else views.estimated_total(store, user, filters), "total_exact": exact,
            "calls": rows, "next": views.next_after(filters, rows)}

@router.get("/api/calls/{call_id}", tags=["calls"], summary="One call: turns, evidence marks, sentiment curve")
def get_call(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    call = _call_or_404(store, user, call_id)
    accounts.audit(store, user, "view", "call", call_id)
    return views.call_detail(call, store.latest_analysis(call_id))

@router.get("/api/calls/{call_id}/analysis", tags=["calls"], summary="The call's latest analysis")
def get_analysis(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    _call_or_404(store, user, call_id)
    analysis = store.latest_analysis(call_id)
    if analysis is None:
        raise ApiError(404, "not_found", f"call {call_id!r} has no analysis yet", "Run heard analyze.")
    return analysis.model_dump(mode="json")

@router.get("/api/calls/{call_id}/score", tags=["scores"], summary="The call's score: automatic and final answers")
def get_score(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    _call_or_404(store, user, call_id)
    found = views.score_of(store, call_id)
    if found is None:
        raise ApiError(404, "not_found", f"call {call_id!r} has no score yet", "Run heard score.")
    accounts.audit(store, user, "view", "score", call_id)
    found.pop("definition", None)
    return found

@router.get("/api/evaluations", tags=["evaluations"], summary="Evaluations of the calls you may see")
def list_evals(user: CurrentUser, store: StoreDep, state: Annotated[str | None, Query(max_length=20)] = None,
               call_id: Annotated[str | None, Query(max_length=200)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    return {"evaluations": evaluations.list_evaluations(store, user, state=state, call_id=call_id, limit=limit,
                                                        offset=offset)}

@router.post("/api/calls/{call_id}/evaluations", tags=["evaluations"],
          summary="Start (or reopen) a draft evaluation pre-filled with the automatic answers")
def start_eval(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return evaluations.start(store, user, call_id)

@router.get("/api/evaluations/{evaluation_id}", tags=["evaluations"], summary="One evaluation")
def get_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return evaluations.get(store, user, evaluation_id)

@router.put("/api/evaluations/{evaluation_id}/items/{item}", tags=["evaluations"],
         summary="Confirm or override one item (an override needs a comment)")
def put_item(evaluation_id: EvaluationId, item: Annotated[str, Path(max_length=200)], body: ItemAnswerIn,
             user: CurrentUser, store: StoreDep, if_match: IfMatch = None) -> dict[str, Any]:
    return evaluations.answer(store, user, evaluation_id, item, body.answer, body.comment,
                              version=_version(if_match))

@router.post("/api/evaluations/{evaluation_id}/submit", tags=["evaluations"], summary="Submit a draft")
def submit_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep,
                if_match: IfMatch = None) -> dict[str, Any]:
    return evaluations.submit(store, user, evaluation_id, version=_version(if_match))

@router.post("/api/evaluations/{evaluation_id}/acknowledge", tags=["evaluations"],
          summary="The agent acknowledges a submitted evaluation")
def ack_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep,
             if_match: IfMatch = None) -> dict[str, Any]:
    return evaluations.acknowledge(store, user, evaluation_id, version=_version(if_match))

@router.post("/api/evaluations/{evaluation_id}/dispute", tags=["evaluations"],
          summary="The agent disputes a submitted evaluation")
def dispute_eval(evaluation_id: EvaluationId, body: DisputeIn, user: CurrentUser,
                 store: StoreDep, if_match: IfMatch = None) -> dict[str, Any]:
    return evaluations.dispute(store, user, evaluation_id, body.reason, body.item, version=_version(if_match))

@router.post("/api/evaluations/{evaluation_id}/resolve", tags=["evaluations"],
          summary="A lead, QA or admin resolves a dispute")
def resolve_eval(evaluation_id: EvaluationId, body: ResolveIn, user: CurrentUser,
                 store: StoreDep, if_match: IfMatch = None) -> dict[str, Any]:
    return evaluations.resolve(store, user, evaluation_id, body.resolution, body.changes,
                               version=_version(if_match))

@router.get("/api/disputes", tags=["evaluations"], summary="Disputed evaluations you may see")
def list_disputes(user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return {"evaluations": evaluations.list_evaluations(store, user, state="disputed")}

@router.get("/api/users", tags=["users"], summary="Users you may see (admins: all; leads: their team)")
def get_users(user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return {"users": [u.public() for u in accounts.list_users(store, user)]}

@router.post("/api/users", tags=["users"], summary="Create a user (admins only)")
def post_user(body: NewUser, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    if user.role is not UserRole.ADMIN:
        raise ApiError(403, "forbidden", "only admins create users")
    created = accounts.add_user(store, body.username, body.password, body.role.value,
                                display_name=body.display_name, agent_id=body.agent_id, team=body.team)
    accounts.audit(store, user, "create_user", "user", created.username, role=created.role.value)
    return {"user": created.public()}

@router.patch("/api/users/{username}", tags=["users"],
              summary="Deactivate or reactivate a user (admins only); deactivating ends their sessions and tokens")
def patch_user(username: Annotated[str, Path(min_length=1, max_length=200)], body: UserChange, user: CurrentUser,
               store: StoreDep) -> dict[str, Any]:
    if user.role is not UserRole.ADMIN:
        raise ApiError(403, "forbidden", "only admins deactivate users")
    if username == user.username and not body.active:
        raise ApiError(400, "bad_request", "you cannot deactivate yourself", "Ask another admin.")
    changed = accounts.set_active(store, username, body.active)
    accounts.audit(store, user, "activate" if body.active else "deactivate", "user", changed.username)
    return {"user": changed.public(), "active": body.active}

@router.get("/api/exports/scores.csv", tags=["exports"], summary="Scores of the calls you may see, as CSV",
         response_class=StreamingResponse,
         responses={200: {"description": "One row per call, in call id order",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_scores(user: CurrentUser, store: StoreDep) -> StreamingResponse:
    """Every call the user may see, streamed: the store is read and the CSV sent 500 calls at a time. Cells a
    spreadsheet would run as a formula are neutralised (heard.csvcell). The audit entry is written when the
    stream ends, with the rows handed to the server and whether the export was complete (false when the client
    went away or reading failed half-way)."""
    fields = ["id", "agent_id", "team", "queue", "reason", "started_at", "score", "auto_score", "category",
              "robotic", "escalations", "opportunities", "met"]
    size = 500

    async def chunks() -> AsyncIterator[str]:
        rows = views.iter_call_rows(store, user, batch=size)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        sent, complete = 0, False
        try:
            while True:
                batch = await run_in_threadpool(list, islice(rows, size))  # a database read: never on the loop
                writer.writerows(safe_row(row) for row in batch)
                sent += len(batch)
                if out.tell():
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
                if len(batch) < size:
                    break
            complete = True  # the server asked for more after the last chunk: it was sent
        finally:
            with anyio.CancelScope(shield=True):  # a client that hung up still leaves its audit entry
                await run_in_threadpool(accounts.audit, store, user, "export", "scores", None, calls=sent,
                                        complete=complete)

    return StreamingResponse(chunks(), media_type="text/csv",
                             headers={"content-disposition": "attachment; filename=heard-scores.csv"})

@router.get("/api/audit", tags=["users"], summary="The audit log (admins only)")
def get_audit(user: CurrentUser, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    if user.role is not UserRole.ADMIN:
        raise ApiError(403, "forbidden", "only admins read the audit log")
    return {"entries": accounts.audit_entries(store, limit, offset)}

class FeedbackIn(BaseModel):
    text: str = Field(min_length=1, max_length=10000, description="an evaluation comment, coaching note or dispute "
                      "answer")
    moment: bool = Field(default=False, description="the text is attached to a moment in a call already")


@router.post("/api/feedback/check", tags=["coaching"],
             summary="Advice on written feedback: judgemental or absolute phrasing, labels about the person, no "
                     "specific moment, no recognition, no question; each with why and rewrites")
def feedback_check(body: FeedbackIn, user: CurrentUser) -> dict[str, Any]:
    return feedback.check(body.text, moment_hint=body.moment).to_dict()

@router.get("/api/health", tags=["meta"], summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok"}
