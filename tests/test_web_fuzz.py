"""schemathesis against heard's OpenAPI description: no generated request, authenticated or not, gets a 5xx."""

from __future__ import annotations

import os
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings

from heard.auth.accounts import authenticate, create_token
from heard.store import Store
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

