"""Security and reliability (docs/security.md): live-call authorization and Origin, atomic concurrent edits under
real concurrency, CSRF on every form including login, login throttling, revocation of sessions and tokens, size
limits, WebSocket framing, the bounded live table, browser security headers, drafts hidden from agents, who lists
users, agent ids with '/', and page routes that never answer 500. Each test failed before its fix."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from heard.auth import accounts
from heard.auth.policy import WebSettings
from heard.cli import app as cli
from heard.live.engine import LiveSettings
from heard.store import Store
from heard.store.schema import api_tokens, audit_log, evaluations
from heard.web.app import create_app
from tests.browser import serving
from tests.web_world import PASSWORD, build

WORRIED = "I was charged twice and my rent is due Friday, my card number is 4111 1111 1111 1111, I'm worried."


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('sec') / 'heard.db'}")
    build(store)
    yield store
    store.close()


def make_client(store: Store, username: str | None = None, *, web: WebSettings | None = None,
                live: LiveSettings | None = None) -> TestClient:
    c = TestClient(create_app(store, secret="sec-test", web=web, live=live), raise_server_exceptions=False)
    if username is not None:
        r = c.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def token_of(store: Store, username: str, scope: str = "full") -> str:
    user = accounts.authenticate(store, username, PASSWORD)
    assert user is not None
    return accounts.create_token(store, user, "test", scope=scope)


def utterance(i: int, speaker: str, text: str, start: float) -> dict[str, Any]:
    return {"type": "utterance", "id": i, "speaker": speaker, "text": text, "start": start, "end": start + 3}


def until_ack(ws: Any, i: int | str) -> list[dict[str, Any]]:
    events = []
    while True:
        event = ws.receive_json()
        events.append(event)
        if event["type"] in ("ack", "error") and event.get("reply_to") == i:
            return events


def refused(c: TestClient, path: str, **headers: str) -> tuple[int, list[dict[str, Any]]]:
    """Connect, read whatever the server sends before closing; returns the close code and those events."""
    seen: list[dict[str, Any]] = []
    with pytest.raises(WebSocketDisconnect) as info, c.websocket_connect(path, headers=headers) as ws:
        while True:
            seen.append(ws.receive_json())
    return info.value.code, seen


# --- 1. live calls: who streams, who watches, fixed agent and team ------------------------------------------

def test_live_calls_are_authorized_per_call(sqlite_world: Store) -> None:
    c = make_client(sqlite_world)
    ana, ben, nora, sam, quinn = (token_of(sqlite_world, u) for u in ("ana", "ben", "nora", "sam", "quinn"))
    with c.websocket_connect(f"/api/live/north-live-1?token={ana}") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json(utterance(1, "customer", WORRIED, 0.0))
        until_ack(ws, 1)
        # The agent cannot move her call to another team, nor hand it to another agent.
        ws.send_json({"type": "start", "id": "s", "agent_id": "kim", "team": "south"})
        assert until_ack(ws, "s")[-1]["type"] == "error"

    # A lead of another team, another agent, even QA: cannot join the call, and learn nothing of it.
    for token in (sam, ben, nora, quinn):
        code, seen = refused(c, f"/api/live/north-live-1?token={token}")
        assert code == 4403
        assert all("state" not in e and "4111" not in str(e) for e in seen)
    # Nobody but an agent (or a service token) opens a new call.
    assert refused(c, f"/api/live/fresh?token={sam}")[0] == 4403

    def feed(token: str) -> list[dict[str, Any]]:
        r = c.get("/api/live/calls", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return list(r.json()["calls"])

    assert [(x["call_id"], x["agent_id"], x["team"]) for x in feed(nora)] == [("north-live-1", "ana", "north")]
    assert feed(sam) == [] and feed(ben) == []
    assert [x["call_id"] for x in feed(ana)] == [x["call_id"] for x in feed(quinn)] == ["north-live-1"]


def test_live_service_token_names_the_agent_once(sqlite_world: Store) -> None:
    c = make_client(sqlite_world)
    bridge = token_of(sqlite_world, "ada", scope="live")
    with pytest.raises(accounts.Denied):
        token_of(sqlite_world, "quinn", scope="live")          # only admins make service tokens
    with c.websocket_connect(f"/api/live/bridge-1?token={bridge}") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"type": "start", "id": "s1", "agent_id": "ben", "team": "north"})
        assert until_ack(ws, "s1")[-1] == {"type": "ack", "reply_to": "s1", "agent_id": "ben", "team": "north",
                                           "customer_id": None}
        ws.send_json({"type": "start", "id": "s2", "agent_id": "ben", "team": "south"})
        assert "fixed" in until_ack(ws, "s2")[-1]["message"]
    feed = c.get("/api/live/calls", headers={"Authorization": f"Bearer {token_of(sqlite_world, 'nora')}"}).json()
    assert ("bridge-1", "ben", "north") in [(x["call_id"], x["agent_id"], x["team"]) for x in feed["calls"]]
    # A service token streams, and reads nothing else.
    r = c.get("/api/calls", headers={"Authorization": f"Bearer {bridge}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


# --- 2. Origin ----------------------------------------------------------------------------------------------

def test_live_socket_checks_origin(sqlite_world: Store) -> None:
    c = make_client(sqlite_world, "ana")                        # a session cookie, as a browser would carry
    with pytest.raises(WebSocketDisconnect) as info, \
            c.websocket_connect("/api/live/o-1", headers={"origin": "https://evil.example"}) as ws:
        ws.receive_json()
    assert info.value.code == 4403
    with c.websocket_connect("/api/live/o-1", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"            # heard's own page
    public = TestClient(create_app(sqlite_world, secret="s", web=WebSettings(public_url="https://heard.example.com/")),
                        base_url="https://testserver")     # an https deployment: the cookie is Secure
    assert public.post("/api/session", json={"username": "ana", "password": PASSWORD}).status_code == 200
    with pytest.raises(WebSocketDisconnect) as info, \
            public.websocket_connect("/api/live/o-2", headers={"origin": "http://testserver"}) as ws:
        ws.receive_json()
    assert info.value.code == 4403
    cookie = f"heard_session={public.cookies['heard_session']}"   # the test client drops Secure cookies on ws://
    with public.websocket_connect("/api/live/o-2", headers={"origin": "https://heard.example.com",
                                                            "cookie": cookie}) as ws:
        assert ws.receive_json()["type"] == "hello"


# --- 3. concurrent edits, with real concurrency against a real server -----------------------------------------

def _session(base: str, username: str) -> httpx.Client:
    h = httpx.Client(base_url=base, timeout=60)
    r = h.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    h.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return h


def _all_at_once(jobs: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    gate = threading.Barrier(len(jobs))

    def run(job: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_concurrent_evaluation_edits_are_atomic(world: Store) -> None:
    with serving(world) as base:
        qa, lead, ana = _session(base, "quinn"), _session(base, "nora"), _session(base, "ana")
        ev = qa.post("/api/calls/n-ana-1/evaluations").json()
        items = [a for a in ev["automatic"]["answers"]]
        assert len(items) >= 14

        def put(a: dict[str, Any]) -> Callable[[], httpx.Response]:
            value = "na" if a.get("na") or a.get("answer") is None else str(a["answer"])
            return lambda: qa.put(f"/api/evaluations/{ev['id']}/items/{a['item']}",
                                  json={"answer": value, "comment": f"checked {a['item']}"})

        for _ in range(2):   # two rounds: every concurrent answer is stored, none lost
            answers = _all_at_once([put(a) for a in items])
            assert [r.status_code for r in answers] == [200] * len(items), [r.text for r in answers if r.is_error]
            stored = qa.get(f"/api/evaluations/{ev['id']}").json()
            assert set(stored["answers"]) == {a["item"] for a in items}
        assert qa.post(f"/api/evaluations/{ev['id']}/submit").status_code == 200
        assert ana.post(f"/api/evaluations/{ev['id']}/dispute", json={"reason": "I did acknowledge"}).status_code == 200

        # Two leads resolve at once with different answers: exactly one wins; dispute and score agree with it.
        resolves = _all_at_once([
            lambda: qa.post(f"/api/evaluations/{ev['id']}/resolve",
                            json={"resolution": "upheld by QA", "changes": {"resolved": "no"}}),
            lambda: lead.post(f"/api/evaluations/{ev['id']}/resolve",
                              json={"resolution": "changed by the lead", "changes": {"resolved": "yes"}})])
        codes = sorted(r.status_code for r in resolves)
        # The loser is refused either way: 409 when both read the dispute and its compare-and-set lost, 400 when
        # a loaded machine ran it after the winner had committed and it read an evaluation already resolved.
        loser = next((r for r in resolves if r.status_code != 200), None)
        assert codes in ([200, 409], [200, 400]), [r.text for r in resolves]
        assert loser is not None and (loser.status_code == 409 or "is resolved" in loser.text)
        winner = next(r for r in resolves if r.status_code == 200).json()
        final = qa.get(f"/api/evaluations/{ev['id']}").json()
        assert final["state"] == "resolved" and len(final["disputes"]) == 1
        assert final["disputes"][0]["resolution"] == winner["disputes"][0]["resolution"]
        score = qa.get("/api/calls/n-ana-1/score").json()
        review = score["review"]["resolved"]["answer"]
        assert str(review).lower() in ({"yes", "true"} if "lead" in winner["disputes"][0]["resolution"]
                                       else {"no", "false"})
        # If-Match: a stale version is refused, not silently applied.
        stale = qa.post(f"/api/evaluations/{ev['id']}/resolve", headers={"If-Match": str(final["version"] - 1)},
                        json={"resolution": "again"})
        assert stale.status_code == 409
        for h in (qa, lead, ana):
            h.close()


def test_if_match_refuses_a_stale_item_answer(sqlite_world: Store) -> None:
    qa = make_client(sqlite_world, "quinn")
    ev = qa.post("/api/calls/s-kim-1/evaluations").json()
    first = qa.put(f"/api/evaluations/{ev['id']}/items/resolved", headers={"If-Match": str(ev["version"])},
                   json={"answer": "yes"})
    assert first.status_code == 200 and first.json()["version"] == ev["version"] + 1
    again = qa.put(f"/api/evaluations/{ev['id']}/items/resolved", headers={"If-Match": str(ev["version"])},
                   json={"answer": "yes"})
    assert again.status_code == 409 and "changed since you loaded it" in again.json()["error"]["message"]
    assert qa.put(f"/api/evaluations/{ev['id']}/items/resolved", headers={"If-Match": "bogus"},
                  json={"answer": "yes"}).status_code == 400


# --- 4. CSRF on every form, login included ------------------------------------------------------------------

def test_login_csrf_without_a_cookie_is_refused(sqlite_world: Store) -> None:
    c = make_client(sqlite_world)
    r = c.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": "-"})
    assert r.status_code == 403
    assert c.get("/api/me").status_code == 401
    # The JSON login cannot be posted by a cross-site form either (text/plain needs no preflight).
    r = c.post("/api/session", content=b'{"username": "ada", "password": "x"}', headers={"content-type": "text/plain"})
    assert r.status_code in (415, 422) and c.get("/api/me").status_code == 401


def test_every_form_needs_the_csrf_token(sqlite_world: Store) -> None:
    qa = make_client(sqlite_world, "quinn")
    eid = qa.post("/api/calls/n-ben-1/evaluations").json()["id"]
    for path in ("/logout", "/calls/n-ben-1/evaluate", f"/evaluations/{eid}/items/resolved",
                 f"/evaluations/{eid}/submit", f"/evaluations/{eid}/acknowledge", f"/evaluations/{eid}/dispute",
                 f"/evaluations/{eid}/resolve"):
        r = qa.post(path, data={"csrf_token": "forged", "answer": "yes", "reason": "x", "resolution": "x"},
                    follow_redirects=False)
        assert r.status_code == 403, path
    assert qa.get("/api/me").status_code == 200        # the forged logout did not log out


# --- 5. login throttling -------------------------------------------------------------------------------------

def test_login_throttling_backs_off_without_a_username_oracle(sqlite_world: Store) -> None:
    web = WebSettings(login_per_account="3/minute;5/hour", login_per_address="8/minute")
    c = make_client(sqlite_world, web=web)

    def attempt(username: str, password: str) -> httpx.Response:
        return c.post("/api/session", json={"username": username, "password": password})

    for name in ("ben", "nobody-here"):
        statuses = [attempt(name, "wrong-password").status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        blocked = attempt(name, PASSWORD if name == "ben" else "wrong-password")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["error"]["message"] == "too many failed logins: wait before trying again"
    # The same address trying many names is throttled too, and the page says so.
    for name in ("x1", "x2"):
        attempt(name, "wrong-password")
    r = c.get("/login")
    page = c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": _form_csrf(r.text)})
    assert page.status_code == 429 and "Too many failed logins" in page.text
    with sqlite_world.engine.connect() as conn:
        throttled = conn.execute(select(audit_log.c.object_id).where(audit_log.c.action == "login_throttled")).all()
    assert {"ben", "nobody-here"} <= {row.object_id for row in throttled}


def _form_csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


# --- 6. revocation -------------------------------------------------------------------------------------------

def test_logout_ends_the_session_on_the_server(sqlite_world: Store) -> None:
    c = make_client(sqlite_world, "quinn")
    saved = dict(c.cookies)
    assert c.delete("/api/session").status_code == 200
    replay = TestClient(create_app(sqlite_world, secret="sec-test"), cookies=saved)
    assert replay.get("/api/me").status_code == 401
    assert replay.get("/calls", follow_redirects=False).status_code == 303


def test_tokens_expire_and_are_revoked(world: Store) -> None:
    c = make_client(world, "quinn")
    made = c.post("/api/tokens", json={"name": "nightly", "days": 30}).json()
    assert made["scope"] == "full" and made["state"] == "active" and made["expires_at"]
    script = TestClient(create_app(world, secret="sec-test"), headers={"Authorization": f"Bearer {made['token']}"})
    assert script.get("/api/calls").status_code == 200
    listed = c.get("/api/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["nightly"] and "token" not in listed[0]
    assert c.delete(f"/api/tokens/{made['id']}").json()["token"]["state"] == "revoked"
    assert script.get("/api/calls").status_code == 401
    # Another user's token is not yours to revoke; an expired token stops working.
    other = token_of(world, "nora")
    other_id = accounts.token_record(world, other).id
    assert c.delete(f"/api/tokens/{other_id}").status_code == 404
    with world.engine.begin() as conn:
        conn.execute(update(api_tokens).where(api_tokens.c.id == other_id).values(
            expires_at=accounts.token_record(world, other).created_at))
    assert TestClient(create_app(world, secret="s"), headers={"Authorization": f"Bearer {other}"}) \
        .get("/api/me").status_code == 401


def test_password_change_and_deactivation_end_sessions_and_tokens(world: Store) -> None:
    c = make_client(world, "ben")
    other = make_client(world, "ben")
    token = token_of(world, "ben")
    r = c.post("/api/me/password", json={"current_password": "wrong", "new_password": "a-new-long-password"})
    assert r.status_code == 403
    r = c.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "a-new-long-password"})
    assert r.status_code == 200
    assert other.get("/api/me").status_code == 401
    assert TestClient(create_app(world, secret="x"), headers={"Authorization": f"Bearer {token}"}) \
        .get("/api/me").status_code == 401
    assert accounts.authenticate(world, "ben", "a-new-long-password") is not None

    admin = make_client(world, "ada")
    kim = make_client(world, "kim")
    kim_token = token_of(world, "kim")
    assert make_client(world, "nora").patch("/api/users/kim", json={"active": False}).status_code == 403
    assert admin.patch("/api/users/kim", json={"active": False}).json()["active"] is False
    assert kim.get("/api/me").status_code == 401
    assert TestClient(create_app(world, secret="x"), headers={"Authorization": f"Bearer {kim_token}"}) \
        .get("/api/me").status_code == 401
    assert make_client(world).post("/api/session", json={"username": "kim", "password": PASSWORD}).status_code == 401


def test_token_cli_lists_and_revokes(world: Store) -> None:
    url = str(world.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    made = runner.invoke(cli, ["--db", url, "token", "create", "quinn", "--name", "export job", "--days", "7"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert accounts.user_for_token(world, token) is not None
    listed = runner.invoke(cli, ["--db", url, "token", "list"])
    assert "export job" in listed.output and "active" in listed.output and token not in listed.output
    token_id = accounts.token_record(world, token).id
    revoked = runner.invoke(cli, ["--db", url, "token", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and accounts.user_for_token(world, token) is None
    assert "revoked" in runner.invoke(cli, ["--db", url, "token", "list"]).output
    gone = runner.invoke(cli, ["--db", url, "user", "deactivate", "nora"])
    assert gone.exit_code == 0 and accounts.authenticate(world, "nora", PASSWORD) is None
    assert "deactivated" in runner.invoke(cli, ["--db", url, "user", "list"]).output


# --- 9. request size ------------------------------------------------------------------------------------------

def test_request_bodies_are_capped(sqlite_world: Store) -> None:
    c = make_client(sqlite_world, web=WebSettings(max_request_bytes=64 * 1024))
    big = b"x" * (2 * 1024 * 1024)
    r = c.post("/login", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def chunks() -> Iterator[bytes]:   # no Content-Length: counted as it arrives
        for _ in range(64):
            yield b"y" * 4096

    r = c.post("/api/session", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert c.post("/api/session", json={"username": "ana", "password": PASSWORD}).status_code == 200


# --- 11. page routes never answer 500 -------------------------------------------------------------------------

def test_huge_ids_on_pages_are_not_found(sqlite_world: Store) -> None:
    qa = make_client(sqlite_world, "quinn")
    for path in ("/evaluations/9223372036854775808", "/evaluations/-1", "/evaluations/0x10"):
        assert qa.get(path).status_code == 404, path
    for action in ("submit", "resolve", "items/resolved"):
        r = qa.post(f"/evaluations/9223372036854775808/{action}", data={"csrf_token": "x"})
        assert r.status_code == 404, action


# --- 12. WebSocket frames -------------------------------------------------------------------------------------

def test_binary_and_deeply_nested_frames_get_an_error_event(sqlite_world: Store) -> None:
    c = make_client(sqlite_world)
    with c.websocket_connect(f"/api/live/frames?token={token_of(sqlite_world, 'ana')}") as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00\x01binary")
        assert "binary" in ws.receive_json()["message"]
        ws.send_text("[" * 30000 + "]" * 30000)
        assert ws.receive_json()["type"] == "error"
        ws.send_json(utterance(1, "customer", WORRIED, 0.0))
        assert until_ack(ws, 1)[-1]["type"] == "ack"           # still up


# --- 13. the live table is bounded and the feed paged ---------------------------------------------------------

def test_live_calls_are_limited_expire_and_page(sqlite_world: Store) -> None:
    c = make_client(sqlite_world, live=LiveSettings(max_calls_per_user=3))
    ana = token_of(sqlite_world, "ana")
    for i in range(3):
        with c.websocket_connect(f"/api/live/lim-{i}?token={ana}") as ws:
            ws.receive_json()
    code, seen = refused(c, f"/api/live/lim-3?token={ana}")
    assert code == 4429 and "max_calls_per_user" in seen[0]["message"]
    with c.websocket_connect(f"/api/live/lim-0?token={ana}") as ws:   # resuming one is fine
        assert ws.receive_json()["type"] == "resumed"
    qa = token_of(sqlite_world, "quinn")
    page = c.get("/api/live/calls?limit=2&offset=0", headers={"Authorization": f"Bearer {qa}"}).json()
    assert page["total"] == 3 and len(page["calls"]) == 2
    rest = c.get("/api/live/calls?limit=2&offset=2", headers={"Authorization": f"Bearer {qa}"}).json()
    assert len(rest["calls"]) == 1
    hub = c.app.state.hub  # type: ignore[attr-defined]
    for entry in hub.entries.values():          # idle longer than live.idle_seconds: dropped, and room again
        entry.last_seen -= hub.settings.idle_seconds + 1
    with c.websocket_connect(f"/api/live/lim-4?token={ana}") as ws:
        assert ws.receive_json()["type"] == "hello"
    assert set(hub.entries) == {"lim-4"}


# --- 14. headers, cookies, drafts, user lists, odd agent ids ----------------------------------------------------

def test_security_headers_and_secure_cookie(sqlite_world: Store) -> None:
    c = make_client(sqlite_world, "quinn")
    for path in ("/calls", "/api/calls", "/login", "/static/app.js"):
        r = c.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    plain = make_client(sqlite_world).post("/api/session", json={"username": "ana", "password": PASSWORD})
    assert "secure" not in plain.headers["set-cookie"].lower()
    https = TestClient(create_app(sqlite_world, secret="s", web=WebSettings(public_url="https://heard.example.com")),
                       base_url="https://testserver")
    r = https.post("/api/session", json={"username": "ana", "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower() and "strict-transport-security" in r.headers


def test_agents_never_see_drafts(world: Store) -> None:
    qa, ana = make_client(world, "quinn"), make_client(world, "ana")
    draft = qa.post("/api/calls/n-ana-2/evaluations").json()
    assert ana.get(f"/api/evaluations/{draft['id']}").status_code == 404
    assert ana.get(f"/evaluations/{draft['id']}").status_code == 404
    assert draft["id"] not in {e["id"] for e in ana.get("/api/evaluations").json()["evaluations"]}
    qa.put(f"/api/evaluations/{draft['id']}/items/resolved", json={"answer": "yes"})
    qa.post(f"/api/evaluations/{draft['id']}/submit")
    assert ana.get(f"/api/evaluations/{draft['id']}").json()["state"] == "submitted"


def test_who_lists_users(sqlite_world: Store) -> None:
    def names(username: str) -> set[str]:
        return {u["username"] for u in make_client(sqlite_world, username).get("/api/users").json()["users"]}

    assert names("quinn") == {"quinn"}                 # docs/web.md: admins all, leads their team, others themselves
    assert names("nora") == {"ana", "ben", "nora"}
    assert "kim" in names("ada")


def test_agent_ids_with_a_slash_have_a_page(tmp_path: Any) -> None:
    from heard.auth.accounts import add_user
    from tests.web_world import call

    store = Store.open(f"sqlite:///{tmp_path / 'slash.db'}")
    store.add_call(call("n-ana-1", "east/a.rivera", "east").model_copy(update={"id": "slash-1"}))
    add_user(store, "qa9", PASSWORD, "qa")
    c = make_client(store, "qa9")
    r = c.get("/agents/east/a.rivera")
    assert r.status_code == 200 and "east/a.rivera" in r.text
    assert 'href="/agents/east/a.rivera"' in c.get("/calls/slash-1").text
    store.close()


def test_evaluation_versions_are_stored(sqlite_world: Store) -> None:
    qa = make_client(sqlite_world, "quinn")
    ev = qa.post("/api/calls/s-kim-2/evaluations").json()
    qa.put(f"/api/evaluations/{ev['id']}/items/resolved", json={"answer": "yes"})
    with sqlite_world.engine.connect() as conn:
        version = conn.execute(select(evaluations.c.version).where(evaluations.c.id == ev["id"])).scalar()
    assert version == ev["version"] + 1


def test_account_page_changes_the_password_and_revokes_tokens(world: Store) -> None:
    ben = make_client(world, "ben")
    token = token_of(world, "ben")
    page = ben.get("/account")
    assert page.status_code == 200 and "test" in page.text and "Revoke" in page.text
    csrf = _form_csrf(page.text)
    token_id = accounts.token_record(world, token).id
    assert ben.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": "forged"}).status_code == 403
    other = accounts.token_record(world, token_of(world, "ana")).id   # not ben's: not found
    assert ben.post(f"/account/tokens/{other}/revoke", data={"csrf_token": csrf}).status_code == 404
    done = ben.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 200 and "Revoked the token" in done.text
    assert accounts.user_for_token(world, token) is None
    wrong = ben.post("/account/password", data={"csrf_token": csrf, "current_password": "nope",
                                                "new_password": "a-new-long-password"})
    assert "current password is wrong" in wrong.text
    changed = ben.post("/account/password", data={"csrf_token": csrf, "current_password": PASSWORD,
                                                  "new_password": "a-new-long-password"})
    assert changed.url.path == "/login" and "Log in again" in changed.text
    assert ben.get("/api/me").status_code == 401
