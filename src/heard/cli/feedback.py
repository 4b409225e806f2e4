"""`heard feedback check|accuracy`: thin shells over heard.coaching.feedback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from heard.cli.base import err, out

commands = typer.Typer()
feedback_app = typer.Typer(help="Feedback help for leaders: check written feedback before you send it.",
                           no_args_is_help=True)
commands.add_typer(feedback_app, name="feedback")


def _read(text: str) -> str:
    """TEXT as given, `-` for standard input, or `@file` for a file's contents."""
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@") and len(text) > 1:
        path = Path(text[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            err.print(f"[red]error:[/red] cannot read {escape(str(path))}: {escape(exc.strerror or str(exc))}. "
                      "Pass the feedback itself, `-` to read standard input, or `@path` to an existing file.")
            raise typer.Exit(2) from exc
    return text


@feedback_app.command("check")
def check_cmd(
    text: Annotated[str, typer.Argument(help="The feedback, `-` to read standard input, or `@file`.")],
    moment_hint: Annotated[bool, typer.Option(
        "--moment-hint", help="The feedback is attached to a call moment already; don't ask for one.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Flag judgemental, absolute or labelling phrasing and missing moment, recognition or question; suggest rewrites.

    Always exits 0: the flags are advice, not errors.
    """
    from heard.coaching.feedback import check

    report = check(_read(text), moment_hint=moment_hint)
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    if not report.flags:
        out.print("No flags: it names a moment, recognises effort and asks for the agent's view.")
        return
    out.print(f"{len(report.flags)} flag(s):")
    for flag in report.flags:
        evidence = ", ".join(f"\"{report.text[a:b].strip()}\"" for a, b in flag.spans)
        whole = flag.kind.startswith("no_")
        out.print(f"\n[bold]{flag.kind}[/bold]{'' if whole else ': ' + escape(evidence)}")
        out.print(f"  why: {escape(flag.why)}")
        for suggestion in flag.suggestions:
            out.print(f"  try: {escape(suggestion)}")


@feedback_app.command("accuracy")
def accuracy_cmd(
    path: Annotated[Path, typer.Argument(help="Labelled feedback JSONL (text, flags), e.g. "
                                               "training/feedback/labelled.jsonl.")],
    part: Annotated[str, typer.Option(help="dev (the first 100 lines), test (the rest) or all.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Precision and recall of the feedback checker per flag kind against a labelled set."""
    from heard.coaching.feedback import load_labelled, measure

    if part not in ("dev", "test", "all"):
        err.print(f"[red]error:[/red] --part must be dev, test or all, not {escape(part)!r}.")
        raise typer.Exit(2)
    try:
        rows = load_labelled(path)
    except (OSError, ValueError, KeyError) as exc:
        err.print(f"[red]error:[/red] cannot read {escape(str(path))}: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    rows = rows[:100] if part == "dev" else rows[100:] if part == "test" else rows
    scores = measure(rows)
    if as_json:
        out.print_json(json.dumps(scores.to_dict()))
        return
    table = Table(title=f"{path} ({part}: {scores.items} items)")
    for column in ("kind", "precision", "recall", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in scores.to_dict()["kinds"].items():
        table.add_row(kind, f"{row['precision']:.2f}", f"{row['recall']:.2f}", str(row["tp"]), str(row["fp"]),
                      str(row["fn"]))
    out.print(table)
