"""Recognition in a real headless Chromium: an agent sees no MVP before the lead confirms; the lead reads the
explained ranking and confirms it; kudos from the call page and from the feed show in the team's wins.
Screenshots 27-28 go to HEARD_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from heard.auth.accounts import add_user
from heard.runners.local import analyse_and_store
from heard.store import Store
from tests.browser import login, serving, shot
from tests.test_team_recognition import HEARD_PATIENT, HELPED, MONTH, SCRIPTED, TURNED, call, comment
from tests.web_world import PASSWORD

WINS = f"/team/wins?month={MONTH}"


@pytest.fixture(scope="module")
def recognition_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """Team north in October: Ana (6 calls, two customers turned around, a comment that she listened), Ben (5
    scripted calls), Kim (2 calls); their lead Nora."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('recognition') / 'heard.db'}")
    calls = {f"ana-{i}": ("ana", TURNED if i < 2 else HELPED) for i in range(6)}
    calls |= {f"ben-{i}": ("ben", SCRIPTED) for i in range(5)}
    calls |= {f"kim-{i}": ("kim", TURNED) for i in range(2)}
    for day, (call_id, (agent, lines)) in enumerate(calls.items(), start=1):
        store.add_call(call(call_id, agent, "north", day, lines))
    list(analyse_and_store(store, store.iter_calls()))
    comment(store, "ana-1", HEARD_PATIENT)
    for name in ("ana", "ben", "kim"):
        add_user(store, name, PASSWORD, "agent", agent_id=name, team="north", display_name=name.capitalize())
    add_user(store, "nora", PASSWORD, "lead", team="north", display_name="Nora")
    with serving(store) as base:
        yield base, store
    store.close()


def test_lead_confirms_the_explained_ranking_and_the_team_sees_wins(recognition_server: tuple[str, Store],
                                                                    browser: Browser) -> None:
    base, _ = recognition_server
    agent = login(browser, base, "ben")
    errors: list[str] = []
    agent.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    agent.goto(f"{base}{WINS}")
    expect(agent.locator(".card").first).to_contain_text("Not announced yet")      # nothing before the lead
    expect(agent.locator("table.rank")).to_have_count(0)

    lead = login(browser, base, "nora")
    lead.goto(f"{base}/calls/ana-0")                      # kudos from the call page, on Ana's acknowledgement
    lead.select_option(".kudos select[name=turn]", "2")
    lead.fill(".kudos input[name=note]", "Named the rent worry before fixing anything")
    lead.click(".kudos button[type=submit]")
    expect(lead.locator(".flash")).to_contain_text("Kudos sent to Ana")
    assert lead.url.endswith("/calls/ana-0#turn-2")

    lead.click("nav a[href='/team/wins']")
    lead.goto(f"{base}{WINS}")
    expect(lead.locator("h1")).to_contain_text("team north · October 2026")
    first = lead.locator("table.rank tbody tr").first
    expect(first).to_have_attribute("data-agent", "ana")
    expect(first.locator("td.why")).to_contain_text("Ana: 6 calls; acknowledged feelings on 100%")
    expect(first.locator("td.why")).to_contain_text("turned 2 upset customers around")
    expect(first.locator("td.why")).to_contain_text("1 kudos from Nora")
    expect(lead.locator(".pending")).to_contain_text("Not ranked (fewer than 5 analysed calls): Kim (2)")
    shot(lead, "27-wins-lead", full_page=True)
    lead.fill(".confirm input[name=note]", "Two customers left smiling after a rough start.")
    lead.click(".confirm button[type=submit]")
    expect(lead.locator(".flash")).to_contain_text("Ana is the team's Empathy MVP for 2026-10")
    expect(lead.locator(".card.mvp .who")).to_have_text("Ana")
    expect(lead.locator("table.rank")).to_have_count(0)

    agent.goto(f"{base}{WINS}")
    expect(agent.locator(".card.mvp")).to_contain_text("Two customers left smiling after a rough start.")
    turned = agent.locator("li.item-turned_around", has_text="Ana").first
    turned.locator("summary").click()
    turned.locator("input[name=note]").fill("You stayed with her until she laughed")
    turned.locator("button[type=submit]").click()
    expect(agent.locator(".flash")).to_contain_text("Kudos sent to Ana")
    mine = agent.locator("li.item-kudos", has_text="You stayed with her until she laughed")
    expect(mine).to_contain_text("Ben gave Ana kudos")
    expect(agent.locator("li.item-turned_around", has_text="call ana-1").locator("summary")).to_have_count(0)
    expect(mine.locator("a")).to_have_count(0)            # Ben may not open Ana's call: no link into it
    expect(agent.locator("li.item-comment")).to_contain_text(HEARD_PATIENT)
    assert agent.locator("li.item-turned_around", has_text="Ben").count() == 0
    shot(agent, "28-wins-agent", full_page=True)
    assert errors == []
    refused = agent.goto(f"{base}/team/wins?team=south")      # another team's wins
    assert refused is not None and refused.status == 403
    wrong = agent.goto(f"{base}/team/wins?month=2026-13")
    assert wrong is not None and wrong.status == 400
    expect(agent.locator("main")).to_contain_text("is not YYYY-MM")
