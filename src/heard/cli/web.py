"""`heard serve` and `heard user ...`: thin shells over heard.web and heard.auth.accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from heard.cli.base import fail, out, read_calls, state_of
from heard.errors import HeardError

commands = typer.Typer()

user_app = typer.Typer(help="Users of the web dashboard and API.", no_args_is_help=True)
commands.add_typer(user_app, name="user")


@commands.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the web dashboard and the HTTP API (OpenAPI at /docs).

    Set HEARD_SECRET to keep sessions across restarts."""
    from heard.web.app import serve

    try:
        settings = state_of(ctx).settings
        serve(settings.store.url, host=host, port=port, live=settings.live)
    except HeardError as exc:
        fail(exc)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="agent, lead, qa or admin.")],
    agent_id: Annotated[str | None, typer.Option(help="For agents: the agent id their calls carry.")] = None,
    team: Annotated[str | None, typer.Option(help="For leads: the team they lead; for agents: their team.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[str | None, typer.Option(
        help="Password (default: HEARD_PASSWORD, else asked for).", envvar="HEARD_PASSWORD")] = None,
) -> None:
    """Create a user who can log in to the dashboard."""
    from heard.auth.accounts import add_user

    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(state_of(ctx).store(), username, secret, role, display_name=name, agent_id=agent_id, team=team)
    except HeardError as exc:
        fail(exc)
    out.print(f"Created {user.role.value} {user.username}" + (f" (agent {user.agent_id})" if user.agent_id else "")
              + (f" (team {user.team})" if user.team else ""))


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List users and their roles."""
    from heard.auth.accounts import SYSTEM, list_users

    try:
        users = list_users(state_of(ctx).store(), SYSTEM)
    except HeardError as exc:
        fail(exc)
    for u in users:
        out.print(f"{u.username:20} {u.role.value:6} agent={u.agent_id or '-':12} team={u.team or '-'}")




live_app = typer.Typer(help="Live assist: replay calls through the streaming API.", no_args_is_help=True)
commands.add_typer(live_app, name="live")


@live_app.command("replay")
def live_replay(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A call file (any format heard reads) or a stored call id.")],
    speed: Annotated[float, typer.Option(help="Times faster than real time.")] = 10.0,
    url: Annotated[str | None, typer.Option(help="A running heard serve, e.g. ws://127.0.0.1:8000 (default: an "
                                                 "in-process server).")] = None,
    token: Annotated[str | None, typer.Option(help="API token for --url.", envvar="HEARD_TOKEN")] = None,
    show_suppressed: Annotated[bool, typer.Option(help="Also show prompts that were held back, and why.")] = False,
) -> None:
    """Replay a call through the live API and print what the agent would see."""
    import asyncio
    from pathlib import Path

    from heard.live.client import Sent, replay

    state = state_of(ctx)
    try:
        if Path(file).exists():
            calls, _ = read_calls([file], state.settings.ingest)
        else:
            found = state.store().get_call(file)
            calls = [found] if found else []
    except HeardError as exc:
        fail(exc)
    if not calls:
        fail(HeardError(f"no call in {file!r}", hint="Give a call file or a stored call id."))
    call = calls[0]

    def show(sent: Sent, event: dict[str, object]) -> None:
        if event["type"] == "prompt":
            out.print(f"      [bold green]PROMPT[/bold green] {event['text']}  [dim](why: {event['why']})[/dim]")
        elif event["type"] == "alert":
            out.print(f"      [bold red]ALERT[/bold red] {str(event['kind']).replace('_', ' ')}: {event['why']}")
        elif event["type"] == "suppressed" and show_suppressed:
            out.print(f"      [dim]held back: {event['text']} ({event['reason']})[/dim]")

    def said(sent: Sent, event: dict[str, object]) -> None:
        if sent.final and not getattr(sent, "_shown", False):
            sent._shown = True  # type: ignore[attr-defined]
            when = "" if sent.start is None else f"{int(sent.start // 60)}:{int(sent.start % 60):02d}"
            out.print(f"{when:>5} [bold]{sent.speaker}[/bold]: {sent.text}")
        show(sent, event)

    async def run(base: str, secret: str | None) -> None:
        result = await replay(base, call, speed=speed, token=secret, on_event=said)
        latencies = sorted(s.latency_ms for s in result.sent if s.latency_ms is not None)
        p = latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0
        out.print(f"[dim]{len(result.of('prompt'))} prompt(s), {len(result.of('alert'))} alert(s), "
                  f"{len(result.of('suppressed'))} held back; {len(result.sent)} utterances, p99 round trip "
                  f"{p:.1f} ms, {result.lost} lost.[/dim]")

    if url:
        asyncio.run(run(url, token))
        return
    _in_process(lambda base, secret: asyncio.run(run(base, secret)))


def _in_process(body: object) -> None:
    """Run `body(base_url, token)` against a throwaway in-process server."""
    import socket
    import tempfile
    import threading
    import time

    import uvicorn

    from heard.auth.accounts import add_user, create_token
    from heard.store import Store
    from heard.web.app import create_app

    folder = tempfile.mkdtemp(prefix="heard-live-")
    store = Store.open(f"sqlite:///{folder}/live.db")
    user = add_user(store, "replay", "replay-password", "qa")
    secret = create_token(store, user, "replay")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        body(f"ws://127.0.0.1:{port}", secret)  # type: ignore[operator]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        store.close()
