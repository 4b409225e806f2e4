"""`heard script check FILE...`: scripts and knowledge articles through a human lens (heard.team.scripts)."""

from __future__ import annotations

import typer

commands = typer.Typer()
