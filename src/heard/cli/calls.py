"""Calls in and out: import, analyze, show, export, sample, overuse, formats and schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from heard.cli.base import AddressOpt, Engine, State, WorkersOpt, err, fail, import_progress, out, progress, state_of
from heard.errors import HeardError
from heard.ingest import FORMATS, expand_paths
from heard.model import Call, CallAnalysis
from heard.runners import run_engine
from heard.runners.importer import ImportReport, import_paths
from heard.runners.sources import CallFiles, Failed, ParquetCalls, Skipped, Source, StoredCalls
from heard.store import Store

commands = typer.Typer()


@commands.command("import")
def import_cmd(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs of calls and outcome files.")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="Force a format (see `heard formats`).")] = None,
    replace: Annotated[bool, typer.Option(help="Overwrite calls stored under the same id with other content.")]
    = False,
    repair_timestamps: Annotated[bool, typer.Option(help="Swap backwards start/end and sort turns by start.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import calls (and metadata/outcome CSV or JSON) into the store. Re-importing adds nothing."""
    state = state_of(ctx)
    try:
        options = state.settings.ingest.model_copy(
            update={"repair_timestamps": True} if repair_timestamps else {})
        store = state.store()
        files = list(expand_paths(paths))
        with import_progress(state, len(files)) as (tick, seconds):
            # The expanded files, so the folders are walked once; the patterns when nothing matched, for the message.
            report = import_paths(store, files or paths, format=format, options=options, replace=replace,
                                  progress=tick, redaction=state.settings.redaction, audio_progress=seconds)
    except HeardError as exc:
        fail(exc)
    _print_import(report, state, as_json)
    raise typer.Exit(0 if report.ok else 1)


def _print_import(report: ImportReport, state: State, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    for problem in report.problems:
        err.print(f"[yellow]{escape(problem.where)}[/yellow]: {escape(problem.message)}", soft_wrap=True)
    summary = (f"{report.files} file(s): {report.added} imported, {report.skipped} already stored, "
               f"{report.replaced} replaced, {report.failed} failed")
    if report.outcomes_updated or report.outcomes_unchanged or report.outcomes_missing:
        summary += (f"; outcomes: {report.outcomes_updated} updated, {report.outcomes_unchanged} unchanged, "
                    f"{report.outcomes_missing} without a call")
    out.print(summary)


def _is_folder(path: Path) -> bool:
    """--out names a Parquet folder when it is one already, or has no suffix (or .parquet); else a JSON lines file."""
    return path.is_dir() or path.suffix.lower() in ("", ".parquet")


@commands.command("analyze")
def analyze_cmd(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(help="Files to analyse; none = every stored call.")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", "-o", help="FILE.jsonl: one JSON object per call; a folder (no suffix): Parquet files of results "
        "(call_id, content_hash, analyser_key, status, error, summary, result). Files without --out: JSON lines "
        "to standard output.")] = None,
    store_results: Annotated[bool | None, typer.Option(
        "--store/--no-store", help="Save calls and results in the store. Default: yes for stored calls; "
        "no for files, which are then analysed read-only.")] = None,
    call: Annotated[list[str] | None, typer.Option("--call", help="Analyse only these stored call ids.")] = None,
    engine: Annotated[Engine, typer.Option(
        help="local: processes on this machine; ray: a Ray cluster (pip install 'heard[ray]').")] = Engine.LOCAL,
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    redo: Annotated[bool, typer.Option(
        "--all", help="Analyse again calls already analysed by the same analyser versions (default: skip them).")]
    = False,
    only: Annotated[list[str] | None, typer.Option("--analyser", help="Run only these analysers.")] = None,
) -> None:
    """Analyse stored calls (results saved in the store) or files (results written as JSON lines or Parquet).

    A run that saves to the store resumes: calls already analysed by the same analyser versions, content
    unchanged, are skipped (--all analyses them again)."""
    state = state_of(ctx)
    problems = analysed = skipped = 0
    to_stdout = bool(paths) and out_file is None
    parquet = out_file is not None and _is_folder(out_file)
    try:
        settings = state.settings
        store: Store | None = None
        ids: list[str] | None = None
        if paths and store_results:
            store = state.store()
            report = import_paths(store, paths, options=settings.ingest, redaction=settings.redaction)
            for problem in report.problems:
                err.print(f"[yellow]{escape(problem.where)}[/yellow]: {escape(problem.message)}", soft_wrap=True)
            problems += report.failed
            ids = report.call_ids
        elif not paths:
            store = state.store()
            ids = call or None
        saving = store is not None and store_results is not False
        source: Source
        if store is not None:
            source = StoredCalls.of(store, ids)
            total: int | None = store.count_calls() if ids is None else len(ids)
        elif all(p.endswith(".parquet") or list(Path(p).glob("*.parquet")) for p in paths or []):
            source, total = ParquetCalls(tuple(paths or [])), None
        else:
            source, total = CallFiles(tuple(paths or []), settings.ingest), None
        options: dict[str, Any] = dict(store=store if saving else None, out=out_file if parquet else None,
                                       only=only, settings=settings.analysers, resume=saving and not redo)
        results = run_engine(engine.value, source, workers=workers, address=address, **options)
        sink = None if parquet else out_file.open("w", encoding="utf-8") if out_file else \
            sys.stdout if to_stdout else None
        try:
            with progress(state, "analysing", total) as tick:
                for result in results:
                    tick()
                    if isinstance(result, Skipped):
                        skipped += 1
                        continue
                    if isinstance(result, Failed):
                        err.print(f"[red]{escape(result.call_id)}[/red]: {escape(result.error)}")
                        problems += 1
                        continue
                    analysed += 1
                    if sink:
                        sink.write(result.result + "\n")
        finally:
            if sink and sink is not sys.stdout:
                sink.close()
    except HeardError as exc:
        fail(exc)
    if not state.quiet or problems:
        where = f" -> {out_file}" if out_file else ""
        done = f", {skipped} skipped (already analysed; --all analyses them again)" if skipped else ""
        (err if to_stdout else out).print(f"{analysed} call(s) analysed, {problems} failed{done}{where}")
    raise typer.Exit(1 if problems else 0)


@commands.command("show")
def show_cmd(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(help="A stored call id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the call and its analysis as JSON.")] = False,
) -> None:
    """Print a stored call with its outcome and latest analysis."""
    state = state_of(ctx)
    try:
        store = state.store()
        found = store.get_call(call_id)
        if found is None:
            raise HeardError(f"no stored call with id {call_id!r}",
                             hint="List ids with `heard export --format csv` or import the call first.")
        analysis = store.latest_analysis(call_id)
    except HeardError as exc:
        fail(exc)
    assert found is not None
    if as_json:
        out.print_json(json.dumps({"call": found.model_dump(mode="json"),
                                   "analysis": analysis.model_dump(mode="json") if analysis else None}))
        return
    _print_call(found, analysis)


ROLE_STYLE = {"agent": "cyan", "customer": "magenta", "other": "white"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "  --  "
    return f"{int(seconds // 60):02d}:{seconds % 60:04.1f}"


LANE_STYLE = {"time": "dim", "agent": "cyan", "customer": "magenta", "events": "bold red", "silence": "yellow",
              "feeling": "green"}


def _print_call(call: Call, analysis: CallAnalysis | None) -> None:
    from heard.cli.timeline import LABEL_WIDTH, render

    facts = [f"[bold]{escape(call.id)}[/bold]", f"agent {call.agent_id or '?'}", f"team {call.team or '?'}",
             f"queue {call.queue or '?'}", call.channel.value]
    if call.reason:
        facts.append(f"reason {call.reason}")
    out.print("  ·  ".join(facts))
    if call.speaker_mapping and call.speaker_mapping.method == "heuristic":
        out.print(f"[dim]speakers guessed ({call.speaker_mapping.confidence:.0%} sure): "
                  f"{escape(call.speaker_mapping.reason or '')}[/dim]")
    for lane in render(call, analysis, width=min(out.width, 120)):
        style = LANE_STYLE.get(lane.name, "")
        out.print(f"[dim]{lane.name:<{LABEL_WIDTH}}[/dim][{style}]{escape(lane.text)}[/{style}]", highlight=False,
                  soft_wrap=True)
    sentiment = {t.turn: t for t in analysis.per_turn("turn_sentiment")} if analysis else {}
    marks = _turn_marks(analysis)
    spans = _evidence_spans(analysis)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("time", style="dim", no_wrap=True)
    table.add_column("speaker", no_wrap=True)
    table.add_column("feel", justify="right", no_wrap=True)
    table.add_column("text")
    for i, t in enumerate(call.turns):
        for note in marks.get(("before", i), []):
            table.add_row("", "", "", "", f"[yellow]{note}[/yellow]")
        style = ROLE_STYLE[t.speaker.value]
        s = sentiment.get(i)
        feel = "" if s is None or s.value is None else f"{s.value:+.2f}"
        rendered = _highlighted(t.text, spans.get(i, []))
        for note in marks.get(("on", i), []):
            rendered.append(f" {note}", style="red")
        table.add_row(str(i), f"{_clock(t.start)}–{_clock(t.end)}", f"[{style}]{t.speaker.value}[/{style}]", feel,
                      rendered)
    out.print(table)
    if call.outcome:
        parts = [f"{k}={v}" for k, v in call.outcome.model_dump(exclude_none=True).items() if k != "survey_comment"]
        out.print("[bold]outcome[/bold] " + ", ".join(parts))
        if call.outcome.survey_comment:
            out.print(f'[bold]survey[/bold] "{escape(call.outcome.survey_comment)}"')
    if analysis is None:
        out.print("[dim]not analysed yet: run `heard analyze`[/dim]")
        return
    versions = ", ".join(f"{n} v{v}" for n, v in sorted(analysis.analysers.items()))
    table = Table(title=f"metrics ({versions})", title_justify="left", header_style="bold", box=None)
    for col in ("metric", "agent", "customer", "call"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    cells: dict[str, dict[str, str]] = {}
    for m in analysis.metrics:
        if m.name.startswith("turn_") or m.name.endswith("_amazon") or m.name.startswith("amazon_"):
            continue  # per-turn figures are in the table above; Amazon-scale copies are in --json
        who = m.party.value if m.party else "call"
        value = "–" if m.value is None else f"{m.value:.2f}" if isinstance(m.value, float) else str(m.value)
        text = f"{'~' if m.approximate and m.value is not None else ''}{value}"
        cell = cells.setdefault(m.name + (f" ({m.unit})" if m.unit and m.unit != "ratio" else ""), {})
        cell[who] = f"{cell[who]} {text}" if who in cell else text
    for name, by in cells.items():
        table.add_row(name, by.get("agent", ""), by.get("customer", ""), by.get("call", ""))
    out.print(table)
    out.print("[dim]~ approximate: only turn timings were available. Quarters read Q1 to Q4.[/dim]")
    _print_empathy(analysis)
    if analysis.skipped:
        for name, why in analysis.skipped.items():
            out.print(f"[dim]{name} did not run: {why}[/dim]")


EVIDENCE_STYLE = {"behaviour": "bold green", "robotic": "bold red", "opportunity": "bold yellow"}
SHORT = {"acknowledge_emotion": "acknowledge", "early_acknowledgement": "early ack", "mirror_paraphrase": "mirror",
         "clarifying_question": "clarify", "explain_why": "why", "summarise_goal": "goal", "next_steps": "next steps",
         "reassurance": "reassure", "confidence_check": "check"}


def _print_empathy(analysis: CallAnalysis) -> None:
    if "empathy" not in analysis.analysers:
        return
    shown = [f for f in analysis.findings if f.kind == "behaviour"]
    opportunities = [f for f in analysis.findings if f.kind == "opportunity"]
    robotic = [f for f in analysis.findings if f.kind == "robotic"]
    found = sorted({SHORT.get(f.label, f.label) for f in shown})
    missing = sorted(set(SHORT.values()) - set(found) - {"early ack"})
    out.print(f"[bold]empathy[/bold]: shown: [green]{', '.join(found) or 'none'}[/green]; "
              f"not shown: {', '.join(missing) or 'none'}")
    if opportunities:
        met = sum(f.label == "met" for f in opportunities)
        out.print(f"  opportunities: {met} of {len(opportunities)} met" + "".join(
            f"\n    turn {f.evidence[0].turn} ({', '.join(f.detail['kinds'])}): "
            f"{'[green]met[/green] by ' + ', '.join(f.detail['response']) if f.label == 'met' else '[red]missed[/red]'}"
            for f in opportunities))
    else:
        out.print("  opportunities: none in this call (not applicable)")
    for f in robotic:
        quote = "; ".join(f'"{escape(e.text or "")}" (turn {e.turn})' for e in f.evidence[:3])
        out.print(f"  [red]robotic: {f.label.replace('_', ' ')}[/red]: {quote}")


def _evidence_spans(analysis: CallAnalysis | None) -> dict[int, list[tuple[int, int, str, str]]]:
    """Per turn: (start, end, style, tag) for every empathy finding's evidence."""
    spans: dict[int, list[tuple[int, int, str, str]]] = {}
    for f in analysis.findings if analysis else []:
        if f.kind not in EVIDENCE_STYLE:
            continue
        tag = SHORT.get(f.label, f.label) if f.kind == "behaviour" else (
            f"opportunity {f.label}" if f.kind == "opportunity" else f"robotic: {f.label}")
        for e in f.evidence[: 1 if f.kind == "opportunity" else None]:
            if e.span is not None:
                spans.setdefault(e.turn, []).append((e.span[0], e.span[1], EVIDENCE_STYLE[f.kind], tag))
    return spans


def _highlighted(text: str, spans: list[tuple[int, int, str, str]]) -> Text:
    """The turn's text with evidence styled, followed by the behaviours found in it."""
    out = Text(text)
    for start, end, style, _ in spans:
        out.stylize(style, start, end)
    tags = list(dict.fromkeys(tag for _, _, _, tag in spans))
    for tag in tags:
        style = "red" if tag.startswith("robotic") else "yellow" if tag.startswith("opportunity") else "green"
        out.append(f" [{tag}]", style=style)
    return out


def _turn_marks(analysis: CallAnalysis | None) -> dict[tuple[str, int], list[str]]:
    """Notes to print with turns: silences before a turn, interruptions, escalations and cues on it."""
    marks: dict[tuple[str, int], list[str]] = {}
    if analysis is None:
        return marks
    for f in analysis.findings:
        if f.kind == "non_talk":
            after = max(e.turn for e in f.evidence) if f.evidence else 0
            where = "before" if f.detail.get("inside_turn") is None else "on"
            name = "hold" if f.label == "hold" else "dead air"
            marks.setdefault((where, after if where == "before" else f.detail["inside_turn"]), []).append(
                f"— {f.detail['duration']:g} s {name} —")
        elif f.kind == "overlap" and f.label == "interruption":
            seconds = f.detail["overlap_seconds"]
            marks.setdefault(("on", f.evidence[-1].turn), []).append(f"⤷ interrupts ({seconds:g} s)")
        elif f.kind == "escalation":
            marks.setdefault(("on", f.detail["customer_turn"]), []).append("! escalation: " + "; ".join(
                f.detail["reasons"]))
        elif f.kind == "frustration_cue":
            marks.setdefault(("on", f.evidence[0].turn), []).append(f"[{f.label}]")
    return marks


@commands.command("export")
def export_cmd(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet.")] = "csv",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default heard-export.FORMAT).")]
    = None,
) -> None:
    """Export every stored call with outcomes and metrics."""
    from heard.insights.summary import export

    state = state_of(ctx)
    target = out_file or Path(f"heard-export.{format}")
    try:
        count = export(state.store(), format, target)
    except HeardError as exc:
        fail(exc)
    if not state.quiet:
        out.print(f"{count} call(s) -> {target}")


@commands.command("sample")
def sample_cmd(
    ctx: typer.Context,
    calls: Annotated[int, typer.Option("--calls", "-n", min=1, help="How many calls.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same corpus.")] = 0,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("sample-calls"),
    per_file: Annotated[int, typer.Option(help="Calls per JSONL file.")] = 1000,
) -> None:
    """Generate a realistic synthetic corpus (heard JSONL) for scale tests."""
    from heard.samples.generate import write_corpus

    state = state_of(ctx)
    files = write_corpus(out_dir, calls=calls, seed=seed, per_file=per_file)
    if not state.quiet:
        out.print(f"{calls} call(s) in {len(files)} file(s) under {out_dir}")


@commands.command("overuse")
def overuse_cmd(
    ctx: typer.Context,
    min_index: Annotated[float, typer.Option(help="Flag phrases used this many times more than by the team.")]
    = 2.0,
    min_share: Annotated[float, typer.Option(help="...and used in at least this share of the agent's calls.")]
    = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the flags as JSON.")] = False,
) -> None:
    """Empathy phrases each agent overuses across their calls, against the rest of their team."""
    from dataclasses import asdict

    from heard.empathy.lexicon import load
    from heard.empathy.overuse import phrase_overuse

    state = state_of(ctx)
    try:
        store = state.store()
        lexicon = load(state.settings.analysers.get("empathy", {}).get("lexicon"))
        found = phrase_overuse(store.iter_calls(), lexicon, min_index=min_index, min_share=min_share)
    except HeardError as exc:
        fail(exc)
    if as_json:
        print(json.dumps([{**asdict(o), "index": None if o.index == float("inf") else o.index} for o in found]))
        return
    if not found:
        out.print("No overused phrases.")
        return
    table = Table(title="Overused empathy phrases", header_style="bold", box=None, padding=(0, 1))
    for col in ("team", "agent", "phrase", "/call", "team /call", "index", "calls"):
        table.add_column(col, justify="right" if col in ("/call", "team /call", "index") else "left",
                         no_wrap=col != "phrase", min_width=22 if col == "phrase" else None)
    for o in found:
        index = "only them" if o.index == float("inf") else f"{o.index:g}x"
        table.add_row(o.team or "-", o.agent_id, f'"{escape(o.phrase)}"', f"{o.agent_uses_per_call:g}",
                      f"{o.team_uses_per_call:g}", index, f"{o.calls_with_phrase} of {o.agent_calls}")
    out.print(table)
    out.print("[dim]/call: the agent's uses per call; team /call: the rest of the team's; index: the ratio; "
              "calls: the agent's calls that use it.[/dim]")


@commands.command("formats")
def formats_cmd() -> None:
    """List the input formats heard reads (names for --format)."""
    for name, fmt in FORMATS.items():
        doc = (type(fmt).__doc__ or "").strip().splitlines()[0]
        out.print(f"[bold]{name:24}[/bold] {escape(doc)}")


@commands.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of heard's call format."""
    out.print_json(json.dumps(Call.model_json_schema()))

