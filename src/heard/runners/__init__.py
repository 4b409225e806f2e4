"""Engines that analyse many calls: local (a process pool on this machine) and ray (a Ray cluster)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Literal

from heard.errors import HeardError
from heard.runners.sources import Result, Source

EngineName = Literal["local", "ray"]


def run_engine(engine: EngineName, source: Source, *, workers: int | None = None, address: str | None = None,
               **options: Any) -> Iterator[Result]:
    """The source analysed on either engine (options: store, out, only, settings, resume, batch; see
    heard.runners.local.analyse_source). `workers` defaults to every core here, or every CPU of the cluster."""
    check_engine(engine, address)
    if engine == "ray":
        from heard.runners.ray import analyse_on_ray

        return analyse_on_ray(source, workers=workers, address=address, **options)
    from heard.runners.local import analyse_source

    return analyse_source(source, workers=workers or os.cpu_count() or 1, **options)


def check_engine(engine: EngineName, address: str | None) -> None:
    if engine != "ray" and address is not None:
        raise HeardError("--address joins a Ray cluster; the local engine runs on this machine",
                         hint="Add --engine ray, or leave out --address.")
