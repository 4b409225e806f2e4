"""schemathesis against heard's OpenAPI description, API and HTML pages: no generated request, authenticated or
not, gets a 5xx."""

from __future__ import annotations

import copy
import os
import tempfile

import schemathesis
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from heard.auth.accounts import authenticate, create_token
from heard.store import Store
from heard.web import (
    calibration,
    coaching,
    insights,
    live,
    pages,
    roleplay,
    team_huddle,
    team_load,
    team_recognition,
    team_scripts,
    team_voice,
)
from heard.web.app import create_app
from tests.web_world import PASSWORD, build

_folder = tempfile.mkdtemp(prefix="heard-fuzz-")
STORE = Store.open(f"sqlite:///{_folder}/heard.db")
build(STORE)
APP = create_app(STORE, secret="fuzz-secret")
_admin = authenticate(STORE, "ada", PASSWORD)
_agent = authenticate(STORE, "ana", PASSWORD)
assert _admin is not None and _agent is not None
TOKENS = {"admin": create_token(STORE, _admin, "fuzz"), "agent": create_token(STORE, _agent, "fuzz")}
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
EXAMPLES = int(os.environ.get("HEARD_FUZZ_EXAMPLES", "25"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_never_answers_5xx(case: schemathesis.Case) -> None:
    for who in ("admin", "agent", None):
        headers = {"Authorization": f"Bearer {TOKENS[who]}"} if who else {}
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{who}: {case.method} {case.formatted_path} -> {response.status_code}: " \
                                          f"{response.text[:300]}"
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error"} and body["error"]["status"] == response.status_code



# The HTML pages too: every page route (hidden from the public OpenAPI description) in a second app whose
# description includes them, called logged out and with an admin's and an agent's session cookie.
PAGES_APP = create_app(STORE, secret="fuzz-secret")
PAGE_ROUTERS = (pages.router, calibration.router, live.router, coaching.router, roleplay.router, insights.router,
                team_recognition.router, team_load.router, team_huddle.router, team_voice.router, team_scripts.router)
_page_routes = [copy.copy(r) for router in PAGE_ROUTERS for r in router.routes
                if isinstance(r, APIRoute) and not r.include_in_schema]
for _route in _page_routes:
    _route.include_in_schema = True
PAGES_APP.add_api_route("/pages-openapi.json", lambda: get_openapi(title="heard pages", version="1",
                                                                  routes=_page_routes), include_in_schema=False)


def _cookie(username: str) -> dict[str, str]:
    with TestClient(PAGES_APP) as c:
        assert c.post("/api/session", json={"username": username, "password": PASSWORD}).status_code == 200
        return {"heard_session": c.cookies["heard_session"]}


COOKIES = {"admin": _cookie("ada"), "agent": _cookie("ana")}
pages_schema = schemathesis.openapi.from_asgi("/pages-openapi.json", PAGES_APP)


@pages_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_pages_never_answer_5xx(case: schemathesis.Case) -> None:
    for who in ("admin", "agent", None):
        response = case.call(cookies=COOKIES[who] if who else {})
        assert response.status_code < 500, f"{who}: {case.method} {case.formatted_path} -> {response.status_code}: " \
                                          f"{response.text[:300]}"
