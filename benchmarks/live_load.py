"""Live assist under load: N concurrent calls streamed faster than real time through `heard serve`.

    python benchmarks/live_load.py                       # 200 concurrent calls at 10x real time
    python benchmarks/live_load.py --calls 50 --speed 20

Starts `heard serve` (one uvicorn process) on a fresh SQLite store, then replays N generated calls at
once through the WebSocket API from this process (asyncio, one connection per call). For every
utterance it measures the time from sending it to receiving its last event (the server's "ack"),
and it reads the server's own per-utterance analysis time from that ack. Reports p50/p95/p99 of
both, utterances whose events never came back (lost), and the CPU used by the server and by the
clients. Targets (2-core machine): p99 round trip <= 50 ms at 200 concurrent calls, per-utterance
analysis p99 <= 5 ms, 0 lost.
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
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psutil

from heard.auth.accounts import add_user, create_token
from heard.live.client import Replay, replay
from heard.samples.generate import generate
from heard.store import Store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _staggered(base: str, call: Any, speed: float, token: str, delay: float) -> Replay:
    await asyncio.sleep(delay)
    return await replay(base, call, speed=speed, token=token, timeout=60)


async def run_clients(base: str, token: str, calls: int, speed: float, seed: int,
                      stagger: float) -> tuple[list[Replay], float]:
    corpus = list(generate(calls, seed=seed))
    warmup = next(iter(generate(1, seed=seed + 1))).model_copy(update={"id": "warm-up"})
    await replay(base, warmup, speed=1000, token=token)   # warm the server up (lexicon, VADER) before measuring
    rng = random.Random(seed)
    began = time.perf_counter()
    # Calls in a contact center start at different moments: each begins within the first `stagger`
    # call-seconds, so all N are live at once for most of the run.
    results = await asyncio.gather(*(_staggered(base, call, speed, token, rng.uniform(0, stagger) / speed)
                                     for call in corpus), return_exceptions=True)
    wall = time.perf_counter() - began
    replays = [r for r in results if isinstance(r, Replay)]
    failed = [r for r in results if not isinstance(r, Replay)]
    if failed:
        print(f"{len(failed)} client(s) failed: {failed[0]!r}", file=sys.stderr)
    return replays, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--speed", type=float, default=10.0, help="times faster than real time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stagger", type=float, default=30.0, help="calls start within this many call-seconds")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="heard-live-load-"))
    url = f"sqlite:///{folder / 'live.db'}"
    with Store.open(url) as store:
        token = create_token(store, add_user(store, "load", "load-password", "admin"), "load", scope="live")
    port = free_port()
    heard = Path(sys.executable).with_name("heard")
    server = subprocess.Popen([str(heard), "--db", url, "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        proc = psutil.Process(server.pid)
        me = psutil.Process()
        server_cpu0, client_cpu0 = proc.cpu_times(), me.cpu_times()
        replays, wall = asyncio.run(run_clients(f"ws://127.0.0.1:{port}", token, args.calls, args.speed, args.seed,
                                                 args.stagger))
        server_cpu1, client_cpu1 = proc.cpu_times(), me.cpu_times()
    finally:
        server.terminate()
        server.wait(timeout=10)

    sent = [s for r in replays for s in r.sent]
    latencies = [s.latency_ms for s in sent if s.latency_ms is not None]
    analysis = [s.analysis_ms for s in sent if s.analysis_ms is not None]
    lost = sum(r.lost for r in replays) + (args.calls - len(replays)) + sum(len(r.errors) for r in replays)
    call_seconds = sum(max((s.start or 0.0) for s in r.sent) for r in replays)
    server_cpu = (server_cpu1.user + server_cpu1.system - server_cpu0.user - server_cpu0.system) / wall
    client_cpu = (client_cpu1.user + client_cpu1.system - client_cpu0.user - client_cpu0.system) / wall
    events = sum(len(s.events) for s in sent)
    print(f"{len(replays)} concurrent calls, {len(sent)} utterances ({events} events back) in {wall:.1f} s "
          f"at {args.speed:g}x real time ({call_seconds / wall:.0f} call-seconds per second)")
    print(f"  round trip  p50 {percentile(latencies, 0.50):6.2f} ms  p95 {percentile(latencies, 0.95):6.2f} ms  "
          f"p99 {percentile(latencies, 0.99):6.2f} ms  max {max(latencies):6.2f} ms")
    print(f"  analysis    p50 {percentile(analysis, 0.50):6.3f} ms  p95 {percentile(analysis, 0.95):6.3f} ms  "
          f"p99 {percentile(analysis, 0.99):6.3f} ms  (server-side, per utterance)")
    print(f"  lost {lost}; CPU: server {100 * server_cpu:.0f}% of a core, clients {100 * client_cpu:.0f}% of a core")
    print(json.dumps({"calls": len(replays), "utterances": len(sent), "events": events, "speed": args.speed,
                      "wall_s": round(wall, 2), "p50_ms": round(percentile(latencies, 0.5), 3),
                      "p95_ms": round(percentile(latencies, 0.95), 3), "p99_ms": round(percentile(latencies, 0.99), 3),
                      "analysis_p99_ms": round(percentile(analysis, 0.99), 3), "lost": lost,
                      "server_cpu_cores": round(server_cpu, 3), "client_cpu_cores": round(client_cpu, 3),
                      "targets": {"p99_ms": 50, "analysis_p99_ms": 5, "lost": 0}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
