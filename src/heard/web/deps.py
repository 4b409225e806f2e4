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

from heard.auth import accounts
from heard.auth.accounts import User
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


def map_heard_error(exc: HeardError) -> ApiError:
    if isinstance(exc, evaluations.Forbidden):
        return ApiError(403, "forbidden", str(exc), exc.hint)
    if isinstance(exc, evaluations.NotFound):
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


class LoginNeeded(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def page_user(request: Request) -> User:
    user_id = request.session.get("user_id")
    user = accounts.get_user(get_store(request), user_id) if isinstance(user_id, int) else None
    if user is None:
        raise LoginNeeded(request.url.path)
    return user


async def read_form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token against the session's."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not secrets.compare_digest(form.get("csrf_token", ""), str(request.session.get("csrf", "-"))):
        raise PageError(403, "The form expired or did not come from heard. Reload the page and try again.")
    return form


