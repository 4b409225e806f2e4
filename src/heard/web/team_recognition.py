"""Team pages: recognition (heard.team.recognition); a thin shell.

GET /team/wins is the feed for team meetings (the month's confirmed Empathy MVP, praising comments, customers
turned around, kudos); a lead of the team (or an admin) also sees the unconfirmed ranking with its explanation
and confirms it (POST /team/mvp). POST /calls/{id}/kudos gives kudos on a moment, from the call page or the feed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from heard.auth.accounts import Denied, Unknown, User
from heard.errors import ConflictError
from heard.store import Store
from heard.store.schema import calls
from heard.team import recognition
from heard.web.deps import PageError, get_store, page_user, read_form
from heard.web.render import flash, render

router = APIRouter(include_in_schema=False)


def _team(store: Store, user: User, asked: str | None) -> str | None:
    """The team the page shows: the one asked for (QA and admins may pick any), else the user's own."""
    if asked and "\x00" not in asked and (user.sees_all or asked == user.team):
        return asked[:200]
    if asked:
        raise PageError(403, f"Team {asked[:100]}'s wins are for its members.")
    if user.team or not user.sees_all:
        return user.team
    with store.engine.connect() as conn:   # QA and admins without a team: the first team with calls
        return conn.execute(select(calls.c.team).where(calls.c.team.is_not(None)).order_by(calls.c.team)
                            .limit(1)).scalar()


def _wins_url(team: str, month: str) -> str:
    return "/team/wins?" + urlencode({"team": team, "month": month})


@router.get("/team/wins")
def wins_page(request: Request, month: str | None = None, team: str | None = None) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    chosen = month or recognition.this_month()
    try:
        start, end = recognition.month_span(chosen)
    except recognition.RecognitionError as exc:
        raise PageError(400, f"{exc.message}. {exc.hint}") from None
    shown = _team(store, user, team)
    if shown is None:
        return render(request, "team_wins.html", user, team=None, month=chosen, items=[], pick=None, ranking=None)
    pick = recognition.mvp_pick(store, user, shown, chosen)
    ranking = recognition.mvp_ranking(store, shown, chosen) \
        if pick is None and recognition.may_confirm(user, shown) else None
    items = recognition.wins(store, user, shown, start, end)
    return render(request, "team_wins.html", user, team=shown, month=chosen, items=items, pick=pick,
                  ranking=ranking, weights=recognition.WEIGHTS, components=recognition.COMPONENTS,
                  min_calls=recognition.MIN_CALLS, note_max=recognition.NOTE_MAX,
                  month_label=start.strftime("%B %Y"))


@router.post("/team/mvp")
async def confirm_post(request: Request) -> Response:
    user = page_user(request)
    form = await read_form(request)
    team, month = form.get("team", "")[:200], form.get("month", "")[:7]
    try:
        pick = recognition.confirm_mvp(get_store(request), user, team, month, form.get("agent_id", "")[:200],
                                       form.get("note", ""))
        flash(request, f"{pick['name']} is the team's Empathy MVP for {month}: the team sees it now.")
    except (recognition.RecognitionError, Denied, ConflictError) as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(_wins_url(team, month), 303)


@router.post("/calls/{call_id:path}/kudos")
async def kudos_post(request: Request, call_id: str) -> Response:
    user = page_user(request)
    form = await read_form(request)
    raw_turn = form.get("turn", "")
    turn = int(raw_turn) if raw_turn.isascii() and raw_turn.isdigit() and len(raw_turn) < 7 else None
    back = form.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = f"/calls/{call_id}" + (f"#turn-{turn}" if turn is not None else "")
    try:
        given = recognition.give_kudos(get_store(request), user, call_id, turn, form.get("note", ""))
        flash(request, f"Kudos sent to {given['agent']}: it shows in the team's Wins feed.")
    except Unknown:
        raise PageError(404, f"There is no call {call_id[:200]} that you can see.") from None
    except (recognition.RecognitionError, Denied, ConflictError) as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(back, 303)
