"""A Python client for live assist: replay a call through the WebSocket API, faster than real time.

    result = asyncio.run(replay("ws://127.0.0.1:8000", call, speed=10, token=TOKEN))

Each turn is sent at its own start time divided by `speed` (a long turn first as a partial, then
final); the client waits for the server's "ack" of every utterance and records the round trip.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from heard.model import Call


@dataclass
class Sent:
    id: int
    speaker: str
    text: str
    start: float | None
    final: bool
    events: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float | None = None
    analysis_ms: float | None = None
    sent_at: float | None = None      # time.perf_counter() when it went out


@dataclass
class Replay:
    call_id: str
    hello: dict[str, Any]
    sent: list[Sent] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for s in self.sent for e in s.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def lost(self) -> int:
        """Utterances whose ack never came back."""
        return sum(s.latency_ms is None for s in self.sent)


def endpoint(base: str, call_id: str, token: str | None) -> str:
    base = base.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
    return f"{base}/api/live/{quote(call_id, safe='')}" + (f"?token={quote(token)}" if token else "")


async def replay(base: str, call: Call, *, speed: float = 10.0, token: str | None = None, partials: bool = True,
                 on_event: Callable[[Sent, dict[str, Any]], None] | None = None, start_at: int = 0,
                 meta: bool = True, timeout: float = 30.0) -> Replay:
    """Send the call's turns (from `start_at`) and collect the server's events for each."""
    import websockets

    async with websockets.connect(endpoint(base, call.id, token), max_size=2**22, open_timeout=timeout) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        result = Replay(call.id, hello)
        if meta and (call.agent_id or call.team):
            await ws.send(json.dumps({"type": "start", "agent_id": call.agent_id, "team": call.team, "id": "start"}))
            await asyncio.wait_for(ws.recv(), timeout)
        began = time.perf_counter()
        first = next((t.start for t in call.turns if t.start is not None), 0.0) or 0.0
        counter = start_at * 2
        for index, turn in enumerate(call.turns[start_at:], start=start_at):
            due = ((turn.start if turn.start is not None else first + index) - first) / speed
            wait = due - (time.perf_counter() - began)
            if wait > 0:
                await asyncio.sleep(wait)
            pieces = [(turn.text, True)]
            words = turn.text.split()
            if partials and len(words) >= 8:
                pieces.insert(0, (" ".join(words[: len(words) // 2]), False))
            for text, final in pieces:
                counter += 1
                sent = Sent(counter, turn.speaker.value, text, turn.start, final)
                result.sent.append(sent)
                message = {"type": "utterance", "id": counter, "speaker": turn.speaker.value, "text": text,
                           "start": turn.start, "end": turn.end if final else None, "final": final}
                t0 = sent.sent_at = time.perf_counter()
                await ws.send(json.dumps(message))
                # One deadline for the utterance's events: asyncio.wait_for on each recv made a task per event,
                # which at a thousand calls in one process was a large part of the client's own time.
                async with asyncio.timeout(timeout):
                    while True:
                        event = json.loads(await ws.recv())
                        if event.get("type") == "error":
                            result.errors.append(event)
                            break
                        if event.get("type") == "ack" and event.get("reply_to") == counter:
                            sent.latency_ms = (time.perf_counter() - t0) * 1000
                            sent.analysis_ms = event.get("analysis_ms")
                            break
                        sent.events.append(event)
                        if on_event is not None:
                            on_event(sent, event)
        await ws.send(json.dumps({"type": "end"}))
        await asyncio.wait_for(ws.recv(), timeout)
    return result
