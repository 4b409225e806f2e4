"""`heard coach AGENT`: the agent's coaching plan (or the focus heard proposes), a thin shell over
heard.coaching.plans."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from heard.cli.base import fail, out, state_of
from heard.errors import HeardError

commands = typer.Typer()


@commands.command("coach")
def coach_cmd(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="The agent id their calls carry.")],
    start: Annotated[str | None, typer.Option(help="Start the plan as this coach (a lead, qa or admin username).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One behaviour to coach, why, moments from the agent's own calls, better replies, a practice, progress."""
    from heard.auth.accounts import SYSTEM, find_user
    from heard.coaching import plans

    try:
        store = state_of(ctx).store()
        if start:
            coach, _ = find_user(store, start)
            plans.start_plan(store, coach, agent)
        shown = plans.view(store, SYSTEM, agent)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(shown, indent=2, default=str))
        return
    print_plan(shown)


def print_plan(v: dict[str, Any]) -> None:
    """The plan as text (also used by `heard demo`)."""
    plan = v["plan"]
    out.rule(f"[bold]Coaching {v['agent_id']}[/bold]: {v['label']}" + ("" if plan else " (proposed)"))
    out.print(str(v["why"]))
    out.print(f"[bold]Practice:[/bold] {v['practice']}")
    for m in v["missed"]:
        when = f" {int(m['time'] // 60)}:{int(m['time'] % 60):02d}" if m["time"] is not None else ""
        out.print(f"\n[dim]{m['call_id']}{when}[/dim]  customer: {m['customer']}")
        out.print(f"  agent: {m['agent'] or '(no reply)'}")
        for r in m["replies"]:
            out.print(f"  [green]could sound like:[/green] {r}")
    for m in v["best"]:
        out.print(f"\n[dim]best, {m['call_id']}[/dim]  agent: {m['agent']}")
    p = v["progress"]
    rate = p["recent_rate"]
    out.print(f"\nProgress: {'–' if rate is None else f'{rate:.0%}'} of {p['recent_calls']} recent calls, "
              f"target {p['target']:.0%}: {p['status']}")
