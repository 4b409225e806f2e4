"""A role-play pack in a real headless Chromium: an agent opens one from their own call, on screen and as the
printed handout (print media: no header, navigation or links). Screenshots 14 and 15 go to HEARD_SCREENSHOTS."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser import login, shot
from tests.web_world import CANNED


def test_roleplay_agent_opens_a_pack_from_their_call(server: str, browser: Browser) -> None:
    agent = login(browser, server, "ben")
    errors: list[str] = []
    agent.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    agent.click("a[href='/calls/n-ben-1']")
    expect(agent.locator("h1")).to_have_text("n-ben-1")
    agent.locator("a.roleplay", has_text="Role-play this moment").first.click()
    expect(agent.locator("h1")).to_have_text("Role-play: a difficult moment")
    assert "/roleplay/n-ben-1/1" in agent.url
    expect(agent.locator(".rp-said blockquote")).to_have_text(CANNED)
    expect(agent.locator(".rp-replies li")).to_have_count(3)
    expect(agent.locator(".rp-replies li").first).to_contain_text("charged twice")
    expect(agent.locator(".rp-excerpt .rp-focus")).to_have_count(2)
    expect(agent.locator("header.top")).to_be_visible()
    expect(agent.locator(".print-only")).to_be_hidden()
    shot(agent, "14-roleplay", full_page=True)

    agent.emulate_media(media="print")
    expect(agent.locator("header.top")).to_be_hidden()
    expect(agent.locator(".rp-switch")).to_be_hidden()
    expect(agent.locator(".rp-print-hint")).to_be_hidden()
    expect(agent.locator(".print-only")).to_be_visible()
    assert agent.locator("button:visible").count() == 0
    shot(agent, "15-roleplay-print", full_page=True)
    agent.emulate_media(media="screen")

    # The coach's pack for the same moment, one click away.
    agent.click("text=The coach's pack")
    expect(agent.locator("h1")).to_have_text("Feedback practice: a difficult moment")
    expect(agent.locator(".rp-step h2")).to_have_count(4)
    assert not [e for e in errors if "Content Security Policy" in e]
