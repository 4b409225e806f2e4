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

import contextlib
import json
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from heard.auth.policy import WebSettings
from heard.auth.throttle import LoginThrottle
from heard.errors import ConfigError, HeardError
from heard.insights.dataset import InsightsSettings
from heard.live.backends import make_hub
from heard.live.engine import LiveSettings
from heard.runtime import settle_gc
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

if TYPE_CHECKING:
    import uvicorn

# One router module per area; a new area (calibration, coaching, insights...) adds its module here.
# roleplay before pages: its /calls/{id}/moments must win over the call page's /calls/{id:path}.
ROUTERS: list[APIRouter] = [api.router, live.router, calibration.router, coaching.router, roleplay.router,
                            insights.router, team_recognition.router, team_load.router, team_huddle.router,
                            team_voice.router, team_scripts.router, pages.router]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await app.state.hub.close()   # a shared hub's Redis connections


def create_app(store: Store, *, secret: str | None = None, web: WebSettings | None = None,
               live: LiveSettings | None = None, insights_settings: InsightsSettings | None = None) -> FastAPI:
    """The app over a store. `secret` signs session cookies (default: HEARD_SECRET, else random per process)."""
    web = web or WebSettings()
    app = FastAPI(title="heard", version="1", description=__doc__, responses=ERRORS, lifespan=_lifespan)
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

    app.state.hub = make_hub(live)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


SERVE_ENV = "HEARD_SERVE_SETTINGS"   # what `serve` hands its worker processes


def serve(store_url: str, host: str = "127.0.0.1", port: int = 8000, live: LiveSettings | None = None,
          web: WebSettings | None = None, insights_settings: InsightsSettings | None = None,
          workers: int = 1) -> None:
    """Serve with uvicorn: one process, or `workers` processes on one port sharing the store, the settings, the
    session secret and (through Redis) the live calls."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from heard.web.live import MAX_MESSAGE

    # Live messages are a few hundred bytes of JSON: per-message deflate saves nothing on them and took 8% of a
    # worker's event loop at 1,000 live calls (a py-spy profile, benchmarks/live_load.py), so it is not offered.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "ws_max_size": MAX_MESSAGE * 4,
                               "ws_per_message_deflate": False}

    live, web, insights_settings = live or LiveSettings(), web or WebSettings(), insights_settings or InsightsSettings()
    if workers > 1:
        check_workers(workers, live, web)
        Store.open(store_url).close()   # migrate once here, not in N workers at once
        # One secret for every worker, or a cookie signed by one would be refused by the others. Without
        # HEARD_SECRET it is random per run, as for one process: sessions end when the server restarts.
        os.environ.setdefault("HEARD_SECRET", secrets.token_urlsafe(32))
        os.environ[SERVE_ENV] = json.dumps({"store": store_url, "live": live.model_dump(mode="json"),
                                            "web": web.model_dump(mode="json"),
                                            "insights": insights_settings.model_dump(mode="json")})
        # A worker imports all of heard before it answers uvicorn's health check: allow for a busy machine.
        config = uvicorn.Config("heard.web.app:app_from_environment", factory=True, workers=workers,
                                timeout_worker_healthcheck=60, **options)
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[tcp_listener(config)]).run()
        return
    store = Store.open(store_url)
    app = create_app(store, live=live, web=web, insights_settings=insights_settings)
    settle_gc(threshold=None)   # freeze only: see heard.runtime for why a server keeps the default thresholds
    uvicorn.run(app, **options)


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The workers' shared listening socket (uvicorn's `Config.bind_socket`), marked as TCP.

    uvicorn makes it with `proto` 0 (uvicorn issue #3149, open in 0.54). Accepted connections inherit that, and
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets whose proto says TCP. With Nagle on, the
    second of two small frames sent back to back (a live event, then its ack) waited for the client's delayed ACK:
    ~40 ms on most utterances that had two or more events, with several workers only (one process lets asyncio
    make its socket, which is marked). Same descriptor, so the workers inherit it as before."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def check_workers(workers: int, live: LiveSettings, web: WebSettings) -> None:
    """Several workers must share what one process keeps in memory; raises ConfigError saying what to set."""
    if live.backend == "memory":
        raise ConfigError(f"--workers {workers} needs live calls kept in Redis: with live.backend = \"memory\" "
                          "each worker would hold its own calls and a reconnect to another worker would not "
                          "resume", hint="Set [live] backend = \"redis\" (and redis_url, or HEARD_REDIS_URL) in "
                                     "heard.toml, or --set live.backend=redis; or serve with one worker.")
    if web.throttle_storage.startswith("memory"):
        raise ConfigError(f"--workers {workers} needs login throttling shared by the workers: with "
                          "web.throttle_storage = memory:// each worker would count attempts on its own",
                          hint="Set [web] throttle_storage = \"redis://127.0.0.1:6379\" (your Redis), or "
                               "serve with one worker.")


def app_from_environment() -> FastAPI:
    """The app of one `serve --workers N` worker, from the settings its parent left in the environment."""
    data = json.loads(os.environ[SERVE_ENV])
    app = create_app(Store.open(data["store"]), live=LiveSettings.model_validate(data["live"]),
                     web=WebSettings.model_validate(data["web"]),
                     insights_settings=InsightsSettings.model_validate(data["insights"]))
    settle_gc(threshold=None)   # as for one process (serve)
    return app
