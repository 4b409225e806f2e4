"""Measuring heard: its analytics beside Amazon's (compare-metrics) and its detectors against labelled datasets."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from heard.cli.base import State, fail, out, progress, read_calls, state_of
from heard.errors import HeardError

if TYPE_CHECKING:
    from heard.accuracy.annomi_agreement import Spread

commands = typer.Typer()


@commands.command("compare-metrics")
def compare_metrics_cmd(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Amazon Call Analytics or Contact Lens files (or folders).")],
    strict: Annotated[bool, typer.Option(help="Exit 1 when a figure is outside its tolerance.")] = False,
) -> None:
    """Print heard's talk time, words per minute, non-talk time and interruptions beside Amazon's.

    Ends with one JSON line of the deviations.
    """
    from heard.accuracy.amazon import compare_call, summary
    from heard.pipeline import analyse

    state = state_of(ctx)
    rows, matches, skipped = [], [], []
    try:
        for item in read_calls(paths, state.settings.ingest)[0]:
            call_rows, match = compare_call(item, analyse(item, settings=state.settings.analysers))
            if not call_rows:
                skipped.append(item.id)
                continue
            rows += call_rows
            matches.append(match)
    except HeardError as exc:
        fail(exc)
    if not state.quiet:
        notes: list[str] = []
        for call_id in dict.fromkeys(r.call_id for r in rows):
            table = Table(title=call_id, title_justify="left", header_style="bold", box=None)
            for col in ("party", "metric", "heard", "Amazon", "deviation", "ok"):
                table.add_column(col, justify="right" if col in ("heard", "Amazon", "deviation") else "left")
            for r in (r for r in rows if r.call_id == call_id):
                ok = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "–"}[r.within]
                if r.note:
                    if r.note not in notes:
                        notes.append(r.note)
                    ok += f" [{notes.index(r.note) + 1}]"
                table.add_row(r.party or "call", r.metric, _fmt(r.heard), _fmt(r.amazon), _fmt(r.deviation), ok)
            out.print(table)
        for n, note in enumerate(notes, 1):
            out.print(f"[{n}] {escape(note)}")
    result = summary(rows, matches, skipped)
    print(json.dumps(result))
    raise typer.Exit(1 if strict and not result["all_within_tolerance"] else 0)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


accuracy_app = typer.Typer(
    help="Measure the behaviour detectors against human-labelled datasets (licensed for evaluation only).",
    no_args_is_help=True)
commands.add_typer(accuracy_app, name="accuracy")
commands.add_typer(accuracy_app, name="eval", hidden=True)  # the name before 0.2


def _run_eval(name: str, items: Iterable[Any], limit: int | None) -> None:
    from itertools import islice

    from heard.accuracy.score import baseline, evaluate, heard

    chosen = list(islice(items, limit)) if limit else list(items)
    with progress(State(), f"measuring {name}", len(chosen)) as tick:
        reports = evaluate(chosen, {"heard": heard, "baseline": baseline}, on_call=tick)
    table = Table(title=f"{name}: {reports['heard'].calls} conversations, {reports['heard'].turns} judged turns",
                  title_justify="left", header_style="bold", box=None, padding=(0, 1))
    for col in ("behaviour", "support", "heard P", "heard R", "heard F1", "baseline F1", "gain"):
        table.add_column(col, justify="left" if col == "behaviour" else "right")
    figures: dict[str, Any] = {"dataset": name, "conversations": reports["heard"].calls, "behaviours": {}}
    for behaviour in sorted(reports["heard"].counts):
        h, b = reports["heard"].counts[behaviour], reports["baseline"].counts[behaviour]
        table.add_row(behaviour, str(h.support), f"{h.precision:.3f}", f"{h.recall:.3f}", f"[bold]{h.f1:.3f}[/bold]",
                      f"{b.f1:.3f}", f"{h.f1 - b.f1:+.3f}")
        figures["behaviours"][behaviour] = {"heard": h.as_dict(), "baseline": b.as_dict()}
    out.print(table)
    print(json.dumps(figures))


@accuracy_app.command("esconv")
def eval_esconv(path: Annotated[Path, typer.Argument(help="ESConv JSON Lines file, e.g. valid.json.")],
                limit: Annotated[int | None, typer.Option(help="Only the first N conversations.")] = None) -> None:
    """ESConv supporter strategies: Question, Restatement, Reflection of feelings, Affirmation and Reassurance."""
    from heard.accuracy.datasets import read_esconv

    _run_eval("ESConv", read_esconv(path), limit)


@accuracy_app.command("epitome")
def eval_epitome(path: Annotated[Path, typer.Argument(help="Folder with EPITOME's three *-reddit.csv files.")],
                 limit: Annotated[int | None, typer.Option(help="Only the first N pairs.")] = None) -> None:
    """EPITOME emotional reactions, interpretations and explorations (level 1 or 2 counts as present)."""
    from heard.accuracy.datasets import read_epitome

    _run_eval("EPITOME", read_epitome(path), limit)


@accuracy_app.command("annomi")
def eval_annomi(path: Annotated[Path, typer.Argument(help="AnnoMI-simple.csv.")],
                limit: Annotated[int | None, typer.Option(help="Only the first N transcripts.")] = None) -> None:
    """AnnoMI therapist behaviour: question and reflection."""
    from heard.accuracy.datasets import read_annomi

    _run_eval("AnnoMI", read_annomi(path), limit)


@accuracy_app.command("annomi-agreement")
def annomi_agreement_cmd(
        path: Annotated[Path, typer.Argument(help="AnnoMI-full.csv (with annotator ids).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of a table.")] = False,
        machine: Annotated[bool, typer.Option(help="Add heard as one more rater (--no-machine: humans only).")] = True,
) -> None:
    """Agreement on AnnoMI's 7 ten-annotator transcripts: annotators with each other, and heard with each of them."""
    from heard.accuracy.annomi_agreement import agree, machine_ratings, read_raters
    from heard.review.agreement import measure

    try:
        raters = read_raters(path)
        if machine:
            with progress(State(quiet=as_json), "heard rating the transcripts", len(raters.calls)) as tick:
                machine_ratings(raters, on_call=tick)
    except (HeardError, OSError) as exc:
        fail(exc if isinstance(exc, HeardError) else HeardError(f"{path}: {exc}", hint="Pass AnnoMI-full.csv."))
    report = agree(raters, measure)
    if as_json:
        print(json.dumps(report.public()))
        return
    out.print(f"AnnoMI-full.csv, transcripts {', '.join(report.transcripts)}: {report.utterances} therapist "
              f"utterances aligned across {len(report.annotators)} annotators, {len(report.unaligned)} not aligned"
              + (f"; heard's turn model {report.machine}" if report.machine else ""))
    humans = Table(title="annotators with each other", title_justify="left", header_style="bold", box=None,
                   padding=(0, 1))
    for col in ("code", "units", "alpha", "Fleiss", "kappa, pairs [min-max]", "annotator's mean kappa", "exact",
                "kappa with the others' majority"):
        humans.add_column(col, justify="left" if col == "code" else "right")
    heard = Table(title="heard with the annotators", title_justify="left", header_style="bold", box=None,
                  padding=(0, 1))
    for col in ("code", "kappa [min-max]", "exact [min-max]", "kappa, majority", "exact, majority"):
        heard.add_column(col, justify="left" if col == "code" else "right")
    for code in report.codes.values():
        humans.add_row(code.code, str(code.units), _f(code.alpha), _f(code.fleiss), _spread(code.human_cohen),
                       _spread(code.annotator_cohen), _f(code.exact), _spread(code.human_majority_cohen))
        if code.machine_majority is not None:
            heard.add_row(code.code, _spread(code.machine_cohen), _spread(code.machine_exact),
                          _f(code.machine_majority.cohen), _f(code.machine_majority.exact))
    out.print(humans)
    if report.machine:
        out.print(heard)


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _spread(s: Spread) -> str:
    return "–" if s.mean is None else f"{s.mean:.3f} [{s.min:.3f}-{s.max:.3f}]"


@accuracy_app.command("uss")
def accuracy_uss(
        data: Annotated[Path, typer.Option(help="The folder holding USS's MWOZ.txt, SGD.txt, ReDial.txt and CCPE.txt "
                                           "(a relative path is from the current folder: run in the heard checkout).")]
        = Path("..", "shared", "data", "uss-user-satisfaction"),
        limit: Annotated[int | None, typer.Option(min=1, help="Only the first N dialogues of each file.")] = None,
        corpus: Annotated[list[str] | None, typer.Option(help="Only this corpus (MWOZ, SGD, ReDial or CCPE); "
                                                         "repeat for more. Default: all four.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of tables.")] = False,
) -> None:
    """Does heard's customer sentiment track satisfaction? Correlation with USS's human satisfaction ratings."""
    from heard.accuracy.uss import CORPORA, MEASURES, measure_dialogues, read_uss, steps

    unknown = sorted(set(corpus or []) - set(CORPORA))
    if unknown:
        fail(HeardError(f"unknown corpus {', '.join(unknown)}", hint=f"Use one of: {', '.join(CORPORA)}."))
    try:
        corpora = read_uss(data, corpora=corpus or CORPORA, limit=limit)
        with progress(State(quiet=as_json), "measuring USS", steps(corpora)) as tick:
            report = measure_dialogues(corpora, on_step=tick)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(report))
        return
    for level, target in report["target"].items():
        table = Table(title=f"{level} level: Spearman rho and Pearson r with {target}, 95% CI "
                      f"({report['interval']})", title_justify="left", header_style="bold", box=None, padding=(0, 1))
        for col in ("corpus", "measure", "rho", "95% CI", "r", "95% CI ", "pairs", "dialogues"):
            table.add_column(col, justify="left" if col in ("corpus", "measure") else "right")
        for group, figures in report["corpora"].items():
            for m in (m for m in MEASURES if m.level == level):
                f = figures[level][m.key]
                name = m.key if m.kind == "heard" else f"{m.key} ({m.kind})"
                table.add_row(group, name, _f(f["spearman"]["estimate"]), _ci(f["spearman"]),
                              _f(f["pearson"]["estimate"]), _ci(f["pearson"]), str(f["pairs"]), str(f["dialogues"]))
            table.add_section()
        out.print(table)
    for m in MEASURES:
        out.print(f"[bold]{m.key}[/bold]: {escape(m.what)}")
    out.print("An interval is – when some resamples had no variation on one side (too few dialogues: raise --limit).")
    for sentence in report["sentences"]:
        out.print(escape(sentence))


def _ci(figures: dict[str, Any]) -> str:
    return "–" if figures["low"] is None else f"{figures['low']:.3f} to {figures['high']:.3f}"


@accuracy_app.command("corpus")
def accuracy_corpus(paths: Annotated[list[Path] | None, typer.Argument(
        help="Labelled corpus files (default: the test split's consensus gold in training/corpus/gold/).")] = None,
                    limit: Annotated[int | None, typer.Option(help="Only the first N calls.")] = None) -> None:
    """heard's labelled call corpus: every behaviour, questions, account actions, opportunities, robotic flags."""
    from heard.accuracy.datasets import read_corpus_gold

    files = paths or sorted((Path.cwd() / "training" / "corpus" / "gold").glob("*.jsonl"))
    if not files:
        fail(HeardError("no labelled corpus files given or found in training/corpus/gold/",
                        hint="Run from a heard checkout, or pass the files."))
    _run_eval("heard call corpus (test split)", read_corpus_gold(files), limit)


@accuracy_app.command("gold")
def eval_gold() -> None:
    """heard's own hand-labelled sample calls (every behaviour, opportunities and robotic empathy)."""
    from heard.accuracy.datasets import read_gold
    from heard.samples import CALLS_DIR, GOLD_BEHAVIOURS

    _run_eval("heard gold calls", read_gold(GOLD_BEHAVIOURS, CALLS_DIR), None)


