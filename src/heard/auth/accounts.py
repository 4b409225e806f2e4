"""Users, roles, API tokens, who may see which calls, and the audit log.

Roles: an **agent** sees only their own calls and evaluations (their user's `agent_id` is the calls'
agent id); a **lead** sees their team's; a **qa** evaluator and an **admin** see all. Passwords are
hashed with argon2id (argon2-cffi). Sessions and API tokens are random keys, shown once, and stored as
sha256 digests; both expire and can be revoked, and a password change or a deactivation ends all of a
user's sessions and tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, and_, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from heard.errors import ConfigError, ConflictError, HeardError, StoreError
from heard.store import Store, aware
from heard.store.schema import api_tokens, audit_log, calls, sessions, users

_hasher = PasswordHasher()
MIN_PASSWORD = 8
TOKEN_SCOPES = ("full", "live")   # live: a service token that may only stream live calls


class Denied(HeardError):
    """The user may not do this."""


class Unknown(HeardError):
    """No such object, or not one this user may see."""


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
    _check_password(password)
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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short ({len(password)} characters)",
                          hint=f"Use at least {MIN_PASSWORD} characters.")


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user with this username and password, if they exist and are active."""
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        _hasher.hash(password)  # the same work as a real check, so timing does not reveal which usernames exist
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row) if row.active else None


def get_user(store: Store, user_id: int) -> User | None:
    """An active user by id (a deactivated user is nobody)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id, users.c.active.is_(True))).first()
    return _user(row) if row else None


def find_user(store: Store, username: str) -> tuple[User, bool]:
    """A user by username, active or not, and whether they are active."""
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise Unknown(f"no user {username!r}", hint="List users with `heard user list`.")
    return _user(row), bool(row.active)


def _now() -> datetime:
    return datetime.now(UTC)


# --- sessions ------------------------------------------------------------------------------------------

def start_session(store: Store, user: User, *, hours: float = 12.0, address: str | None = None) -> str:
    """A new server-side session for the user; returns the key the cookie carries (stored only as a digest)."""
    key = secrets.token_urlsafe(32)
    now = _now()
    with store.engine.begin() as conn:
        conn.execute(insert(sessions).values(id=_digest(key), user_id=user.id, created_at=now, last_seen_at=now,
                                             expires_at=now + timedelta(hours=hours), address=(address or "")[:100]))
    return key


def user_for_session(store: Store, key: str) -> User | None:
    """The session's user, if the session exists, has not expired or been revoked, and the user is active."""
    now = _now()
    with store.engine.begin() as conn:
        row = conn.execute(select(users, sessions.c.last_seen_at).join(sessions, sessions.c.user_id == users.c.id)
                           .where(sessions.c.id == _digest(key), sessions.c.revoked_at.is_(None),
                                  sessions.c.expires_at > now, users.c.active.is_(True))).first()
        if row is None:
            return None
        if now - aware(row.last_seen_at) > timedelta(minutes=1):  # a write a minute at most, not one a request
            conn.execute(update(sessions).where(sessions.c.id == _digest(key)).values(last_seen_at=now))
    return _user(row)


def end_session(store: Store, key: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.id == _digest(key), sessions.c.revoked_at.is_(None))
                     .values(revoked_at=_now()))


def end_access(store: Store, user_id: int) -> tuple[int, int]:
    """Revoke every session and API token of a user; returns how many of each were still live."""
    now = _now()
    with store.engine.begin() as conn:
        ended = conn.execute(update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
                             .values(revoked_at=now)).rowcount
        revoked = conn.execute(update(api_tokens).where(api_tokens.c.user_id == user_id,
                                                        api_tokens.c.revoked_at.is_(None))
                               .values(revoked_at=now)).rowcount
    return int(ended or 0), int(revoked or 0)


def set_password(store: Store, user: User, new_password: str) -> None:
    """Set a new password and end every session and token the user had."""
    _check_password(new_password)
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(password_hash=_hasher.hash(new_password),
                                                                      password_changed_at=_now()))
    end_access(store, user.id)


def change_password(store: Store, user: User, old_password: str, new_password: str) -> None:
    """The user changes their own password: the old one must be right."""
    if authenticate(store, user.username, old_password) is None:
        raise Denied("the current password is wrong", hint="Type your current password, then the new one.")
    set_password(store, user, new_password)


def set_active(store: Store, username: str, active: bool) -> User:
    """Deactivate (or reactivate) a user; deactivating ends every session and token they had."""
    user, _ = find_user(store, username)
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(active=active))
    if not active:
        end_access(store, user.id)
    return user


def list_users(store: Store, viewer: User) -> list[User]:
    """Admins (and heard itself) see every user, a lead their team's, anyone else only themselves."""
    query = select(users).order_by(users.c.username)
    if viewer.role is UserRole.LEAD:
        query = query.where(or_(users.c.team == viewer.team, users.c.id == viewer.id))
    elif viewer.role is not UserRole.ADMIN:
        query = query.where(users.c.id == viewer.id)
    with store.engine.connect() as conn:
        return [_user(r) for r in conn.execute(query)]


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    username: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and aware(self.expires_at) <= _now():
            return "expired"
        return "active"

    def public(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return aware(value).isoformat() if value else None

        return {"id": self.id, "name": self.name, "user": self.username, "scope": self.scope, "state": self.state,
                "created_at": iso(self.created_at), "last_used_at": iso(self.last_used_at),
                "expires_at": iso(self.expires_at), "revoked_at": iso(self.revoked_at)}


def create_token(store: Store, user: User, name: str, *, days: float | None = 90.0, scope: str = "full") -> str:
    """A new API token for the user; the token itself is returned once and never stored.

    `scope="live"` makes a service token that may only stream live calls (an admin's, for a telephony bridge);
    `days=None` never expires (avoid: revoke by hand then)."""
    if scope not in TOKEN_SCOPES:
        raise ConfigError(f"unknown token scope {scope!r}", hint=f"Use one of: {', '.join(TOKEN_SCOPES)}.")
    if scope == "live" and user.role is not UserRole.ADMIN:
        raise Denied("only admins create live service tokens")
    token = "heard_" + secrets.token_urlsafe(32)
    now = _now()
    with store.engine.begin() as conn:
        conn.execute(insert(api_tokens).values(user_id=user.id, name=name[:200] or "token", scope=scope,
                                               token_hash=_digest(token), created_at=now,
                                               expires_at=now + timedelta(days=days) if days else None))
    return token


def token_owner(store: Store, token: str) -> tuple[User, str] | None:
    """The token's active user and its scope, if the token is valid (not expired, not revoked)."""
    now = _now()
    with store.engine.begin() as conn:
        row = conn.execute(select(users, api_tokens.c.id.label("token_id"), api_tokens.c.scope.label("scope"))
                           .join(api_tokens, api_tokens.c.user_id == users.c.id)
                           .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None),
                                  or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
                                  users.c.active.is_(True))).first()
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=now))
    return _user(row), str(row.scope)


def user_for_token(store: Store, token: str) -> User | None:
    """The user of a valid full-scope token (a live service token reads nothing)."""
    found = token_owner(store, token)
    return found[0] if found is not None and found[1] == "full" else None


_TOKENS = select(api_tokens, users.c.username).join(users, users.c.id == api_tokens.c.user_id)


def list_tokens(store: Store, viewer: User) -> list[Token]:
    """The viewer's own tokens; an admin sees everyone's."""
    query = _TOKENS.order_by(api_tokens.c.id)
    if viewer.role is not UserRole.ADMIN:
        query = query.where(api_tokens.c.user_id == viewer.id)
    return _read_tokens(store, query)


def token_record(store: Store, token: str) -> Token:
    """What is stored about a token (never the token itself)."""
    found = _read_tokens(store, _TOKENS.where(api_tokens.c.token_hash == _digest(token)))
    if not found:
        raise Unknown("no such token")
    return found[0]


def _read_tokens(store: Store, query: Any) -> list[Token]:
    with store.engine.connect() as conn:
        return [Token(r.id, r.name, r.username, r.scope, r.created_at, r.last_used_at, r.expires_at, r.revoked_at)
                for r in conn.execute(query)]


def revoke_token(store: Store, viewer: User, token_id: int) -> Token:
    """Revoke one token: the viewer's own, or anyone's for an admin."""
    found = [t for t in list_tokens(store, viewer) if t.id == token_id]
    if not found:
        raise Unknown(f"no token {token_id}", hint="List tokens with `heard token list` or GET /api/tokens.")
    with store.engine.begin() as conn:
        conn.execute(update(api_tokens).where(and_(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)))
                     .values(revoked_at=_now()))
    return next(t for t in list_tokens(store, viewer) if t.id == token_id)


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
