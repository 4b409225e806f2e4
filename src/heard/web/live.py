"""Live assist over a WebSocket, and the supervisor's live view.

    ws://HOST/api/live/{call_id}?token=...   (or Authorization: Bearer, or the session cookie)

Client → server, one JSON object per message:
    {"type": "start", "agent_id": "a.rivera", "team": "north"}           optional, first
    {"type": "utterance", "id": 7, "speaker": "customer", "text": "...", "start": 3.5, "end": 9.0, "final": true}
    {"type": "end"}
Server → client: "hello" or "resumed" (with the state) on connect; for each utterance its events
("prompt", "alert", "suppressed", "state"), each with "reply_to" = the utterance's id, then an "ack" with
the server's processing time; "error" for a malformed message (the connection stays up).
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from heard.auth import accounts
from heard.auth.accounts import User, UserRole
from heard.live.engine import parse
from heard.live.hub import Hub
from heard.web.deps import ApiError, PageError, optional_user, page_user
from heard.web.render import render

MAX_MESSAGE = 64 * 1024
router = APIRouter()


def _ws_user(ws: WebSocket) -> User | None:
    store = ws.app.state.store
    header = ws.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ws.query_params.get("token")
    if token:
        return accounts.user_for_token(store, token)
    user_id = ws.session.get("user_id") if "session" in ws.scope else None
    return accounts.get_user(store, user_id) if isinstance(user_id, int) else None


@router.websocket("/api/live/{call_id}")
async def live(ws: WebSocket, call_id: str) -> None:
    user = await run_in_threadpool(_ws_user, ws)   # a database read: never on the event loop
    if user is None:
        await ws.close(code=4401, reason="log in first: pass ?token= or an Authorization: Bearer header")
        return
    if not call_id or len(call_id) > 200:
        await ws.close(code=4400, reason="call id: 1 to 200 characters")
        return
    await ws.accept()
    hub: Hub = ws.app.state.hub
    entry, resumed = hub.join(call_id, agent_id=user.agent_id, team=user.team)
    try:
        await ws.send_json({"type": "resumed" if resumed else "hello", "call_id": call_id,
                            "state": entry.call.snapshot()})
        while True:
            raw = await ws.receive_text()
            await _message(ws, entry, raw)
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(entry)


async def _message(ws: WebSocket, entry: Any, raw: str) -> None:
    began = time.perf_counter()
    if len(raw) > MAX_MESSAGE:
        await ws.send_json({"type": "error", "message": f"message over {MAX_MESSAGE} bytes"})
        return
    try:
        message = json.loads(raw)
    except ValueError as exc:
        await ws.send_json({"type": "error", "message": f"not JSON: {exc}"})
        return
    reply_to = message.get("id") if isinstance(message, dict) else None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "start":
        entry.agent_id = str(message.get("agent_id") or entry.agent_id or "")[:200] or None
        entry.team = str(message.get("team") or entry.team or "")[:200] or None
        await ws.send_json({"type": "ack", "reply_to": reply_to})
        return
    if kind == "end":
        entry.call.ended = True
        await ws.send_json({"type": "ended", "reply_to": reply_to, "state": entry.call.snapshot()})
        return
    try:
        utterance = parse(message)
    except ValueError as exc:
        await ws.send_json({"type": "error", "reply_to": reply_to if isinstance(reply_to, str | int) else None,
                            "message": str(exc)})
        return
    async with entry.lock:   # one call's utterances in order; other calls never wait on this lock
        events = entry.call.handle(utterance)
    took = (time.perf_counter() - began) * 1000
    for event in events:
        await ws.send_json({**event, "reply_to": utterance.id})
    await ws.send_json({"type": "ack", "reply_to": utterance.id, "events": len(events),
                        "analysis_ms": round(entry.call.timings_ms[-1], 3) if entry.call.timings_ms else None,
                        "took_ms": round(took, 3)})


@router.get("/api/live/calls", tags=["live"], summary="Live calls and their state (leads: their team)")
def live_calls(request: Request) -> dict[str, Any]:
    hub: Hub = request.app.state.hub
    user = optional_user(request)
    if user is None:
        raise ApiError(401, "not_logged_in", "log in first")
    if user.role is UserRole.AGENT:
        raise ApiError(403, "forbidden", "the live view is for leads, QA and admins")
    return {"calls": hub.snapshots(team=user.team, everything=user.sees_all)}

@router.get("/live", include_in_schema=False)
def live_page(request: Request) -> HTMLResponse:
    user = page_user(request)
    if user.role is UserRole.AGENT:
        raise PageError(404, "The live view is for leads, QA and admins.")
    return render(request, "live.html", user)
