"""Request helpers every router shares: the store, who is asking (session, token or page login), and errors.

One JSON error shape for the API ({"error": {"status", "code", "message", "hint"}}), and two exceptions
that pages raise (LoginNeeded redirects to the login page, PageError renders the error page); the app
factory turns each into its response.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from heard.auth import accounts
from heard.auth.accounts import User
from heard.auth.policy import WebSettings
from heard.auth.throttle import LoginThrottle
from heard.errors import ConfigError, ConflictError, HeardError
from heard.review import evaluations
from heard.store import Store

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
    def __init__(self, status: int, code: str, message: str, hint: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint
        self.headers = headers


def error_response(status: int, code: str, message: str, hint: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "code": code, "message": message, "hint": hint}}, status,
                        headers=headers)


CODES = {400: "bad_request", 401: "not_logged_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "invalid_input", 429: "too_many_requests", 500: "internal_error"}


def get_store(request: HTTPConnection) -> Store:
    store: Store = request.app.state.store
    return store


def web_settings(request: HTTPConnection) -> WebSettings:
    settings: WebSettings = request.app.state.web
    return settings


def session_user(conn: HTTPConnection) -> User | None:
    """The user of the request's server-side session, if it is still valid."""
    key = conn.session.get("sid") if "session" in conn.scope else None
    return accounts.user_for_session(get_store(conn), key) if isinstance(key, str) else None


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def optional_user(request: Request) -> User | None:
    store = get_store(request)
    token = bearer(request)
    if token is not None:
        found = accounts.token_owner(store, token)
        if found is None:
            raise ApiError(401, "bad_token", "the API token is not valid, has expired or was revoked",
                           "Create one with POST /api/tokens.")
        if found[1] != "full":
            raise ApiError(403, "forbidden", "this is a live service token: it may only stream live calls",
                           "Use a full API token for the rest of the API.")
        request.state.auth = "token"
        return found[0]
    user = session_user(request)
    if user is not None:
        request.state.auth = "session"
    return user


class LoginRefused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def log_in(request: Request, username: str, password: str) -> User:
    """Check a login (throttled per username and per address, audited) and start a server-side session."""
    store = get_store(request)
    throttle: LoginThrottle = request.app.state.throttle
    address = request.client.host if request.client else "-"
    blocked = throttle.check(username, address)
    if blocked is not None:
        raise LoginRefused(429, "too many failed logins: wait before trying again", blocked.retry_after)
    user = accounts.authenticate(store, username, password)
    if user is None:
        accounts.audit(store, None, "login_failed", "user", username[:200], address=address)
        blocked = throttle.failed(username, address)
        if blocked is not None:
            accounts.audit(store, None, "login_throttled", "user", username[:200], address=address,
                           scope=blocked.scope, seconds=blocked.retry_after)
        raise LoginRefused(401, "wrong username or password")
    request.session.clear()
    request.session.update({"sid": accounts.start_session(store, user, hours=web_settings(request).session_hours,
                                                          address=address),
                            "csrf": secrets.token_urlsafe(24)})
    accounts.audit(store, user, "login", "user", user.username, address=address)
    return user


def log_out(request: Request) -> None:
    key = request.session.get("sid")
    if isinstance(key, str):
        accounts.end_session(get_store(request), key)
    request.session.clear()


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


def map_heard_error(exc: HeardError) -> ApiError:
    if isinstance(exc, evaluations.Forbidden | accounts.Denied):
        return ApiError(403, "forbidden", str(exc), exc.hint)
    if isinstance(exc, evaluations.NotFound | accounts.Unknown):
        return ApiError(404, "not_found", str(exc), exc.hint)
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", str(exc), exc.hint)
    if isinstance(exc, evaluations.Invalid | ConfigError):
        return ApiError(400, "bad_request", str(exc), exc.hint)
    return ApiError(400, "bad_request", str(exc), exc.hint)


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def page_id(raw: str, what: str) -> int:
    """A numeric id from a page's path: anything that is not a stored id's shape is simply not found (never a
    500 on a huge number, a sign or a letter)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= 2**31 - 1:
        raise PageError(404, f"There is no {what} {raw[:40]} that you can see.")
    return int(raw)


class LoginNeeded(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def page_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise LoginNeeded(request.url.path)
    return user


class Form(dict[str, str]):
    """A posted form: one value per field (the last), and every value of a repeated field (checkboxes)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self.lists.setdefault(key, []).append(value)

    def getlist(self, key: str) -> list[str]:
        return list(self.lists.get(key, []))


async def read_form(request: Request) -> Form:
    """The posted form, after checking its CSRF token against the session's."""
    form = Form([(k, str(v)) for k, v in (await request.form()).multi_items()])
    expected = request.session.get("csrf")
    # No CSRF token in the session (no cookie, or a cookie heard did not make) never matches anything.
    if not isinstance(expected, str) or len(expected) < 16 or \
            not secrets.compare_digest(form.get("csrf_token", ""), expected):
        raise PageError(403, "The form expired or did not come from heard. Reload the page and try again.")
    return form


