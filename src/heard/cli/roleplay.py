"""`heard roleplay CALL [TURN]`: a role-play pack for a difficult moment of a stored call (or, without TURN, the
call's difficult moments), a thin shell over heard.coaching.roleplay."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from heard.cli.base import fail, out, state_of
from heard.coaching.roleplay import KIND_TEXT, CoachPack, Line, Moment, RolePlay, coach_pack, difficult_moments, pack
from heard.errors import HeardError
from heard.model import Call, CallAnalysis
from heard.text.redact import NAMES

commands = typer.Typer()


@commands.command("roleplay")
def roleplay_cmd(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(help="A stored call id.")],
    turn: Annotated[int | None, typer.Argument(help="The customer's turn, or the agent's reply to it (numbered "
                                               "from 0, as `heard show` prints them). Leave out to list the "
                                               "call's difficult moments.")] = None,
    coach: Annotated[bool, typer.Option("--coach", help="The coach's pack: practising feedback on this moment.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the pack (or the moments) as JSON.")] = False,
) -> None:
    """A role-play pack from a real difficult moment, personal data redacted: the customer's lines to read, what the
    agent said, what good could sound like and what to notice (--coach: prompts for the feedback conversation)."""
    try:
        store = state_of(ctx).store()
        found = store.get_call(call_id)
        if found is None:
            raise HeardError(f"no stored call with id {call_id!r}",
                             hint="List ids with `heard export --format csv` or import the call first.")
        analysis = store.latest_analysis(call_id)
        if turn is None:
            moments = difficult_moments(found, analysis)
        else:
            made: RolePlay | CoachPack = coach_pack(found, analysis, turn) if coach else pack(found, analysis, turn)
    except HeardError as exc:
        fail(exc)
    if turn is None:
        _print_moments(found, analysis, moments, as_json)
    elif as_json:
        print(json.dumps(made.as_dict(), indent=2, ensure_ascii=False))
    elif isinstance(made, CoachPack):
        _print_coach(made)
    else:
        _print_pack(made)


def _say(text: str, style: str | None = None) -> None:
    out.print(Text(text, style=style or ""))   # Text: "[ACCOUNT]" is shown, not read as markup


def _clock(seconds: float | None) -> str:
    return "" if seconds is None else f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _print_moments(call: Call, analysis: CallAnalysis | None, moments: list[Moment], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"call_id": call.id, "moments": [asdict(m) for m in moments]}, indent=2,
                         ensure_ascii=False))
        return
    if analysis is None:
        _say(f"Call {call.id} has no stored analysis: run `heard analyze --call {call.id}` first.", "yellow")
        return
    if not moments:
        _say(f"No difficult moments found in call {call.id}.")
        return
    _say(f"Difficult moments in call {call.id} (role-play one with `heard roleplay {call.id} TURN`):", "bold")
    for m in moments:
        _say(f"  turn {m.turn:>3}  {_clock(m.time):>5}  {', '.join(KIND_TEXT[k] for k in m.kinds)}: "
             f"{m.summary}")


def _head(title: str, call_id: str, moment: Moment, redacted: dict[str, int]) -> None:
    out.rule(Text(f"{title} · call {call_id} · turn {moment.turn}" +
                  (f" ({_clock(moment.time)})" if moment.time is not None else ""), style="bold"))
    replaced = ", ".join(f"{n} {NAMES[k]}" for k, n in redacted.items())
    _say(f"Personal data replaced in this excerpt: {replaced}." if replaced else
         "No personal data found in this excerpt (every line went through redaction).", "dim")
    _say("\nThe moment", "bold")
    _say(f"  {moment.summary}")
    _say(f"  What would meet it: {moment.meets_it}")


def _excerpt(lines: list[Line]) -> None:
    _say("\nThe excerpt", "bold")
    for line in lines:
        mark = "▶" if line.moment else " "
        _say(f" {mark} {_clock(line.time):>5}  {line.speaker:<8}  {line.text}",
             "bold" if line.moment else None)


def _print_pack(p: RolePlay) -> None:
    _head("Role-play", p.call_id, p.moment, p.redacted)
    _excerpt(p.excerpt)
    _say("\nThe customer's lines to read (a colleague reads them; answer the last one yourself)", "bold")
    for k, line in enumerate(p.customer_lines, 1):
        _say(f"  {k}. {line.text}" + ("   ◀ the moment" if line.moment else ""))
    _say("\nWhat the agent said", "bold")
    _say(f"  “{p.agent_said}”" if p.agent_said else "  (no reply)")
    _say("\nWhat good could sound like (three ways, from the customer's own words)", "bold")
    for k, reply in enumerate(p.replies, 1):
        _say(f"  {k}. {reply}", "green")
    _say("\nWhat to notice", "bold")
    for note in p.notice:
        _say(f"  - {note}")


def _print_coach(p: CoachPack) -> None:
    _head("Feedback practice", p.call_id, p.moment, p.redacted)
    _excerpt(p.excerpt)
    _say("\nWhat the agent said", "bold")
    _say(f"  “{p.agent_said}”" if p.agent_said else "  (no reply)")
    for k, step in enumerate(p.steps, 1):
        _say(f"\n{k}. {step.step}", "bold")
        _say(f"   {step.why}", "dim")
        for example in step.examples:
            _say(f"   - {example}", "green")
    _say("\nA colleague playing the agent might say", "bold")
    for line in p.agent_lines:
        _say(f"  “{line}”")
    _say("\nAvoid", "bold")
    for line in p.avoid:
        _say(f"  - {line}")
