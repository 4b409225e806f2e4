"""heard.runtime: the collector settings and memory release of long-running processes."""

from __future__ import annotations

import gc

from heard.runtime import WORKER_GC_THRESHOLD, release_memory, settle_gc


def test_settle_gc_freezes_what_is_loaded_and_sets_the_threshold() -> None:
    before = gc.get_threshold()
    try:
        settle_gc()
        assert gc.get_freeze_count() > 1000   # this test process has loaded pytest and heard at least
        assert gc.get_threshold() == (WORKER_GC_THRESHOLD, *before[1:])
        gc.unfreeze()
        gc.set_threshold(*before)
        settle_gc(threshold=None)   # a server's setting: freeze only
        assert gc.get_freeze_count() > 1000 and gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_release_memory_runs_and_objects_stay_usable() -> None:
    data = [str(i) * 10 for i in range(100_000)]
    del data[::2]
    release_memory()   # glibc's malloc_trim here; nothing where there is no glibc
    assert len(data) == 50_000 and data[-1] == "99999" * 10
