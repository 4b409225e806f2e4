"""The live calls a server holds: one LiveCall per call id, kept after a disconnect so a client that
reconnects with the same call id resumes where it was.

Bounded: each streamer (an agent, or a live service token's owner) may hold a limited number of calls, the
server a limited total; a call that hears nothing for `idle_seconds` is dropped, an ended one after
`ended_keep_seconds`, a disconnected one after `keep_seconds`. The supervisor feed is paged, and every change
to a call is published to the hub's watchers (`subscribe`).

Two hubs with one interface: `Hub` keeps calls in this process's memory (the default, one server process);
`heard.live.redis_hub.RedisHub` keeps them in Redis so several server workers share them.
`heard.live.backends.make_hub` picks one from the `[live]` settings."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from heard.live.engine import LiveCall, LiveSettings


class LiveLimit(Exception):
    """Opening one more live call would pass a limit."""


class LiveExists(Exception):
    """Another connection opened this call first (between our look and our open)."""


class LiveUnavailable(Exception):
    """The shared store of live calls (Redis) cannot be reached."""


class LiveBusy(Exception):
    """Another connection is streaming this call (shared hubs allow one streamer per call at a time)."""


@dataclass
class Entry:
    call: LiveCall
    owner: int                      # the user id that opened the call
    service: bool = False           # opened with a live service token
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    agent_id: str | None = None
    team: str | None = None
    fixed: bool = False             # agent and team are set for good (by the first start, or at open for agents)
    customer_id: str | None = None  # who is calling, when a start names them (fixed once set)
    connections: int = 0
    last_seen: float = field(default_factory=time.monotonic)
    expired: bool = False
    lease: str | None = None        # shared hubs: this connection's hold on the call
    taken: bool = False             # shared hubs: another connection took the call over (lease lost)

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def row(self, connected: bool | None = None) -> dict[str, Any]:
        """The call as one row of the supervisor feed."""
        return {**self.call.snapshot(), "agent_id": self.agent_id, "team": self.team,
                "customer_id": self.customer_id,
                "connected": self.connections > 0 if connected is None else connected}


def page(rows: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """The feed's page: calls needing attention first, with the totals the page header shows."""
    rows.sort(key=lambda r: (not r["needs_attention"], r["ended"], r["call_id"]))
    return {"total": len(rows), "needs_attention": sum(r["needs_attention"] and not r["ended"] for r in rows),
            "limit": limit, "offset": offset, "calls": rows[offset:offset + limit]}


def visible(row: dict[str, Any], agent_id: str | None, team: str | None, everything: bool) -> bool:
    return everything or (team is not None and row["team"] == team) or \
        (agent_id is not None and row["agent_id"] == agent_id)


class Watchers:
    """The queues of this process's open supervisor views; a slow one misses updates rather than grow."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def add(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self.queues.add(queue)
        return queue

    def discard(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.queues.discard(queue)

    def send(self, row: dict[str, Any]) -> None:
        for queue in self.queues:
            if not queue.full():
                queue.put_nowait(row)


class Hub:
    """Live calls in this process's memory."""

    backend = "memory"

    def __init__(self, settings: LiveSettings | None = None) -> None:
        self.settings = settings or LiveSettings()
        self.entries: dict[str, Entry] = {}
        self.watchers = Watchers()

    async def get(self, call_id: str) -> Entry | None:
        self._forget_old()
        return self.entries.get(call_id)

    async def open(self, call_id: str, *, owner: int, service: bool, agent_id: str | None = None,
                   team: str | None = None) -> Entry:
        """A new live call, if the owner and the server are under their limits."""
        self._forget_old()
        s = self.settings
        if call_id in self.entries:
            raise LiveExists(call_id)
        if len(self.entries) >= s.max_calls:
            raise LiveLimit(limit_message("the server holds", len(self.entries), "max_calls"))
        mine = sum(e.owner == owner for e in self.entries.values())
        name = "max_calls_per_service" if service else "max_calls_per_user"
        if mine >= getattr(s, name):
            raise LiveLimit(limit_message("you have", mine, name))
        entry = self.entries[call_id] = Entry(LiveCall(call_id, s), owner, service, agent_id=agent_id, team=team,
                                              fixed=not service)
        return entry

    async def join(self, entry: Entry) -> Entry:
        """One more connection streams the call (any number may, on one process)."""
        entry.connections += 1
        entry.touch()
        self._publish(entry)
        return entry

    async def save(self, entry: Entry) -> bool:
        """Record that the call heard a message and changed; False if it expired meanwhile."""
        if entry.expired:
            return False
        entry.touch()
        self._publish(entry)
        return True

    async def leave(self, entry: Entry) -> None:
        entry.connections = max(0, entry.connections - 1)
        entry.touch()
        self._publish(entry)

    def _publish(self, entry: Entry) -> None:
        if self.watchers.queues:   # the row costs a snapshot: only when someone watches
            self.watchers.send(entry.row())

    def _forget_old(self) -> None:
        now, s = time.monotonic(), self.settings
        for call_id, e in list(self.entries.items()):
            idle = now - e.last_seen
            if idle > s.idle_seconds or (e.call.ended and idle > s.ended_keep_seconds) or \
                    (e.connections == 0 and idle > s.keep_seconds):
                e.expired = True
                del self.entries[call_id]

    async def feed(self, *, agent_id: str | None = None, team: str | None = None, everything: bool = False,
                   limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """One page of the calls a viewer may watch (everything; a team; or one agent's)."""
        self._forget_old()
        rows = [e.row() for e in self.entries.values()]
        return page([r for r in rows if visible(r, agent_id, team, everything)], limit, offset)

    async def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue that receives every changed call's feed row, from now on."""
        return self.watchers.add()

    async def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.watchers.discard(queue)

    async def close(self) -> None:
        """Nothing to release in memory."""


def limit_message(who: str, count: int, name: str) -> str:
    if name == "max_calls":
        return f"{who} {count} live calls, its limit (live.max_calls)"
    return f"{who} {count} live calls open, the limit (live.{name}); end one with " \
           '{"type": "end"} or wait for idle ones to expire'
