"""Team pages: load (heard.team.load); a thin shell."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from heard.auth.accounts import UserRole
from heard.team import load
from heard.web.deps import get_store, page_user
from heard.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/team/load")
def load_page(request: Request) -> HTMLResponse:
    """Heavy calls per agent and day (an agent sees their own, a lead their team, QA and admins everyone)."""
    user = page_user(request)
    days = load.bounded_days(request.query_params.get("days"))
    team = (request.query_params.get("team") or "").strip()[:200] or None
    shown = load.load(get_store(request), user, days, team=team)
    return render(request, "team_load.html", user, load=shown, days=days, is_agent=user.role is UserRole.AGENT,
                  run_at=load.RUN_AT, share_at=load.SHARE_AT, share_min=load.SHARE_MIN_CALLS)
