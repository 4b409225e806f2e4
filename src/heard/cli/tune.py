"""`heard tune ...`: a thin shell over heard.scorecards.tuning (learn this organisation's standard from its
evaluators' answers, propose, accept, list, restore, off)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from heard.cli.base import State, err, fail, out, state_of
from heard.errors import HeardError
from heard.scorecards import definition, rules
from heard.scorecards.tuning import Tuning

commands = typer.Typer()
tune_app = typer.Typer(help=(
    "Learn this organisation's standard from evaluators' answers: fit, show cross-validated agreement before and "
    "after, and keep it as a proposal (applied only by `heard tune accept ID`)."))
commands.add_typer(tune_app, name="tune")

ScorecardName = Annotated[str | None, typer.Option("--scorecard", "-s", help=(
    "Scorecard name (default: the configured scorecard's, else empathy_balanced)."))]
Rescore = Annotated[bool, typer.Option("--rescore", help="Re-score the stored calls now (else run `heard score`).")]


def _name(state: State, scorecard: str | None) -> str:
    return scorecard or definition.load(state.settings.scorecards.scorecard).name


def _rescore(state: State, name: str, rescore: bool) -> None:
    """Re-score every stored call with the latest version of the scorecard, or say how to."""
    if not rescore:
        out.print("Stored scores change when calls are scored again: run `heard score` (or pass --rescore).")
        return
    from heard.scorecards.service import score_stored, stored_card

    store = state.store()
    _, _, card = stored_card(store, name)
    ruleset = rules.load(state.settings.scorecards.rules)
    done = problems = 0
    for scored in score_stored(store, card, ruleset):
        if scored.result is None:
            err.print(f"[yellow]{escape(scored.call_id)}[/yellow]: {escape(scored.error or '')}")
            problems += 1
        else:
            done += 1
    out.print(f"{done} call(s) re-scored on {name}; {problems} problem(s).")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_report(t: Tuning) -> None:
    report: dict[str, Any] = t.report
    table = Table(title=f"Tuning {t.id} of {t.scorecard}: {report['labels']} label(s) from {report['calls']} call(s), "
                        f"{report['folds']}-fold cross-validated", header_style="bold", box=None, padding=(0, 1))
    for col in ("item", "labels", "heard", "κ", "tuned", "κ ", "head", "note"):
        table.add_column(col, justify="right" if col not in ("item", "head", "note") else "left",
                         no_wrap=col != "note")
    for e in report["items"]:
        table.add_row(e["item"], str(e["labels"]), _pct(e["heard"]["agreement"]), _kappa(e["heard"]["kappa"]),
                      _pct(e["tuned"]["agreement"]), _kappa(e["tuned"]["kappa"]), e["head"] or "default",
                      escape(e["note"]))
    overall = report["overall"]
    table.add_row("[bold]overall[/bold]", str(report["labels"]), _pct(overall["heard"]["agreement"]),
                  _kappa(overall["heard"]["kappa"]), _pct(overall["tuned"]["agreement"]),
                  _kappa(overall["tuned"]["kappa"]), "", "")
    out.print(table)
    out.print("[dim]heard: heard's own answers; tuned: this tuning's; agreement (exact) and Cohen's κ with the "
              "evaluators' final answers, each call answered by a head fitted without it.[/dim]")


@tune_app.callback(invoke_without_command=True)
def tune_cmd(
    ctx: typer.Context,
    scorecard: ScorecardName = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Cross-validation folds (stratified).")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold split (the same seed, the same folds).")] = 0,
    by: Annotated[str | None, typer.Option("--by", help="Who made the tuning (kept with it).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored proposal and its report as JSON.")]
    = False,
) -> None:
    """Fit this organisation's thresholds and heads from evaluators' answers and store them as a proposal."""
    if ctx.invoked_subcommand is not None:
        return
    from heard.scorecards import tuning
    from heard.scorecards.service import queue_norms, stored_card

    state = state_of(ctx)
    try:
        store = state.store()
        name = _name(state, scorecard)
        _, _, card = stored_card(store, name)
        ruleset = rules.load(state.settings.scorecards.rules)
        proposal = tuning.propose(store, card, ruleset, norms=queue_norms(store), folds=folds, seed=seed,
                                  created_by=by)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(_as_dict(proposal)))
        return
    print_report(proposal)
    if proposal.tuned_items:
        out.print(f"Proposal {proposal.id} tunes {', '.join(proposal.tuned_items)}. Nothing changes until it is "
                  f"accepted: heard tune accept {proposal.id}")
    else:
        out.print(f"Proposal {proposal.id}: no item improved on heard's defaults; accepting it would change nothing.")


def _as_dict(t: Tuning) -> dict[str, Any]:
    return {"id": t.id, "scorecard": t.scorecard, "state": t.state, "created_at": t.created_at.isoformat(),
            "created_by": t.created_by, "activated_at": t.activated_at.isoformat() if t.activated_at else None,
            "tuned_items": t.tuned_items, "report": t.report, "model": t.model}


@tune_app.command("accept")
def accept_cmd(
    ctx: typer.Context,
    tuning_id: Annotated[int, typer.Argument(help="The proposal to apply (see heard tune list).")],
    rescore: Rescore = False,
) -> None:
    """Make a proposal the scorecard's active tuning; the one active before is retired and kept."""
    from heard.scorecards import tuning

    state = state_of(ctx)
    try:
        done = tuning.accept(state.store(), tuning_id)
        out.print(f"Tuning {done.id} is now active for {done.scorecard} ({', '.join(done.tuned_items) or 'no items'}).")
        _rescore(state, done.scorecard, rescore)
    except HeardError as exc:
        fail(exc)


@tune_app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    tuning_id: Annotated[int, typer.Argument(help="An earlier (retired) tuning to make active again.")],
    rescore: Rescore = False,
) -> None:
    """Make an earlier tuning active again; the one active now is retired and kept."""
    from heard.scorecards import tuning

    state = state_of(ctx)
    try:
        done = tuning.restore(state.store(), tuning_id)
        out.print(f"Tuning {done.id} is active again for {done.scorecard}.")
        _rescore(state, done.scorecard, rescore)
    except HeardError as exc:
        fail(exc)


@tune_app.command("off")
def off_cmd(ctx: typer.Context, scorecard: ScorecardName = None, rescore: Rescore = False) -> None:
    """Go back to heard's default answers for a scorecard (its active tuning is retired and kept)."""
    from heard.scorecards import tuning

    state = state_of(ctx)
    try:
        name = _name(state, scorecard)
        was = tuning.off(state.store(), name)
        if was is None:
            out.print(f"{name} has no active tuning: it is scored with heard's defaults.")
            return
        out.print(f"Tuning {was.id} retired: {name} is scored with heard's defaults (heard tune restore {was.id} "
                  "brings it back).")
        _rescore(state, name, rescore)
    except HeardError as exc:
        fail(exc)


@tune_app.command("list")
def list_cmd(
    ctx: typer.Context,
    scorecard: Annotated[str | None, typer.Option("--scorecard", "-s", help="Only this scorecard's tunings.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per tuning.")] = False,
) -> None:
    """Stored tunings, newest first: state, tuned items and cross-validated agreement before and after."""
    from heard.scorecards import tuning

    try:
        found = tuning.list_tunings(state_of(ctx).store(), scorecard)
    except HeardError as exc:
        fail(exc)
    if as_json:
        for t in found:
            print(json.dumps({k: v for k, v in _as_dict(t).items() if k != "model"}))
        return
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for col in ("id", "scorecard", "state", "created", "by", "labels", "heard", "tuned", "items"):
        table.add_column(col)
    for t in found:
        overall = t.report.get("overall", {})
        table.add_row(str(t.id), t.scorecard, t.state, str(t.created_at)[:19], t.created_by or "-",
                      str(t.report.get("labels", "-")), _pct(overall.get("heard", {}).get("agreement")),
                      _pct(overall.get("tuned", {}).get("agreement")), ", ".join(t.tuned_items) or "-")
    out.print(table)
    out.print(f"{len(found)} tuning(s).")
