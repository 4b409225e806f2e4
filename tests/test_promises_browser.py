"""Live assist for a returning customer: when a live call names a known customer, the agent's live page shows the
customer's recent calls, the promise still open and the promise broken, at the top."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from websockets.sync.client import connect

from heard.auth.accounts import add_user, create_token
from heard.model import Call, Role, Turn
from heard.runners.local import analyse_and_store
from heard.store import Store
from tests.browser import login, serving, shot
from tests.web_world import PASSWORD

A, C = Role.AGENT, Role.CUSTOMER
BROKEN = "I'll send the replacement card within three days."   # due a week ago, never followed up
OPEN = "Okay, I'll call you back next week once the engineer has reported."   # due in five days


def earlier(call_id: str, days_ago: int, *turns: tuple[Role, str]) -> Call:
    return Call(id=call_id, agent_id="ana", team="north", reason="faulty_card",
                started_at=datetime.now(UTC) - timedelta(days=days_ago), metadata={"customer_id": "C-100"},
                turns=[Turn(speaker=role, text=text, start=5.0 * i, end=5.0 * i + 4)
                       for i, (role, text) in enumerate(turns)])


@pytest.fixture(scope="module")
def returning_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('promises') / 'heard.db'}")
    store.add_call(earlier("h-1", 10, (A, "Thanks for calling Northwind, how can I help?"),
                           (C, "My card stopped working and I'm really annoyed."),
                           (A, "That's annoying, especially when you need it. " + BROKEN),
                           (C, "Great, thank you, that's really helpful.")))
    store.add_call(earlier("h-2", 2, (A, "Thanks for calling Northwind, how can I help?"),
                           (C, "The card still hasn't come and now the reader is broken too."),
                           (A, "I'm sorry, that's frustrating. " + OPEN),
                           (C, "Fine, but this is the second time, I'm fed up.")))
    list(analyse_and_store(store, store.iter_calls(), only=["promises", "sentiment"]))
    token = create_token(store, add_user(store, "ana", PASSWORD, "agent", agent_id="ana", team="north"), "softphone")
    with serving(store) as base:
        yield base, token
    store.close()


def test_promises_live_page_shows_the_callers_history(returning_world: tuple[str, str], browser: Browser) -> None:
    base, token = returning_world
    ws_url = base.replace("http://", "ws://") + f"/api/live/live-1?token={token}"
    with connect(ws_url) as ws:
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(json.dumps({"type": "start", "id": "s", "customer_id": "C-100"}))
        ack, history = json.loads(ws.recv()), json.loads(ws.recv())
        assert ack["customer_id"] == "C-100" and history["type"] == "history"
        assert [p["label"] for p in history["open"]] == ["callback"]
        assert [p["label"] for p in history["broken"]] == ["send"]
        ws.send(json.dumps({"type": "utterance", "id": 1, "speaker": "customer", "start": 1.0, "end": 4.0,
                            "text": "Hi, it's me again about the card, nobody called me back."}))
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] != "ack":
            events.append(json.loads(ws.recv()))

        page = login(browser, base, "ana")
        page.goto(f"{base}/live")
        box = page.locator("#live-history")
        expect(box).to_be_visible(timeout=10000)
        expect(box).to_contain_text("C-100")
        expect(box.locator("[data-history-open] li[data-promise='open']")).to_contain_text("callback")
        expect(box.locator("[data-history-broken] li[data-promise='broken']")).to_contain_text("send")
        expect(box.locator("[data-history-calls] tr")).to_have_count(2)
        first = page.locator("main h1, h1").first.bounding_box()
        top = box.bounding_box()
        assert first is not None and top is not None and top["y"] < first["y"], "the history is at the top"
        shot(page, "23-live-history")
        page.close()
