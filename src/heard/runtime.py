"""Settings for heard's long-running processes (analysis workers, Ray actors, `heard serve` workers): when the
garbage collector runs, and handing freed memory back to the system."""

from __future__ import annotations

import ctypes
import gc
from functools import lru_cache
from typing import Any

WORKER_GC_THRESHOLD = 10_000   # allocations between the collector's youngest-generation passes (Python's default: 700)


def settle_gc(threshold: int | None = WORKER_GC_THRESHOLD) -> None:
    """Set up the garbage collector of a long-running process: a pool worker, a Ray actor, a `heard serve` worker.

    Analysing a call or answering a message makes thousands of short-lived objects that reference counting
    frees; cycles are rare. With Python's defaults the collector still runs every 700 allocations and, every so
    often, walks every object loaded so far (modules, lexicons, models: ~240,000 in a `heard serve` worker, a
    full pass of 160 ms; ~180,000 in a Ray actor after importing Ray Data), and a server's event loop stands
    still while it does. So what is loaded now is frozen out of collection and, with `threshold`, the youngest
    generation is collected less often (10,000 allocations apart: about 14 times less often). Call it once,
    after the process has loaded what it needs.

    A `heard serve` worker freezes only (threshold=None): at 1,000 live calls on two workers with Redis, the
    rarer collections each paused its event loop for 30-40 ms, and round-trip p99 was 128-148 ms against
    84-88 ms with Python's default thresholds (benchmarks/live_load.py, docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    if threshold is not None:
        gc.set_threshold(threshold, *gc.get_threshold()[1:])


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):   # not glibc (macOS, musl): nothing to trim
        return None


def release_memory() -> None:
    """Hand the C heap's free pages back to the system. glibc keeps what a finished item freed (parsed calls,
    results, Arrow buffers) spread over its arenas: with two Ray actors, memory grew by 120 MB from 10% done to
    the peak of a 30,000-call run without this and by 49 MB with it, and the peak of a 100,000-call run fell
    from 1,633 to 1,430 MB (benchmarks/scale.py --engines ray-2)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
