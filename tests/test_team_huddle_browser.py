"""Huddle packs and check-ins in a real headless Chromium: a lead opens this week's pack and its email text, logs
a check-in with an agent; the agent reads it; other people are refused. Screenshot 29-huddle goes to
HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from heard.store import Store
from heard.team.huddle import week_of
from tests.browser import login, serving, shot
from tests.test_team_huddle import HEARD, build


@pytest.fixture(scope="module")
def huddle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Team north's calls this week (tests/test_team_huddle.py), its leads, agents, QA and an admin."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('huddle') / 'heard.db'}")
    build(store, week_of(datetime.now(UTC).date()))
    with serving(store) as base:
        yield base
    store.close()


def test_lead_prepares_the_huddle_and_logs_a_checkin(huddle_server: str, browser: Browser) -> None:
    base = huddle_server
    lead = login(browser, base, "nora")
    errors: list[str] = []
    lead.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    lead.click("nav a[href='/team/huddle']")
    expect(lead.locator("h1")).to_have_text("Huddle: team north")
    expect(lead.locator(".moment.tough", has_text="grief")).to_contain_text("The customer was grieving")
    expect(lead.locator(".moment.tough").first).to_contain_text("was abusive")         # hardest first
    expect(lead.locator(".moment.best", has_text="calm")).to_contain_text(HEARD)
    expect(lead.locator("ol.questions li")).to_have_count(4)
    expect(lead.locator("ol.questions li").last).to_contain_text("grieving")
    assert lead.locator("text=south-grief").count() == 0
    shot(lead, "29-huddle", full_page=True)
    assert errors == []

    text = lead.request.get(base + lead.locator("a.email").get_attribute("href"))   # type: ignore[operator]
    assert text.ok and text.headers["content-type"].startswith("text/plain")
    body = text.text()
    assert body.startswith("Subject: Huddle: team north") and all(len(line) <= 72 for line in body.splitlines())

    lead.click("a[href='/team/checkins/ana']")
    lead.fill("textarea[name=support]", "A few minutes after heavy calls, before the next one.")
    lead.fill("textarea[name=notes]", "Try the reset break after bereavement calls.")
    lead.click("button:has-text('Save check-in')")
    expect(lead.locator(".flash")).to_contain_text("Only you and ana can read it")
    expect(lead.locator(".moment")).to_contain_text("A few minutes after heavy calls")

    agent = login(browser, base, "ana")
    assert agent.locator("nav a[href='/team/huddle']").count() == 0
    refused = agent.goto(f"{base}/team/huddle")
    assert refused is not None and refused.status == 403
    agent.goto(f"{base}/team/checkins/ana")
    expect(agent.locator(".moment")).to_contain_text("A few minutes after heavy calls")
    assert agent.locator("textarea[name=support]").count() == 0            # the agent reads; the lead writes

    for other in ("sam", "quinn", "ada", "ben"):
        page = login(browser, base, other)
        response = page.goto(f"{base}/team/checkins/ana")
        assert response is not None and response.status == 403, other
        expect(page.locator("main")).not_to_contain_text("A few minutes after heavy calls")
        page.close()
    other_team = login(browser, base, "sam").goto(f"{base}/team/huddle?team=north")
    assert other_team is not None and other_team.status == 403
