"""The live calls a server holds: one LiveCall per call id, kept after a disconnect so a client that
reconnects with the same call id resumes where it was.

Bounded: each streamer (an agent, or a live service token's owner) may hold a limited number of calls, the
server a limited total; a call that hears nothing for `idle_seconds` is dropped, an ended one after
`ended_keep_seconds`, a disconnected one after `keep_seconds`. The supervisor feed is paged."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from heard.live.engine import LiveCall, LiveSettings


class LiveLimit(Exception):
    """Opening one more live call would pass a limit."""


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

    def touch(self) -> None:
        self.last_seen = time.monotonic()


class Hub:
    def __init__(self, settings: LiveSettings | None = None) -> None:
        self.settings = settings or LiveSettings()
        self.entries: dict[str, Entry] = {}

    def get(self, call_id: str) -> Entry | None:
        self._forget_old()
        return self.entries.get(call_id)

    def open(self, call_id: str, *, owner: int, service: bool, agent_id: str | None = None,
             team: str | None = None) -> Entry:
        """A new live call, if the owner and the server are under their limits."""
        self._forget_old()
        s = self.settings
        if len(self.entries) >= s.max_calls:
            raise LiveLimit(f"the server holds {len(self.entries)} live calls, its limit (live.max_calls)")
        mine = sum(e.owner == owner for e in self.entries.values())
        cap, name = (s.max_calls_per_service, "max_calls_per_service") if service else \
            (s.max_calls_per_user, "max_calls_per_user")
        if mine >= cap:
            raise LiveLimit(f"you have {mine} live calls open, the limit (live.{name}); end one with "
                            '{"type": "end"} or wait for idle ones to expire')
        entry = self.entries[call_id] = Entry(LiveCall(call_id, s), owner, service, agent_id=agent_id, team=team,
                                              fixed=not service)
        return entry

    def join(self, entry: Entry) -> None:
        entry.connections += 1
        entry.touch()

    def leave(self, entry: Entry) -> None:
        entry.connections = max(0, entry.connections - 1)
        entry.touch()

    def _forget_old(self) -> None:
        now, s = time.monotonic(), self.settings
        for call_id, e in list(self.entries.items()):
            idle = now - e.last_seen
            if idle > s.idle_seconds or (e.call.ended and idle > s.ended_keep_seconds) or \
                    (e.connections == 0 and idle > s.keep_seconds):
                e.expired = True
                del self.entries[call_id]

    def feed(self, *, agent_id: str | None = None, team: str | None = None, everything: bool = False,
             limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """One page of the calls a viewer may watch (everything; a team; or one agent's), those needing
        attention first, with the totals the page header shows."""
        self._forget_old()
        shown = [e for e in self.entries.values() if everything or (team is not None and e.team == team) or
                 (agent_id is not None and e.agent_id == agent_id)]
        rows = sorted(({**e.call.snapshot(), "agent_id": e.agent_id, "team": e.team, "customer_id": e.customer_id,
                        "connected": e.connections > 0}
                       for e in shown), key=lambda r: (not r["needs_attention"], r["ended"], r["call_id"]))
        return {"total": len(rows), "needs_attention": sum(r["needs_attention"] and not r["ended"] for r in rows),
                "limit": limit, "offset": offset, "calls": rows[offset:offset + limit]}
