"""Analyse calls on a Ray cluster with Ray Data: the same pure pipeline as the local engine, at cluster scale.

    for result in analyse_on_ray(CallFiles(("calls/",)), workers=8):     # starts a local cluster of 8 CPUs
        ...
    list(analyse_on_ray(StoredCalls.of(store), store=store, address="ray://head:10001"))  # joins a cluster

The work goes out as small items (a few call files, one Parquet row group, a range of stored call ids). A pool of
actors reads and analyses each item, so whatever is heavy (a model) loads once per actor, not once per call.
Results come back to the driver as rows ready to write, and it alone writes them: to the store in batches and to
a Parquet folder. Workers only read (files, and the store by its URL: PostgreSQL for a real cluster, SQLite on
one machine). Sources, items and the worker are the local engine's (heard.runners.sources).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from heard.errors import HeardError
from heard.runners.local import result_of_row, result_row, result_schema, write_results
from heard.runners.sources import (
    CallFiles,
    ParquetCalls,
    Result,
    Source,
    StoredCalls,
    Worker,
    check_analysers,
    store_url,
    work_items,
)
from heard.runtime import settle_gc
from heard.store import Store

__all__ = ["CallFiles", "ParquetCalls", "Source", "StoredCalls", "analyse_on_ray"]


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ModuleNotFoundError:
        raise HeardError("the Ray engine needs Ray, which is not installed",
                         hint="Run: pip install 'heard[ray]' (or use --engine local).") from None
    return ray


class Analyse:
    """The callable class Ray Data runs on each actor: the engines' Worker, its results as an Arrow table."""

    def __init__(self, **kwargs: Any) -> None:
        self.worker = Worker(**kwargs)
        self.schema = result_schema()
        settle_gc()

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        rows: list[dict[str, str | None]] = []
        for text in batch.column("item").to_pylist():
            for result in self.worker.run(json.loads(text)):
                rows.append(result_row(result))
        return pa.Table.from_pylist(rows, schema=self.schema)


def analyse_on_ray(source: Source, *, store: Store | None = None, out: Path | None = None,
                   only: list[str] | None = None, settings: Mapping[str, Mapping[str, Any]] | None = None,
                   workers: int | None = None, address: str | None = None, resume: bool = False,
                   batch: int = 200) -> Iterator[Result]:
    """Analyse the source's calls on Ray; save the analyses in `store` (batch at a time) and/or as Parquet in `out`.

    Yields every Analysed, Failed and (resume=True: calls already analysed by these analyser versions) Skipped,
    in no particular order. Without `address` a local cluster of `workers` CPUs (default: all) starts and stops
    with the run; with it, the run joins that cluster and uses `workers` actors (default: its CPUs)."""
    check_analysers(only, settings)
    if resume and store is None:
        raise HeardError("resuming needs the store, to know which calls are already analysed",
                         hint="Pass the store, or analyse everything again.")
    ray = _ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers or os.cpu_count(), include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    try:
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        readers = store if isinstance(source, StoredCalls) else None
        items = [json.dumps(i) for i in work_items(source, actors, store=readers)]
        url = source.url if isinstance(source, StoredCalls) else store_url(store) if resume and store else None
        kwargs = dict(only=only, settings=settings, options=getattr(source, "options", None), store_url=url,
                      resume=resume)
        yield from write_results(_run(ray, items, actors, kwargs) if items else iter(()), store=store, out=out,
                                 batch=batch)
    finally:
        if started:
            ray.shutdown()


def _run(ray: Any, items: list[str], actors: int, kwargs: dict[str, Any]) -> Iterator[Result]:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    ds = ray.data.from_items([{"item": i} for i in items], override_num_blocks=len(items)).map_batches(
        Analyse, batch_size=1, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=min(actors, len(items))), fn_constructor_kwargs=kwargs)
    for table in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for row in table.to_pylist():
            yield result_of_row(row)
