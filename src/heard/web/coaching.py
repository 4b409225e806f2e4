"""Coaching pages: the team's plans and overdue follow-ups, an agent's plan (focus, moments, better replies,
practice, progress, sessions), and a session's page where the agent adds to the action and acknowledges."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heard.auth.accounts import UserRole
from heard.coaching import feedback, plans
from heard.web.deps import PageError, get_store, page_id, page_user, read_form
from heard.web.render import flash, render

router = APIRouter(include_in_schema=False)


def _agent_url(agent_id: str) -> str:
    return f"/coaching/agents/{quote(agent_id)}"


@router.get("/coaching")
def coaching_home(request: Request) -> Response:
    user = page_user(request)
    if user.role is UserRole.AGENT:
        if not user.agent_id:
            raise PageError(404, "Your user has no agent id.")
        return RedirectResponse(_agent_url(user.agent_id), 303)
    store = get_store(request)
    team = user.team if user.role is UserRole.LEAD else None
    return render(request, "coaching_list.html", user, plans=plans.team_plans(store, user, team),
                  overdue=plans.overdue(store, user), labels=plans.LABELS)


@router.get("/coaching/agents/{agent_id:path}")
def plan_page(request: Request, agent_id: str) -> HTMLResponse:
    user = page_user(request)
    try:
        shown = plans.view(get_store(request), user, agent_id)
    except plans.CoachingError as exc:
        raise PageError(404, str(exc)) from None
    return render(request, "coaching_plan.html", user, v=shown, coach=user.role is not UserRole.AGENT,
                  behaviours=list(plans.WEIGHTS), labels=plans.LABELS)


@router.post("/coaching/agents/{agent_id:path}/plan")
async def start_post(request: Request, agent_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    try:
        plans.start_plan(get_store(request), user, agent_id, behaviour=form.get("behaviour") or None)
        flash(request, "Plan started: one behaviour, with moments from the agent's own calls.")
    except plans.CoachingError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(_agent_url(agent_id), 303)


@router.post("/coaching/plans/{raw_id}/close")
async def close_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    store = get_store(request)
    try:
        plan = plans.close_plan(store, user, page_id(raw_id, "coaching plan"), form.get("why", ""))
        flash(request, "Plan closed: target met." if plan["state"] == "met" else "Plan closed by the coach.")
        return RedirectResponse(_agent_url(plan["agent_id"]), 303)
    except plans.CoachingError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/coaching", 303)


@router.post("/coaching/plans/{raw_id}/sessions")
async def session_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    store = get_store(request)
    moments = []
    for value in form.getlist("moment"):
        call_id, _, turn = value.rpartition("#")
        moments.append({"call_id": call_id, "turn": int(turn) if turn.isdigit() else None})
    raw_date = form.get("follow_up", "")
    try:
        follow_up = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        follow_up = None
        flash(request, f"Follow-up {raw_date[:20]!r} is not a date (YYYY-MM-DD); none was set.", "error")
    try:
        made = plans.log_session(store, user, page_id(raw_id, "coaching plan"), notes=form.get("notes", ""),
                                 action=form.get("action", ""), moments_discussed=moments, follow_up=follow_up)
    except plans.CoachingError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/coaching", 303)
    flash(request, "Session logged. The agent can add to the action and acknowledge it.")
    return RedirectResponse(f"/coaching/sessions/{made['id']}", 303)


@router.get("/coaching/sessions/{raw_id}")
def session_page(request: Request, raw_id: str) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    try:
        session = plans.get_session(store, user, page_id(raw_id, "coaching session"))
    except plans.CoachingError as exc:
        raise PageError(404, str(exc)) from None
    advice = None if user.role is UserRole.AGENT else \
        feedback.check(f"{session['notes']}\n{session['action']}", moment_hint=bool(session["moments"])).to_dict()
    return render(request, "coaching_session.html", user, s=session, effect=plans.effect(store, session),
                  is_agent=user.role is UserRole.AGENT, labels=plans.LABELS, advice=advice)



@router.post("/coaching/sessions/{raw_id}/agent")
async def agent_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    session_id = page_id(raw_id, "coaching session")
    try:
        plans.agent_adds(get_store(request), user, session_id, form.get("agent_action", ""))
        flash(request, "Thanks: your part of the action is saved and the session acknowledged.")
    except plans.CoachingError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(f"/coaching/sessions/{session_id}", 303)


@router.post("/coaching/sessions/{raw_id}/followed-up")
async def followed_up_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    await read_form(request)
    session_id = page_id(raw_id, "coaching session")
    try:
        plans.followed_up(get_store(request), user, session_id)
        flash(request, "Follow-up done.")
    except plans.CoachingError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(f"/coaching/sessions/{session_id}", 303)
