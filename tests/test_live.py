"""Live assist: scripted calls through the engine and the WebSocket API. Which prompts and alerts fire,
which are held back and why (the agent just did it, no repeats, cooldown, the per-call limit),
partials, reconnects, malformed messages, authentication, and the supervisor's feed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from heard.auth.accounts import add_user, create_token
from heard.live.engine import LiveCall, LiveSettings, Utterance, key_phrase, parse
from heard.store import Store
from heard.web.app import create_app

GREETING = "Northwind, this is Sam, how can I help?"
WORRIED = "I've been charged twice for my bill and my rent is due on Friday, I'm really worried."
ACKNOWLEDGE = "That sounds really stressful, with rent due on Friday."
CANNED = "I understand your frustration."
FIX = "I've refunded it and you'll see it within two working days."
STILL_WORRIED = "I'm still worried the money won't be back before my rent goes out."
MANAGER = "This is ridiculous, I want to speak to a manager."
WHY = "Why did you take it twice?"
CLOSE = "Is there anything else I can help with today?"
HOLD = "Let me check that for you, one moment."


def run(*script: tuple[str, float, float, str], settings: LiveSettings | None = None,
        final: bool = True) -> tuple[LiveCall, list[dict[str, Any]]]:
    call = LiveCall("test", settings or LiveSettings())
    events: list[dict[str, Any]] = []
    for speaker, start, end, text in script:
        events += call.handle(Utterance(speaker=speaker, start=start, end=end, text=text, final=final))  # type: ignore[arg-type]
    return call, events


def kinds(events: list[dict[str, Any]], type_: str) -> list[str]:
    return [e["kind"] for e in events if e["type"] == type_]


def test_live_acknowledge_prompt_echoes_the_customer() -> None:
    _, events = run(("agent", 0, 3, GREETING), ("customer", 3.5, 9, WORRIED))
    prompt = next(e for e in events if e["type"] == "prompt")
    assert prompt["kind"] == "acknowledge"
    assert "charged twice" in prompt["text"] and "rent" in prompt["text"]
    assert prompt["why"] == "the customer sounds worried and under money pressure"


def test_live_prompt_suppressed_when_the_agent_just_did_it() -> None:
    _, events = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, ACKNOWLEDGE), ("customer", 40, 45, STILL_WORRIED))
    held = [e for e in events if e["type"] == "suppressed"]
    assert [(e["kind"], e["reason"]) for e in held] == [("acknowledge", "the agent just did this")]


def test_live_never_the_same_suggestion_twice() -> None:
    _, events = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, FIX), ("agent", 9.5, 12, FIX),
                    ("agent", 12.5, 15, FIX), ("customer", 60, 65, WORRIED))
    assert kinds(events, "prompt").count("acknowledge") == 1
    assert any(e["reason"] == "already suggested in this call" for e in events if e["type"] == "suppressed")


def test_live_cooldown_between_prompts() -> None:
    script = [("customer", 0, 5, WORRIED), ("agent", 5.5, 9, FIX), ("customer", 10, 12, WHY)]
    _, events = run(*script)
    assert kinds(events, "prompt") == ["acknowledge"]
    assert ("explain_why", "cooldown (20 s)") in [(e["kind"], e["reason"]) for e in events if e["type"] == "suppressed"]
    _, later = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, FIX), ("customer", 30, 32, WHY))
    assert kinds(later, "prompt") == ["acknowledge", "explain_why"]


def test_live_prompt_limit_per_call() -> None:
    _, events = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, FIX), ("customer", 30, 32, WHY),
                    settings=LiveSettings(max_prompts=1))
    assert kinds(events, "prompt") == ["acknowledge"]
    assert any(e["reason"] == "the call's prompt limit is reached" for e in events if e["type"] == "suppressed")


def test_live_closing_prompts_next_steps_or_check() -> None:
    _, no_steps = run(("agent", 0, 3, GREETING), ("customer", 3.5, 6, "My router keeps dropping out every evening."),
                      ("agent", 6.5, 9, "Okay."), ("customer", 9.5, 10, "Yes."), ("agent", 40, 43, CLOSE))
    assert kinds(no_steps, "prompt") == ["next_steps"]
    _, no_check = run(("agent", 0, 3, GREETING), ("customer", 3.5, 6, "My router keeps dropping out every evening."),
                      ("agent", 6.5, 9, "Is it every evening, or only at weekends?"), ("customer", 9.5, 10, "Every."),
                      ("agent", 10.5, 13, "I'll send a new router today."), ("customer", 13.5, 14, "Thanks."),
                      ("agent", 40, 43, CLOSE))
    prompts = [e for e in no_check if e["type"] == "prompt"]
    assert [p["kind"] for p in prompts] == ["check_resolved"] and "router" in prompts[0]["text"]


def test_live_clarify_prompt_when_solving_before_asking() -> None:
    _, events = run(("customer", 0, 5, "My router keeps dropping out every single evening since Monday."),
                    ("agent", 5.5, 9, "I'll send an engineer tomorrow morning."))
    prompt = next(e for e in events if e["type"] == "prompt")
    assert prompt["kind"] == "clarify" and "router" in prompt["text"]
    _, asked = run(("customer", 0, 5, "My router keeps dropping out every single evening since Monday."),
                   ("agent", 5.5, 8, "Does it drop on every device?"), ("customer", 8.5, 9, "Yes."),
                   ("agent", 9.5, 12, "I'll send an engineer tomorrow morning."))
    assert "clarify" not in kinds(asked, "prompt")


def test_live_alerts() -> None:
    call, events = run(("agent", 0, 3, GREETING), ("customer", 3.5, 8, MANAGER), ("agent", 30, 33, "Okay."))
    assert kinds(events, "alert") == ["escalation_request", "frustration_spike", "dead_air"]
    assert next(e for e in events if e.get("kind") == "dead_air")["seconds"] == 22.0
    _, held = run(("agent", 0, 3, HOLD), ("agent", 30, 33, "Thanks for waiting."))
    assert "dead_air" not in kinds(held, "alert")                     # a hold is announced, not dead air
    overlaps = [("customer", 0, 6, "So the thing is that my bill went up again"),
                ("agent", 4, 7, "Right, let me stop you there"), ("customer", 7.5, 12, "No, listen, it went up"),
                ("agent", 10, 13, "Yes but the price changed")]
    call, events = run(*overlaps)
    assert call.interruptions == 2 and kinds(events, "alert").count("repeated_interruptions") == 1


def test_live_opportunities_met_or_missed() -> None:
    met, _ = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, ACKNOWLEDGE))
    assert met.snapshot()["opportunities"] == {"pending": 0, "met": 1, "missed": 0}
    missed, _ = run(("customer", 0, 5, WORRIED), ("agent", 5.5, 9, CANNED), ("agent", 9.5, 12, FIX))
    assert missed.snapshot()["opportunities"] == {"pending": 0, "met": 0, "missed": 1}   # a canned line is not enough
    assert missed.snapshot()["needs_attention"] is True


def test_live_partials_never_prompt() -> None:
    call, events = run(("customer", 0, 5, WORRIED), final=False)
    assert [e["type"] for e in events] == ["state"] and events[0]["partial"]["customer"] == WORRIED
    assert call.turns == 0


@pytest.mark.parametrize(("message", "error"), [
    ("not a dict", "send a JSON object"),
    ({"type": "utterance", "speaker": "robot", "text": "hi"}, "speaker"),
    ({"type": "utterance", "speaker": "agent"}, "text"),
    ({"type": "utterance", "speaker": "agent", "text": "hi", "start": 5, "end": 2}, "end (2.0) is before start"),
    ({"type": "utterance", "speaker": "agent", "text": "hi", "colour": "red"}, "colour"),
])
def test_live_parse_errors(message: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse(message)


def test_live_key_phrase() -> None:
    assert key_phrase("Hi. I've been charged twice and my rent is due Friday, I'm really worried.") == \
        "charged twice … rent is due Friday"
    assert key_phrase("The engineer didn't turn up twice. I'm furious.") == "engineer didn't turn up twice"


# --- over the WebSocket ------------------------------------------------------------------------------------

@pytest.fixture
def live(tmp_path: Any) -> tuple[TestClient, dict[str, str]]:
    store = Store.open(f"sqlite:///{tmp_path / 'live.db'}")
    tokens = {}
    for name, role, team in (("agent1", "agent", "north"), ("lead1", "lead", "north"), ("lead2", "lead", "south"),
                             ("qa1", "qa", None)):
        user = add_user(store, name, "long-password", role, agent_id=name if role == "agent" else None, team=team)
        tokens[name] = create_token(store, user, "test")
    return TestClient(create_app(store, secret="live-test")), tokens


def utterance(i: int, speaker: str, text: str, start: float) -> dict[str, Any]:
    return {"type": "utterance", "id": i, "speaker": speaker, "text": text, "start": start, "end": start + 3}


def until_ack(ws: Any, i: int) -> list[dict[str, Any]]:
    events = []
    while True:
        event = ws.receive_json()
        if event["type"] in ("ack", "error") and event.get("reply_to") == i:
            return [*events, event]
        events.append(event)


def test_live_ws_malformed_input_keeps_the_connection(live: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = live
    with client.websocket_connect(f"/api/live/c1?token={tokens['agent1']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_text("{not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "utterance", "id": 1, "speaker": "martian", "text": "hi"})
        bad = ws.receive_json()
        assert bad["type"] == "error" and bad["reply_to"] == 1 and "speaker" in bad["message"]
        ws.send_json(utterance(2, "customer", WORRIED, 3.5))
        events = until_ack(ws, 2)
        assert events[-1]["type"] == "ack" and any(e["type"] == "prompt" for e in events)
        assert all(e["reply_to"] == 2 for e in events)


def test_live_ws_reconnect_resumes(live: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = live
    with client.websocket_connect(f"/api/live/c2?token={tokens['agent1']}") as ws:
        ws.receive_json()
        ws.send_json(utterance(1, "customer", WORRIED, 0))
        until_ack(ws, 1)
    with client.websocket_connect(f"/api/live/c2?token={tokens['agent1']}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "resumed" and hello["state"]["turns"] == 1
        ws.send_json(utterance(2, "customer", WORRIED, 30))        # same worry again: no repeated prompt
        events = until_ack(ws, 2)
        assert not [e for e in events if e["type"] == "prompt"]
        assert any(e["type"] == "suppressed" and e["reason"] == "already suggested in this call" for e in events)
    with client.websocket_connect(f"/api/live/other?token={tokens['agent1']}") as ws:
        assert ws.receive_json()["type"] == "hello"                # another call has its own state


def test_live_ws_needs_a_login(live: tuple[TestClient, dict[str, str]]) -> None:
    from starlette.websockets import WebSocketDisconnect

    client, _ = live
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/api/live/c3") as ws:
        ws.receive_json()
    assert info.value.code == 4401


def test_live_supervisor_feed_is_scoped(live: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = live
    with client.websocket_connect(f"/api/live/c4?token={tokens['agent1']}") as ws:
        ws.receive_json()
        ws.send_json(utterance(1, "customer", WORRIED, 0))
        until_ack(ws, 1)
        ws.send_json(utterance(2, "agent", CANNED, 4))
        until_ack(ws, 2)
        ws.send_json(utterance(3, "agent", FIX, 8))
        until_ack(ws, 3)

    def feed(who: str) -> Any:
        return client.get("/api/live/calls", headers={"Authorization": f"Bearer {tokens[who]}"})

    north = feed("lead1").json()["calls"]
    assert [c["call_id"] for c in north] == ["c4"] and north[0]["needs_attention"] is True
    assert north[0]["team"] == "north" and north[0]["agent_id"] == "agent1"
    assert feed("lead2").json()["calls"] == []
    assert [c["call_id"] for c in feed("qa1").json()["calls"]] == ["c4"]
    assert [c["call_id"] for c in feed("agent1").json()["calls"]] == ["c4"]   # an agent watches their own calls


def test_live_replay_client_against_a_real_server() -> None:
    """The Python client and `heard live replay` against uvicorn: every utterance acknowledged, none lost."""
    from typer.testing import CliRunner

    from heard.cli import app
    from heard.samples import CALLS_DIR

    result = CliRunner().invoke(app, ["live", "replay", str(CALLS_DIR / "dc-02.json"), "--speed", "200",
                                      "--show-suppressed"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "PROMPT Acknowledge before solving" in text and "ALERT dead air" in text
    assert "0 lost" in text


def test_live_settings_reach_the_server(tmp_path: Any) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'quiet.db'}")
    token = create_token(store, add_user(store, "agent2", "long-password", "agent", agent_id="agent2"), "t")
    client = TestClient(create_app(store, secret="x", live=LiveSettings(max_prompts=0)))
    with client.websocket_connect(f"/api/live/quiet?token={token}") as ws:
        ws.receive_json()
        ws.send_json(utterance(1, "customer", WORRIED, 0))
        events = until_ack(ws, 1)
    assert not [e for e in events if e["type"] == "prompt"]
    assert [e["reason"] for e in events if e["type"] == "suppressed"] == ["the call's prompt limit is reached"]
