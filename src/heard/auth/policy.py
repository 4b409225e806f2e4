"""How the web server protects itself: its public address, cookies, session and token lifetimes, login
throttling and request sizes. Set in heard.toml under [web] (see docs/security.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_url: str | None = Field(
        default=None, description="the address people open, e.g. https://heard.example.com; WebSocket Origin is "
        "checked against it (unset: the request's own host)")
    secure_cookies: bool | None = Field(
        default=None, description="mark the session cookie Secure (default: on when public_url is https)")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, description="a login lasts this long")
    token_days: float = Field(default=90.0, gt=0, le=3650, description="default lifetime of a new API token")
    max_request_bytes: int = Field(default=1_000_000, ge=1024, description="larger request bodies answer 413")
    login_per_account: str = Field(
        default="5/minute;20/hour;100/day", description="failed logins allowed per username (limits syntax); "
        "each longer window is the next step of the backoff")
    login_per_address: str = Field(default="30/minute;300/hour", description="failed logins allowed per address")
    throttle_storage: str = Field(
        default="memory://", description="where login counters live: memory:// (one process) or redis://host:6379 "
        "(shared by several workers)")

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("give the full address people open, e.g. https://heard.example.com")
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return bool(self.public_url and self.public_url.startswith("https://"))

    def origin_allowed(self, origin: str | None, host: str | None, *, secure: bool) -> bool:
        """A browser's Origin header against the configured public URL, or the request's own host if unset.
        No Origin at all is a non-browser client (scripts, the live client), which carries its own token."""
        if origin is None:
            return True
        if self.public_url is not None:
            return origin.rstrip("/").lower() == self.public_url.lower()
        if not host:
            return False
        return origin.rstrip("/").lower() in {f"{'https' if secure else 'http'}://{host}".lower()}
