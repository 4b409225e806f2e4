"""`heard calibrate create|status|report|grader|drift`: thin shells over heard.review.calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from heard.cli.base import fail, out, state_of
from heard.errors import HeardError

commands = typer.Typer()
calibrate_app = typer.Typer(help="Calibration sessions: evaluators score the same calls blind, then compare.",
                            no_args_is_help=True)
commands.add_typer(calibrate_app, name="calibrate")


def _num(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" if pct else f"{value:.2f}"


@calibrate_app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the session is about, e.g. 'November: acknowledgement'.")],
    calls: Annotated[str, typer.Option(help="Call ids, comma-separated.")],
    evaluator: Annotated[list[str], typer.Option(help="An evaluator's username (repeat for each).")],
    lead: Annotated[str, typer.Option(help="The QA lead who runs the session (a qa, lead or admin user).")],
    expert: Annotated[str | None, typer.Option(help="An expert whose answers are the reference.")] = None,
    scorecard: Annotated[Path | None, typer.Option(help="Scorecard YAML (default: heard's).")] = None,
) -> None:
    """Create a blind calibration session over some calls."""
    from heard.auth.accounts import find_user
    from heard.review.calibration import create
    from heard.scorecards import definition

    try:
        store = state_of(ctx).store()
        runner, _ = find_user(store, lead)
        session = create(store, runner, name, calls.split(","), evaluator, expert=expert,
                         card=definition.load(scorecard) if scorecard else None)
    except HeardError as exc:
        fail(exc)
    out.print(f"Calibration session {session.id}: {len(session.calls)} call(s), raters "
              f"{', '.join(session.raters)}{f' (expert {session.expert})' if session.expert else ''}. "
              f"Each rater scores at /calibration/{session.id}.")


@calibrate_app.command("status")
def status_cmd(ctx: typer.Context, session_id: Annotated[int, typer.Argument(help="Session id.")]) -> None:
    """Who has submitted."""
    from heard.auth.accounts import SYSTEM
    from heard.review.calibration import get

    try:
        session = get(state_of(ctx).store(), SYSTEM, session_id)
    except HeardError as exc:
        fail(exc)
    out.print(f"[bold]{session.name}[/bold] ({session.scorecard} v{session.version}, {len(session.calls)} calls, "
              f"{session.state})")
    for username, when in session.raters.items():
        role = " (expert)" if username == session.expert else ""
        out.print(f"  {username}{role}: {'submitted ' + str(when)[:16] if when else 'not submitted yet'}")


@calibrate_app.command("report")
def report_cmd(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(help="Session id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Agreement per item and overall (heard's answers as one more rater), and where answers split."""
    from heard.auth.accounts import SYSTEM
    from heard.review.calibration import results

    try:
        found = results(state_of(ctx).store(), SYSTEM, session_id)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    _print_report(found)


def _print_report(found: dict[str, Any]) -> None:
    session = found["session"]
    out.print(f"[bold]{session['name']}[/bold]: {len(found['submitted'])} of {len(session['raters'])} raters "
              f"submitted; {len(session['calls'])} calls")
    table = Table("item", "alpha", "Fleiss", "exact", "heard vs consensus", "splits")
    for i in found["items"]:
        h = i["humans"]
        m = i["machine_to_consensus"] or {}
        table.add_row(i["item"], _num(h["alpha"]), _num(h["fleiss"]), _num(h["exact"], True),
                      _num(m.get("agreement"), True), str(len(i["splits"])))
    out.print(table)
    overall = found["overall"]["humans"]
    out.print(f"Overall (every item): alpha {_num(overall['alpha'])}, exact {_num(overall['exact'], True)}; "
              f"strictest {overall['strictest'] or '–'}, most lenient {overall['most_lenient'] or '–'}")
    for i in found["split_items"]:
        for s in i["splits"]:
            answers = ", ".join(f"{u} {a}" for u, a in s["answers"].items())
            turns = f" turns {', '.join(map(str, s['turns']))}" if s["turns"] else ""
            out.print(f"  split on {i['item']} in {s['call_id']}{turns}: {answers}; heard {s['machine'] or '–'}")


@calibrate_app.command("grader")
def grader_cmd(
    ctx: typer.Context,
    evaluator: Annotated[str, typer.Argument(help="The evaluator's username.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """An evaluator over time: calibration alignment, override rate of automatic answers, time per evaluation."""
    from heard.review.calibration import grader

    try:
        found = grader(state_of(ctx).store(), evaluator)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    out.print(f"[bold]{evaluator}[/bold]: {found['evaluations']} evaluation(s); overrides "
              f"{_num(found['override_rate'], True)} of {found['automatic_items_answered']} automatic answers; "
              f"median {_num(found['median_minutes'])} minutes per evaluation")
    for s in found["sessions"]:
        out.print(f"  {s['submitted_at'][:10]} {s['name']}: aligned on {_num(s['alignment'], True)} of items")


@calibrate_app.command("drift")
def drift_cmd(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(help="The scorecard in use (YAML).")],
    new: Annotated[Path, typer.Argument(help="The scorecard version to compare (YAML).")],
    sample: Annotated[int, typer.Option(help="Reference sample: the first N stored calls by id.")] = 200,
    threshold: Annotated[float, typer.Option(help="Warn when an item's mean answer moves more than this.")] = 0.10,
    rules_file: Annotated[Path | None, typer.Option("--rules", help="Rules YAML for both (default heard's).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-score a fixed reference sample with two scorecard versions and report each item's shift, before
    anyone's scores change. Exits 1 when an item moves past the threshold."""
    from heard.review.calibration import drift
    from heard.scorecards import definition, rules

    try:
        ruleset = rules.load(rules_file) if rules_file else None
        found = drift(state_of(ctx).store(), definition.load(old), definition.load(new), sample=sample,
                      threshold=threshold, old_rules=ruleset, new_rules=ruleset)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(found, indent=2))
    else:
        table = Table("item", "old", "new", "shift", "calls changed", "")
        for r in found["items"]:
            table.add_row(r["item"], _num(r["old"]), _num(r["new"]),
                          "–" if r["shift"] is None else f"{r['shift']:+.2f}", str(r["changed_calls"]),
                          "[bold red]WARN[/bold red]" if r["warn"] else "")
        out.print(f"{found['calls']} reference calls; warn past ±{found['threshold']:.2f}")
        out.print(table)
        if found["added"] or found["removed"]:
            out.print(f"added items: {', '.join(found['added']) or '–'}; removed: {', '.join(found['removed']) or '–'}")
    if found["warnings"]:
        out.print(f"[bold red]{len(found['warnings'])} item(s) shift past the threshold:[/bold red] "
                  f"{', '.join(found['warnings'])}. Review before switching.")
        raise typer.Exit(1)
