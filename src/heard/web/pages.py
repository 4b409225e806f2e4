"""Server-rendered pages (Jinja2) with light progressive enhancement; charts by plotly.js from the plotly wheel."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from heard.auth import accounts
from heard.auth.accounts import UserRole
from heard.coaching import plans
from heard.empathy.lexicon import BEHAVIOURS
from heard.errors import HeardError
from heard.review import calibration, evaluations
from heard.scorecards.definition import Scorecard
from heard.web import views
from heard.web.deps import LoginRefused, PageError, get_store, log_in, log_out, page_id, page_user, read_form
from heard.web.render import LABELS, flash, render

router = APIRouter(include_in_schema=False)


def _card(definition: dict[str, Any] | None) -> Scorecard | None:
    return Scorecard.model_validate(definition) if definition else None


def _chart(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    base = {"margin": {"l": 40, "r": 10, "t": 10, "b": 40}, "height": 260, "font": {"family": "system-ui",
                                                                                   "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "showlegend": True,
            "legend": {"orientation": "h", "y": -0.25}}
    return {"data": data, "layout": {**base, **layout}}


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    return get_plotlyjs().encode()


@router.get("/vendor/plotly.min.js")
def plotly_js() -> Response:
    return Response(_plotly_js(), media_type="application/javascript",
                    headers={"cache-control": "public, max-age=86400"})

@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    request.session.setdefault("csrf", secrets.token_urlsafe(24))
    return render(request, "login.html", None, next=next if next.startswith("/") else "/")

@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await read_form(request)
    try:
        log_in(request, form.get("username", "")[:200], form.get("password", "")[:1000])
    except LoginRefused as exc:
        message = "Wrong username or password." if exc.status == 401 else \
            f"Too many failed logins. Try again in {exc.retry_after} seconds."
        request.session.setdefault("csrf", secrets.token_urlsafe(24))
        response = render(request, "login.html", None, status=exc.status, next=form.get("next", "/"), error=message)
        if exc.retry_after:
            response.headers["retry-after"] = str(exc.retry_after)
        return response
    target = form.get("next", "/")
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", 303)

@router.post("/logout")
async def logout_post(request: Request) -> Response:
    await read_form(request)
    log_out(request)
    return RedirectResponse("/login", 303)

@router.get("/")
def home(request: Request) -> Response:
    user = page_user(request)
    if user.role is UserRole.AGENT and user.agent_id:
        return RedirectResponse(f"/agents/{quote(user.agent_id)}", 303)
    if user.role is UserRole.LEAD and user.team:
        return RedirectResponse(f"/teams/{quote(user.team)}", 303)
    return RedirectResponse("/calls", 303)

@router.get("/calls")
def calls_page(request: Request) -> HTMLResponse:
    user = page_user(request)
    params = {k: v for k, v in request.query_params.items() if v != ""}
    try:
        filters = views.CallFilters.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        flash(request, f"Filter {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", "error")
        filters = views.CallFilters()
    rows, total = views.call_rows(get_store(request), user, filters)
    exact = total <= views.TOTAL_CAP
    total = total if exact else views.estimated_total(get_store(request), user, filters)
    options = views.scope_options(get_store(request), user)
    accounts.audit(get_store(request), user, "list", "calls", None, filters=params)
    after = views.next_after(filters, rows)
    following = {**{k: v for k, v in params.items() if k not in ("after", "offset")}, "after": after} if after else None
    return render(request, "calls.html", user, rows=rows, total=total, filters=filters, params=params,
                  options=options, behaviours=[*BEHAVIOURS, "early_acknowledgement"],
                  total_exact=exact, next_page=urlencode(following) if following else None)

@router.get("/calls/{call_id:path}")
def call_page(request: Request, call_id: str) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    if not accounts.can_see_call(store, user, call_id):
        raise PageError(404, f"There is no call {call_id} that you can see.")
    call = store.get_call(call_id)
    assert call is not None
    analysis = store.latest_analysis(call_id)
    detail = views.call_detail(call, analysis)
    score = views.score_of(store, call_id)
    card = _card(score["definition"]) if score else None
    accounts.audit(store, user, "view", "call", call_id)
    curve = detail["customer_sentiment"]
    chart = _chart([{"x": [p["time"] for p in curve], "y": [p["value"] for p in curve], "type": "scatter",
                     "mode": "lines+markers", "name": "customer sentiment", "line": {"shape": "spline"},
                     "customdata": [p["turn"] for p in curve],
                     "hovertemplate": "turn %{customdata}: %{y:.2f}<extra></extra>"}],
                   {"yaxis": {"range": [-1, 1], "zeroline": True, "title": "sentiment"},
                    "xaxis": {"title": "seconds"}, "height": 200, "showlegend": False})
    evals = evaluations.list_evaluations(store, user, call_id=call_id)
    findings = _findings(analysis)
    return render(request, "call.html", user, call=detail, score=score, card=card, chart=chart,
                  evaluations=evals, findings=findings,
                  result=views.result_of(score["automatic"]) if score else None)

@router.post("/calls/{call_id:path}/evaluate")
async def evaluate_post(request: Request, call_id: str) -> Response:
    user = page_user(request)
    await read_form(request)
    try:
        started = evaluations.start(get_store(request), user, call_id)
    except evaluations.Forbidden as exc:
        raise PageError(403, str(exc)) from None
    except evaluations.NotFound as exc:
        raise PageError(404, str(exc)) from None
    return RedirectResponse(f"/evaluations/{started['id']}", 303)

@router.get("/evaluations/{raw_id}")
def evaluation_page(request: Request, raw_id: str) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    evaluation_id = page_id(raw_id, "evaluation")
    try:
        ev = evaluations.get(store, user, evaluation_id)
    except evaluations.NotFound:
        raise PageError(404, f"There is no evaluation {evaluation_id} that you can see.") from None
    call = store.get_call(ev["call_id"])
    assert call is not None
    detail = views.call_detail(call, store.latest_analysis(call.id))
    score = views.score_of(store, call.id)
    card = _card(score["definition"]) if score else None
    automatic = {a["item"]: a for a in ev["automatic"]["answers"]}
    final = {a["item"]: a for a in ev["result"]["answers"]}
    is_agent = user.role is UserRole.AGENT and user.agent_id == ev["agent_id"]
    return render(request, "evaluation.html", user, ev=ev, call=detail, card=card, automatic=automatic,
                  final=final, is_agent=is_agent, guidance=calibration.guidance(store, ev["scorecard"]),
                  alignment=calibration.last_alignment_sentence(store, ev["evaluator"]) if is_agent else None,
                  is_evaluator=ev["evaluator"] == user.username or user.role is UserRole.ADMIN)

async def _eval_action(request: Request, raw_id: str, action: str, item: str | None = None) -> Response:
    user = page_user(request)
    evaluation_id = page_id(raw_id, "evaluation")
    form = await read_form(request)
    store = get_store(request)
    anchor = ""
    raw = form.get("version", "")
    version = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None  # the page as it was loaded
    try:
        if action == "item" and item is not None:
            evaluations.answer(store, user, evaluation_id, item, form.get("answer", ""), form.get("comment"),
                               version=version)
            flash(request, f"Saved {item}.")
            anchor = f"#item-{item}"
        elif action == "submit":
            evaluations.submit(store, user, evaluation_id, version=version)
            flash(request, "Evaluation submitted. The agent can now acknowledge or dispute it.")
        elif action == "acknowledge":
            evaluations.acknowledge(store, user, evaluation_id, version=version)
            flash(request, "Thanks, you acknowledged this evaluation.")
        elif action == "dispute":
            evaluations.dispute(store, user, evaluation_id, form.get("reason", ""), form.get("item") or None,
                                version=version)
            flash(request, "Your dispute was sent to your team lead.")
        elif action == "resolve":
            changes = {form["item"]: form["answer"]} if form.get("item") and form.get("answer") else {}
            evaluations.resolve(store, user, evaluation_id, form.get("resolution", ""), changes, version=version)
            flash(request, "Dispute resolved.")
    except evaluations.NotFound as exc:
        raise PageError(404, str(exc)) from None
    except evaluations.Forbidden as exc:
        raise PageError(403, str(exc)) from None
    except HeardError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse(f"/evaluations/{evaluation_id}{anchor}", 303)

@router.post("/evaluations/{raw_id}/items/{item}")
async def eval_item(request: Request, raw_id: str, item: str) -> Response:
    return await _eval_action(request, raw_id, "item", item)

@router.post("/evaluations/{raw_id}/{action}")
async def eval_step(request: Request, raw_id: str, action: str) -> Response:
    if action not in ("submit", "acknowledge", "dispute", "resolve"):
        raise PageError(404, "No such action.")
    return await _eval_action(request, raw_id, action)

@router.get("/agents/{agent_id:path}")
def agent_page(request: Request, agent_id: str) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    rows, _ = views.call_rows(store, user, views.CallFilters(agent=agent_id, limit=1000, sort="started_at"))
    if not rows:
        raise PageError(404, f"There is no agent {agent_id} whose calls you can see.")
    team = rows[0]["team"]
    # Rates from the weekly totals (heard.store.aggregates): a few hundred rows, however many calls.
    mine = views.behaviour_rates(views.agent_totals(store, user, agent=agent_id))
    theirs = views.behaviour_rates(views.agent_totals(store, accounts.SYSTEM, team=team) if team else [])
    names = [LABELS.get(b, b) for b in mine]
    behaviour_chart = _chart([
        {"type": "bar", "orientation": "h", "y": names, "x": list(mine.values()), "name": agent_id,
         "marker": {"color": "#2f6f8f"}},
        {"type": "bar", "orientation": "h", "y": names, "x": list(theirs.values()), "name": f"team {team}",
         "marker": {"color": "#c9d6de"}}],
        {"barmode": "group", "height": 380, "xaxis": {"title": "% of calls", "range": [0, 105]},
         "margin": {"l": 150, "r": 10, "t": 10, "b": 60}})
    scored = [r for r in rows if r["score"] is not None and r["started_at"]]
    score_chart = _chart([{"type": "scatter", "mode": "lines+markers", "x": [r["started_at"] for r in scored],
                           "y": [r["score"] for r in scored], "name": "score", "text": [r["id"] for r in scored],
                           "hovertemplate": "%{text}: %{y:.0f}<extra></extra>"}],
                         {"yaxis": {"range": [0, 100], "title": "score"}, "showlegend": False})
    evals = evaluations.list_evaluations(store, user, agent_id=agent_id)
    accounts.audit(store, user, "view", "agent", agent_id)
    return render(request, "agent.html", user, agent_id=agent_id, team=team, rows=rows, mine=mine,
                  behaviour_chart=behaviour_chart, score_chart=score_chart, evaluations=evals)

@router.get("/teams/{team:path}")
def team_page(request: Request, team: str) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    if user.role is UserRole.AGENT or (user.role is UserRole.LEAD and user.team != team):
        raise PageError(404, f"There is no team {team} you can see.")
    totals = views.agent_totals(store, user, team=team)   # per agent, from the weekly totals: no call rows read
    if not totals:
        raise PageError(404, f"There is no team {team} with analysed calls.")
    agents = views.by_agent(totals)
    rates = {a: views.behaviour_rates(rows) for a, rows in agents.items()}
    weeks = views.weekly(views.weeks_of(store, user, team=team))
    all_weeks = sorted({w for series in weeks.values() for w in series})
    trend = _chart([{"type": "scatter", "mode": "lines+markers", "name": a, "x": list(series),
                     "y": list(series.values())} for a, series in sorted(weeks.items())],
                   {"yaxis": {"range": [0, 100], "title": "mean score"}, "xaxis": {"type": "category"}})
    summary = []
    card = None
    try:
        from heard.scorecards.service import stored_card

        _, _, card = stored_card(store, views.DEFAULT_CARD)
        summary = views.item_summary(totals, card)
    except HeardError:
        pass
    disputed = evaluations.list_evaluations(store, user, state="disputed")
    accounts.audit(store, user, "view", "team", team)
    overdue = [o for o in plans.overdue(store, user) if o["agent_id"] in agents]
    return render(request, "team.html", user, team=team, n_calls=sum(w.calls for w in totals), rates=rates,
                  trend=trend, overdue=overdue,
                  weeks=all_weeks, summary=summary, card=card,
                  disputed=[d for d in disputed if d["team"] == team],
                  behaviours=[*BEHAVIOURS, "early_acknowledgement"])

@router.get("/account")
def account_page(request: Request) -> HTMLResponse:
    user = page_user(request)
    own = [t.public() for t in accounts.list_tokens(get_store(request), user) if t.username == user.username]
    return render(request, "account.html", user, tokens=own)

@router.post("/account/password")
async def password_post(request: Request) -> Response:
    user = page_user(request)
    form = await read_form(request)
    store = get_store(request)
    try:
        accounts.change_password(store, user, form.get("current_password", "")[:1000],
                                 form.get("new_password", "")[:1000])
    except HeardError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/account", 303)
    accounts.audit(store, user, "change_password", "user", user.username)
    log_out(request)
    flash(request, "Your password is changed and every session and token you had has ended. Log in again.")
    return RedirectResponse("/login", 303)

@router.post("/account/tokens/{token_id}/revoke")
async def token_revoke_post(request: Request, token_id: str) -> Response:
    user = page_user(request)
    await read_form(request)
    store = get_store(request)
    mine = {t.id: t for t in accounts.list_tokens(store, user) if t.username == user.username}
    if page_id(token_id, "token") not in mine:
        raise PageError(404, "There is no such token of yours.")
    accounts.revoke_token(store, user, int(token_id))
    accounts.audit(store, user, "revoke_token", "token", token_id, owner=user.username)
    flash(request, f"Revoked the token “{mine[int(token_id)].name}”.")
    return RedirectResponse("/account", 303)

@router.get("/disputes")
def disputes_page(request: Request) -> HTMLResponse:
    user = page_user(request)
    store = get_store(request)
    items = evaluations.list_evaluations(store, user, state="disputed")
    return render(request, "disputes.html", user, items=items)


def _findings(analysis: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"behaviour": [], "opportunity": [], "robotic": [], "escalation": [],
                                            "interruption": [], "non_talk": []}
    if analysis is None:
        return out
    for f in analysis.findings:
        key = "interruption" if f.kind == "overlap" and f.label == "interruption" else f.kind
        if key not in out:
            continue
        first = f.evidence[0] if f.evidence else None
        out[key].append({"label": f.label, "turn": first.turn if first else None,
                         "text": (first.text or "") if first else "", "time": first.time if first else None,
                         "confidence": f.confidence, "detail": f.detail})
    return out
