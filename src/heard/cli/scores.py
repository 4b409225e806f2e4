"""`heard score`, `heard review`, `heard report`, `heard scorecard ...` and `heard rules ...`: thin shells over
heard.scorecards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from heard.cli.base import AddressOpt, Engine, State, WorkersOpt, err, fail, out, read_calls, state_of
from heard.errors import HeardError
from heard.model import Analysed, Call, CallAnalysis
from heard.scorecards import definition, rules
from heard.scorecards.definition import Scorecard
from heard.scorecards.rules import RuleSet
from heard.scorecards.scoring import ItemAnswer, Result

commands = typer.Typer()

scorecard_app = typer.Typer(help="Check and list scorecards.", no_args_is_help=True)
rules_app = typer.Typer(help="Custom rules (categories): check, apply to stored calls, list matches.",
                        no_args_is_help=True)
commands.add_typer(scorecard_app, name="scorecard")
commands.add_typer(rules_app, name="rules")

ScorecardOpt = Annotated[Path | None, typer.Option("--scorecard", "-s", help=(
    "Scorecard YAML (default: [scorecards] scorecard in heard.toml, else heard's empathy_balanced)."))]
RulesOpt = Annotated[Path | None, typer.Option("--rules", "-r", help=(
    "Rules YAML added to heard's built-in rules (default: [scorecards] rules in heard.toml)."))]


def _card_and_rules(state: State, scorecard: Path | None, rules_file: Path | None) -> tuple[Scorecard, RuleSet]:
    config = state.settings.scorecards
    card = definition.load(scorecard or config.scorecard)
    ruleset = rules.load(rules_file or config.rules)
    card.check_rules(ruleset, str(scorecard or config.scorecard or definition.DEFAULT))
    return card, ruleset


def _mark(a: ItemAnswer) -> str:
    if a.na:
        return "[dim]n/a[/dim]"
    if a.pending:
        return "[yellow]open[/yellow]"
    if a.answer in ("yes", "no"):
        return "[green]yes[/green]" if a.answer == "yes" else "[red]no[/red]"
    return f"{float(a.answer or 0):g}"


def print_result(call: Call, card: Scorecard, result: Result, version: int | None = None) -> None:
    v = f" v{version}" if version else ""
    total = "-" if result.total is None else f"{result.total:.1f}"
    out.print(f"[bold]{escape(call.id)}[/bold] · agent {escape(call.agent_id or '-')} · {card.name}{v} · "
              f"score [bold]{total}[/bold] ({result.category or 'no score'})")
    if result.auto_failed:
        for reason in result.fail_reasons:
            out.print(f"  [red]AUTO-FAIL[/red] {escape(reason)}")
    by_item = {a.item: a for a in result.answers}
    for section in card.sections:
        score = result.sections.get(section.id)
        out.print(f"  [bold underline]{escape(section.title)}[/bold underline] "
                  f"{'-' if score is None else f'{score:.1f}'} (weight {section.weight:g})")
        for item in section.items:
            a = by_item[item.id]
            flags = " [magenta]auto-fail[/magenta]" if item.auto_fail else " [cyan]bonus[/cyan]" if item.bonus else ""
            out.print(f"    {_mark(a):>5}  {escape(item.id)}{flags}: {escape(item.question)}")
            detail = (a.comment and f"evaluator: {a.comment}") or a.why
            if detail:
                out.print(f"           [dim]{escape(detail)}[/dim]")
            for e in a.evidence[:2]:
                when = "" if e.time is None else f" {int(e.time // 60)}:{int(e.time % 60):02d}"
                text = (e.text or call.turns[e.turn].text)[:110]
                out.print(f"           [dim]turn {e.turn}{when}:[/dim] \"{escape(text)}\"")
    if result.pending:
        out.print(f"  [yellow]Open for an evaluator:[/yellow] {', '.join(result.pending)}")


def _print_table(rows: list[tuple[Call, Result]]) -> None:
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for col in ("call", "agent", "team", "score", "category", "auto-fail", "open"):
        table.add_column(col, justify="right" if col == "score" else "left", no_wrap=True)
    for call, r in rows:
        table.add_row(call.id, call.agent_id or "-", call.team or "-", "-" if r.total is None else f"{r.total:.1f}",
                      r.category or "-", "yes" if r.auto_failed else "", ",".join(r.pending))
    out.print(table)


@commands.command("score")
def score_cmd(
    ctx: typer.Context,
    calls: Annotated[list[str] | None, typer.Argument(help=(
        "Stored call ids, or files to score without storing (default: every stored call)."))] = None,
    scorecard: ScorecardOpt = None,
    rules_file: RulesOpt = None,
    detail: Annotated[bool | None, typer.Option(
        "--detail/--table", help="Every item with its evidence (default for one call) or one line per call.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per call.")] = False,
    engine: Annotated[Engine, typer.Option(
        help="Where calls without an analysis are analysed first: local (processes on this machine) or ray "
             "(a Ray cluster; pip install 'heard[ray]').")] = Engine.LOCAL,
    workers: WorkersOpt = None,
    address: AddressOpt = None,
) -> None:
    """Score calls on a scorecard: every automatic item answered with its evidence; manual items left open.

    Calls not analysed yet are analysed first on the chosen engine (stored calls: the analyses are stored)."""
    from heard.runners import run_engine
    from heard.runners.sources import CallFiles, Failed
    from heard.scorecards.conditions import Facts
    from heard.scorecards.scoring import answer_automatically, compute
    from heard.scorecards.service import ensure_analysed, norms_of, register, score_stored

    state = state_of(ctx)
    try:
        card, ruleset = _card_and_rules(state, scorecard, rules_file)
    except HeardError as exc:
        fail(exc)
    targets = calls or []
    files = [t for t in targets if Path(t).exists()]
    results: list[tuple[Call, Result]] = []
    failures = 0
    version: int | None = None
    try:
        if files:
            read, failures = read_calls(files, state.settings.ingest)
            made: dict[str, CallAnalysis] = {}
            for done in run_engine(engine.value, CallFiles(tuple(files), state.settings.ingest),
                                settings=state.settings.analysers, workers=workers, address=address):
                if isinstance(done, Analysed):
                    made[done.call_id] = done.analysis()
                elif isinstance(done, Failed) and done.call_id in {c.id for c in read}:  # unreadable: reported above
                    err.print(f"[yellow]{escape(done.call_id)}[/yellow]: {escape(done.error)}")
                    failures += 1
            pairs = [(c, made[c.id]) for c in read if c.id in made]
            norms = norms_of(pairs)
            for call, analysis in pairs:
                results.append((call, compute(card, answer_automatically(card, Facts(call, analysis, norms=norms),
                                                                         ruleset))))
        ids = [t for t in targets if t not in files]
        if ids or not targets:
            store = state.store()
            version = register(store, card).version
            wanted = ids or None
            why = {f.call_id: f.error for f in ensure_analysed(store, ids or store.call_ids(), engine=engine.value,
                                                               workers=workers, address=address)}
            calls_by_id = {c.id: c for c in store.iter_calls(wanted)}
            for scored in score_stored(store, card, ruleset, wanted, analyse_missing=False):
                if scored.result is None:
                    error = why.get(scored.call_id, scored.error or "")
                    err.print(f"[yellow]{escape(scored.call_id)}[/yellow]: {escape(error)}")
                    failures += 1
                    continue
                results.append((calls_by_id[scored.call_id], scored.result))
    except HeardError as exc:
        fail(exc)
    if as_json:
        for call, r in results:
            print(json.dumps({"call_id": call.id, "scorecard": card.name, "version": version,
                              **r.model_dump(mode="json")}))
    elif detail or (detail is None and len(results) == 1):
        for call, r in results:
            print_result(call, card, r, version)
    else:
        _print_table(results)
    if not state.quiet and not as_json:
        where = f" (stored as {card.name} v{version})" if version else ""
        out.print(f"{len(results)} call(s) scored{where}; {failures} problem(s).")
    if failures:
        raise typer.Exit(1)


@commands.command("review")
def review_cmd(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(help="A stored call that has a score.")],
    item: Annotated[str, typer.Argument(help="The item id, e.g. early_acknowledgement.")],
    answer: Annotated[str, typer.Argument(help="yes / no, 1-5, points, or na.")],
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="Why (shown to the agent).")] = None,
    reviewer: Annotated[str, typer.Option("--by", help="Who is reviewing.")] = "evaluator",
    scorecard: Annotated[str, typer.Option("--scorecard", "-s", help="Scorecard name.")] = "empathy_balanced",
) -> None:
    """Give an evaluator's answer for one item; the automatic answer is kept beside it."""
    from heard.scorecards.service import review_item, stored_card

    state = state_of(ctx)
    try:
        store = state.store()
        result = review_item(store, call_id, scorecard, item, answer, comment=comment, reviewer=reviewer)
        _, version, card = stored_card(store, scorecard)
        call = store.get_call(call_id)
    except HeardError as exc:
        fail(exc)
    assert call is not None
    print_result(call, card, result, version)


@commands.command("report")
def report_cmd(
    ctx: typer.Context,
    scorecard: Annotated[str, typer.Option("--scorecard", "-s", help="Scorecard name.")] = "empathy_balanced",
    version: Annotated[int | None, typer.Option(help="Scorecard version (default: the latest).")] = None,
    by: Annotated[str, typer.Option(help="agent or team.")] = "agent",
    automatic: Annotated[bool, typer.Option("--automatic", help="Automatic answers only (default: reviewed).")]
    = False,
    export: Annotated[Path | None, typer.Option("--export", help="Also write one row per call (.csv or .parquet).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Scores per agent or team: total, sections, the weakest items, and evaluator overrides."""
    from heard.insights.summary import write_rows
    from heard.scorecards.report import score_rows, summarise
    from heard.scorecards.service import latest_scores, stored_card

    if by not in ("agent", "team"):
        fail(HeardError(f"--by {by!r}: use agent or team"))
    state = state_of(ctx)
    try:
        store = state.store()
        _, card_version, card = stored_card(store, scorecard, version)
        rows = latest_scores(store, scorecard, version)
        which: Literal["final", "automatic"] = "automatic" if automatic else "final"
        summary = summarise(rows, card, by=by, which=which)  # type: ignore[arg-type]
        if export is not None:
            fmt = export.suffix.lstrip(".").lower()
            written = write_rows(score_rows(rows, card), fmt, export)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(summary))
    else:
        print_report(summary, card, by, f"{card.name} v{card_version}, {which} answers, {len(rows)} call(s)")
    if export is not None and not state.quiet:
        out.print(f"{written} call row(s) -> {export}")


def print_report(summary: list[dict[str, Any]], card: Scorecard, by: str, title: str) -> None:
    table = Table(title=title, header_style="bold", box=None, padding=(0, 1, 0, 0), pad_edge=False)
    cols = ["team"] + (["agent"] if by == "agent" else []) + ["calls", "score", "fails"] + \
        [s.id[:10] for s in card.sections]
    for col in cols:
        table.add_column(col, justify="left" if col in ("team", "agent") else "right", no_wrap=True)
    for row in summary:
        sections = [_score(row["sections"][s.id]) for s in card.sections]
        table.add_row(row["team"], *([row["agent"]] if by == "agent" else []), str(row["calls"]), _score(row["score"]),
                      str(row["auto_fails"]), *sections)
    out.print(table)
    items = Table(title="Item rates (% of the answered calls that earned the item)", header_style="bold", box=None,
                  padding=(0, 1, 0, 0), pad_edge=False)
    items.add_column("item", no_wrap=True)
    for row in summary:
        items.add_column((row.get("agent") or row["team"])[:9], justify="right", no_wrap=True)
    for _, item in card.items:
        rates = [row["items"].get(item.id) for row in summary]
        label = item.id + (" (bonus)" if item.bonus else "")
        items.add_row(label, *("-" if r is None else f"{r:.0f}" for r in rates))
    out.print(items)
    out.print("[bold]Weakest items[/bold] (share of answered calls that earned the item):")
    for row in summary:
        who = row.get("agent") or row["team"]
        out.print(f"  {who}: " + ", ".join(f"{w['item']} {w['rate']:.0f}%" for w in row["weakest"]))
    out.print("[dim]score: mean total 0-100 (auto-fails count as 0); fails: auto-failed calls; sections: mean "
              "section score.[/dim]")
    reviewed = sum(r["reviewed_items"] for r in summary)
    if reviewed:
        changed = sum(r["overridden_items"] for r in summary)
        out.print(f"Evaluators reviewed {reviewed} automatic answer(s) and changed {changed} "
                  f"({100 * changed / reviewed:.0f}%).")


def _score(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


@scorecard_app.command("check")
def scorecard_check(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="Scorecard YAML (default: heard's empathy_balanced).")] = None,
    rules_file: RulesOpt = None,
) -> None:
    """Validate a scorecard (and the rules it uses) and print its outline."""
    state = state_of(ctx)
    try:
        card, ruleset = _card_and_rules(state, file, rules_file)
    except HeardError as exc:
        fail(exc)
    out.print(f"[bold]{card.name}[/bold]: {escape(card.title)} · {card.scoring} · digest {card.digest[:12]}")
    for s in card.sections:
        out.print(escape(f"  {s.id} (weight {s.weight:g}): " + ", ".join(
            i.id + (" [auto-fail]" if i.auto_fail else " [bonus]" if i.bonus else "") +
            (" [manual]" if i.manual else "") for i in s.items)))
    out.print(f"OK: {len(card.items)} items, {len(ruleset.rules)} rules available.")


@scorecard_app.command("list")
def scorecard_list(ctx: typer.Context) -> None:
    """Stored scorecard versions and how many calls each has scored."""
    from heard.scorecards.service import list_cards

    try:
        cards = list_cards(state_of(ctx).store())
    except HeardError as exc:
        fail(exc)
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for col in ("name", "version", "digest", "scores", "created"):
        table.add_column(col)
    for c in cards:
        table.add_row(c["name"], str(c["version"]), c["digest"], str(c["scores"]), str(c["created_at"])[:19])
    out.print(table)


@rules_app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(help="Rules YAML.")]) -> None:
    """Validate a rules file (with heard's built-in rules) and list the rules."""
    try:
        ruleset = rules.load(file)
    except HeardError as exc:
        fail(exc)
    for r in ruleset.rules:
        out.print(f"{r.name:28} {r.category or '-':12} {escape(r.description)}")
    out.print(f"OK: {len(ruleset.rules)} rules.")


@rules_app.command("apply")
def rules_apply(
    ctx: typer.Context,
    rules_file: RulesOpt = None,
    calls: Annotated[list[str] | None, typer.Argument(help="Stored call ids (default: all).")] = None,
) -> None:
    """Evaluate the rules on stored calls, retroactively and incrementally (only changed rules or calls)."""
    from heard.scorecards.service import apply_rules

    state = state_of(ctx)
    try:
        ruleset = rules.load(rules_file or state.settings.scorecards.rules)
        report = apply_rules(state.store(), ruleset, calls or None)
    except HeardError as exc:
        fail(exc)
    for call_id, problem in report.errors:
        err.print(f"[yellow]{escape(call_id)}[/yellow]: {escape(problem)}")
    table = Table(header_style="bold", box=None, padding=(0, 1))
    table.add_column("rule")
    table.add_column("calls matched", justify="right")
    for name, n in report.matched.items():
        table.add_row(name, str(n))
    out.print(table)
    out.print(f"{report.calls} call(s): {report.evaluated} rule result(s) evaluated, {report.unchanged} unchanged "
              f"(rule and call as before); {len(report.errors)} problem(s).")
    if report.errors:
        raise typer.Exit(1)


@rules_app.command("matches")
def rules_matches(
    ctx: typer.Context,
    rule: Annotated[str | None, typer.Argument(help="One rule (default: all).")] = None,
) -> None:
    """Stored calls each rule matched, with the evidence."""
    from heard.scorecards.service import rule_matches

    try:
        rows = rule_matches(state_of(ctx).store(), rule)
    except HeardError as exc:
        fail(exc)
    for r in rows:
        first = r["evidence"][0] if r["evidence"] else None
        where = f' turn {first["turn"]}: "{escape((first.get("text") or "")[:80])}"' if first else ""
        out.print(f"{r['rule']:28} {r['call_id']:12} {escape(r['why'][:70])}{where}")
    out.print(f"{len(rows)} match(es).")
