"""Live assist under load: N concurrent calls streamed faster than real time through `heard serve`.

    python benchmarks/live_load.py                       # 200 concurrent calls at 10x real time
    python benchmarks/live_load.py --calls 50 --speed 20
    python benchmarks/live_load.py --calls 1000 --workers 2   # 2 workers sharing calls in Redis, and the
                                                              # 1-worker memory baseline in the same run

Starts `heard serve` (one uvicorn process, or `--workers N` on one port with live calls in the Redis at
--redis-url, under a key prefix of its own that is deleted afterwards) on a fresh SQLite store, then replays N
generated calls at once through the WebSocket API from this process (asyncio, one connection per call). For every
utterance it measures the time from sending it to receiving its last event (the server's "ack"),
and it reads the server's own per-utterance analysis time from that ack. Reports p50/p95/p99 of
both, utterances whose events never came back (lost), and the CPU used by the server and by the
clients (and by Redis, when it runs on this machine). Targets (2-core machine): p99 round trip <= 50 ms
at 200 concurrent calls (and at 1,000 with two workers), per-utterance analysis p99 <= 5 ms, 0 lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psutil

from heard.auth.accounts import add_user, create_token
from heard.live.client import Replay, replay
from heard.runtime import settle_gc
from heard.samples.generate import generate
from heard.store import Store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def worst_second(sent: list[Any]) -> str:
    """The second of the run (by when utterances went out) with the highest p99 round trip: the connecting burst,
    a collector pause or a busy Redis show here rather than in the whole run's figures."""
    by_second: dict[int, list[float]] = {}
    began = min((s.sent_at for s in sent if s.sent_at is not None), default=0.0)
    for s in sent:
        if s.latency_ms is not None and s.sent_at is not None:
            by_second.setdefault(int(s.sent_at - began), []).append(s.latency_ms)
    if not by_second:
        return "none"
    second, values = max(by_second.items(), key=lambda item: percentile(item[1], 0.99))
    return f"p99 {percentile(values, 0.99):.2f} ms over {len(values)} utterances sent {second}-{second + 1} s in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _staggered(base: str, call: Any, speed: float, token: str, delay: float) -> Replay:
    await asyncio.sleep(delay)
    return await replay(base, call, speed=speed, token=token, timeout=60)


async def warm_up(base: str, token: str, seed: int, warmups: int) -> None:
    """Warm the server up (lexicon, VADER) before measuring; with several workers, each connection lands on any
    of them, so a few calls at once reach each one."""
    warmup = next(iter(generate(1, seed=seed + 1)))
    await asyncio.gather(*(replay(base, warmup.model_copy(update={"id": f"warm-up-{i}"}), speed=1000, token=token)
                           for i in range(warmups)))


async def run_clients(base: str, token: str, calls: int, speed: float, seed: int,
                      stagger: float, part: int = 0, parts: int = 1) -> tuple[list[Replay], float]:
    """Replay the generated calls (every `parts`-th from `part`, when the clients run in several processes)."""
    rng = random.Random(seed)
    # Calls in a contact center start at different moments: each begins within the first `stagger`
    # call-seconds, so all N are live at once for most of the run.
    starts = [(call, rng.uniform(0, stagger) / speed) for call in generate(calls, seed=seed)][part::parts]
    began = time.perf_counter()
    results = await asyncio.gather(*(_staggered(base, call, speed, token, delay) for call, delay in starts),
                                   return_exceptions=True)
    wall = time.perf_counter() - began
    replays = [r for r in results if isinstance(r, Replay)]
    failed = [r for r in results if not isinstance(r, Replay)]
    if failed:
        print(f"{len(failed)} client(s) failed: {failed[0]!r}", file=sys.stderr)
    return replays, wall


def loop_factory(loop: str) -> Any:
    """The clients' event loop: Python's own ("asyncio"), or "uvloop", the one `heard serve` runs on."""
    if loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def client_process(base: str, token: str, calls: int, speed: float, seed: int, stagger: float, part: int,
                   parts: int, go: float, loop: str = "asyncio") -> tuple[list[Replay], float, float]:
    """One client process's share of the calls, started at the same moment (`go`, a time.time()) as the others;
    returns its replays, its wall time and its own CPU seconds."""
    settle_gc()   # the load generator's own collector pauses would count as the server's latency
    time.sleep(max(0.0, go - time.time()))
    cpu0 = time.process_time()
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        replays, wall = runner.run(run_clients(base, token, calls, speed, seed, stagger, part, parts))
    return replays, wall, time.process_time() - cpu0


def clients(args: argparse.Namespace, base: str, token: str) -> tuple[list[Replay], float, float]:
    """Every call replayed, from this process or from --client-procs processes; replays, wall time, client CPU."""
    if args.client_procs <= 1:
        return client_process(base, token, args.calls, args.speed, args.seed, args.stagger, 0, 1, time.time(),
                              args.client_loop)
    from concurrent.futures import ProcessPoolExecutor

    go = time.time() + 3.0   # time for every process to start and import
    with ProcessPoolExecutor(args.client_procs) as pool:
        parts = list(pool.map(client_process, *zip(*[(base, token, args.calls, args.speed, args.seed, args.stagger,
                                                      part, args.client_procs, go, args.client_loop)
                                                     for part in range(args.client_procs)], strict=True)))
    return [r for replays, _, _ in parts for r in replays], max(w for _, w, _ in parts), sum(c for _, _, c in parts)


ERRORS: list[str] = []   # the servers' error lines


def start(url: str, workers: int, backend: str, redis_url: str, prefix: str) -> tuple[subprocess.Popen[str], int]:
    """`heard serve` on a free port, once each of its workers has started."""
    port = free_port()
    heard = Path(sys.executable).with_name("heard")
    options = ["--set", f"live.backend={backend}"]
    if backend == "redis":
        options += ["--set", f"live.redis_url={redis_url}", "--set", f"live.redis_prefix='{prefix}'",
                    "--set", f"web.throttle_storage={redis_url.rsplit('/', 1)[0]}"]
    server = subprocess.Popen([str(heard), "--db", url, *options, "serve", "--port", str(port),
                               "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env={**os.environ})
    ready = threading.Semaphore(0)

    def watch() -> None:   # uvicorn says so once per worker; of the rest of its log only errors are kept
        assert server.stderr is not None
        for line in server.stderr:
            if "Application startup complete" in line:
                ready.release()
            elif "Error" in line or "Exception" in line:
                ERRORS.append(line.rstrip())

    threading.Thread(target=watch, daemon=True).start()
    for _ in range(workers):
        if not ready.acquire(timeout=300):
            stop(server)
            raise SystemExit(f"heard serve --workers {workers} did not start in 300 s")
    return server, port


def stop(server: subprocess.Popen[str]) -> None:
    """Stop the server and every worker it started (uvicorn's parent stops its workers on SIGTERM)."""
    workers = psutil.Process(server.pid).children(recursive=True)
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    for worker in workers:
        if worker.is_running():
            worker.kill()


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(args: argparse.Namespace, workers: int, backend: str) -> dict[str, Any]:
    """One run: a fresh store, a server, every call replayed; the figures."""
    folder = Path(tempfile.mkdtemp(prefix="heard-live-load-"))
    url = f"sqlite:///{folder / 'live.db'}"
    with Store.open(url) as store:
        token = create_token(store, add_user(store, "load", "load-password", "admin"), "load", scope="live")
    prefix = f"heard:bench:{uuid.uuid4().hex[:8]}:"
    server, port = start(url, workers, backend, args.redis_url, prefix)
    try:
        parent = psutil.Process(server.pid)
        servers = [parent, *parent.children(recursive=True)]
        redis_procs = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"] \
            if backend == "redis" else []
        base = f"ws://127.0.0.1:{port}"
        asyncio.run(warm_up(base, token, args.seed, 2 * workers))
        server_cpu0, redis_cpu0 = cpu_seconds(servers), cpu_seconds(redis_procs)
        replays, wall, client_seconds = clients(args, base, token)
        server_cpu = (cpu_seconds(servers) - server_cpu0) / wall
        client_cpu = client_seconds / wall
        redis_cpu = (cpu_seconds(redis_procs) - redis_cpu0) / wall
    finally:
        stop(server)
        if backend == "redis":
            import redis

            with redis.Redis.from_url(args.redis_url) as client:
                keys = list(client.scan_iter(match=prefix + "*"))
                if keys:
                    client.delete(*keys)

    sent = [s for r in replays for s in r.sent]
    latencies = [s.latency_ms for s in sent if s.latency_ms is not None]
    analysis = [s.analysis_ms for s in sent if s.analysis_ms is not None]
    lost = sum(r.lost for r in replays) + (args.calls - len(replays)) + sum(len(r.errors) for r in replays)
    call_seconds = sum(max((s.start or 0.0) for s in r.sent) for r in replays)
    events = sum(len(s.events) for s in sent)
    name = f"{workers} worker{'s' if workers > 1 else ''}, {backend}"
    if ERRORS:
        print(f"server errors ({len(ERRORS)} lines), first: {ERRORS[:3]}", file=sys.stderr)
        ERRORS.clear()
    print(f"[{name}] {len(replays)} concurrent calls, {len(sent)} utterances ({events} events back) in {wall:.1f} s "
          f"at {args.speed:g}x real time ({call_seconds / wall:.0f} call-seconds per second)")
    print(f"  round trip  p50 {percentile(latencies, 0.50):6.2f} ms  p95 {percentile(latencies, 0.95):6.2f} ms  "
          f"p99 {percentile(latencies, 0.99):6.2f} ms  max {max(latencies, default=float('nan')):6.2f} ms")
    print(f"  worst second: {worst_second(sent)}")
    print(f"  analysis    p50 {percentile(analysis, 0.50):6.3f} ms  p95 {percentile(analysis, 0.95):6.3f} ms  "
          f"p99 {percentile(analysis, 0.99):6.3f} ms  (server-side, per utterance)")
    print(f"  lost {lost}; CPU: server {100 * server_cpu:.0f}% of a core, clients {100 * client_cpu:.0f}% of a core"
          + (f", redis {100 * redis_cpu:.0f}% of a core" if backend == "redis" else ""))
    return {"workers": workers, "backend": backend, "client_procs": args.client_procs, "client_loop": args.client_loop,
            "calls": len(replays),
            "utterances": len(sent), "events": events,
            "speed": args.speed, "wall_s": round(wall, 2), "p50_ms": round(percentile(latencies, 0.5), 3),
            "p95_ms": round(percentile(latencies, 0.95), 3), "p99_ms": round(percentile(latencies, 0.99), 3),
            "analysis_p99_ms": round(percentile(analysis, 0.99), 3), "lost": lost,
            "server_cpu_cores": round(server_cpu, 3), "client_cpu_cores": round(client_cpu, 3),
            "redis_cpu_cores": round(redis_cpu, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--speed", type=float, default=10.0, help="times faster than real time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stagger", type=float, default=30.0, help="calls start within this many call-seconds")
    parser.add_argument("--client-procs", type=int, default=1,
                        help="client processes sharing the calls (one asyncio loop each)")
    parser.add_argument("--client-loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="the clients' event loop (uvloop: a lighter load generator)")
    parser.add_argument("--workers", type=int, default=1, help="server processes; more than one keeps live calls "
                        "in Redis")
    parser.add_argument("--redis-url", default=os.environ.get("HEARD_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-baseline", action="store_true", help="with --workers > 1, skip the one-worker "
                        "memory run that is otherwise measured first for comparison")
    args = parser.parse_args()

    runs = []
    if args.workers > 1 and not args.no_baseline:
        runs.append(measure(args, 1, "memory"))
    runs.append(measure(args, args.workers, "redis" if args.workers > 1 else "memory"))
    if len(runs) == 2:
        base, shared = runs
        print(f"ratio to the 1-worker memory baseline: p50 {shared['p50_ms'] / base['p50_ms']:.2f}x, "
              f"p99 {shared['p99_ms'] / base['p99_ms']:.2f}x, server CPU "
              f"{shared['server_cpu_cores'] / max(base['server_cpu_cores'], 1e-9):.2f}x")
    print(json.dumps({"runs": runs, "targets": {"p99_ms": 50, "analysis_p99_ms": 5, "lost": 0}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
