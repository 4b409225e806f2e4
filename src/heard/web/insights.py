"""Insights: the page for leads, QA and admins (their scope), the self-contained report to download, and
GET /api/insights; a thin shell over heard.insights.report."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from heard.auth.accounts import User
from heard.insights import charts, html
from heard.insights.dataset import InsightsSettings
from heard.insights.report import InsightsError, InsightsScope, current
from heard.web.deps import CurrentUser, PageError, StoreDep, get_store, page_user, read_form
from heard.web.render import flash, render

router = APIRouter()
Team = Annotated[str | None, Query(max_length=200, description="One team's calls (QA and admins; leads see "
                                                                 "their own team whatever this says)")]


def _settings(request: Request) -> InsightsSettings:
    return getattr(request.app.state, "insights", None) or InsightsSettings()


def _scope(user: User, team: str | None) -> InsightsScope:
    try:
        return InsightsScope.of(user, team or None)
    except InsightsError as exc:
        raise PageError(403, str(exc)) from None


@router.get("/insights", include_in_schema=False)
async def insights_page(request: Request, team: Team = None) -> HTMLResponse:
    user = page_user(request)
    scope = _scope(user, team)
    result = await run_in_threadpool(current, get_store(request), scope, _settings(request), by=user.username)
    shown = charts.all_charts(result)
    return render(request, "insights.html", user, r=result, charts=shown, team=scope.team)


@router.post("/insights/refresh", include_in_schema=False)
async def refresh_post(request: Request) -> Response:
    user = page_user(request)
    form = await read_form(request)
    scope = _scope(user, form.get("team") or None)
    await run_in_threadpool(current, get_store(request), scope, _settings(request), by=user.username, refresh=True)
    flash(request, "Insights computed again from the calls as they are now.")
    return RedirectResponse("/insights" + (f"?team={scope.team}" if scope.team else ""), 303)


@router.get("/insights/report.html", include_in_schema=False)
async def report_download(request: Request, team: Team = None) -> Response:
    user = page_user(request)
    scope = _scope(user, team)
    result = await run_in_threadpool(current, get_store(request), scope, _settings(request), by=user.username)
    # ASCII letters and digits only: a team's name may hold anything, a header may not (found by schemathesis)
    name = "heard-insights-" + re.sub(r"[^A-Za-z0-9_-]+", "-", scope.key)[:80] + ".html"
    return HTMLResponse(html.render(result), headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/api/insights", tags=["insights"], summary="Effects of behaviours on outcomes in your scope (leads: "
                                                          "their team; QA and admins: every call or one team)")
async def api_insights(request: Request, user: CurrentUser, store: StoreDep, team: Team = None) -> dict[str, Any]:
    scope = InsightsScope.of(user, team or None)
    return await run_in_threadpool(current, store, scope, _settings(request), by=user.username)
