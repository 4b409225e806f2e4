"""`heard serve` and `heard user ...`: thin shells over heard.web and heard.accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from heard.cli import _fail, _state, app, out
from heard.errors import HeardError

user_app = typer.Typer(help="Users of the web dashboard and API.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the web dashboard and the HTTP API (OpenAPI at /docs).

    Set HEARD_SECRET to keep sessions across restarts."""
    from heard.web.app import serve

    try:
        serve(_state(ctx).settings.store.url, host=host, port=port)
    except HeardError as exc:
        _fail(exc)


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
    from heard.accounts import add_user

    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(_state(ctx).store(), username, secret, role, display_name=name, agent_id=agent_id, team=team)
    except HeardError as exc:
        _fail(exc)
    out.print(f"Created {user.role.value} {user.username}" + (f" (agent {user.agent_id})" if user.agent_id else "")
              + (f" (team {user.team})" if user.team else ""))


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List users and their roles."""
    from heard.accounts import User, UserRole, list_users

    try:
        users = list_users(_state(ctx).store(), User(0, "cli", "cli", UserRole.ADMIN, None, None))
    except HeardError as exc:
        _fail(exc)
    for u in users:
        out.print(f"{u.username:20} {u.role.value:6} agent={u.agent_id or '-':12} team={u.team or '-'}")


