"""Team pages: voice (heard.team.voice); a thin shell.

GET /team/voice lists the items the user may see with the "we listened" summary (and, for agents, the form to
raise one); POST /team/voice files it; GET /team/voice/{id} shows an item and its replies; POST
/team/voice/{id}/reply is a lead's answer. After an anonymous item the agent goes back to the list, not to the
item: nothing, not even their browser history, needs to point from them to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heard.auth.accounts import UserRole
from heard.team import voice
from heard.web.deps import PageError, get_store, page_id, page_user, read_form
from heard.web.render import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/team/voice")
def voice_page(request: Request, status: str = "") -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    shown = status if status in voice.STATUSES else None
    is_agent = user.role is UserRole.AGENT
    items = voice.list_items(store, user)
    return render(request, "team_voice.html", user,
                  items=[i for i in items if i.status == shown] if shown else items,
                  waiting=[] if is_agent else [i for i in reversed(items) if not i.replies],
                  shown=shown, statuses=voice.STATUSES, topics=voice.TOPICS, summary=voice.listened(store, user),
                  overdue=[] if is_agent else voice.overdue(store, user), is_agent=is_agent,
                  where=voice.anonymous_goes_to(store, user) if is_agent else None)


@router.post("/team/voice")
async def submit_post(request: Request) -> Response:
    user = page_user(request)
    form = await read_form(request)
    anonymous = form.get("anonymous") == "1"
    try:
        item = voice.submit(get_store(request), user, form.get("topic", ""), form.get("text", ""), anonymous)
    except voice.VoiceError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/team/voice", 303)
    if anonymous:
        where = f"team {item.team}" if item.team else "the whole organisation (org-wide)"
        flash(request, f"Sent anonymously to {where}. Your name is not stored with it. Follow it in the list below.")
        return RedirectResponse("/team/voice", 303)
    flash(request, "Sent with your name. Your lead will answer it here.")
    return RedirectResponse(f"/team/voice/{item.id}", 303)


@router.get("/team/voice/{raw_id}")
def item_page(request: Request, raw_id: str) -> HTMLResponse:
    user = page_user(request)
    try:
        item = voice.get_item(get_store(request), user, page_id(raw_id, "voice item"))
    except voice.VoiceError as exc:
        raise PageError(404, str(exc)) from None
    return render(request, "team_voice_item.html", user, item=item, statuses=voice.STATUSES, topics=voice.TOPICS,
                  next_statuses=voice.NEXT[item.status], can_reply=voice.can_reply(user, item),
                  today=datetime.now(UTC).date().isoformat())


@router.post("/team/voice/{raw_id}/reply")
async def reply_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    item_id = page_id(raw_id, "voice item")
    raw_date = form.get("follow_up", "")
    try:
        follow_up = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        flash(request, f"Follow-up {raw_date[:20]!r} is not a date (YYYY-MM-DD).", "error")
        return RedirectResponse(f"/team/voice/{item_id}", 303)
    try:
        item = voice.reply(get_store(request), user, item_id, form.get("text", ""), form.get("status", ""),
                           follow_up)
    except voice.NotFound as exc:
        raise PageError(404, str(exc)) from None
    except voice.VoiceError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(f"/team/voice/{item_id}", 303)
    flash(request, f"Reply saved: the item is {voice.STATUSES[item.status]}.")
    return RedirectResponse(f"/team/voice/{item_id}", 303)
