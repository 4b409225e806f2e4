"""The `heard` command: parse arguments, call the library, print. Nothing here that a user could not call.

Each module holds one group of commands on its own `commands` Typer; this is the one place they are
registered on the app. Command modules import the shared helpers from `heard.cli.base`, never from here.
"""

from __future__ import annotations

from heard.cli import (
    accuracy,
    calibrate,
    calls,
    coach,
    config,
    demo,
    feedback,
    insights,
    roleplay,
    scores,
    script,
    tune,
    web,
)
from heard.cli.base import app

__all__ = ["app", "main"]

for _group in (calls, demo, accuracy, config, scores, web, calibrate, tune, coach, feedback, roleplay, insights,
               script):
    app.registered_commands += _group.commands.registered_commands
    app.registered_groups += _group.commands.registered_groups


def main() -> None:
    app()

