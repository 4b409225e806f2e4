"""Role-play pages: a pack for one difficult moment of a call (`/roleplay/{call}/{turn}`, `?coach=1` for the
coach's pack) and the list of a call's difficult moments (`/calls/{call}/moments`). Whoever may see the call may
see its packs; every line is redacted (heard.coaching.roleplay). The page prints as a handout (static/print.css)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from heard.auth import accounts
from heard.coaching import roleplay
from heard.model import Call, CallAnalysis
from heard.text.redact import NAMES
from heard.web.deps import PageError, get_store, page_user
from heard.web.render import render

router = APIRouter(include_in_schema=False)


def _call(request: Request, call_id: str) -> tuple[accounts.User, Call, CallAnalysis | None]:
    user = page_user(request)
    store = get_store(request)
    if not accounts.can_see_call(store, user, call_id):
        raise PageError(404, f"There is no call {call_id[:200]} that you can see.")
    call = store.get_call(call_id)
    if call is None:
        raise PageError(404, f"There is no call {call_id[:200]} that you can see.")
    return user, call, store.latest_analysis(call_id)


@router.get("/calls/{call_id:path}/moments")
def moments_page(request: Request, call_id: str) -> HTMLResponse:
    user, call, analysis = _call(request, call_id)
    moments = roleplay.difficult_moments(call, analysis)
    accounts.audit(get_store(request), user, "view", "roleplay", call.id, moments=len(moments))
    return render(request, "roleplay.html", user, call_id=call.id, moments=moments, pack=None, coach=False,
                  analysed=analysis is not None, kinds=roleplay.KIND_TEXT)


@router.get("/roleplay/{call_id:path}/{turn}")
def roleplay_page(request: Request, call_id: str, turn: str, coach: str = "") -> HTMLResponse:
    user, call, analysis = _call(request, call_id)
    if not turn.isascii() or not turn.isdigit() or len(turn) > 6:
        raise PageError(404, f"Call {call.id} has no turn {turn[:40]}.")
    as_coach = coach.lower() in ("1", "true", "yes")
    try:
        made = roleplay.coach_pack(call, analysis, int(turn)) if as_coach else roleplay.pack(call, analysis, int(turn))
    except roleplay.RolePlayError as exc:
        raise PageError(404, exc.message) from None
    accounts.audit(get_store(request), user, "view", "roleplay", call.id, turn=int(turn), coach=as_coach)
    redacted = [f"{n} {NAMES[kind]}" for kind, n in made.redacted.items()]
    return render(request, "roleplay.html", user, call_id=call.id, pack=made, coach=as_coach, moments=None,
                  redacted=redacted, turn=int(turn), analysed=analysis is not None, kinds=roleplay.KIND_TEXT)
