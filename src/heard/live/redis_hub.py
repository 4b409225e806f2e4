"""Live calls kept in Redis, so several `heard serve` workers behind one address share them.

One streamer per call at a time: a connection holds the call's lease (a Redis key with its own token that
lapses `lease_seconds` after the connection's last message). A second connection to a call, on any worker,
waits a moment for the lease (a client that reconnects often arrives before its old socket's close is
noticed) and is refused if it stays held. The worker holding the lease keeps the call's state in memory and
writes it back with a script that first checks the lease is still its own, so a worker that lost its lease can
never overwrite a newer state. Writes are batched: every `redis_write_ms` one pipeline carries every call that
changed (0: each message is written before its answer); a closing connection writes its last change before
it releases the lease, so whoever takes the call next starts from it. A crashed worker loses at most the last
`redis_write_ms` of changes.

Keys (all under `live.redis_prefix`): `call:ID` a hash (the engine state, the feed row, owner, agent, team,
customer) whose TTL is the memory hub's expiry (idle, kept after a disconnect, ended); `lease:ID`; `calls` and
`owner:USER` sorted sets of call ids scored by expiry time (Redis's clock), which count calls for the limits;
the channel `updates` carries each changed call's feed row to every worker's supervisor views. Opening a call
checks the limits and creates it in one script, so limits hold across workers. Needs one Redis server (the
scripts touch keys they name themselves, which Redis Cluster does not allow)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from heard.live.engine import LiveCall, LiveSettings
from heard.live.hub import (
    Entry,
    Hub,
    LiveBusy,
    LiveExists,
    LiveLimit,
    LiveUnavailable,
    limit_message,
    page,
    visible,
)

log = logging.getLogger(__name__)

NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
# KEYS call, calls, owner. ARGV call_id, ttl_ms, max_calls, cap, idle_ms, field, value, ...
OPEN = NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists', 0} end
local total = redis.call('ZCARD', KEYS[2])
if total >= tonumber(ARGV[3]) then return {'max_calls', total} end
local mine = redis.call('ZCARD', KEYS[3])
if mine >= tonumber(ARGV[4]) then return {'mine', mine} end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return {'ok', 0}
"""
# KEYS call, lease, calls, owner. ARGV token, lease_ms, ttl_ms, call_id, idle_ms. The call's fields, or a status.
JOIN = NOW + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[4])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return redis.call('HGETALL', KEYS[1])
"""
# KEYS call, lease, calls, owner. ARGV token, lease_ms, ttl_ms, call_id, idle_ms, channel, row, field, value, ...
SAVE = NOW + """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[4])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[4], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
"""
# KEYS call, lease, calls, owner. ARGV token, ttl_ms, call_id, channel, row
LEAVE = NOW + """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
"""
# KEYS calls. ARGV prefix. Every live call's feed row, agent, team, customer and whether a connection holds it.
FEED = NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. 'call:' .. id, 'snapshot', 'agent_id', 'team', 'customer_id')
  if f[1] then
    out[#out + 1] = {f[1], f[2] or '', f[3] or '', f[4] or '', redis.call('EXISTS', ARGV[1] .. 'lease:' .. id)}
  end
end
return out
"""
POOL_SIZE = 32           # Redis connections per worker (one of them held by the supervisor views' subscription)
JOIN_WAIT_SECONDS = 3.0   # how long a second connection waits for a call's lease before it is refused


def unavailable(url: str, exc: Exception) -> LiveUnavailable:
    host = url.split("@")[-1]   # never the password
    return LiveUnavailable(f"live calls are kept in Redis ({host}), which cannot be reached: {exc}")


class RedisHub(Hub):
    """Live calls in Redis, shared by every worker that names the same server and prefix."""

    backend = "redis"

    def __init__(self, settings: LiveSettings | None = None) -> None:
        super().__init__(settings)
        self.prefix = self.settings.redis_prefix
        self.channel = self.prefix + "updates"
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._listener: asyncio.Task[None] | None = None
        self._dirty: dict[int, Entry] = {}          # calls changed since the last write, by entry
        self._writer: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()

    # --- Redis, made on first use inside the server's event loop ------------------------------------------------

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            # A bounded pool that makes a burst of messages wait for a connection instead of failing (the
            # default pool raises past 100 connections in use, which a thousand busy calls reach).
            pool = aioredis.BlockingConnectionPool.from_url(self.settings.redis_url, decode_responses=True,
                                                            max_connections=POOL_SIZE, timeout=20)
            self._client = aioredis.Redis.from_pool(pool)   # owns the pool: aclose closes it
            self._scripts = {name: self._client.register_script(lua) for name, lua in
                             (("open", OPEN), ("join", JOIN), ("save", SAVE), ("leave", LEAVE), ("feed", FEED))}
        return self._client

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        self._redis()
        try:
            return await self._scripts[script](keys=keys, args=args)
        except RedisError as exc:
            raise unavailable(self.settings.redis_url, exc) from None

    def _keys(self, call_id: str, owner: int) -> list[str]:
        p = self.prefix
        return [f"{p}call:{call_id}", f"{p}lease:{call_id}", f"{p}calls", f"{p}owner:{owner}"]

    def _ttl_ms(self, entry: Entry, connected: bool) -> int:
        """The memory hub's expiry rules as one time to live, renewed on every message."""
        s = self.settings
        ttl = s.idle_seconds
        if entry.call.ended:
            ttl = min(ttl, s.ended_keep_seconds)
        if not connected:
            ttl = min(ttl, s.keep_seconds)
        return max(1, int(ttl * 1000))

    @staticmethod
    def _fields(entry: Entry, snapshot: dict[str, Any] | None = None) -> list[str]:
        return ["state", json.dumps(entry.call.to_dict(), separators=(",", ":")),
                "snapshot", json.dumps(snapshot or entry.call.snapshot(), separators=(",", ":")),
                "owner", str(entry.owner), "service", "1" if entry.service else "0",
                "agent_id", entry.agent_id or "", "team", entry.team or "", "fixed", "1" if entry.fixed else "0",
                "customer_id", entry.customer_id or ""]

    def _entry(self, fields: dict[str, str], connected: bool) -> Entry:
        call = LiveCall.from_dict(json.loads(fields["state"]), self.settings)
        return Entry(call, int(fields["owner"]), fields["service"] == "1", agent_id=fields["agent_id"] or None,
                     team=fields["team"] or None, fixed=fields["fixed"] == "1",
                     customer_id=fields["customer_id"] or None, connections=int(connected))

    # --- the hub's interface ---------------------------------------------------------------------------------

    async def get(self, call_id: str) -> Entry | None:
        try:
            async with self._redis().pipeline(transaction=False) as pipe:
                pipe.hgetall(f"{self.prefix}call:{call_id}")
                pipe.exists(f"{self.prefix}lease:{call_id}")
                fields, leased = await pipe.execute()
        except RedisError as exc:
            raise unavailable(self.settings.redis_url, exc) from None
        return self._entry(fields, bool(leased)) if fields else None

    async def open(self, call_id: str, *, owner: int, service: bool, agent_id: str | None = None,
                   team: str | None = None) -> Entry:
        s = self.settings
        entry = Entry(LiveCall(call_id, s), owner, service, agent_id=agent_id, team=team, fixed=not service)
        name = "max_calls_per_service" if service else "max_calls_per_user"
        keys = self._keys(call_id, owner)
        status, count = await self._run("open", [keys[0], keys[2], keys[3]],
                                        [call_id, self._ttl_ms(entry, False), s.max_calls, getattr(s, name),
                                         int(s.idle_seconds * 1000), *self._fields(entry)])
        if status == "exists":
            raise LiveExists(call_id)
        if status == "max_calls":
            raise LiveLimit(limit_message("the server holds", int(count), "max_calls"))
        if status == "mine":
            raise LiveLimit(limit_message("you have", int(count), name))
        return entry

    async def join(self, entry: Entry) -> Entry:
        """Take the call's lease (waiting up to a few seconds for another connection to let go) and its latest
        state; raises LiveBusy if another connection keeps streaming it."""
        token = uuid.uuid4().hex
        call_id = entry.call.call_id
        deadline = time.monotonic() + min(JOIN_WAIT_SECONDS, self.settings.lease_seconds)
        while True:
            found = await self._run("join", self._keys(call_id, entry.owner),
                                    [token, int(self.settings.lease_seconds * 1000), self._ttl_ms(entry, True),
                                     call_id, int(self.settings.idle_seconds * 1000)])
            if found == ["gone"]:
                raise LiveBusy("the call expired while connecting: connect again to start it afresh")
            if found != ["busy"]:
                break
            if time.monotonic() >= deadline:
                raise LiveBusy(f"another connection is streaming this call; close it first, or wait for its hold "
                               f"to lapse (live.lease_seconds, {self.settings.lease_seconds:g} s after its last "
                               "message)")
            await asyncio.sleep(0.05)
        fresh = self._entry(dict(zip(found[::2], found[1::2], strict=True)), True)
        fresh.lease = token
        with contextlib.suppress(RedisError):   # only the views' "connected" waits for the next message
            await self._redis().publish(self.channel, json.dumps(fresh.row()))
        return fresh

    async def save(self, entry: Entry) -> bool:
        """Record the call's change: written to Redis (with its row published) at once when `redis_write_ms` is
        0, else with every other changed call at the next write, a few ms later. False if the call expired;
        LiveBusy if another connection took it over (both found by an earlier write when writes are batched)."""
        if entry.taken:
            raise LiveBusy("another connection took this call over after this one was silent "
                           f"(live.lease_seconds, {self.settings.lease_seconds:g} s)")
        if entry.expired:
            return False
        if self.settings.redis_write_ms == 0:
            await self._write([entry])
            if entry.taken:
                return await self.save(entry)
            return not entry.expired
        self._dirty[id(entry)] = entry
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_often())
        return True

    def _save_args(self, entry: Entry) -> tuple[list[str], list[Any]]:
        call_id = entry.call.call_id
        row = entry.row(True)
        snapshot = {k: v for k, v in row.items() if k not in ("agent_id", "team", "customer_id", "connected")}
        return self._keys(call_id, entry.owner), [
            entry.lease or "", int(self.settings.lease_seconds * 1000), self._ttl_ms(entry, True), call_id,
            int(self.settings.idle_seconds * 1000), self.channel, json.dumps(row, separators=(",", ":")),
            *self._fields(entry, snapshot)]

    async def _write(self, entries: list[Entry], leaving: Entry | None = None) -> None:
        """Write these calls (and let `leaving` go) in one round trip; mark each call expired or taken over."""
        commands: list[tuple[str, list[str], list[Any]]] = [("save", *self._save_args(entry)) for entry in entries]
        if leaving is not None and leaving.lease is not None:
            call_id = leaving.call.call_id
            commands.append(("leave", self._keys(call_id, leaving.owner), [
                leaving.lease, self._ttl_ms(leaving, False), call_id, self.channel, json.dumps(leaving.row(False))]))
        async with self._write_lock:   # one write at a time, so an older state never lands after a newer one
            try:
                done = await self._pipelined(commands)
            except RedisError as exc:
                raise unavailable(self.settings.redis_url, exc) from None
        for entry, status in zip(entries, done, strict=False):
            entry.taken |= status == 0
            entry.expired |= status == -1

    async def _pipelined(self, commands: list[tuple[str, list[str], list[Any]]]) -> list[Any]:
        """Run these scripts in one round trip, by their hashes (EVALSHA). A pipeline of registered scripts would
        first ask Redis whether they are loaded (SCRIPT EXISTS: one more round trip on every write, 4% of a
        worker's event loop at 1,000 live calls); instead they are loaded when Redis says it lacks them (the
        first write, or after Redis restarted) and the write is sent again. The scripts only set state, so a
        write sent twice lands as once."""
        client = self._redis()

        async def send() -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                for name, keys, args in commands:
                    pipe.evalsha(self._scripts[name].sha, len(keys), *keys, *args)
                return list(await pipe.execute())

        try:
            return await send()
        except NoScriptError:
            for script in self._scripts.values():
                await client.script_load(script.script)
            return await send()

    async def _write_often(self) -> None:
        """Every `redis_write_ms`, write the calls that changed since the last write."""
        while self._dirty:
            await asyncio.sleep(self.settings.redis_write_ms / 1000)
            await self.flush()

    async def flush(self) -> None:
        """Write every changed call now."""
        entries, self._dirty = list(self._dirty.values()), {}
        if not entries:
            return
        try:
            await self._write(entries)
        except LiveUnavailable as exc:   # keep them for the next write, unless a newer change replaced them
            log.warning("%s; retrying", exc)
            for entry in entries:
                self._dirty.setdefault(id(entry), entry)
            await asyncio.sleep(0.5)

    async def leave(self, entry: Entry) -> None:
        """Write the call's last change, then let it go: another worker that takes it over sees that state."""
        self._dirty.pop(id(entry), None)
        if entry.lease is None:
            return
        with contextlib.suppress(LiveUnavailable):   # the lease lapses by itself
            await self._write([] if entry.taken or entry.expired else [entry], leaving=entry)
        entry.lease = None

    async def feed(self, *, agent_id: str | None = None, team: str | None = None, everything: bool = False,
                   limit: int = 50, offset: int = 0) -> dict[str, Any]:
        rows = []
        for snapshot, agent, team_of, customer, leased in await self._run("feed", [f"{self.prefix}calls"],
                                                                          [self.prefix]):
            row = {**json.loads(snapshot), "agent_id": agent or None, "team": team_of or None,
                   "customer_id": customer or None, "connected": bool(leased)}
            if visible(row, agent_id, team, everything):
                rows.append(row)
        return page(rows, limit, offset)

    async def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of every changed call's row, from any worker (one Redis subscription per process)."""
        if self._listener is None or self._listener.done():
            ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(ready))
            try:
                await asyncio.wait_for(ready.wait(), 10)
            except TimeoutError:
                raise unavailable(self.settings.redis_url, TimeoutError("no subscription in 10 s")) from None
        return self.watchers.add()

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                ready.set()
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self.watchers.send(json.loads(message["data"]))
            except RedisError as exc:   # Redis restarted: views miss updates until it is back, then resume
                log.warning("live updates from Redis interrupted (%s); retrying in 1 s", exc)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(RedisError):
                    await pubsub.aclose()

    async def close(self) -> None:
        with contextlib.suppress(LiveUnavailable):
            await self.flush()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._client is not None:
            await self._client.aclose()
            self._client = None
