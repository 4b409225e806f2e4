"""Login throttling with backoff, per username and per client address, with the `limits` library.

Only failed logins count. A username is throttled whether or not it exists, and the answer is the same in
both cases, so throttling never tells an attacker which usernames are real. Each longer window of a limit
("5/minute;20/hour;100/day") is the next step of the backoff: five failures wait a minute, twenty an hour.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many, storage, strategies


@dataclass(frozen=True)
class Blocked:
    scope: str          # "account" or "address"
    retry_after: int    # seconds until the next attempt may succeed


class LoginThrottle:
    def __init__(self, per_account: str = "5/minute;20/hour;100/day", per_address: str = "30/minute;300/hour",
                 storage_uri: str = "memory://") -> None:
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self.limits: dict[str, list[RateLimitItem]] = {"account": parse_many(per_account),
                                                        "address": parse_many(per_address)}

    @staticmethod
    def _key(scope: str, value: str) -> str:
        return value.strip().lower()[:200] if scope == "account" else value[:100]

    def check(self, username: str, address: str) -> Blocked | None:
        """Whether a login attempt may be tried now; if not, which limit and for how long."""
        for scope, value in (("account", username), ("address", address)):
            for item in self.limits[scope]:
                if not self.limiter.test(item, "login", scope, self._key(scope, value)):
                    reset, _ = self.limiter.get_window_stats(item, "login", scope, self._key(scope, value))
                    return Blocked(scope, max(1, math.ceil(reset - time.time())))
        return None

    def failed(self, username: str, address: str) -> Blocked | None:
        """Count a failed attempt; returns the block it starts, if it starts one."""
        for scope, value in (("account", username), ("address", address)):
            for item in self.limits[scope]:
                self.limiter.hit(item, "login", scope, self._key(scope, value))
        return self.check(username, address)
