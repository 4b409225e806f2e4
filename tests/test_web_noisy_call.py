"""A real-looking noisy call in the dashboard: speech-to-text register, unknown speakers, turn padding,
no agent named. The page must show nothing a QA lead would call wrong. Screenshot: noisy-call.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from heard.auth.accounts import add_user
from heard.runners.importer import import_paths
from heard.runners.local import analyse_and_store
from heard.scorecards import definition, rules
from heard.scorecards.service import score_stored
from heard.store import Store
from tests.browser import SHOTS, chromium, login, serving, shot
from tests.web_world import PASSWORD

NOISY = Path(__file__).parent / "fixtures" / "noisy" / "broadband-outage.vtt"


@pytest.fixture(scope="module")
def page_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Browser]]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('noisy') / 'heard.db'}")
    report = import_paths(store, [NOISY])
    assert report.added == 1, report.problems
    list(analyse_and_store(store, store.iter_calls()))
    list(score_stored(store, definition.load(), rules.load()))
    add_user(store, "quinn", PASSWORD, "qa")
    with serving(store) as base, chromium() as browser:
        yield base, browser
    store.close()


def test_noisy_call_page_shows_what_a_qa_lead_would_agree_with(page_text: tuple[str, Browser]) -> None:
    base, browser = page_text
    qa = login(browser, base, "quinn")
    qa.goto(f"{base}/calls/broadband-outage")
    expect(qa.locator("h1")).to_have_text("broadband-outage")
    shot(qa, "noisy-call", full_page=True)
    text = qa.locator("body").inner_text()
    (SHOTS / "noisy-call.txt").write_text(text)
    assert not re.search(r"\bNone\b(?! yet)", text) and "agent not named" in text
    assert "inferred from what each speaker said" in text
    # Turn padding of 0.2 s is not an interruption, and the apology that is followed by help is not robotic.
    assert qa.locator(".mk-overlap, .badge-interruption").count() == 0
    assert "Robotic empathy\nNo flags." in text
    assert "agent not named · team —\n" in text      # nothing trails where the file names no queue or time
    # What the agent plainly did is found: the acknowledgement, the reason, the next steps, the closing check;
    # and the clarifying-question item is NO (an identity check is not one).
    for item in ("acknowledge how the customer feels", "explain the why", "state next steps",
                 "check that the concern was really resolved"):
        assert re.search(r"YES\s+[^\n]*" + re.escape(item), text), item
    assert re.search(r"NO\s+Did the agent ask a clarifying question", text)
    assert qa.locator("mark.mk-behaviour").count() >= 8
