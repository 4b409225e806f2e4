"""Insights in a real headless Chromium: the page for a lead (their team only) and for QA (every call, or a
team), refused to an agent; the self-contained HTML report rendered to PNG with no request leaving the file.
Screenshots 19-21 go to HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from heard.auth.accounts import add_user
from heard.insights import html, planted, report
from heard.store import Store
from tests.browser import SHOTS, login, serving, shot
from tests.web_world import PASSWORD


@pytest.fixture(scope="module")
def insights_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """3,000 planted calls in three teams (billing, tech, sales), a lead of billing, QA, and an agent."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('insights') / 'heard.db'}")
    planted.write(store, planted.generate(3000, seed=5))
    add_user(store, "bea", PASSWORD, "lead", team="billing")
    add_user(store, "quinn", PASSWORD, "qa")
    add_user(store, "ari", PASSWORD, "agent", agent_id="agent-000", team="billing")
    with serving(store) as base:
        yield base, store


def test_lead_sees_their_teams_insights_and_qa_every_call(insights_server: tuple[str, Store],
                                                          browser: Browser) -> None:
    base, store = insights_server
    lead = login(browser, base, "bea")
    errors: list[str] = []
    lead.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    lead.click("nav a[href='/insights']")
    expect(lead.locator("h1")).to_contain_text("team billing")
    billing = report.latest(store, report.InsightsScope("billing"))
    assert billing is not None and billing[2]["scope"] == "team:billing"
    expect(lead.locator(".findings li").first).to_contain_text("Calls where the agent explained why had")
    expect(lead.locator(".chart[data-outcome=fcr] .main-svg").first).to_be_visible()   # plotly drew the effects
    expect(lead.locator("text=Read this first.")).to_be_visible()
    shot(lead, "19-insights-lead", full_page=True)
    assert errors == []
    refused = lead.goto(f"{base}/insights?team=tech")       # another team's insights: refused, not shown
    assert refused is not None and refused.status == 403
    expect(lead.locator("main")).not_to_contain_text("Top findings")

    qa = login(browser, base, "quinn")
    qa.goto(f"{base}/insights")
    expect(qa.locator("h1")).to_contain_text("every team")
    expect(qa.locator("p.muted").first).to_contain_text("3,000 calls")
    qa.click("button:has-text('Compute again')")
    expect(qa.locator(".flash")).to_contain_text("computed again")
    shot(qa, "20-insights-qa")

    agent = login(browser, base, "ari")
    assert agent.locator("nav a[href='/insights']").count() == 0
    response = agent.goto(f"{base}/insights")
    assert response is not None and response.status == 403


def test_the_html_report_renders_self_contained(insights_server: tuple[str, Store], browser: Browser,
                                                tmp_path: Path) -> None:
    _, store = insights_server
    result = report.build(store)
    path = tmp_path / "report.html"
    html.write(result, path)
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("networkidle")
    assert requested == [path.as_uri()]                      # nothing fetched from anywhere else
    expect(page.locator("h1")).to_have_text("What moves outcomes here")
    expect(page.locator("#chart-effects_csat .main-svg").first).to_be_visible()
    expect(page.locator("ol.top li").first).to_contain_text("explained why")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "21-insights-report.png"), full_page=True)
    assert (SHOTS / "21-insights-report.png").stat().st_size > 50_000
    page.close()
