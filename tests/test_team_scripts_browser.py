"""The script check page in a real headless Chromium: a lead pastes a script with problems and sees each sentence
marked with its suggestion; an agent has no link and is refused. Screenshot 26 goes to HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from heard.auth.accounts import add_user
from heard.store import Store
from tests.browser import login, serving, shot
from tests.web_world import PASSWORD

SCRIPT = """# Refund request: card charged twice

Agent: Thanks for calling Northwind. I understand your frustration.
Agent: Can I have your account number?
Customer: It's 4471 2290. I need this money back before rent on Friday.

Check the payment in the CRM and follow the escalation matrix if it is older than the SLA.

We cannot refund a payment that is still pending.

If it has cleared, say: "I've refunded the duplicate, so you'll see it in your bank within two working days."
Please restart the app.

Notwithstanding the aforementioned considerations, remuneration adjustments necessitate authorisation.
"""


@pytest.fixture(scope="module")
def scripts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """No calls needed: a lead, QA and an agent."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('scripts') / 'heard.db'}")
    add_user(store, "nora", PASSWORD, "lead", team="north")
    add_user(store, "quinn", PASSWORD, "qa")
    add_user(store, "ana", PASSWORD, "agent", agent_id="ana", team="north")
    with serving(store) as base:
        yield base
    store.close()


def test_lead_pastes_a_script_and_sees_the_findings(scripts_server: str, browser: Browser) -> None:
    lead = login(browser, scripts_server, "nora")
    errors: list[str] = []
    lead.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    lead.click("nav a[href='/team/scripts']")
    expect(lead.locator("h1")).to_contain_text("Scripts")
    lead.fill("textarea[name=text]", SCRIPT)
    lead.click("button:has-text('Check')")
    expect(lead.locator("#summary")).to_contain_text("reading ease")
    for kind, count in (("canned_empathy", 1), ("jargon", 3), ("no_why", 2), ("rigid_no", 1), ("hard_to_read", 1)):
        expect(lead.locator(f".finding[data-kind={kind}]")).to_have_count(count)
        expect(lead.locator(f".counts li[data-kind={kind}]")).to_contain_text(str(count))
    expect(lead.locator("mark.sk-no_why").first).to_have_text("Can I have your account number?2")
    expect(lead.locator(".finding[data-kind=no_why]").first).to_contain_text("so I can find your account")
    expect(lead.locator(".finding[data-kind=rigid_no]")).to_contain_text("What I can do is")
    expect(lead.locator(".customer")).to_have_count(2)                     # the customer's lines: shown, not judged
    expect(lead.locator("textarea[name=text]")).to_have_value(SCRIPT)     # the text stays, to edit and check again
    lead.locator("#summary").scroll_into_view_if_needed()
    shot(lead, "26-scripts", full_page=True)
    assert errors == []

    qa = login(browser, scripts_server, "quinn")
    qa.goto(f"{scripts_server}/team/scripts")
    expect(qa.locator("textarea[name=text]")).to_be_visible()

    agent = login(browser, scripts_server, "ana")
    assert agent.locator("nav a[href='/team/scripts']").count() == 0
    refused = agent.goto(f"{scripts_server}/team/scripts")
    assert refused is not None and refused.status == 403
