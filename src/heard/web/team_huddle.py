"""Team pages: huddle (heard.team.huddle); a thin shell.

GET /team/huddle (?week=YYYY-MM-DD, any day of the week; &team= for QA and admins), GET /team/huddle.txt (the
same pack as email-ready plain text), GET and POST /team/checkins/{agent_id} (the lead's log and form; the agent
reads their own)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from heard.auth.accounts import Denied, User, UserRole
from heard.team import huddle
from heard.web.deps import PageError, get_store, page_user, read_form
from heard.web.render import flash, render

router = APIRouter(include_in_schema=False)


def _week(raw: str | None) -> date:
    if not raw:
        return huddle.week_of(datetime.now(UTC).date())
    try:
        return huddle.week_of(date.fromisoformat(raw[:10]))
    except ValueError:
        raise PageError(400, f"Week {raw[:20]!r} is not a date: use YYYY-MM-DD (any day of the week).") from None


def _pack(request: Request, user: User, team: str | None, week: str | None) -> huddle.Pack | None:
    store = get_store(request)
    if user.role is UserRole.AGENT:
        raise PageError(403, "Huddle packs are for leads, QA and admins. Ask your lead about this week's huddle.")
    if user.role is not UserRole.LEAD and not team:
        known = huddle.teams(store, user)
        if not known:
            return None
        team = known[0]
    try:
        return huddle.pack(store, user, team, _week(week))
    except Denied as exc:
        raise PageError(403, str(exc)) from None
    except huddle.HuddleError as exc:
        raise PageError(400, str(exc)) from None


def _query(p: huddle.Pack, user: User, weeks: int = 0) -> str:
    args = {"week": (p.week_start + timedelta(days=7 * weeks)).isoformat()}
    if user.role is not UserRole.LEAD:
        args["team"] = p.team
    return urlencode(args)


@router.get("/team/huddle")
def huddle_page(request: Request, week: str | None = None, team: str | None = None) -> HTMLResponse:
    user = page_user(request)
    p = _pack(request, user, team, week)
    store = get_store(request)
    agents = huddle.team_agents(store, p.team) if p is not None else []
    counts = {a: n for a, n in huddle.checkin_counts(store, user).items() if a in agents} \
        if user.role in (UserRole.LEAD, UserRole.ADMIN) else {}
    if user.role is not UserRole.LEAD:
        agents = []     # QA and admins do not open check-ins: admins see the counts only
    return render(request, "team_huddle.html", user, p=p, teams=huddle.teams(store, user), agents=agents,
                  counts=counts, query=_query(p, user) if p else "",
                  prev=_query(p, user, -1) if p else "", next=_query(p, user, 1) if p else "")


@router.get("/team/huddle.txt")
def huddle_text(request: Request, week: str | None = None, team: str | None = None) -> Response:
    user = page_user(request)
    p = _pack(request, user, team, week)
    if p is None:
        raise PageError(404, "No team has calls yet: there is no huddle pack to send.")
    return PlainTextResponse(huddle.as_text(p, str(request.base_url)))


def _checkins_url(agent_id: str) -> str:
    return f"/team/checkins/{quote(agent_id)}"


@router.get("/team/checkins/{agent_id:path}")
def checkins_page(request: Request, agent_id: str) -> HTMLResponse:
    user = page_user(request)
    try:
        log = huddle.checkins_for(get_store(request), user, agent_id)
    except Denied as exc:
        raise PageError(403, str(exc)) from None
    return render(request, "team_checkins.html", user, agent_id=agent_id, log=log,
                  is_lead=user.role is UserRole.LEAD, question=huddle.SUPPORT_QUESTION,
                  week=huddle.week_of(datetime.now(UTC).date()).isoformat())


@router.post("/team/checkins/{agent_id:path}")
async def checkin_post(request: Request, agent_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    raw = form.get("week", "")
    try:
        week = date.fromisoformat(raw) if raw else huddle.week_of(datetime.now(UTC).date())
    except ValueError:
        flash(request, f"Week {raw[:20]!r} is not a date (YYYY-MM-DD); nothing was saved.", "error")
        return RedirectResponse(_checkins_url(agent_id), 303)
    try:
        huddle.add_checkin(get_store(request), user, agent_id, week, form.get("support", ""), form.get("notes", ""))
    except Denied as exc:
        raise PageError(403, str(exc)) from None
    except huddle.HuddleError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(_checkins_url(agent_id), 303)
    flash(request, f"Check-in saved. Only you and {agent_id} can read it.")
    return RedirectResponse(_checkins_url(agent_id), 303)
