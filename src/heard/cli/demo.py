"""`heard demo`: the sample calls imported, analysed and scored, a report printed, the dashboard served."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from heard.cli.base import fail, out
from heard.errors import HeardError
from heard.runners.importer import import_paths
from heard.runners.local import Failed, analyse_and_store
from heard.store import Store

commands = typer.Typer()


@commands.command("demo")
def demo_cmd(
    keep: Annotated[Path | None, typer.Option(help="Keep the demo database at this path (default: a temp file).")]
    = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="End by serving the dashboard (default) or stop.")]
    = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Import the bundled sample calls into a fresh embedded database, analyse and score them, print a report,
    create one user per role, and serve the dashboard on the demo data (--no-serve to stop after the report)."""
    from heard.cli.coach import print_plan
    from heard.cli.insights import print_findings
    from heard.cli.scores import print_report
    from heard.insights.summary import agent_summary
    from heard.samples import SAMPLES_DIR
    from heard.scorecards import definition as scorecard_definition
    from heard.scorecards import rules as scorecard_rules
    from heard.scorecards.report import summarise
    from heard.scorecards.service import latest_scores, score_stored

    workdir = Path(tempfile.mkdtemp(prefix="heard-demo-"))
    db_path = keep or workdir / "demo.db"
    if keep and keep.exists():
        keep.unlink()
    try:
        store = Store.open(f"sqlite:///{db_path}")
        report = import_paths(store, [SAMPLES_DIR / "calls", SAMPLES_DIR / "outcomes.csv"])
        audio = _demo_audio(store)
        calls = list(store.iter_calls())
        failed = [r for r in analyse_and_store(store, calls) if isinstance(r, Failed)]
        summary = agent_summary(store)
        versions = sorted({f"{n} v{v}" for a in store.iter_analyses() for n, v in a.analysers.items()})
        card, ruleset = scorecard_definition.load(), scorecard_rules.load()
        scored = list(score_stored(store, card, ruleset))
        score_summary = summarise(latest_scores(store, card.name), card, by="agent", which="automatic")
        logins = _demo_users(store)
        insights = _demo_insights(store)
        coaching = _demo_plan(store)
        store.close()
    except HeardError as exc:
        fail(exc)
    finally:
        if keep is None and not serve:
            shutil.rmtree(workdir, ignore_errors=True)
    formats: dict[str, int] = {}
    for c in calls:
        formats[c.source_format or "?"] = formats.get(c.source_format or "?", 0) + 1
    out.rule("[bold]heard demo[/bold]")
    out.print(f"Imported {len(calls)} sample calls ({', '.join(f'{n} {k}' for k, n in sorted(formats.items()))}); "
              f"{report.outcomes_updated} outcome rows joined; {report.failed + len(failed)} problems.")
    out.print(f"Analysers: {', '.join(versions)}")
    table = Table(title="Per agent", header_style="bold underline", box=None, pad_edge=False, padding=(0, 1))
    for col in ("team", "agent", "calls", "CSAT", "FCR", "length", "talk", "opps met", "robotic", "recovery"):
        table.add_column(col, justify="left" if col in ("team", "agent") else "right", no_wrap=True)
    for row in summary:
        table.add_row(row["team"], row["agent_id"], str(row["calls"]), _num(row["csat"]), _pct(row["fcr_rate"]),
                      _dur(row["mean_duration_s"]), _pct(row["agent_talk_share"]),
                      _pct(row["opportunities_met"]), _num(row["robotic_per_call"]), _signed(row["customer_recovery"]))
    out.print(table)
    reasons: dict[str, int] = {}
    for c in calls:
        reasons[c.reason or "?"] = reasons.get(c.reason or "?", 0) + 1
    out.print("Call reasons: " + ", ".join(f"{k} {n}" for k, n in sorted(reasons.items())))
    out.print(audio)
    out.print("[dim]length: mean call length; talk: the agent's share of talk time; opps met: share of the "
              "customer's empathy opportunities the agent acknowledged or reassured; robotic: robotic-empathy "
              "flags per call; recovery: customer sentiment at the end minus at the start (-2 to +2).[/dim]")
    out.print()
    unscored = [x for x in scored if x.result is None]
    print_report(score_summary, card, "agent", f"Scorecard {card.name}: automatic answers, {len(scored)} calls"
                 + (f", {len(unscored)} not scored" if unscored else ""))
    out.print("[dim]The evaluator item (resolved) stays open until reviewed: heard review CALL resolved yes.[/dim]")
    out.print()
    print_findings(insights)
    out.print("[dim]The whole report: heard insights --out report.html, or /insights on the dashboard.[/dim]")
    if coaching is not None:
        out.print()
        print_plan(coaching)
        out.print(f"[dim]The lead nora started this plan; see it on the dashboard at /coaching, or run heard coach "
                  f"{coaching['agent_id']}.[/dim]")
    if keep:
        out.print(f"Database kept at {keep}; try: heard --db {keep} score {calls[0].id}")
    else:
        out.print(f"Try next: heard demo --keep demo.db && heard --db demo.db score {calls[0].id}")
    if not (serve or keep):
        return
    out.print()
    out.rule("[bold]Dashboard logins[/bold] (one per role, new passwords each run)")
    for username, role, password, sees in logins:
        out.print(f"  {role:6} {username:6} password [bold]{password}[/bold]  sees {sees}")
    if serve:
        from heard.web.app import serve as serve_app

        out.print(f"Serving the dashboard on http://{host}:{port}/ (Ctrl-C to stop; --no-serve to skip).")
        try:
            serve_app(f"sqlite:///{db_path}", host=host, port=port)
        finally:
            if keep is None:
                shutil.rmtree(workdir, ignore_errors=True)


def _demo_audio(store: Store) -> str:
    """Import the recorded sample call (transcribed offline) and say what the recording itself showed."""
    import time

    from heard.ingest.audio import AudioUnavailable, require_audio
    from heard.pipeline import analyse
    from heard.samples import SAMPLES_DIR

    try:
        require_audio()
    except AudioUnavailable as exc:
        return f"Audio: the recorded sample call was skipped: {exc}"
    folder = SAMPLES_DIR / "audio"
    began = time.perf_counter()
    report = import_paths(store, [folder / "au-01.ogg", folder / "outcomes.csv"])
    took = time.perf_counter() - began
    call = store.get_call("au-01")
    if call is None or call.audio is None:
        return "Audio: the recorded sample call could not be read: " + "; ".join(map(str, report.problems))
    found = analyse(call, only=["acoustics"]).findings
    talkover = [f for f in found if f.kind == "talkover"]
    silences = [f.detail["seconds"] for f in found if f.kind == "silence"]
    raised = [f for f in found if f.label == "raised_voice"]
    return (f"Audio: au-01.ogg ({call.audio.layout}, {call.audio.sample_rate // 1000} kHz, "
            f"{call.audio.duration:.0f} s) transcribed offline in {took:.0f} s by {call.audio.transcript_source}: "
            f"{len(call.turns)} turns; talk-over {len(talkover)} "
            f"({', '.join(sorted({f.detail['by'] for f in talkover})) or 'none'} started it); "
            f"{len(silences)} silences (longest {max(silences, default=0):.1f} s); "
            f"raised voice {len(raised)} (customer, from loudness and pitch against their own baseline).")


def _demo_plan(store: Store) -> dict[str, Any] | None:
    """A coaching plan, started by team north's lead (the demo's nora), for the north agent with the widest gap."""
    from heard.auth.accounts import SYSTEM, find_user
    from heard.coaching import plans

    north = sorted({c.agent_id for c in store.iter_calls() if c.team == "north" and c.agent_id})
    if not north:
        return None
    widest = max(north, key=lambda a: max(plans.choose_focus(store, a, "north").gaps.values()))
    lead, _ = find_user(store, "nora")
    plans.start_plan(store, lead, widest)
    return plans.view(store, SYSTEM, widest)


def _demo_insights(store: Store) -> dict[str, Any]:
    """Which behaviours went with better outcomes in the sample calls, kept so the coaching plan weighs by it."""
    from heard.insights.report import InsightsScope, current

    return current(store, InsightsScope(), by="demo")


def _demo_users(store: Store) -> list[tuple[str, str, str, str]]:
    """One user per role on the sample data, with fresh random passwords."""
    import secrets

    from heard.auth.accounts import add_user

    people = [("ana", "agent", "a.rivera", "north", "only a.rivera's calls"),
              ("nora", "lead", None, "north", "team north"),
              ("quinn", "qa", None, None, "every call"),
              ("ada", "admin", None, None, "everything, users and the audit log")]
    out = []
    for username, role, agent_id, team, sees in people:
        password = secrets.token_urlsafe(9)
        add_user(store, username, password, role, agent_id=agent_id, team=team)
        out.append((username, role, password, sees))
    return out


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _signed(v: float | None) -> str:
    return "–" if v is None else f"{v:+.2f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _dur(v: float | None) -> str:
    return "–" if v is None else f"{int(v // 60)}m{int(v % 60):02d}s"


