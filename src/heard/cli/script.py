"""`heard script check FILE...`: scripts and knowledge articles through a human lens (heard.team.scripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from heard.cli.base import err, out

commands = typer.Typer()
script_app = typer.Typer(help="Scripts and knowledge articles through a human lens: canned empathy, jargon, "
                              "steps with no why, a rigid no, reading ease.", no_args_is_help=True)
commands.add_typer(script_app, name="script")

KIND_NAMES = {"canned_empathy": "canned empathy", "jargon": "jargon", "no_why": "no why", "rigid_no": "rigid no",
              "hard_to_read": "hard to read"}


@script_app.command("check")
def check_cmd(
    files: Annotated[list[Path], typer.Argument(help="Scripts or knowledge articles: Markdown, plain text or HTML.")],
    jargon: Annotated[list[str] | None, typer.Option(
        "--jargon", help="Another word customers would not know (repeat for more).")] = None,
    allow: Annotated[list[str] | None, typer.Option(
        "--allow", help="An acronym that is fine for your customers, e.g. --allow APR (repeat for more).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check each file for canned empathy, jargon, requests with no reason, a no with no alternative, and hard
    sentences; print each finding with its line and a suggestion.

    Findings are advice: the exit status is 0 whatever is found, and 2 only when a file cannot be read.
    """
    from heard.team.scripts import ScriptError, check_file

    reports: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for path in files:
        try:
            report = check_file(path, jargon=jargon or (), allow=allow or ())
        except ScriptError as exc:
            errors.append({"file": str(path), "error": exc.message, "hint": exc.hint or ""})
            if not as_json:
                err.print(f"[red]error:[/red] {escape(str(exc))}")
            continue
        reports.append(report.to_dict())
        if not as_json:
            _print(report.to_dict())
    if as_json:
        out.print_json(json.dumps({"files": reports, "errors": errors}))
    if errors:
        raise typer.Exit(2)


def _print(r: dict[str, Any]) -> None:
    ease = "no text to read" if r["reading_ease"] is None else \
        f"reading ease {r['reading_ease']:.0f} ({r['reading_label']})"
    counts = ", ".join(f"{n} {KIND_NAMES[k]}" for k, n in r["counts"].items() if n)
    found = f"{r['findings']} finding(s): {counts}" if r["findings"] else "no findings"
    out.print(f"[bold]{escape(r['file'])}[/bold]: {ease}; {found}", soft_wrap=True)   # a path is never broken
    last: tuple[int, str] | None = None
    for item in r["items"]:
        if (item["line"], item["sentence"]) != last:      # several findings in one sentence: the sentence once
            last = (item["line"], item["sentence"])
            out.print(f"  line {item['line']:>4}  \"{escape(item['sentence'])}\"", soft_wrap=True)
        out.print(f"             [bold]{KIND_NAMES[item['kind']]}[/bold]: {escape(item['suggestion'])}")
    out.print("")
