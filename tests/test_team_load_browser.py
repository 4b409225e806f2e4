"""The emotional-load page in a real headless Chromium: a lead sees their team's days with a run of heavy calls and
the suggestion, an agent sees only their own. Screenshot 22 goes to HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from heard.auth.accounts import add_user
from heard.store import Store
from tests.browser import login, serving, shot
from tests.test_team_load import build
from tests.web_world import PASSWORD


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yesterday's calls of tests/test_team_load.py (ana: four heavy calls in a row), a lead of north, an agent."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('load') / 'heard.db'}")
    build(store, (datetime.now(UTC) - timedelta(days=1)).date())
    add_user(store, "nora", PASSWORD, "lead", team="north")
    add_user(store, "ben", PASSWORD, "agent", agent_id="ben", team="north")
    with serving(store) as base:
        yield base
    store.close()


def test_lead_sees_their_teams_load_and_the_suggestion(load_server: str, browser: Browser) -> None:
    lead = login(browser, load_server, "nora")
    errors: list[str] = []
    lead.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    lead.click("nav a[href='/team/load']")
    expect(lead.locator("h1")).to_have_text("Emotional load")
    expect(lead.locator(".suggestions li")).to_have_count(1)
    expect(lead.locator(".suggestions li").first).to_contain_text("ana took 4 heavy calls in a row")
    expect(lead.locator(".suggestions li").first).to_contain_text("Consider 10 minutes off the phones")
    expect(lead.locator("tbody tr")).to_have_count(2)                  # ana and ben; kim is in another team
    expect(lead.locator("main")).not_to_contain_text("kim")
    cell = lead.locator("tr[data-agent=ana] td.cell.flag")
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text("4/5")
    expect(cell).to_contain_text("4 in a row")
    expect(lead.locator("tr[data-agent=ana]")).to_contain_text("bereavement")
    shot(lead, "22-team-load", full_page=True)
    assert errors == []
    short = lead.goto(f"{load_server}/team/load?days=500")             # bounded, not refused
    assert short is not None and short.status == 200
    expect(lead.locator("#days")).to_have_value("90")


def test_agent_sees_only_their_own_load(load_server: str, browser: Browser) -> None:
    agent = login(browser, load_server, "ben")
    agent.click("nav a[href='/team/load']")
    expect(agent.locator("h1")).to_have_text("My load")
    expect(agent.locator("tbody tr")).to_have_count(1)
    expect(agent.locator("tbody tr").first).to_contain_text("ben")
    expect(agent.locator("tr[data-agent=ana]")).to_have_count(0)
    expect(agent.locator(".suggestions")).to_contain_text("None")
