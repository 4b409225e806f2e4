"""Reproduce the defects of the outside security test (issue 13) against a heard source tree, one line each.

    git worktree add /tmp/before 0e6d2bd
    PYTHONPATH=/tmp/before/src:/tmp/before .venv/bin/python scripts/security_repro.py /tmp/before
    PYTHONPATH=src:. .venv/bin/python scripts/security_repro.py .

Prints "DEFECT n: reproduced" or "DEFECT n: fixed" for the defects that need no store of 1,000 calls or a
huge file (export, formulas and import limits have their own tests: tests/test_exports.py and
tests/test_import_limits.py). Uses only what both the old and the new code have.
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from heard.auth import accounts
from heard.store import Store
from heard.web.app import create_app

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else ".")
from tests.web_world import PASSWORD, build  # the tree's own test world

STORE = Store.open(f"sqlite:///{tempfile.mkdtemp()}/heard.db")
build(STORE)


def client(username: str | None = None) -> TestClient:
    c = TestClient(create_app(STORE, secret="s"), raise_server_exceptions=False)
    if username:
        r = c.post("/api/session", json={"username": username, "password": PASSWORD})
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def token(username: str) -> str:
    user = accounts.authenticate(STORE, username, PASSWORD)
    assert user is not None
    return accounts.create_token(STORE, user, "repro")


def opened(c: TestClient, path: str, **headers: str) -> str | None:
    """The first event type a socket sends, or None when it is closed before anything."""
    try:
        with c.websocket_connect(path, headers=headers) as ws:
            return str(ws.receive_json()["type"])
    except WebSocketDisconnect:
        return None


def main() -> None:
    out: dict[str, str] = {}
    c = client()
    with c.websocket_connect(f"/api/live/n1?token={token('ana')}") as ws:
        ws.receive_json()
        ws.send_json({"type": "utterance", "id": 1, "speaker": "customer", "start": 0, "end": 3,
                      "text": "my card is 4111 1111 1111 1111 and I'm worried"})
        while ws.receive_json()["type"] != "ack":
            pass
    out["1 live join by another team's lead"] = \
        "reproduced" if opened(c, f"/api/live/n1?token={token('sam')}") == "resumed" else "fixed"
    out["2 foreign Origin"] = "reproduced" if opened(client("nora"), "/api/live/x9", origin="https://evil.example") \
        else "fixed"

    qa = client("quinn")
    ev = qa.post("/api/calls/n-ana-1/evaluations").json()
    items = ev["automatic"]["answers"]

    def put(a: dict[str, Any]) -> int:
        value = "na" if a.get("na") or a.get("answer") is None else str(a["answer"])
        return qa.put(f"/api/evaluations/{ev['id']}/items/{a['item']}",
                      json={"answer": value, "comment": "c"}).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = sorted(set(pool.map(put, items)))
    stored = len(qa.get(f"/api/evaluations/{ev['id']}").json()["answers"])
    out["3 concurrent item answers"] = f"{'reproduced' if stored < len(items) else 'fixed'} " \
                                       f"({stored}/{len(items)} stored, answers {codes})"

    r = client().post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": "-"},
                      follow_redirects=False)
    out["4 login CSRF"] = "reproduced" if r.status_code == 303 else f"fixed ({r.status_code})"

    c5 = client()
    for _ in range(30):
        c5.post("/api/session", json={"username": "ben", "password": "wrong-password"})
    r = c5.post("/api/session", json={"username": "ben", "password": PASSWORD})
    out["5 30 wrong passwords, then the right one"] = "reproduced" if r.status_code == 200 else \
        f"fixed ({r.status_code})"

    c6 = client("quinn")
    saved = dict(c6.cookies)
    c6.delete("/api/session")
    r = TestClient(create_app(STORE, secret="s"), cookies=saved).get("/api/me")
    out["6 cookie after logout"] = "reproduced" if r.status_code == 200 else f"fixed ({r.status_code})"

    r = client().post("/login", content=b"x" * (5 * 1024 * 1024),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    out["9 5 MB anonymous body"] = "reproduced" if r.status_code != 413 else "fixed (413)"

    r = client("quinn").get("/evaluations/9223372036854775808")
    out["11 huge id on a page"] = "reproduced (500)" if r.status_code == 500 else f"fixed ({r.status_code})"

    try:
        with client().websocket_connect(f"/api/live/b1?token={token('ana')}") as ws:
            ws.receive_json()
            ws.send_bytes(b"\x00\x01")
            out["12 binary frame"] = "fixed" if ws.receive_json()["type"] == "error" else "reproduced"
    except Exception as exc:
        out["12 binary frame"] = f"reproduced ({type(exc).__name__})"

    agent = token("ana")
    made = sum(opened(c, f"/api/live/u{i}?token={agent}") == "hello" for i in range(40))
    out["13 one agent opens 40 live calls"] = f"{'reproduced' if made == 40 else 'fixed'} ({made}/40 opened)"

    r = client("quinn").get("/calls")
    out["14 security headers"] = "fixed" if "content-security-policy" in r.headers else "reproduced"
    draft = qa.post("/api/calls/n-ana-2/evaluations").json()
    out["14 agent reads a draft"] = "reproduced" if client("ana").get(
        f"/api/evaluations/{draft['id']}").status_code == 200 else "fixed"
    users = client("quinn").get("/api/users").json()["users"]
    out["14 QA lists users"] = f"reproduced ({len(users)} users)" if len(users) > 1 else "fixed"
    for name, result in out.items():
        print(f"DEFECT {name}: {result}")


if __name__ == "__main__":
    main()
