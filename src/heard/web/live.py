"""Live assist over a WebSocket, and the supervisor's live view.

    ws://HOST/api/live/{call_id}?token=...   (or Authorization: Bearer, or the session cookie)

Who may stream into a call: its agent (an agent user whose agent id the call carries; the call is theirs from
the moment they open it), or a live service token (`heard token create --scope live`, for a telephony bridge),
whose first `start` names the agent and team. A call's agent and team are fixed by then and no later message
changes them. Who may watch it (GET /api/live/calls, the /live page): its agent, a lead of its team, QA and
admins. A browser's Origin must be heard's own (web.public_url, or the request's host when unset).

Client → server, one JSON text frame per message:
    {"type": "start", "agent_id": "a.rivera", "team": "north"}           first, for service tokens
    {"type": "start", "customer_id": "C-100"}       optional, anyone streaming: who is calling (fixed once set);
                                                    answered by a "history" event (heard.team.promises.history)
    {"type": "utterance", "id": 7, "speaker": "customer", "text": "...", "start": 3.5, "end": 9.0, "final": true}
    {"type": "end"}
Server → client: "hello" or "resumed" (with the state) on connect; for each utterance its events
("prompt", "alert", "suppressed", "state"), each with "reply_to" = the utterance's id, then an "ack" with
the server's processing time; "error" for a malformed message (the connection stays up). Refusals close the
socket with a code and a reason: 4401 not logged in, 4403 not allowed, 4400 bad call id, 4429 too many live
calls, 4408 the call expired while idle, 4409 another connection streams the call (shared hubs: one streamer
per call at a time).

    ws://HOST/api/live/watch   the supervisor feed pushed: a "feed" event (the first page), then "update" events
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from heard.auth import accounts
from heard.auth.accounts import User, UserRole
from heard.live.engine import parse
from heard.live.hub import Entry, Hub, LiveBusy, LiveExists, LiveLimit, LiveUnavailable
from heard.team import promises
from heard.web.deps import ApiError, CurrentUser, bearer, page_user, session_user, web_settings
from heard.web.render import render

MAX_MESSAGE = 64 * 1024
router = APIRouter()


def _ws_identity(ws: WebSocket) -> tuple[User, bool] | None:
    """The user on the socket and whether they came with a live service token."""
    token = bearer(ws) or ws.query_params.get("token")
    if token:
        found = accounts.token_owner(ws.app.state.store, token)
        return (found[0], found[1] == "live") if found else None
    user = session_user(ws)
    return (user, False) if user else None


def _may_stream(user: User, service: bool, entry: Entry) -> bool:
    if service:
        return entry.service
    return user.role is UserRole.AGENT and user.agent_id is not None and entry.agent_id == user.agent_id


async def _refuse(ws: WebSocket, code: int, reason: str) -> None:
    """Accept, say why in an error event and in the close reason, and close: nothing of the call is sent."""
    await ws.accept()
    await ws.send_json({"type": "error", "message": reason})
    await ws.close(code=code, reason=reason[:120])


async def _admitted(ws: WebSocket) -> tuple[User, bool] | None:
    """Who is on the socket (and whether with a live service token), or None after closing it: a foreign page's
    origin (4403) or nobody logged in (4401)."""
    if not web_settings(ws).origin_allowed(ws.headers.get("origin"), ws.headers.get("host"),
                                           secure=ws.url.scheme == "wss"):
        await ws.close(code=4403, reason="this page's origin may not open heard's live socket")
        return None
    who = await run_in_threadpool(_ws_identity, ws)   # a database read: never on the event loop
    if who is None:
        await ws.close(code=4401, reason="log in first: pass ?token= or an Authorization: Bearer header")
    return who


# Before /api/live/{call_id}, which would otherwise take "watch" for a call id.
@router.websocket("/api/live/watch")
async def live_watch(ws: WebSocket) -> None:
    """The supervisor feed, pushed: a "feed" event with the first page, then an "update" event with a call's row
    each time a call you may watch changes, on whichever worker it is streamed."""
    who = await _admitted(ws)
    if who is None:
        return
    user, service = who
    if service:
        await _refuse(ws, 4403, "a live service token streams calls; watching them needs a person's login")
        return
    hub: Hub = ws.app.state.hub
    updates = await hub.subscribe()
    try:
        await ws.accept()
        await ws.send_json({"type": "feed", **await hub.feed(**_scope(user))})
        closed = asyncio.ensure_future(ws.receive())
        while True:
            row = asyncio.ensure_future(updates.get())
            await asyncio.wait({closed, row}, return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                if closed.result()["type"] == "websocket.disconnect":
                    row.cancel()
                    break
                closed = asyncio.ensure_future(ws.receive())   # anything the viewer sends is ignored
            if not row.done():
                row.cancel()
                continue
            found = row.result()
            if _may_watch(user, found["agent_id"], found["team"]):
                await ws.send_json({"type": "update", "call": found})
    except LiveUnavailable as exc:
        await ws.close(code=4503, reason=str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        await hub.unsubscribe(updates)


@router.websocket("/api/live/{call_id}")
async def live(ws: WebSocket, call_id: str) -> None:
    who = await _admitted(ws)
    if who is None:
        return
    user, service = who
    if not call_id or len(call_id) > 200:
        await _refuse(ws, 4400, "call id: 1 to 200 characters")
        return
    hub: Hub = ws.app.state.hub
    try:
        found = await _connect(ws, hub, call_id, user, service)
    except LiveUnavailable as exc:
        await _refuse(ws, 4503, f"{exc}; try again shortly")
        return
    if found is None:
        return
    entry, resumed = found
    try:
        await ws.accept()
        await ws.send_json({"type": "resumed" if resumed else "hello", "call_id": call_id,
                            "state": entry.call.snapshot()})
        while not entry.expired:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            entry.touch()
            await _message(ws, hub, entry, service, frame.get("text"))
        if entry.expired:
            await ws.close(code=4408, reason="the call expired after being idle (live.idle_seconds)")
    except LiveBusy as exc:
        await ws.close(code=4409, reason=str(exc)[:120])
    except LiveUnavailable as exc:
        await ws.close(code=4503, reason=str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        await hub.leave(entry)


async def _connect(ws: WebSocket, hub: Hub, call_id: str, user: User,
                   service: bool) -> tuple[Entry, bool] | None:
    """The call this socket streams, opened or resumed, and whether it was resumed; None once refused."""
    entry = await hub.get(call_id)
    resumed = entry is not None
    if entry is None:
        if not service and (user.role is not UserRole.AGENT or not user.agent_id):
            await _refuse(ws, 4403, "only the call's agent or a live service token streams a call; leads, QA and "
                                    "admins watch live calls on /live")
            return None
        try:
            entry = await hub.open(call_id, owner=user.id, service=service,
                                   agent_id=None if service else user.agent_id, team=None if service else user.team)
        except LiveLimit as exc:
            await _refuse(ws, 4429, str(exc))
            return None
        except LiveExists:   # another worker opened it a moment ago: resume theirs
            entry = await hub.get(call_id)
            resumed = entry is not None
            if entry is None:
                await _refuse(ws, 4408, "the call expired while connecting: connect again")
                return None
    if resumed and not _may_stream(user, service, entry):
        await _refuse(ws, 4403, "this call is streamed by someone else")
        return None
    try:
        entry = await hub.join(entry)
    except LiveBusy as exc:
        await _refuse(ws, 4409, str(exc))
        return None
    return entry, resumed


async def _error(ws: WebSocket, message: str, reply_to: Any = None) -> None:
    await ws.send_json({"type": "error", "reply_to": reply_to if isinstance(reply_to, str | int) else None,
                        "message": message})


async def _message(ws: WebSocket, hub: Hub, entry: Entry, service: bool, raw: str | None) -> None:
    """Answer one client message. A change is recorded with the hub before its answer goes out, so an
    acknowledged utterance is in the state another worker resumes from (docs/live.md)."""
    began = time.perf_counter()
    if raw is None:
        await _error(ws, "binary frames are not accepted: send each message as a JSON text frame")
        return
    if len(raw) > MAX_MESSAGE:
        await _error(ws, f"message over {MAX_MESSAGE} bytes")
        return
    try:
        message = json.loads(raw)
    except ValueError as exc:
        await _error(ws, f"not JSON: {exc}")
        return
    except RecursionError:
        await _error(ws, "the JSON is nested too deeply: send one flat object per message")
        return
    reply_to = message.get("id") if isinstance(message, dict) else None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "start":
        await _start(ws, hub, entry, message, reply_to)
        return
    if kind == "end":
        entry.fixed = True
        entry.call.ended = True
        if not await hub.save(entry):
            return
        await ws.send_json({"type": "ended", "reply_to": reply_to, "state": entry.call.snapshot()})
        return
    try:
        utterance = parse(message)
    except ValueError as exc:
        await _error(ws, str(exc), reply_to)
        return
    entry.fixed = True   # a service stream that never said start stays unassigned (QA and admins see it)
    async with entry.lock:   # one call's utterances in order; other calls never wait on this lock
        events = entry.call.handle(utterance)
        if not await hub.save(entry):
            return
    took = (time.perf_counter() - began) * 1000
    for event in events:
        await ws.send_json({**event, "reply_to": utterance.id})
    await ws.send_json({"type": "ack", "reply_to": utterance.id, "events": len(events),
                        "analysis_ms": round(entry.call.timings_ms[-1], 3) if entry.call.timings_ms else None,
                        "took_ms": round(took, 3)})


async def _start(ws: WebSocket, hub: Hub, entry: Entry, message: dict[str, Any], reply_to: Any) -> None:
    """The first start of a service stream names the call's agent and team; after that they are fixed. Any start
    may name the customer once; the customer's history follows the ack."""
    agent_id = str(message["agent_id"])[:200] if message.get("agent_id") else None
    team = str(message["team"])[:200] if message.get("team") else None
    customer = str(message["customer_id"])[:200] if message.get("customer_id") else None
    if customer is not None and entry.customer_id not in (None, customer):
        await _error(ws, f"this call's customer is fixed ({entry.customer_id}) and cannot be changed", reply_to)
        return
    if not entry.fixed:
        entry.agent_id, entry.team, entry.fixed = agent_id, team, True
    elif (agent_id is not None and agent_id != entry.agent_id) or (team is not None and team != entry.team):
        await _error(ws, f"this call's agent and team are fixed ({entry.agent_id or 'none'}, team "
                         f"{entry.team or 'none'}) and cannot be changed", reply_to)
        return
    entry.customer_id = customer or entry.customer_id
    if not await hub.save(entry):
        return
    await ws.send_json({"type": "ack", "reply_to": reply_to if isinstance(reply_to, str | int) else None,
                        "agent_id": entry.agent_id, "team": entry.team, "customer_id": entry.customer_id})
    if customer is not None:
        found = await run_in_threadpool(_history, ws.app.state.store, customer)   # a database read
        await ws.send_json({"type": "history", "reply_to": reply_to if isinstance(reply_to, str | int) else None,
                            **found})


def _history(store: Any, customer: str) -> dict[str, Any]:
    """The customer's recent calls, open and broken promises and last sentiment, as of today (UTC)."""
    return promises.history(store, customer, today=datetime.now(UTC).date()).as_dict()


def _may_watch(user: User, agent_id: str | None, team: str | None) -> bool:
    """The feed's rule: agents their own calls, leads their team's, QA and admins all."""
    if user.sees_all:
        return True
    if user.role is UserRole.LEAD:
        return user.team is not None and team == user.team
    return user.role is UserRole.AGENT and user.agent_id is not None and agent_id == user.agent_id


@router.get("/api/live/history", tags=["live"],
            summary="The history of the customer on a live call you may watch: recent calls, open and broken "
                    "promises, last sentiment")
async def live_history(request: Request, user: CurrentUser,
                       call: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    hub: Hub = request.app.state.hub
    try:
        entry = await hub.get(call)
    except LiveUnavailable as exc:
        raise _unavailable(exc) from None
    if entry is None or not _may_watch(user, entry.agent_id, entry.team):
        raise ApiError(404, "not_found", f"no live call {call!r} that you may watch",
                       "GET /api/live/calls lists the live calls you may watch.")
    if entry.customer_id is None:
        return {"customer": None, "calls": [], "open": [], "broken": [], "overdue": [], "last_sentiment": None}
    return await run_in_threadpool(_history, request.app.state.store, entry.customer_id)   # a database read


def _scope(user: User) -> dict[str, Any]:
    return {"agent_id": user.agent_id if user.role is UserRole.AGENT else None,
            "team": user.team if user.role is UserRole.LEAD else None, "everything": user.sees_all}


@router.get("/api/live/calls", tags=["live"],
            summary="Live calls you may watch (agents: their own; leads: their team; QA, admins: all), paged")
async def live_calls(request: Request, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    hub: Hub = request.app.state.hub
    try:
        return await hub.feed(**_scope(user), limit=limit, offset=offset)
    except LiveUnavailable as exc:
        raise _unavailable(exc) from None


def _unavailable(exc: LiveUnavailable) -> ApiError:
    return ApiError(503, "unavailable", str(exc), "Try again shortly; check Redis (live.redis_url) is running.")


@router.get("/live", include_in_schema=False)
def live_page(request: Request) -> HTMLResponse:
    """Leads, QA and admins watch live calls; an agent sees their own, with the caller's history on top."""
    user = page_user(request)
    return render(request, "live.html", user)

