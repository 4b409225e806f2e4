"""The Typer app and the helpers every command module shares (state, progress, reading files, failing).

Command modules import from here and never from each other's parents; `heard.cli` registers them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from heard.config import Settings, load_settings
from heard.errors import HeardError, IngestError
from heard.ingest import expand_paths, read_path
from heard.ingest.base import IngestOptions
from heard.model import Call
from heard.store import Store

app = typer.Typer(help="heard: empathy-first QA and coaching for contact centers.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@dataclass
class State:
    db: str | None = None
    config: str | None = None
    overrides: list[str] = field(default_factory=list)
    quiet: bool = False
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = list(self.overrides) + ([f"store.url={self.db}"] if self.db else [])
            self._settings = load_settings(self.config, overrides)
        return self._settings

    def store(self) -> Store:
        return Store.open(self.settings.store.url)


def state_of(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL or SQLite file (default ./heard.db, or HEARD_DB).")] = None,
    config: Annotated[str | None, typer.Option("--config", help="Config file (default ./heard.toml).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a setting: --set key=value.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final summary.")] = False,
) -> None:
    ctx.obj = State(db=db, config=config, overrides=set_ or [], quiet=quiet)


class Engine(StrEnum):
    """Where many calls are analysed: heard.runners.run_engine."""

    LOCAL = "local"
    RAY = "ray"


WorkersOpt = Annotated[int | None, typer.Option(
    help="Worker processes (local) or actors (ray). Default: every core here, or every CPU of the cluster.")]
AddressOpt = Annotated[str | None, typer.Option(
    "--address", help="Ray: join this cluster (auto, or ray://HEAD:10001); without it a local one starts.")]


@contextmanager
def progress(state: State, label: str, total: int | None) -> Iterator[Any]:
    show = not state.quiet and err.is_terminal
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True, disable=not show) as progress:
        task = progress.add_task(label, total=total)
        yield lambda *_: progress.advance(task)


@contextmanager
def import_progress(state: State, total: int) -> Iterator[tuple[Any, Any]]:
    """Two bars: files done, and seconds of the recording being transcribed (shown only for audio files)."""
    show = not state.quiet and err.is_terminal
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not show) as progress:
        files = progress.add_task("importing", total=total)
        audio = progress.add_task("transcribing (s)", total=1, visible=False)

        def seconds(done: float, whole: float) -> None:
            progress.update(audio, completed=round(done), total=max(1, round(whole)), visible=done < whole)

        yield (lambda *_: progress.advance(files)), seconds


def read_calls(paths: Iterable[str], options: IngestOptions) -> tuple[list[Call], int]:
    """Every call in the files, printing each problem; returns the calls and how many problems there were."""
    calls: list[Call] = []
    problems = 0
    for path in expand_paths(paths):
        for item in read_path(path, options=options):
            if isinstance(item, IngestError):
                err.print(f"[yellow]{escape(item.where)}[/yellow]: {escape(item.message)} {escape(item.hint or '')}")
                problems += 1
            elif isinstance(item, Call):
                calls.append(item)
    return calls, problems


def fail(exc: HeardError) -> NoReturn:
    """Print a library error for a person and exit with status 2."""
    err.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(2)


