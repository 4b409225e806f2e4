"""heard's HTTP API and web pages (FastAPI). `heard serve` runs it with uvicorn.

Authentication: a session cookie (signed, HttpOnly, SameSite=Lax) from the login page or
`POST /api/session`, or `Authorization: Bearer <token>` for scripts (`POST /api/tokens`). Requests that
change something with a session cookie must carry the session's CSRF token (`X-CSRF-Token` header or a
`csrf_token` form field). Every error, from any layer, has one JSON shape:
{"error": {"status": 404, "code": "not_found", "message": "...", "hint": "..."}}.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from heard import accounts, evaluations
from heard.accounts import User, UserRole
from heard.errors import ConfigError, ConflictError, HeardError
from heard.live.engine import LiveSettings
from heard.store import Store
from heard.web import views

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    hint: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text} for code, text in (
        (400, "The request does not fit the object's state"), (401, "Not logged in"),
        (403, "Not allowed for this user"), (404, "Not found, or not visible to this user"),
        (409, "Conflicts with what exists"), (422, "Invalid input"))}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint


def error_response(status: int, code: str, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "code": code, "message": message, "hint": hint}}, status)


CODES = {400: "bad_request", 401: "not_logged_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 422: "invalid_input", 500: "internal_error"}


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def optional_user(request: Request) -> User | None:
    store = get_store(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(store, header[7:].strip())
        if user is None:
            raise ApiError(401, "bad_token", "the API token is not valid", "Create one with POST /api/tokens.")
        request.state.auth = "token"
        return user
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        request.state.auth = "session"
        return accounts.get_user(store, user_id)
    return None


def current_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise ApiError(401, "not_logged_in", "log in first", "POST /api/session with a username and password, or "
                       "send Authorization: Bearer <token>.")
    if request.method in UNSAFE and getattr(request.state, "auth", "") == "session":
        sent = request.headers.get("x-csrf-token")
        if not sent or not secrets.compare_digest(str(sent), str(request.session.get("csrf", ""))):
            raise ApiError(403, "csrf", "the CSRF token is missing or wrong",
                           "Send the X-CSRF-Token header with the token from GET /api/me.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(get_store)]
EvaluationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="evaluation id")]
CallId = Annotated[str, Path(min_length=1, max_length=200, description="call id")]


def _map_heard_error(exc: HeardError) -> ApiError:
    if isinstance(exc, evaluations.Forbidden):
        return ApiError(403, "forbidden", str(exc), exc.hint)
    if isinstance(exc, evaluations.NotFound):
        return ApiError(404, "not_found", str(exc), exc.hint)
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", str(exc), exc.hint)
    if isinstance(exc, evaluations.Invalid | ConfigError):
        return ApiError(400, "bad_request", str(exc), exc.hint)
    return ApiError(400, "bad_request", str(exc), exc.hint)


def create_app(store: Store, *, secret: str | None = None, https_only: bool = False,
               live: LiveSettings | None = None) -> FastAPI:
    """The app over a store. `secret` signs session cookies (default: HEARD_SECRET, else random per process)."""
    app = FastAPI(title="heard", version="1", description=__doc__, responses=ERRORS)
    app.state.store = store
    app.add_middleware(SessionMiddleware, secret_key=secret or os.environ.get("HEARD_SECRET") or
                       secrets.token_urlsafe(32), session_cookie="heard_session", same_site="lax",
                       https_only=https_only, max_age=12 * 3600)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.hint)

    @app.exception_handler(HeardError)
    async def _heard_error(request: Request, exc: HeardError) -> Response:
        mapped = _map_heard_error(exc)
        return error_response(mapped.status, mapped.code, mapped.message, mapped.hint)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, CODES.get(exc.status_code, "error"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_input", f"{where}: {first.get('msg')}",
                              "See the OpenAPI description at /docs.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return error_response(500, "internal_error", "something went wrong on the server",
                              "Try again; if it keeps happening, report it with the time of the request.")

    _api(app)
    from heard.live.hub import Hub
    from heard.web.live import register_live
    from heard.web.pages import register_pages

    app.state.hub = Hub(live)
    register_live(app)
    register_pages(app)
    return app


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


def _api(app: FastAPI) -> None:
    @app.post("/api/session", tags=["auth"], summary="Log in; sets the session cookie")
    def login(request: Request, body: Login, store: StoreDep) -> dict[str, Any]:
        user = accounts.authenticate(store, body.username, body.password)
        if user is None:
            accounts.audit(store, None, "login_failed", "user", body.username)
            raise ApiError(401, "bad_credentials", "wrong username or password")
        request.session.clear()
        request.session.update({"user_id": user.id, "csrf": secrets.token_urlsafe(24)})
        accounts.audit(store, user, "login", "user", user.username)
        return {"user": user.public(), "csrf_token": request.session["csrf"]}

    @app.delete("/api/session", tags=["auth"], summary="Log out")
    def logout(request: Request, user: CurrentUser) -> dict[str, bool]:
        request.session.clear()
        return {"logged_out": True}

    @app.get("/api/me", tags=["auth"], summary="Who is logged in, and the CSRF token for this session")
    def me(request: Request, user: CurrentUser) -> dict[str, Any]:
        return {"user": user.public(), "csrf_token": request.session.get("csrf")}

    @app.post("/api/tokens", tags=["auth"], summary="Create an API token for scripts (shown once)")
    def new_token(user: CurrentUser, store: StoreDep, body: TokenRequest | None = None) -> dict[str, str]:
        token = accounts.create_token(store, user, (body or TokenRequest()).name)
        accounts.audit(store, user, "create_token", "user", user.username)
        return {"token": token}

    @app.get("/api/calls", tags=["calls"], summary="The calls you may see, filtered and sorted")
    def list_calls(user: CurrentUser, store: StoreDep,
                   filters: Annotated[views.CallFilters, Query()]) -> dict[str, Any]:
        rows, total = views.call_rows(store, user, filters)
        return {"total": total, "calls": rows}

    @app.get("/api/calls/{call_id}", tags=["calls"], summary="One call: turns, evidence marks, sentiment curve")
    def get_call(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        call = _call_or_404(store, user, call_id)
        accounts.audit(store, user, "view", "call", call_id)
        return views.call_detail(call, store.latest_analysis(call_id))

    @app.get("/api/calls/{call_id}/analysis", tags=["calls"], summary="The call's latest analysis")
    def get_analysis(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        _call_or_404(store, user, call_id)
        analysis = store.latest_analysis(call_id)
        if analysis is None:
            raise ApiError(404, "not_found", f"call {call_id!r} has no analysis yet", "Run heard analyze.")
        return analysis.model_dump(mode="json")

    @app.get("/api/calls/{call_id}/score", tags=["scores"], summary="The call's score: automatic and final answers")
    def get_score(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        _call_or_404(store, user, call_id)
        found = views.score_of(store, call_id)
        if found is None:
            raise ApiError(404, "not_found", f"call {call_id!r} has no score yet", "Run heard score.")
        accounts.audit(store, user, "view", "score", call_id)
        found.pop("definition", None)
        return found

    @app.get("/api/evaluations", tags=["evaluations"], summary="Evaluations of the calls you may see")
    def list_evals(user: CurrentUser, store: StoreDep, state: Annotated[str | None, Query(max_length=20)] = None,
                   call_id: Annotated[str | None, Query(max_length=200)] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
        return {"evaluations": evaluations.list_evaluations(store, user, state=state, call_id=call_id, limit=limit,
                                                            offset=offset)}

    @app.post("/api/calls/{call_id}/evaluations", tags=["evaluations"],
              summary="Start (or reopen) a draft evaluation pre-filled with the automatic answers")
    def start_eval(call_id: CallId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return evaluations.start(store, user, call_id)

    @app.get("/api/evaluations/{evaluation_id}", tags=["evaluations"], summary="One evaluation")
    def get_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return evaluations.get(store, user, evaluation_id)

    @app.put("/api/evaluations/{evaluation_id}/items/{item}", tags=["evaluations"],
             summary="Confirm or override one item (an override needs a comment)")
    def put_item(evaluation_id: EvaluationId, item: Annotated[str, Path(max_length=200)], body: ItemAnswerIn,
                 user: CurrentUser,
                 store: StoreDep) -> dict[str, Any]:
        return evaluations.answer(store, user, evaluation_id, item, body.answer, body.comment)

    @app.post("/api/evaluations/{evaluation_id}/submit", tags=["evaluations"], summary="Submit a draft")
    def submit_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return evaluations.submit(store, user, evaluation_id)

    @app.post("/api/evaluations/{evaluation_id}/acknowledge", tags=["evaluations"],
              summary="The agent acknowledges a submitted evaluation")
    def ack_eval(evaluation_id: EvaluationId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return evaluations.acknowledge(store, user, evaluation_id)

    @app.post("/api/evaluations/{evaluation_id}/dispute", tags=["evaluations"],
              summary="The agent disputes a submitted evaluation")
    def dispute_eval(evaluation_id: EvaluationId, body: DisputeIn, user: CurrentUser,
                     store: StoreDep) -> dict[str, Any]:
        return evaluations.dispute(store, user, evaluation_id, body.reason, body.item)

    @app.post("/api/evaluations/{evaluation_id}/resolve", tags=["evaluations"],
              summary="A lead, QA or admin resolves a dispute")
    def resolve_eval(evaluation_id: EvaluationId, body: ResolveIn, user: CurrentUser,
                     store: StoreDep) -> dict[str, Any]:
        return evaluations.resolve(store, user, evaluation_id, body.resolution, body.changes)

    @app.get("/api/disputes", tags=["evaluations"], summary="Disputed evaluations you may see")
    def list_disputes(user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return {"evaluations": evaluations.list_evaluations(store, user, state="disputed")}

    @app.get("/api/users", tags=["users"], summary="Users you may see (admins: all; leads: their team)")
    def get_users(user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        return {"users": [u.public() for u in accounts.list_users(store, user)]}

    @app.post("/api/users", tags=["users"], summary="Create a user (admins only)")
    def post_user(body: NewUser, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
        if user.role is not UserRole.ADMIN:
            raise ApiError(403, "forbidden", "only admins create users")
        created = accounts.add_user(store, body.username, body.password, body.role.value,
                                    display_name=body.display_name, agent_id=body.agent_id, team=body.team)
        accounts.audit(store, user, "create_user", "user", created.username, role=created.role.value)
        return {"user": created.public()}

    @app.get("/api/exports/scores.csv", tags=["exports"], summary="Scores of the calls you may see, as CSV",
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

    @app.get("/api/audit", tags=["users"], summary="The audit log (admins only)")
    def get_audit(user: CurrentUser, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                  offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
        if user.role is not UserRole.ADMIN:
            raise ApiError(403, "forbidden", "only admins read the audit log")
        return {"entries": accounts.audit_entries(store, limit, offset)}

    @app.get("/api/health", tags=["meta"], summary="Liveness check")
    def health() -> dict[str, str]:
        return {"status": "ok"}


def serve(store_url: str, host: str = "127.0.0.1", port: int = 8000, live: LiveSettings | None = None) -> None:
    import uvicorn

    store = Store.open(store_url)
    uvicorn.run(create_app(store, live=live), host=host, port=port, log_level="info")
