"""heard's HTTP API and web pages (FastAPI). `heard serve` runs it with uvicorn.

Authentication: a session cookie (signed, HttpOnly, SameSite=Lax, Secure on https; it carries the key of a
server-side session that logout, a password change or a deactivation ends) from the login page or
`POST /api/session`, or `Authorization: Bearer <token>` for scripts (`POST /api/tokens`; tokens expire and can
be revoked). Requests that
change something with a session cookie must carry the session's CSRF token (`X-CSRF-Token` header or a
`csrf_token` form field). Every error, from any layer, has one JSON shape:
{"error": {"status": 404, "code": "not_found", "message": "...", "hint": "..."}}.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from heard.auth.policy import WebSettings
from heard.auth.throttle import LoginThrottle
from heard.errors import HeardError
from heard.insights.dataset import InsightsSettings
from heard.live.engine import LiveSettings
from heard.live.hub import Hub
from heard.store import Store
from heard.web import (
    api,
    calibration,
    coaching,
    insights,
    live,
    pages,
    roleplay,
    team_huddle,
    team_load,
    team_recognition,
    team_scripts,
    team_voice,
)
from heard.web.deps import (
    CODES,
    ERRORS,
    ApiError,
    LoginNeeded,
    PageError,
    error_response,
    map_heard_error,
    session_user,
)
from heard.web.guard import BodyLimit, SecurityHeaders
from heard.web.render import HERE, render

# One router module per area; a new area (calibration, coaching, insights...) adds its module here.
# roleplay before pages: its /calls/{id}/moments must win over the call page's /calls/{id:path}.
ROUTERS: list[APIRouter] = [api.router, live.router, calibration.router, coaching.router, roleplay.router,
                            insights.router, team_recognition.router, team_load.router, team_huddle.router,
                            team_voice.router, team_scripts.router, pages.router]


def create_app(store: Store, *, secret: str | None = None, web: WebSettings | None = None,
               live: LiveSettings | None = None, insights_settings: InsightsSettings | None = None) -> FastAPI:
    """The app over a store. `secret` signs session cookies (default: HEARD_SECRET, else random per process)."""
    web = web or WebSettings()
    app = FastAPI(title="heard", version="1", description=__doc__, responses=ERRORS)
    app.state.store = store
    app.state.web = web
    app.state.insights = insights_settings or InsightsSettings()
    app.state.throttle = LoginThrottle(web.login_per_account, web.login_per_address, web.throttle_storage)
    app.add_middleware(SessionMiddleware, secret_key=secret or os.environ.get("HEARD_SECRET") or
                       secrets.token_urlsafe(32), session_cookie="heard_session", same_site="lax",
                       https_only=web.cookies_secure, max_age=int(web.session_hours * 3600))
    app.add_middleware(BodyLimit, max_bytes=web.max_request_bytes)
    app.add_middleware(SecurityHeaders, hsts=web.cookies_secure)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.hint, exc.headers)

    @app.exception_handler(HeardError)
    async def _heard_error(request: Request, exc: HeardError) -> Response:
        mapped = map_heard_error(exc)
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

    @app.exception_handler(LoginNeeded)
    async def _login_needed(request: Request, exc: LoginNeeded) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.path)}", 303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", session_user(request), status=exc.status, message=exc.message)

    app.state.hub = Hub(live)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def serve(store_url: str, host: str = "127.0.0.1", port: int = 8000, live: LiveSettings | None = None,
          web: WebSettings | None = None, insights_settings: InsightsSettings | None = None) -> None:
    import uvicorn

    from heard.web.live import MAX_MESSAGE

    store = Store.open(store_url)
    uvicorn.run(create_app(store, live=live, web=web, insights_settings=insights_settings), host=host, port=port,
                log_level="info", ws_max_size=MAX_MESSAGE * 4)
