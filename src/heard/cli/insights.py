"""`heard insights`: which behaviours go with better outcomes in this organisation's calls, a thin shell over
heard.insights.report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from heard.cli.base import fail, out, state_of
from heard.errors import HeardError

commands = typer.Typer()


@commands.command("insights")
def insights_cmd(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option(help="Only this team's calls (default: every call).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write a self-contained HTML report here, and its "
                                                                "data as JSON beside it (same name, .json).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")] = False,
    all_rows: Annotated[bool, typer.Option("--all", help="List every estimated pair, not only the top ones.")]
    = False,
) -> None:
    """Effects of each behaviour on CSAT, NPS, first-contact resolution, repeat contacts, escalations, churn and
    handle time, with 95% intervals, adjusted and clustered by agent; empathy against efficiency; survey comments.
    The result is kept in the store (the web page and coaching read it)."""
    from heard.insights import html
    from heard.insights.report import InsightsScope, build, fingerprint, save

    state = state_of(ctx)
    try:
        store = state.store()
        scope = InsightsScope(team)
        fp = fingerprint(store, scope)
        result = build(store, scope, state.settings.insights)
        result["run"] = save(store, scope, result, by="cli", fp=fp)
        written = html.write(result, out_path) if out_path else None
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(result, indent=1, default=str))
        return
    print_findings(result, every=all_rows)
    if out_path and written:
        out.print(f"Report written to {out_path} (data: {written}).")


def print_findings(r: dict[str, Any], *, every: bool = False, k: int = 3) -> None:
    """The top findings (or every estimated pair) and the notes that keep them honest (also used by the demo)."""
    out.rule(f"[bold]Insights[/bold]: {r['calls']:,} calls from {r['agents']} agents, {r['scope_words']}")
    shown = [e for e in r["effects"] if e["estimate"] is not None] if every else r["top"][:k]
    if not shown:
        out.print("Too few calls with outcomes to estimate any effect yet.")
    for i, e in enumerate(shown, 1):
        mark = "★ " if e["survives"] else ""
        style = "" if e["clear"] else "[dim]"
        out.print(f"{style}{i}. {mark}{e['sentence']}" + ("[/dim]" if style else ""))
    out.print(f"[dim]{r['notes']['multiple']} {r['notes']['derived']}[/dim]")
    out.print(f"[dim]{r['notes']['association']}[/dim]")
    eff = r["efficiency"]
    out.print(f"Empathy and efficiency: {eff['count_handle_time']['sentence']}")
