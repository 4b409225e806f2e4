"""Voice of the Agent in a real headless Chromium: an agent raises one item anonymously and one by name, the lead
answers the named one and later closes it, and the agent sees the answer and the status. Screenshots 24-25 go to
HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from heard.auth.accounts import User, add_user, find_user
from heard.store import Store
from heard.store.schema import voice_items
from heard.team import voice
from tests.browser import login, serving, shot
from tests.web_world import PASSWORD

ROTA = "The new rota gives us no time to write up notes after a hard call."
REFUNDS = "The refund policy makes us ask every customer for a receipt, even loyal ones who have been with us years."
HEARD = "Thank you, that's fair. I've asked finance whether we can skip the receipt for customers over two years."
DONE = "From Monday, customers with us over two years need no receipt for refunds under £50. Thanks for raising it."


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """Team north with three agents and its lead, an earlier anonymous item answered, and one overdue."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('voice') / 'heard.db'}")
    for name in ("ana", "ben", "cy"):
        add_user(store, name, PASSWORD, "agent", agent_id=name, team="north", display_name=name.capitalize())
    lena = add_user(store, "lena", PASSWORD, "lead", team="north", display_name="Lena")
    today = datetime.now(UTC).date()
    cy = voice.submit(store, who(store, "cy"), "leadership", "Team meetings always land on our only break.",
                      True, today=today - timedelta(days=5))
    voice.reply(store, lena, cy.id, "Good catch: from next week the meeting moves to 10:30, after the break.",
                "answered", today + timedelta(days=7))
    crm = voice.submit(store, who(store, "ben"), "tools", "The CRM logs us out every hour, in the middle of calls.",
                       False, today=today - timedelta(days=12))
    voice.reply(store, lena, crm.id, "Asked IT for longer sessions; I'll tell you what they say.", "in_progress",
                today - timedelta(days=2), today=today - timedelta(days=11))    # and then forgot: overdue
    with serving(store) as base:
        yield base, store
    store.close()


def who(store: Store, username: str) -> User:
    return find_user(store, username)[0]


def test_agent_raises_items_and_sees_the_leads_answer(voice_server: tuple[str, Store], browser: Browser) -> None:
    base, store = voice_server
    agent = login(browser, base, "ana")
    errors: list[str] = []
    agent.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    agent.click("nav a[href='/team/voice']")
    expect(agent.locator("h1")).to_have_text("Voice of the Agent")
    expect(agent.locator(".anon-box")).to_contain_text("Nobody can find out it was you")
    expect(agent.locator(".anon-box")).to_contain_text("Anonymous items go to team north (3 agents)")

    agent.select_option("select[name=topic]", "policy")
    agent.fill("textarea[name=text]", ROTA)
    agent.check("input[name=anonymous]")
    agent.click("button:has-text('Send')")
    expect(agent.locator(".flash")).to_contain_text("Sent anonymously to team north")
    expect(agent).to_have_url(f"{base}/team/voice")
    expect(agent.locator(".vitem").filter(has_text=ROTA)).to_contain_text("from anonymous")

    agent.select_option("select[name=topic]", "process")
    agent.fill("textarea[name=text]", REFUNDS)
    agent.click("button:has-text('Send')")
    expect(agent.locator(".flash")).to_contain_text("Sent with your name")
    named_url = agent.url
    assert named_url.startswith(f"{base}/team/voice/")
    with store.engine.connect() as conn:
        rows = {r.text: r.author_id for r in conn.execute(select(voice_items))}
    assert rows[ROTA] is None and rows[REFUNDS] == who(store, "ana").id

    lead = login(browser, base, "lena")
    lead.click("nav a[href='/team/voice']")
    expect(lead.locator(".vitem").filter(has_text=REFUNDS)).to_contain_text("from Ana")
    expect(lead.locator(".vitem").filter(has_text=ROTA)).to_contain_text("from anonymous")
    expect(lead.locator("li.overdue")).to_contain_text("The CRM logs us out")
    lead.click(f".vitem:has-text('{REFUNDS[:30]}') .said a")
    expect(lead.locator("select[name=status] option")).to_have_text(["answered", "in progress"])   # not closed yet
    lead.fill("textarea[name=text]", HEARD)
    lead.select_option("select[name=status]", "in_progress")
    lead.fill("input[name=follow_up]", (datetime.now(UTC).date() + timedelta(days=7)).isoformat())
    lead.click("button:has-text('Reply')")
    expect(lead.locator(".flash")).to_contain_text("the item is in progress")
    lead.fill("textarea[name=text]", DONE)
    lead.select_option("select[name=status]", "closed")
    lead.click("button:has-text('Reply')")
    expect(lead.locator(".flash")).to_contain_text("the item is closed")
    expect(lead.locator(".reply")).to_have_count(2)
    lead.goto(f"{base}/team/voice")
    shot(lead, "25-voice-lead", full_page=True)

    agent.goto(named_url)
    expect(agent.locator(".callhead .state")).to_have_text("closed")
    expect(agent.locator(".reply.closing")).to_contain_text(DONE)
    agent.goto(f"{base}/team/voice")
    expect(agent.locator(".vitem").filter(has_text=REFUNDS)).to_contain_text("from Ana")       # her own: her name
    expect(agent.locator(".vitem").filter(has_text=REFUNDS)).to_contain_text(DONE[:40])
    expect(agent.locator(".team-sum").first).to_contain_text("closed")
    shot(agent, "24-voice-agent", full_page=True)
    assert errors == []
