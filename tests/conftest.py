"""Shared fixtures. Stores run against SQLite and a real PostgreSQL server (never skipped: a missing
server is a failure, so CI cannot pass without testing PostgreSQL). Set HEARD_TEST_PG to point at
another server (default postgresql://postgres@127.0.0.1:5432/postgres)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heard.model import Call, Role, Turn
from heard.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("HEARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

# Named example sentences, one per thing a test needs to recognise.
GREETING = "Thank you for calling Acme, how can I help?"
PROBLEM = "Hi, I was charged twice for my bill."


def make_call(call_id: str = "call-1", *, turns: int = 4, timed: bool = True, **fields: object) -> Call:
    """A tiny hand-built call: the agent greets, the customer states the problem, and so on."""
    texts = [GREETING, PROBLEM, "Let me check that for you.", "Okay, thanks."]
    built = []
    for i in range(turns):
        role = Role.AGENT if i % 2 == 0 else Role.CUSTOMER
        start, end = (i * 4.0, i * 4.0 + 3.0) if timed else (None, None)
        built.append(Turn(speaker=role, text=texts[i % len(texts)], start=start, end=end))
    return Call(id=call_id, turns=built, **fields)  # type: ignore[arg-type]


def migrate_down(store: Store, revision: str) -> None:
    """Take the store's schema back to an older Alembic revision (store.migrate() brings it up again)."""
    from alembic import command
    from alembic.config import Config

    from heard.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _pg_database() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"heard_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {admin} ({exc}). Run `make postgres` (scripts/ensure-postgres.sh) "
                    "or set HEARD_TEST_PG.", pytrace=False)
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'heard.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def world(db_url: str) -> Iterator[Store]:
    """The small contact center of tests/web_world.py (calls analysed and scored, one user per role), on each
    kind of database."""
    from tests.web_world import build

    s = Store.open(db_url)
    build(s)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'heard.db'}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web world (tests/web_world.py) served by a real uvicorn on a free port, for a module's browser tests."""
    from tests.browser import serving
    from tests.web_world import build

    s = Store.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'heard.db'}")
    build(s)
    with serving(s) as base:
        yield base
    s.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, shared by a module's browser tests."""
    from tests.browser import chromium

    with chromium() as b:
        yield b
