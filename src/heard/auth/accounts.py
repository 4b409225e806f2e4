"""Users, roles, API tokens, who may see which calls, and the audit log.

Roles: an **agent** sees only their own calls and evaluations (their user's `agent_id` is the calls'
agent id); a **lead** sees their team's; a **qa** evaluator and an **admin** see all. Passwords are
hashed with argon2id (argon2-cffi); API tokens are random, shown once, and stored as sha256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, insert, select, true, update
from sqlalchemy.exc import IntegrityError

from heard.errors import ConfigError, ConflictError, StoreError
from heard.store import Store
from heard.store.schema import api_tokens, audit_log, calls, users

_hasher = PasswordHasher()
MIN_PASSWORD = 8


class UserRole(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    QA = "qa"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: UserRole
    agent_id: str | None
    team: str | None

    @property
    def sees_all(self) -> bool:
        return self.role in (UserRole.QA, UserRole.ADMIN)

    @property
    def can_evaluate(self) -> bool:
        return self.role in (UserRole.QA, UserRole.ADMIN, UserRole.LEAD)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role.value,
                "agent_id": self.agent_id, "team": self.team}


# heard itself, for work that is not one person's view (the CLI, a team's figures beside an agent's own).
SYSTEM = User(0, "heard", "heard", UserRole.ADMIN, None, None)


def _user(row: Any) -> User:
    return User(row.id, row.username, row.display_name, UserRole(row.role), row.agent_id, row.team)


def add_user(store: Store, username: str, password: str, role: str, *, display_name: str | None = None,
             agent_id: str | None = None, team: str | None = None) -> User:
    """Create a user; an agent needs the agent id their calls carry, a lead the team they lead."""
    try:
        parsed = UserRole(role)
    except ValueError:
        roles = ", ".join(r.value for r in UserRole)
        raise ConfigError(f"unknown role {role!r}", hint=f"Use one of: {roles}.") from None
    if not username or len(username) > 200 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"username {username!r} is not allowed", hint="Use letters, digits, '.', '-' and '_'.")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short ({len(password)} characters)",
                          hint=f"Use at least {MIN_PASSWORD} characters.")
    if parsed is UserRole.AGENT and not agent_id:
        raise ConfigError("an agent user needs --agent-id: the agent id their calls carry")
    if parsed is UserRole.LEAD and not team:
        raise ConfigError("a lead user needs --team: the team they lead")
    try:
        with store.engine.begin() as conn:
            key = conn.execute(insert(users).values(
                username=username, display_name=display_name or username, password_hash=_hasher.hash(password),
                role=parsed.value, agent_id=agent_id, team=team, created_at=datetime.now(UTC))).inserted_primary_key
    except IntegrityError:
        raise ConflictError(f"a user {username!r} already exists", hint="Pick another username.") from None
    assert key is not None
    return User(int(key[0]), username, display_name or username, parsed, agent_id, team)


def authenticate(store: Store, username: str, password: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        _hasher.hash(password)  # the same work as a real check, so timing does not reveal which usernames exist
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row)


def get_user(store: Store, user_id: int) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(store: Store, viewer: User) -> list[User]:
    query = select(users).order_by(users.c.username)
    if viewer.role is UserRole.LEAD:
        query = query.where(users.c.team == viewer.team)
    elif viewer.role is UserRole.AGENT:
        query = query.where(users.c.id == viewer.id)
    with store.engine.connect() as conn:
        return [_user(r) for r in conn.execute(query)]


def create_token(store: Store, user: User, name: str) -> str:
    """A new API token for the user; the token itself is returned once and never stored."""
    token = "heard_" + secrets.token_urlsafe(32)
    with store.engine.begin() as conn:
        conn.execute(insert(api_tokens).values(user_id=user.id, name=name[:200] or "token",
                                               token_hash=_digest(token), created_at=datetime.now(UTC)))
    return token


def user_for_token(store: Store, token: str) -> User | None:
    with store.engine.begin() as conn:
        row = conn.execute(select(users, api_tokens.c.id.label("token_id"))
                           .join(api_tokens, api_tokens.c.user_id == users.c.id)
                           .where(api_tokens.c.token_hash == _digest(token))).first()
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=datetime.now(UTC)))
    return _user(row)


def revoke_tokens(store: Store, user: User) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user.id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def call_scope(user: User) -> ColumnElement[bool]:
    """The SQL condition on `calls` for the calls this user may see (row-level access)."""
    if user.sees_all:
        return true()
    if user.role is UserRole.LEAD:
        return calls.c.team == user.team if user.team else calls.c.id.is_(None)
    return calls.c.agent_id == user.agent_id if user.agent_id else calls.c.id.is_(None)


def can_see_call(store: Store, user: User, call_id: str) -> bool:
    with store.engine.connect() as conn:
        return conn.execute(select(calls.c.id).where(calls.c.id == call_id, call_scope(user))).first() is not None


def audit(store: Store, user: User | None, action: str, object_type: str, object_id: str | None = None,
          **detail: Any) -> None:
    """Record who did what to which object (viewed, scored, overrode, disputed, resolved...)."""
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(audit_log).values(at=datetime.now(UTC), user_id=user.id if user else None,
                                                  username=user.username if user else None, action=action,
                                                  object_type=object_type, object_id=object_id, detail=detail))
    except Exception as exc:  # an audit failure must be loud, never silently skipped
        raise StoreError(f"cannot write the audit log: {exc}") from None


def audit_entries(store: Store, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset))
        return [{**dict(r._mapping), "at": r.at.isoformat()} for r in rows]
