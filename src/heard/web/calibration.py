"""Calibration pages: the list and the create form, a rater's blind scoring sheet, and the results page where
answers split and the lead records what good sounds like; plus the results as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heard.auth import accounts
from heard.auth.accounts import SYSTEM, User
from heard.errors import HeardError
from heard.review import calibration
from heard.web.deps import ApiError, CurrentUser, PageError, StoreDep, get_store, page_id, page_user, read_form
from heard.web.render import flash, render

router = APIRouter()
SessionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="calibration session id")]


def _page_session(request: Request, user: User, raw: str) -> calibration.Session:
    try:
        return calibration.get(get_store(request), user, page_id(raw, "calibration session"))
    except calibration.CalibrationError:
        raise PageError(404, f"There is no calibration session {raw[:40]} that you can see.") from None


@router.get("/api/calibration/{session_id}/results", tags=["calibration"],
            summary="A calibration session's agreement per item and overall, and where answers split")
def results_api(session_id: SessionId, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    try:
        return calibration.results(store, user, session_id)
    except calibration.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc), exc.hint) from None
    except calibration.CalibrationError as exc:
        raise ApiError(404, "not_found", str(exc)) from None


@router.get("/calibration", include_in_schema=False)
def list_page(request: Request) -> HTMLResponse:
    user = page_user(request)
    if not calibration.is_rater(user):
        raise PageError(404, "Calibration is for QA, leads and admins.")
    store = get_store(request)
    sessions = calibration.sessions_of(store, user)
    raters = [u for u in accounts.list_users(store, SYSTEM) if calibration.is_rater(u)]
    return render(request, "calibration_list.html", user, sessions=sessions, raters=raters)


@router.post("/calibration", include_in_schema=False)
async def create_post(request: Request) -> Response:
    user = page_user(request)
    form = await read_form(request)
    evaluators = form.getlist("evaluators")
    try:
        session = calibration.create(get_store(request), user, form.get("name", ""),
                                     form.get("calls", "").replace("\n", ",").split(","), evaluators,
                                     expert=form.get("expert") or None)
    except (calibration.CalibrationError, calibration.NotAllowed, HeardError) as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/calibration", 303)
    flash(request, f"Session {session.id} created: each rater now scores it blind.")
    return RedirectResponse(f"/calibration/{session.id}", 303)


@router.get("/calibration/{raw_id}", include_in_schema=False)
def session_page(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    session = _page_session(request, user, raw_id)
    store = get_store(request)
    if user.username not in session.raters or session.raters[user.username] is not None:
        return RedirectResponse(f"/calibration/{session.id}/results", 303)
    sheet = calibration.my_sheet(store, user, session.id)
    calls = {c: store.get_call(c) for c in session.calls}
    return render(request, "calibration_sheet.html", user, session=session, sheet=sheet, calls=calls)


@router.post("/calibration/{raw_id}/answers", include_in_schema=False)
async def answers_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    session = _page_session(request, user, raw_id)
    form = await read_form(request)
    call_id = form.get("call", "")
    saved = 0
    try:
        for _, item in session.card.items:
            value = form.get(f"a:{item.id}", "")
            if not value:
                continue
            turn = form.get(f"t:{item.id}", "").strip()
            calibration.answer(get_store(request), user, session.id, call_id, item.id, value,
                               comment=form.get(f"c:{item.id}"),
                               turn=int(turn) if turn.isdigit() and len(turn) < 7 else None)
            saved += 1
        flash(request, f"Saved {saved} answer(s) for {call_id}.")
    except (calibration.CalibrationError, calibration.NotAllowed) as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(f"/calibration/{session.id}#call-{call_id}", 303)


@router.post("/calibration/{raw_id}/submit", include_in_schema=False)
async def submit_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    session = _page_session(request, user, raw_id)
    await read_form(request)
    try:
        calibration.submit(get_store(request), user, session.id)
    except (calibration.CalibrationError, calibration.NotAllowed) as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(f"/calibration/{session.id}", 303)
    flash(request, "Submitted. You can now see how everyone who submitted answered.")
    return RedirectResponse(f"/calibration/{session.id}/results", 303)


@router.get("/calibration/{raw_id}/results", include_in_schema=False)
def results_page(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    session = _page_session(request, user, raw_id)
    try:
        found = calibration.results(get_store(request), user, session.id)
    except calibration.NotAllowed as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(f"/calibration/{session.id}", 303)
    manage = user.username == session.created_by or user.sees_all
    return render(request, "calibration_results.html", user, session=session, found=found, manage=manage)


@router.post("/calibration/{raw_id}/agree", include_in_schema=False)
async def agree_post(request: Request, raw_id: str) -> Response:
    user = page_user(request)
    session = _page_session(request, user, raw_id)
    form = await read_form(request)
    item = form.get("item", "")
    try:
        calibration.agree(get_store(request), user, session.id, item, form.get("note", ""),
                          agreed_answer=form.get("answer") or None, call_id=form.get("call") or None)
        flash(request, f"Recorded what good sounds like for {item}: evaluators see it next to the item.")
    except (calibration.CalibrationError, calibration.NotAllowed) as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(f"/calibration/{session.id}/results#item-{item}", 303)
