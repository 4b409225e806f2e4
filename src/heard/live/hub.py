"""The live calls a server holds: one LiveCall per call id, kept after a disconnect so a client that
reconnects with the same call id resumes where it was."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from heard.live.engine import LiveCall, LiveSettings


@dataclass
class Entry:
    call: LiveCall
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    agent_id: str | None = None
    team: str | None = None
    connections: int = 0
    last_seen: float = field(default_factory=time.monotonic)


class Hub:
    def __init__(self, settings: LiveSettings | None = None, keep_seconds: float = 1800.0) -> None:
        self.settings = settings or LiveSettings()
        self.keep_seconds = keep_seconds
        self.entries: dict[str, Entry] = {}

    def join(self, call_id: str, *, agent_id: str | None = None, team: str | None = None) -> tuple[Entry, bool]:
        """The call's entry, and whether it already existed (a resume)."""
        self._forget_old()
        entry = self.entries.get(call_id)
        resumed = entry is not None
        if entry is None:
            entry = self.entries[call_id] = Entry(LiveCall(call_id, self.settings))
        entry.agent_id = agent_id or entry.agent_id
        entry.team = team or entry.team
        entry.connections += 1
        entry.last_seen = time.monotonic()
        return entry, resumed

    def leave(self, entry: Entry) -> None:
        entry.connections = max(0, entry.connections - 1)
        entry.last_seen = time.monotonic()

    def _forget_old(self) -> None:
        now = time.monotonic()
        for call_id in [c for c, e in self.entries.items()
                        if e.connections == 0 and now - e.last_seen > self.keep_seconds]:
            del self.entries[call_id]

    def snapshots(self, *, team: str | None = None, everything: bool = False) -> list[dict[str, Any]]:
        out = []
        for e in self.entries.values():
            if not everything and e.team != team:
                continue
            out.append({**e.call.snapshot(), "agent_id": e.agent_id, "team": e.team, "connected": e.connections > 0})
        return sorted(out, key=lambda s: (not s["needs_attention"], s["ended"], s["call_id"]))
