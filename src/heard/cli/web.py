"""`heard serve`, `heard user ...` and `heard token ...`: thin shells over heard.web and heard.auth.accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from heard.cli.base import fail, out, read_calls, state_of
from heard.errors import HeardError

commands = typer.Typer()

user_app = typer.Typer(help="Users of the web dashboard and API.", no_args_is_help=True)
commands.add_typer(user_app, name="user")
token_app = typer.Typer(help="API tokens: create, list and revoke.", no_args_is_help=True)
commands.add_typer(token_app, name="token")


@commands.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes on this port; more than one needs "
                                         "live.backend = redis and web.throttle_storage in Redis.")] = 1,
) -> None:
    """Serve the web dashboard and the HTTP API (OpenAPI at /docs).

    Set HEARD_SECRET to keep sessions across restarts (several workers share it; without it, one random secret
    per run). Several workers: docs/live.md, "Several server workers"."""
    from heard.web.app import serve

    try:
        settings = state_of(ctx).settings
        serve(settings.store.url, host=host, port=port, live=settings.live, web=settings.web,
              insights_settings=settings.insights, workers=workers)
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
    from heard.auth.accounts import SYSTEM, find_user, list_users

    try:
        store = state_of(ctx).store()
        users = [(u, find_user(store, u.username)[1]) for u in list_users(store, SYSTEM)]
    except HeardError as exc:
        fail(exc)
    for u, active in users:
        out.print(f"{u.username:20} {u.role.value:6} agent={u.agent_id or '-':12} team={u.team or '-':10}"
                  + ("" if active else " [red]deactivated[/red]"))


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    password: Annotated[str | None, typer.Option(
        help="New password (default: HEARD_PASSWORD, else asked for).", envvar="HEARD_PASSWORD")] = None,
) -> None:
    """Set a user's password; every session and token they had ends."""
    from heard.auth.accounts import audit, find_user, set_password

    secret = password or typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        store = state_of(ctx).store()
        user, _ = find_user(store, username)
        set_password(store, user, secret)
        audit(store, None, "set_password", "user", username, by="cli")
    except HeardError as exc:
        fail(exc)
    out.print(f"Set the password of {username}; their sessions and tokens have ended.")


def _set_active(ctx: typer.Context, username: str, active: bool) -> None:
    from heard.auth.accounts import audit, set_active

    try:
        store = state_of(ctx).store()
        set_active(store, username, active)
        audit(store, None, "activate" if active else "deactivate", "user", username, by="cli")
    except HeardError as exc:
        fail(exc)
    out.print(f"{'Reactivated' if active else 'Deactivated'} {username}"
              + ("" if active else "; their sessions and tokens have ended."))


@user_app.command("deactivate")
def user_deactivate(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Stop a user logging in, and end every session and token they had (their records stay)."""
    _set_active(ctx, username, False)


@user_app.command("activate")
def user_activate(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Let a deactivated user log in again (with new logins and tokens)."""
    _set_active(ctx, username, True)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "script",
    days: Annotated[float, typer.Option(help="Lifetime in days.")] = 90.0,
    scope: Annotated[str, typer.Option(help="full, or live: may only stream live calls (admins only).")] = "full",
) -> None:
    """Create an API token; it is printed once and stored only as a digest."""
    from heard.auth.accounts import audit, create_token, find_user

    try:
        store = state_of(ctx).store()
        user, active = find_user(store, username)
        if not active:
            fail(HeardError(f"{username} is deactivated", hint=f"heard user activate {username}"))
        token = create_token(store, user, name, days=days, scope=scope)
        audit(store, None, "create_token", "user", username, scope=scope, days=days, by="cli")
    except HeardError as exc:
        fail(exc)
    print(token)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
) -> None:
    """List tokens (never the secrets): id, user, name, scope, state, expiry and last use."""
    from heard.auth.accounts import SYSTEM, list_tokens

    try:
        tokens = [t for t in list_tokens(state_of(ctx).store(), SYSTEM) if username in (None, t.username)]
    except HeardError as exc:
        fail(exc)
    for t in tokens:
        p = t.public()
        out.print(f"{t.id:>5} {t.username:16} {t.name[:24]:24} {t.scope:5} {t.state:8} "
                  f"expires {(p['expires_at'] or 'never')[:16]}  last used {(p['last_used_at'] or 'never')[:16]}")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The id from heard token list.")],
                 ) -> None:
    """Revoke a token: it stops working at once."""
    from heard.auth.accounts import SYSTEM, audit, revoke_token

    try:
        store = state_of(ctx).store()
        revoked = revoke_token(store, SYSTEM, token_id)
        audit(store, None, "revoke_token", "token", str(token_id), owner=revoked.username, by="cli")
    except HeardError as exc:
        fail(exc)
    out.print(f"Revoked token {token_id} ({revoked.name}) of {revoked.username}.")


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
    user = add_user(store, "replay", "replay-password", "admin")
    secret = create_token(store, user, "replay", scope="live", days=1)
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
