"""The HTTP API and pages, on SQLite and PostgreSQL: who sees what (0 leaks), the evaluation workflow, CSRF,
tokens, the one error shape, and the audit log."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from heard.store import Store
from heard.web.app import create_app
from tests.web_world import CALLS, PASSWORD, USERS, visible


def client(store: Store, username: str | None = None) -> TestClient:
    c = TestClient(create_app(store, secret="test-secret"), raise_server_exceptions=False)
    if username is not None:
        r = c.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def error_shape(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and {"status", "code", "message", "hint"} <= set(body["error"])
    assert body["error"]["status"] == r.status_code  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


def _evaluate_everything(store: Store) -> dict[str, int]:
    """One submitted evaluation per call, by QA; returns call id -> evaluation id."""
    qa = client(store, "quinn")
    out = {}
    for call_id in CALLS:
        ev = qa.post(f"/api/calls/{call_id}/evaluations").json()
        qa.put(f"/api/evaluations/{ev['id']}/items/resolved", json={"answer": "yes"})
        assert qa.post(f"/api/evaluations/{ev['id']}/submit").status_code == 200
        out[call_id] = ev["id"]
    return out


def test_access_matrix_no_leaks(world: Store) -> None:
    """Every role, every endpoint and page that exposes calls, scores or evaluations: nothing outside their scope."""
    evals = _evaluate_everything(world)
    leaks: list[str] = []
    checked = 0
    for username in USERS:
        c = client(world, username)
        allowed = visible(username)
        listed = {row["id"] for row in c.get("/api/calls").json()["calls"]}
        checked += 1
        if listed != allowed:
            leaks.append(f"{username}: /api/calls lists {sorted(listed)}, expected {sorted(allowed)}")
        exported = {row["id"] for row in csv.DictReader(io.StringIO(c.get("/api/exports/scores.csv").text))}
        checked += 1
        if exported != allowed:
            leaks.append(f"{username}: export has {sorted(exported)}")
        listed_evals = {e["call_id"] for e in c.get("/api/evaluations").json()["evaluations"]}
        checked += 1
        if listed_evals != allowed:
            leaks.append(f"{username}: /api/evaluations lists {sorted(listed_evals)}")
        html = c.get("/calls").text if USERS[username][0] != "agent" else ""
        for call_id in CALLS:
            ok = call_id in allowed
            for path in (f"/api/calls/{call_id}", f"/api/calls/{call_id}/analysis", f"/api/calls/{call_id}/score",
                         f"/api/evaluations/{evals[call_id]}", f"/calls/{call_id}", f"/evaluations/{evals[call_id]}"):
                status = c.get(path).status_code
                checked += 1
                if (status == 200) != ok or status >= 500:
                    leaks.append(f"{username}: GET {path} -> {status}")
            if html and (f'href="/calls/{call_id}"' in html) != ok:
                leaks.append(f"{username}: /calls page shows {call_id}: {not ok}")
            status = c.post(f"/api/calls/{call_id}/evaluations").status_code
            checked += 1
            if status == 200 and not (ok and USERS[username][0] != "agent"):
                leaks.append(f"{username}: could start an evaluation of {call_id}")
        for agent in ("ana", "ben", "kim"):
            status = c.get(f"/agents/{agent}").status_code
            checked += 1
            if (status == 200) != bool(visible(username) & {k for k, (a, _) in CALLS.items() if a == agent}):
                leaks.append(f"{username}: /agents/{agent} -> {status}")
        for team in ("north", "south"):
            status = c.get(f"/teams/{team}").status_code
            role, _, own = USERS[username]
            checked += 1
            if (status == 200) != (role in ("qa", "admin") or (role == "lead" and own == team)):
                leaks.append(f"{username}: /teams/{team} -> {status}")
        users = {u["username"] for u in c.get("/api/users").json()["users"]}
        checked += 1
        role, _, team = USERS[username]
        expected_users = set(USERS) if role == "admin" else \
            {u for u, (_, _, t) in USERS.items() if t == team} if role == "lead" else {username}
        if users != expected_users:
            leaks.append(f"{username}: /api/users lists {sorted(users)}")
        status = c.get("/api/audit").status_code
        checked += 1
        if (status == 200) != (role == "admin"):
            leaks.append(f"{username}: /api/audit -> {status}")
    assert leaks == [], f"{len(leaks)} leak(s) in {checked} checks:\n" + "\n".join(leaks)
    assert checked > 300


def test_evaluation_workflow_and_audit(world: Store) -> None:
    qa, ana, kim, nora, sam = (client(world, u) for u in ("quinn", "ana", "kim", "nora", "sam"))
    ev = qa.post("/api/calls/n-ana-1/evaluations").json()
    assert ev["state"] == "draft" and ev["automatic"]["total"] is not None
    eid = ev["id"]
    assert qa.post("/api/calls/n-ana-1/evaluations").json()["id"] == eid        # the open draft is reused
    # An override needs a comment; a confirmation does not.
    r = qa.put(f"/api/evaluations/{eid}/items/explain_why", json={"answer": "no"})     # the machine said no too
    assert r.status_code == 200 and r.json()["answers"]["explain_why"]["override"] is False
    r = qa.put(f"/api/evaluations/{eid}/items/wrap_up", json={"answer": "yes"})
    assert r.status_code == 400 and "needs a comment" in error_shape(r)["message"]  # type: ignore[operator]
    r = qa.put(f"/api/evaluations/{eid}/items/wrap_up", json={"answer": "yes", "comment": "offered more help"})
    assert r.status_code == 200 and r.json()["answers"]["wrap_up"]["override"] is True
    r = qa.put(f"/api/evaluations/{eid}/items/explain_why", json={"answer": "maybe", "comment": "x"})
    assert r.status_code == 400 and "use yes or no" in error_shape(r)["message"]  # type: ignore[operator]
    r = qa.post(f"/api/evaluations/{eid}/submit")
    assert r.status_code == 400 and "resolved" in error_shape(r)["message"]  # type: ignore[operator]
    qa.put(f"/api/evaluations/{eid}/items/resolved", json={"answer": "yes"})
    submitted = qa.post(f"/api/evaluations/{eid}/submit").json()
    assert submitted["state"] == "submitted"
    assert submitted["automatic"]["total"] != submitted["result"]["total"]        # both kept
    assert error_shape(kim.post(f"/api/evaluations/{eid}/dispute", json={"reason": "x"}))["status"] == 404
    assert error_shape(qa.post(f"/api/evaluations/{eid}/dispute", json={"reason": "x"}))["status"] == 403
    disputed = ana.post(f"/api/evaluations/{eid}/dispute", json={"reason": "I explained the retry.",
                                                                  "item": "explain_why"}).json()
    assert disputed["state"] == "disputed" and disputed["disputes"][0]["raised_by"] == "ana"
    assert error_shape(sam.post(f"/api/evaluations/{eid}/resolve", json={"resolution": "no"}))["status"] == 404
    assert error_shape(ana.post(f"/api/evaluations/{eid}/resolve", json={"resolution": "mine"}))["status"] == 403
    body = {"resolution": "Agreed, the why was explained.", "changes": {"explain_why": "yes"}}
    resolved = nora.post(f"/api/evaluations/{eid}/resolve", json=body).json()
    assert resolved["state"] == "resolved" and resolved["disputes"][0]["resolved_by"] == "nora"
    assert resolved["answers"]["explain_why"]["answer"] == "yes"
    # The score's final answers follow the evaluation; the automatic ones never change.
    score = qa.get("/api/calls/n-ana-1/score").json()
    assert score["review"]["explain_why"]["answer"] == "yes" and score["review"]["resolved"]["answer"] == "yes"
    entries = client(world, "ada").get("/api/audit?limit=500").json()["entries"]
    actions = {(e["username"], e["action"]) for e in entries if e["object_id"] == str(eid)}
    assert {("quinn", "start"), ("quinn", "override"), ("quinn", "submit"), ("ana", "dispute"),
            ("nora", "resolve")} <= actions
    assert any(e["action"] == "view" and e["object_type"] == "score" for e in entries)


def test_acknowledge_only_by_the_agent(world: Store) -> None:
    qa, ana, ben = (client(world, u) for u in ("quinn", "ana", "ben"))
    eid = qa.post("/api/calls/n-ana-2/evaluations").json()["id"]
    qa.put(f"/api/evaluations/{eid}/items/resolved", json={"answer": "yes"})
    assert error_shape(ana.post(f"/api/evaluations/{eid}/acknowledge"))["status"] == 404   # a draft: not hers
    qa.post(f"/api/evaluations/{eid}/submit")
    assert error_shape(ben.post(f"/api/evaluations/{eid}/acknowledge"))["status"] == 404
    assert ana.post(f"/api/evaluations/{eid}/acknowledge").json()["state"] == "acknowledged"


def test_csrf_tokens_and_errors(world: Store) -> None:
    c = client(world, "quinn")
    del c.headers["X-CSRF-Token"]
    r = c.post("/api/calls/n-ana-1/evaluations")
    assert r.status_code == 403 and error_shape(r)["code"] == "csrf"
    c.headers["X-CSRF-Token"] = "wrong"
    assert c.post("/api/calls/n-ana-1/evaluations").status_code == 403
    # A page form without the token is refused too.
    assert c.post("/calls/n-ana-1/evaluate", data={"csrf_token": "wrong"}).status_code == 403
    # Scripts use tokens, no cookie and no CSRF token.
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    token = c.post("/api/tokens", json={"name": "nightly export"}).json()["token"]
    script = TestClient(create_app(world, secret="test-secret"))
    script.headers["Authorization"] = f"Bearer {token}"
    assert script.post("/api/calls/s-kim-1/evaluations").status_code == 200
    assert script.get("/api/me").json()["user"]["username"] == "quinn"
    bad = TestClient(create_app(world, secret="test-secret"), headers={"Authorization": "Bearer nope"})
    assert error_shape(bad.get("/api/calls"))["code"] == "bad_token"
    anonymous = client(world)
    assert error_shape(anonymous.get("/api/calls"))["code"] == "not_logged_in"
    assert error_shape(anonymous.post("/api/session", json={"username": "ana", "password": "wrong"}))["status"] == 401
    assert error_shape(anonymous.get("/api/nothing-here"))["code"] == "not_found"
    assert error_shape(c.get("/api/calls?min_score=500"))["code"] == "invalid_input"
    assert error_shape(c.get("/api/evaluations/not-a-number"))["code"] == "invalid_input"
    assert error_shape(c.delete("/api/calls"))["status"] == 405
    # Pages send people without a session to the login page.
    r = anonymous.get("/calls/n-ana-1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/calls/n-ana-1")


def test_call_list_filters_and_sorting(world: Store) -> None:
    c = client(world, "quinn")

    def ids(query: str) -> list[str]:
        return [row["id"] for row in c.get(f"/api/calls?{query}").json()["calls"]]

    assert set(ids("team=south")) == {"s-kim-1", "s-kim-2"}
    assert set(ids("agent=ben")) == {"n-ben-1"}
    assert set(ids("robotic=true")) == {"n-ben-1"}
    assert "n-ben-1" not in ids("robotic=false")
    assert set(ids("missing=acknowledge_emotion")) == {"n-ben-1"}
    assert "n-ben-1" not in ids("behaviour=acknowledge_emotion")
    assert ids("date_from=2026-11-04") == ["s-kim-2", "s-kim-1"] or set(ids("date_from=2026-11-04")) == {
        "s-kim-1", "s-kim-2"}
    assert ids("sort=started_at") == sorted(CALLS)
    scores = [row["score"] for row in c.get("/api/calls?sort=-score").json()["calls"]]
    assert scores == sorted(scores, reverse=True)
    low = c.get("/api/calls?max_score=50").json()["calls"]
    assert low and all(row["score"] <= 50 for row in low)
    page = c.get("/calls?team=north&sort=-score").text
    assert re.search(r'href="/calls/n-ana-1"', page) and 's-kim-1' not in page


def test_admin_creates_users(world: Store) -> None:
    admin, qa = client(world, "ada"), client(world, "quinn")
    body = {"username": "lee", "password": "long-enough-pw", "role": "agent", "agent_id": "lee", "team": "south"}
    assert admin.post("/api/users", json=body).json()["user"]["role"] == "agent"
    assert error_shape(admin.post("/api/users", json=body))["status"] == 409
    assert error_shape(qa.post("/api/users", json={**body, "username": "lee2"}))["status"] == 403
    r = admin.post("/api/users", json={**body, "username": "lee3", "password": "short"})
    assert error_shape(r)["code"] == "invalid_input"
