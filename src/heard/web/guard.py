"""Two pieces of ASGI middleware every response passes through: a cap on request body size (checked on the
Content-Length header and again on the bytes actually received, so a chunked upload cannot slip past) and the
browser security headers (Content-Security-Policy, X-Frame-Options, nosniff, Referrer-Policy, HSTS on https)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# heard's pages load only their own scripts (/static, /vendor/plotly.min.js); inline style attributes are used
# for table shading. The OpenAPI pages (/docs, /redoc) load FastAPI's Swagger UI and ReDoc from their CDN.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "font-src 'self' https://fonts.gstatic.com; worker-src blob:; frame-ancestors 'none'")


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A receive() that gives these messages first, then (for disconnects) the real ones."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        if declared is not None:
            await self.app(scope, receive, send)   # the server stops reading at Content-Length
            return
        # No Content-Length (a chunked upload): read it here, at most max_bytes, and hand it on.
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
        await self.app(scope, _replay([{"type": "http.request", "body": bytes(body), "more_body": False}], receive),
                       send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": {"status": 413, "code": "too_large",
                                     "message": f"the request body is over {self.max_bytes} bytes",
                                     "hint": "Send less, or raise web.max_request_bytes in heard.toml."}}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(("/docs", "/redoc"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers") or [])
                headers += [(b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                            (b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin")]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
