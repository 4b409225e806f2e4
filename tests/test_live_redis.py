"""Live assist across several server processes: calls kept in the real Redis at 127.0.0.1:6379 (never skipped: a
missing Redis is a failure; `make redis` starts one). Each test uses its own key prefix, so tests running at
once never share a call. Covers: a LiveCall restored from its plain-dict state continues exactly as the
original; two `heard serve` processes on two ports over one store resume each other's calls, give a supervisor
on either every call and its live updates, and hold the limits together; one streamer per call (a lease);
expiry by TTL; `heard serve --workers 2` on one port; and the refusal of several workers with the memory hub."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from heard.auth.accounts import add_user, create_token
from heard.ingest import read_path
from heard.live import redis_hub
from heard.live.backends import make_hub
from heard.live.client import endpoint
from heard.live.engine import LiveCall, LiveSettings, Utterance
from heard.live.hub import Entry, LiveBusy, LiveLimit, LiveUnavailable
from heard.live.redis_hub import RedisHub
from heard.model import Call
from heard.samples import CALLS_DIR
from heard.store import Store

REDIS_URL = os.environ.get("HEARD_TEST_REDIS", "redis://127.0.0.1:6379/0")
HEARD = Path(sys.executable).with_name("heard")
WORRIED = "I've been charged twice for my bill and my rent is due on Friday, I'm really worried."
ACKNOWLEDGE = "That sounds really stressful, with rent due on Friday."
FIX = "I've refunded it and you'll see it within two working days."


def sample(name: str = "dc-02") -> Call:
    calls = read_path(CALLS_DIR / f"{name}.json")
    return calls[0]


def pieces(call: Call) -> list[Utterance]:
    """The utterances heard.live.client.replay sends for a call: a long turn's first half as a partial, then
    each turn final."""
    out = []
    for turn in call.turns:
        words = turn.text.split()
        if len(words) >= 8:
            out.append(Utterance(speaker=turn.speaker.value, text=" ".join(words[: len(words) // 2]),  # type: ignore[arg-type]
                                 start=turn.start, end=None, final=False))
        out.append(Utterance(speaker=turn.speaker.value, text=turn.text, start=turn.start,  # type: ignore[arg-type]
                             end=turn.end, final=True))
    return out


def rounded(value: Any) -> Any:
    """Events with every float rounded to 6 places, so JSON's round trip and Python's compare equal."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items() if k != "reply_to"}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


# --- the engine's state as plain data ------------------------------------------------------------------------

@pytest.mark.parametrize("split", [1, 5, 11])
def test_live_redis_restored_call_continues_exactly(split: int) -> None:
    utterances = pieces(sample())
    original = LiveCall("dc-02")
    for u in utterances[:split]:
        original.handle(u)
    data = json.loads(json.dumps(original.to_dict()))             # through JSON, as Redis keeps it
    restored = LiveCall.from_dict(data)
    assert restored.to_dict() == original.to_dict() and restored.snapshot() == original.snapshot()
    for u in utterances[split:]:
        assert rounded(restored.handle(u)) == rounded(original.handle(u))
    assert restored.to_dict() == original.to_dict()


@pytest.mark.parametrize(("data", "error"), [
    ({"v": 2}, "version 2 is not 1"),
    ({"v": 1, "call_id": "x"}, "'turns' is missing"),
])
def test_live_redis_bad_state_is_named(data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        LiveCall.from_dict(data)


@pytest.mark.parametrize(("key", "value", "error"), [
    ("backend", "memcached", "backend"),
    ("redis_url", "http://127.0.0.1:6379", "not a Redis URL"),
])
def test_live_redis_settings_are_validated(key: str, value: str, error: str) -> None:
    from heard.config import load_settings
    from heard.errors import ConfigError

    with pytest.raises(ConfigError, match=error):
        load_settings(overrides=[f"live.{key}={value}"])


def test_live_redis_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from heard.config import load_settings

    monkeypatch.setenv("HEARD_REDIS_URL", "redis://10.0.0.7:6380/2")
    assert load_settings(overrides=["live.backend=redis"]).live.redis_url == "redis://10.0.0.7:6380/2"


def test_live_redis_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from heard.errors import ConfigError

    monkeypatch.setitem(sys.modules, "heard.live.redis_hub", None)    # as if redis were not installed
    with pytest.raises(ConfigError) as info:
        make_hub(LiveSettings(backend="redis"))
    assert "pip install 'heard[redis]'" in str(info.value.hint)


# --- the Redis hub in this process ------------------------------------------------------------------------------

@contextmanager
def own_prefix() -> Iterator[str]:
    """A key prefix nobody else uses; its keys are deleted afterwards."""
    import redis

    name = f"heard:test:{uuid.uuid4().hex[:10]}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}). Run `make redis` (scripts/ensure-redis.sh) or "
                    "set HEARD_TEST_REDIS.", pytrace=False)
    try:
        yield name
    finally:
        wipe(name)
        client.close()


def wipe(prefix: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def prefix() -> Iterator[str]:
    with own_prefix() as name:
        yield name


@asynccontextmanager
async def redis_hub_of(prefix: str, **settings: Any) -> AsyncIterator[RedisHub]:
    hub = RedisHub(LiveSettings(backend="redis", redis_url=REDIS_URL, redis_prefix=prefix, **settings))
    try:
        yield hub
    finally:
        await hub.close()


async def worried_call(hub: RedisHub, call_id: str, **fields: Any) -> tuple[Entry, bool]:
    """A call opened and joined on `hub` (as agent "a", owner 1), one worried customer turn handled and saved: the
    entry, and what the save returned."""
    entry = await hub.join(await hub.open(call_id, owner=1, service=False, agent_id="a", **fields))
    entry.call.handle(Utterance(speaker="customer", text=WORRIED, start=0, end=5))
    return entry, await hub.save(entry)


WRITES = pytest.mark.parametrize("write_ms", [0, 20], ids=["each-message", "batched"])


@WRITES
def test_live_redis_expiry_follows_the_memory_rules(prefix: str, write_ms: float) -> None:
    async def body() -> None:
        async with redis_hub_of(prefix, keep_seconds=0.3, ended_keep_seconds=0.3, idle_seconds=0.6,
                                redis_write_ms=write_ms) as hub:
            kept = await hub.join(await hub.open("kept", owner=1, service=False, agent_id="a"))
            gone = await hub.join(await hub.open("gone", owner=1, service=False, agent_id="a"))
            ended = await hub.join(await hub.open("ended", owner=1, service=False, agent_id="a"))
            ended.call.ended = True
            assert await hub.save(ended)
            await hub.flush()
            await hub.leave(gone)                                       # disconnected: kept 0.3 s
            assert (await hub.feed(everything=True))["total"] == 3
            await asyncio.sleep(0.45)
            assert await hub.save(kept)                                 # still connected and talking: kept
            await hub.flush()
            feed = await hub.feed(everything=True)
            assert [c["call_id"] for c in feed["calls"]] == ["kept"] and feed["total"] == 1
            assert await hub.get("gone") is None and await hub.get("ended") is None
            await asyncio.sleep(0.75)                                   # connected but silent past idle_seconds
            await hub.save(kept)
            await hub.flush()
            assert kept.expired and await hub.save(kept) is False

    asyncio.run(body())


def test_live_redis_limits_are_atomic(prefix: str) -> None:
    async def body() -> None:
        async with redis_hub_of(prefix, max_calls_per_user=3, max_calls=5) as a, \
                redis_hub_of(prefix, max_calls_per_user=3, max_calls=5) as b:
            tries = [(a if i % 2 else b).open(f"u{i}", owner=7, service=False, agent_id="a") for i in range(6)]
            results = await asyncio.gather(*tries, return_exceptions=True)
            assert sum(not isinstance(r, Exception) for r in results) == 3
            assert all("max_calls_per_user" in str(r) for r in results if isinstance(r, LiveLimit))
            await b.open("v1", owner=8, service=False)
            await a.open("v2", owner=8, service=False)
            with pytest.raises(LiveLimit, match=r"\(live\.max_calls\)"):          # 5 calls in all, across both
                await b.open("v3", owner=9, service=False)

    asyncio.run(body())


@WRITES
def test_live_redis_one_streamer_per_call(prefix: str, monkeypatch: pytest.MonkeyPatch, write_ms: float) -> None:
    monkeypatch.setattr(redis_hub, "JOIN_WAIT_SECONDS", 0.2)

    async def body() -> None:
        async with redis_hub_of(prefix, lease_seconds=0.5, redis_write_ms=write_ms) as a, \
                redis_hub_of(prefix, lease_seconds=0.5, redis_write_ms=write_ms) as b:
            first = await a.join(await a.open("c", owner=1, service=False, agent_id="a"))
            first.call.handle(Utterance(speaker="customer", text=WORRIED, start=0, end=5))
            assert await a.save(first)
            await a.flush()
            seen = await b.get("c")
            assert seen is not None
            with pytest.raises(LiveBusy, match="another connection is streaming"):
                await b.join(seen)
            await asyncio.sleep(0.6)                                    # the first went silent: its hold lapsed
            second = await b.join(seen)
            assert second.call.turns == 1                               # the state the first wrote, not b's read
            second.call.handle(Utterance(speaker="agent", text=ACKNOWLEDGE, start=5.5, end=9))
            assert await b.save(second)
            await b.flush()
            first.call.handle(Utterance(speaker="agent", text=FIX, start=5.5, end=9))
            with pytest.raises(LiveBusy, match="took this call over"):   # the first may not overwrite it
                await a.save(first)
                await a.flush()
                await a.save(first)
            now = await a.get("c")
            assert now is not None and now.call.to_dict() == second.call.to_dict()

    asyncio.run(body())


def test_live_redis_leaving_writes_the_last_change_first(prefix: str) -> None:
    async def body() -> None:
        async with redis_hub_of(prefix, redis_write_ms=1000) as a, redis_hub_of(prefix) as b:
            entry, saved = await worried_call(a, "w")
            assert saved
            seen = await b.get("w")
            assert seen is not None and seen.call.turns == 0            # not written yet: batched for a second
            await a.leave(entry)
            seen = await b.get("w")
            assert seen is not None and seen.call.to_dict() == entry.call.to_dict() and seen.connections == 0

    asyncio.run(body())


def test_live_redis_writes_survive_redis_forgetting_its_scripts(prefix: str) -> None:
    """Writes go by script hash; after Redis lost its scripts (a restart, SCRIPT FLUSH) they are loaded again."""
    import redis

    async def body() -> None:
        async with redis_hub_of(prefix, redis_write_ms=0) as a, redis_hub_of(prefix) as b:
            entry, saved = await worried_call(a, "s")
            assert saved
            with redis.Redis.from_url(REDIS_URL) as plain:
                plain.script_flush()
            entry.call.handle(Utterance(speaker="agent", text="I'm sorry, let me sort that out.", start=5, end=8))
            assert await a.save(entry)
            seen = await b.get("s")
            assert seen is not None and seen.call.turns == 2 and seen.call.to_dict() == entry.call.to_dict()

    asyncio.run(body())


@WRITES
def test_live_redis_updates_reach_every_process(prefix: str, write_ms: float) -> None:
    async def body() -> None:
        async with redis_hub_of(prefix, redis_write_ms=write_ms) as a, redis_hub_of(prefix) as b:
            updates = await b.subscribe()
            await worried_call(a, "pub", team="north")
            rows = [await asyncio.wait_for(updates.get(), 5) for _ in range(2)]
            assert [(r["call_id"], r["turns"], r["connected"]) for r in rows] == [("pub", 0, True), ("pub", 1, True)]
            assert rows[1]["team"] == "north" and rows[1]["opportunities"]["pending"] == 1
            await b.unsubscribe(updates)

    asyncio.run(body())


def test_live_redis_unreachable_is_named() -> None:
    async def body() -> None:
        port = free_port()                                              # nothing listens there
        hub = RedisHub(LiveSettings(backend="redis", redis_url=f"redis://127.0.0.1:{port}/0"))
        try:
            with pytest.raises(LiveUnavailable, match=f"127.0.0.1:{port}/0.*cannot be reached"):
                await hub.get("c")
            with pytest.raises(LiveUnavailable, match="cannot be reached"):
                await hub.open("c", owner=1, service=False)
        finally:
            await hub.close()

    asyncio.run(body())


# --- two real server processes ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, *options: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(HEARD), "--db", url, *options, "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"heard serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("heard serve did not start in 60 s")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], dict[str, str], str]]:
    """Two `heard serve` processes on two ports, one SQLite store, one Redis prefix; tokens by user name."""
    with own_prefix() as prefix:
        yield from _servers(prefix, tmp_path_factory.mktemp("redis-live"))


@pytest.fixture
def pair(servers: tuple[list[str], dict[str, str], str]) -> tuple[list[str], dict[str, str]]:
    """The two servers, with no live call in Redis (the servers keep none of their own between connections)."""
    bases, tokens, prefix = servers
    wipe(prefix)
    return bases, tokens


def _servers(prefix: str, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str], str]]:
    url = f"sqlite:///{tmp_path / 'heard.db'}"
    tokens = {}
    with Store.open(url) as store:
        for name, role, team in (("agent1", "agent", "north"), ("agent2", "agent", "north"), ("lead1", "lead", "north"),
                                 ("lead2", "lead", "south"), ("qa1", "qa", None), ("admin1", "admin", None)):
            user = add_user(store, name, "long-password", role, agent_id=name if role == "agent" else None, team=team)
            tokens[name] = create_token(store, user, "test", scope="live" if role == "admin" else "full")
    options = ["--set", "live.backend=redis", "--set", f"live.redis_url={REDIS_URL}",
               "--set", f"live.redis_prefix='{prefix}'", "--set", "live.max_calls_per_user=3"]
    ports = [free_port(), free_port()]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            procs.append(start_server(url, port, *options))
        yield [f"ws://127.0.0.1:{port}" for port in ports], tokens, prefix
    finally:
        stop(procs)


async def connect(base: str, call_id: str, token: str) -> tuple[Any, dict[str, Any]]:
    import websockets

    ws = await websockets.connect(endpoint(base, call_id, token))
    return ws, json.loads(await ws.recv())


async def send(ws: Any, utterances: list[Utterance], first_id: int) -> list[list[dict[str, Any]]]:
    """Each utterance's events (up to its ack), as the server sent them."""
    answers = []
    for i, u in enumerate(utterances, start=first_id):
        await ws.send(json.dumps({**u.model_dump(), "id": i}))
        events = []
        while (event := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "ack":
            events.append(event)
        answers.append(events)
    return answers


def test_live_redis_call_resumes_on_another_worker(pair: tuple[list[str], dict[str, str]]) -> None:
    (a, b), tokens = pair
    utterances = pieces(sample())
    half = len(utterances) // 2
    local = LiveCall("moved")                                   # what one process gives for the whole call
    expected = [rounded(local.handle(u)) for u in utterances[:half]]
    state_at_the_move = local.snapshot()
    expected += [rounded(local.handle(u)) for u in utterances[half:]]

    async def body() -> None:
        ws, hello = await connect(a, "moved", tokens["agent1"])
        assert hello["type"] == "hello"
        got = await send(ws, utterances[:half], 1)
        await ws.close()
        ws, hello = await connect(b, "moved", tokens["agent1"])
        assert hello["type"] == "resumed" and hello["state"] == state_at_the_move
        got += await send(ws, utterances[half:], half + 1)
        await ws.close()
        assert [rounded(events) for events in got] == expected

    asyncio.run(body())


def test_live_redis_supervisor_sees_every_worker(pair: tuple[list[str], dict[str, str]]) -> None:
    import httpx
    import websockets

    (a, b), tokens = pair

    async def stream(base: str, call_id: str, who: str, *texts: tuple[str, str]) -> Any:
        ws, hello = await connect(base, call_id, tokens[who])
        assert hello["type"] == "hello"
        for i, (speaker, text) in enumerate(texts, start=1):
            await ws.send(json.dumps({"type": "utterance", "id": i, "speaker": speaker, "text": text,
                                      "start": 4.0 * i, "end": 4.0 * i + 3}))
            while json.loads(await ws.recv())["type"] != "ack":
                pass
        return ws

    async def body() -> None:
        watch = await websockets.connect(f"{b}/api/live/watch?token={tokens['lead1']}")
        first = json.loads(await watch.recv())
        assert first["type"] == "feed" and first["total"] == 0
        on_a = await stream(a, "on-a", "agent1", ("customer", WORRIED), ("agent", FIX), ("agent", FIX))
        on_b = await stream(b, "on-b", "agent2", ("customer", WORRIED), ("agent", ACKNOWLEDGE))
        south = await stream(a, "south", "admin1")                      # a service stream, no team yet
        updates = []
        latest: dict[str, int] = {}     # changes close together may arrive as one row: wait for the last ones
        while latest.get("on-a") != 3 or latest.get("on-b") != 2:
            event = json.loads(await asyncio.wait_for(watch.recv(), 10))
            assert event["type"] == "update"
            updates.append(event)
            latest[event["call"]["call_id"]] = event["call"]["turns"]
        assert {u["call"]["call_id"] for u in updates} <= {"on-a", "on-b"}      # lead1 sees north only
        last_a = [u["call"] for u in updates if u["call"]["call_id"] == "on-a"][-1]
        assert last_a["turns"] == 3 and last_a["needs_attention"] is True and last_a["connected"] is True
        http = b.replace("ws://", "http://")
        async with httpx.AsyncClient() as client:
            def get(who: str) -> Any:
                return client.get(f"{http}/api/live/calls", headers={"Authorization": f"Bearer {tokens[who]}"})
            qa = (await get("qa1")).json()
            assert qa["total"] == 3 and qa["needs_attention"] == 1
            assert [c["call_id"] for c in qa["calls"]] == ["on-a", "on-b", "south"]   # needing attention first
            assert [(c["turns"], c["agent_id"], c["team"]) for c in qa["calls"]] == \
                [(3, "agent1", "north"), (2, "agent2", "north"), (0, None, None)]
            assert (await get("lead1")).json()["total"] == 2
            assert (await get("lead2")).json()["total"] == 0
            assert [c["call_id"] for c in (await get("agent2")).json()["calls"]] == ["on-b"]
        for ws in (on_a, on_b, south, watch):
            await ws.close()

    asyncio.run(body())


def test_live_redis_limits_and_one_streamer_across_workers(pair: tuple[list[str], dict[str, str]]) -> None:
    import websockets

    (a, b), tokens = pair

    async def body() -> None:
        where = [(a if i % 2 else b, f"lim-{i}") for i in range(5)]
        answers = await asyncio.gather(*(connect(base, call_id, tokens["agent1"]) for base, call_id in where))
        opened = [(ws, place) for (ws, hello), place in zip(answers, where, strict=True) if hello["type"] == "hello"]
        refused = [hello["message"] for _, hello in answers if hello["type"] != "hello"]
        assert len(opened) == 3 and len(refused) == 2                   # live.max_calls_per_user = 3, in all
        assert all("max_calls_per_user" in m for m in refused)
        held, (base, call_id) = opened[0]
        other = b if base == a else a
        ws, hello = await connect(other, call_id, tokens["agent1"])      # the same call while it streams
        assert hello["type"] == "error" and "another connection is streaming" in hello["message"]
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4409
        await held.close()
        ws, hello = await connect(other, call_id, tokens["agent1"])      # let go: the other worker resumes it
        assert hello["type"] == "resumed"
        await ws.close()
        for ws, _ in answers:
            await ws.close()

    asyncio.run(body())


# --- heard serve --workers ---------------------------------------------------------------------------------------

def test_live_redis_workers_need_a_shared_hub(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from heard.cli import app

    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'h.db'}", "serve", "--workers", "2"])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "live.backend" in text and "redis" in text


def _accept_one(listener: socket.socket, report: Any) -> None:
    """In a spawned process, as a uvicorn worker: serve on the inherited listener and report whether asyncio
    turned Nagle's algorithm off on the first connection it accepts."""
    async def main() -> None:
        accepted = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: Any) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        report.send("ready")
        report.send(await asyncio.wait_for(accepted, 30))
        server.close()

    asyncio.run(main())


def test_live_redis_workers_send_small_frames_at_once() -> None:
    """The workers' shared socket is marked TCP, so each worker's connections get TCP_NODELAY as one process's do.
    Without it an event and its ack, two small frames, waited ~40 ms for the client's delayed ACK (uvicorn issue
    #3149; benchmarks/live_load.py --calls 50 --workers 2 had a p95 of 44 ms)."""
    import multiprocessing

    import uvicorn

    from heard.web.app import tcp_listener

    listener = tcp_listener(uvicorn.Config("heard.web.app:app_from_environment", host="127.0.0.1", port=0))
    assert listener.proto == socket.IPPROTO_TCP and listener.family == socket.AF_INET
    context = multiprocessing.get_context("spawn")   # how uvicorn starts its workers and hands them the socket
    parent, child = context.Pipe()
    worker = context.Process(target=_accept_one, args=(listener, child))
    worker.start()
    try:
        assert parent.poll(60) and parent.recv() == "ready"
        with socket.create_connection(listener.getsockname()[:2], timeout=10):
            assert parent.poll(30)
            assert parent.recv() == 1
    finally:
        worker.join(30)
        listener.close()


def test_live_redis_serve_with_two_workers_on_one_port(prefix: str, tmp_path: Path) -> None:
    """Every request may land on either worker: a session cookie and a call must work on both."""
    import httpx

    url = f"sqlite:///{tmp_path / 'heard.db'}"
    with Store.open(url) as store:
        add_user(store, "agent1", "long-password", "agent", agent_id="agent1", team="north")
        token = create_token(store, add_user(store, "agent9", "long-password", "agent", agent_id="agent9"), "t")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HEARD_SECRET"}   # the workers must agree on one anyway
    proc = subprocess.Popen([str(HEARD), "--db", url, "--set", "live.backend=redis",
                             "--set", f"live.redis_url={REDIS_URL}", "--set", f"live.redis_prefix='{prefix}'",
                             "--set", f"web.throttle_storage={REDIS_URL.rsplit('/', 1)[0]}",
                             "serve", "--port", str(port), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            assert client.post("/api/session", json={"username": "agent1", "password": "long-password"}).status_code \
                == 200
            for _ in range(12):        # with a secret per worker about half of these would be refused
                assert client.get("/api/me").status_code == 200
        call = [Utterance(speaker="customer", text=WORRIED, start=0, end=5)]

        async def calls() -> None:
            ws_base = base.replace("http://", "ws://")
            for _ in range(4):        # each connection lands on either worker: the call resumes on both
                ws, hello = await connect(ws_base, "either", token)
                assert hello["type"] in ("hello", "resumed")
                await send(ws, call, 1)
                await ws.close()
            ws, hello = await connect(ws_base, "either", token)
            assert hello["state"]["turns"] == 4
            await ws.close()

        asyncio.run(calls())
        assert proc.poll() is None
    finally:
        stop([proc])
