"""The JSON API: sessions and tokens, calls and their analyses and scores, evaluations and disputes, users,
exports and the audit log. Every route checks who is asking through heard.web.deps."""

from __future__ import annotations

import csv
import io
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from heard.auth import accounts
from heard.auth.accounts import User, UserRole
from heard.review import evaluations
from heard.store import Store
from heard.web import views
from heard.web.deps import ApiError, CallId, CurrentUser, EvaluationId, StoreDep

router = APIRouter()


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenRequest(BaseModel):
    name: str = Field(default="script", max_length=200)


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


def _call_or_404(store: Store, user: User, call_id: str) -> Any:
    if not accounts.can_see_call(store, user, call_id):
        raise ApiError(404, "not_found", f"no call {call_id!r}", "List your calls with GET /api/calls.")
    call = store.get_call(call_id)
    if call is None:
        raise ApiError(404, "not_found", f"no call {call_id!r}")
    return call


@router.post("/api/session", tags=["auth"], summary="Log in; sets the session cookie")
def login(request: Request, body: Login, store: StoreDep) -> dict[str, Any]:
    user = accounts.authenticate(store, body.username, body.password)
    if user is None:
        accounts.audit(store, None, "login_failed", "user", body.username)
        raise ApiError(401, "bad_credentials", "wrong username or password")
    request.session.clear()
    request.session.update({"user_id": user.id, "csrf": secrets.token_urlsafe(24)})
    accounts.audit(store, user, "login", "user", user.username)
    return {"user": user.public(), "csrf_token": request.session["csrf"]}

@router.delete("/api/session", tags=["auth"], summary="Log out")
def logout(request: Request, user: CurrentUser) -> dict[str, bool]:
    request.session.clear()
    return {"logged_out": True}

@router.get("/api/me", tags=["auth"], summary="Who is logged in, and the CSRF token for this session")
def me(request: Request, user: CurrentUser) -> dict[str, Any]:
    return {"user": user.public(), "csrf_token": request.session.get("csrf")}

@router.post("/api/tokens", tags=["auth"], summary="Create an API token for scripts (shown once)")
def new_token(user: CurrentUser, store: StoreDep, body: TokenRequest | None = None) -> dict[str, str]:
    token = accounts.create_token(store, user, (body or TokenRequest()).name)
    accounts.audit(store, user, "create_token", "user", user.username)
    return {"token": token}

@router.get("/api/calls", tags=["calls"], summary="The calls you may see, filtered and sorted")
def list_calls(user: CurrentUser, store: StoreDep,
               filters: Annotated[views.CallFilters, Query()]) -> dict[str, Any]:
    rows, total = views.call_rows(store, user, filters)
    return {"total": total, "calls": rows}

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
             user: CurrentUser,
             store: StoreDep) -> dict[str, Any]:
    return evaluations.answer(store, user, evaluation_id, item, body.answer, body.comment)

@router.post("/api/evaluations/{evaluation_id}/submit", tags=["evaluations"], summary="Submit a draft")
def submit_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return evaluations.submit(store, user, evaluation_id)

@router.post("/api/evaluations/{evaluation_id}/acknowledge", tags=["evaluations"],
          summary="The agent acknowledges a submitted evaluation")
def ack_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return evaluations.acknowledge(store, user, evaluation_id)

@router.post("/api/evaluations/{evaluation_id}/dispute", tags=["evaluations"],
          summary="The agent disputes a submitted evaluation")
def dispute_eval(evaluation_id: EvaluationId, body: DisputeIn, user: CurrentUser,
                 store: StoreDep) -> dict[str, Any]:
    return evaluations.dispute(store, user, evaluation_id, body.reason, body.item)

@router.post("/api/evaluations/{evaluation_id}/resolve", tags=["evaluations"],
          summary="A lead, QA or admin resolves a dispute")
def resolve_eval(evaluation_id: EvaluationId, body: ResolveIn, user: CurrentUser,
                 store: StoreDep) -> dict[str, Any]:
    return evaluations.resolve(store, user, evaluation_id, body.resolution, body.changes)

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

@router.get("/api/exports/scores.csv", tags=["exports"], summary="Scores of the calls you may see, as CSV",
         response_class=PlainTextResponse)
def export_scores(user: CurrentUser, store: StoreDep) -> Response:
    rows, _ = views.call_rows(store, user, views.CallFilters(limit=1000))
    out = io.StringIO()
    fields = ["id", "agent_id", "team", "queue", "reason", "started_at", "score", "auto_score", "category",
              "robotic", "escalations", "opportunities", "met"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    accounts.audit(store, user, "export", "scores", None, calls=len(rows))
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"content-disposition": "attachment; filename=heard-scores.csv"})

@router.get("/api/audit", tags=["users"], summary="The audit log (admins only)")
def get_audit(user: CurrentUser, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    if user.role is not UserRole.ADMIN:
        raise ApiError(403, "forbidden", "only admins read the audit log")
    return {"entries": accounts.audit_entries(store, limit, offset)}

@router.get("/api/health", tags=["meta"], summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok"}
