"""`heard config show` and `heard version`."""

from __future__ import annotations

import typer

from heard import __version__
from heard.cli.base import fail, out, state_of
from heard.errors import HeardError

commands = typer.Typer()
config_app = typer.Typer(help="Show and check configuration.", no_args_is_help=True)
commands.add_typer(config_app, name="config")


@commands.command("version")
def version_cmd() -> None:
    """Print heard's version."""
    out.print(__version__)


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the effective configuration (file, environment and --set applied)."""
    try:
        settings = state_of(ctx).settings
    except HeardError as exc:
        fail(exc)
    out.print_json(settings.model_dump_json())


