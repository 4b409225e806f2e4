"""A small contact center for the web tests: two teams, three agents, one user per role (and a lead per team)."""

from __future__ import annotations

from heard.auth.accounts import add_user
from heard.model import Call, Role, Turn
from heard.runners.local import analyse_and_store
from heard.scorecards import definition, rules
from heard.scorecards.service import score_stored
from heard.store import Store

A, C = Role.AGENT, Role.CUSTOMER
ACKNOWLEDGE = "That sounds really stressful, being charged twice right before rent is due. Let me check."
CANNED = "I apologise for the inconvenience."   # twice, on its own: robotic, and no acknowledgement
VERIFY = "Can I confirm your date of birth first?"
REFUND = "I've refunded the duplicate and your bank will show it within two working days."

PASSWORD = "correct-horse-battery"
# username -> (role, agent_id, team)
USERS = {
    "ana": ("agent", "ana", "north"),
    "ben": ("agent", "ben", "north"),
    "kim": ("agent", "kim", "south"),
    "nora": ("lead", None, "north"),
    "sam": ("lead", None, "south"),
    "quinn": ("qa", None, None),
    "ada": ("admin", None, None),
}
# call id -> (agent, team)
CALLS = {"n-ana-1": ("ana", "north"), "n-ana-2": ("ana", "north"), "n-ben-1": ("ben", "north"),
         "s-kim-1": ("kim", "south"), "s-kim-2": ("kim", "south")}


def call(call_id: str, agent: str, team: str) -> Call:
    lines = (ACKNOWLEDGE, VERIFY, REFUND) if agent != "ben" else (CANNED, REFUND, CANNED)
    turns = [Turn(speaker=A, start=0.0, end=3.0, text="Northwind, this call may be recorded. How can I help?"),
             Turn(speaker=C, start=3.5, end=9.0, text="I was charged twice and my rent is due Friday, I'm worried.")]
    t = 9.5
    for text in lines:
        turns += [Turn(speaker=A, start=t, end=t + 4.0, text=text),
                  Turn(speaker=C, start=t + 4.5, end=t + 6.0, text="Okay, thanks.")]
        t += 7.0
    from datetime import UTC, datetime

    day = 1 + sorted(CALLS).index(call_id)
    return Call(id=call_id, agent_id=agent, team=team, queue="billing", reason="double_charge", turns=turns,
                started_at=datetime(2026, 11, day, 9, 30, tzinfo=UTC))


def build(store: Store) -> None:
    for call_id, (agent, team) in CALLS.items():
        store.add_call(call(call_id, agent, team))
    list(analyse_and_store(store, store.iter_calls()))
    list(score_stored(store, definition.load(), rules.load()))
    for username, (role, agent_id, team) in USERS.items():
        add_user(store, username, PASSWORD, role, agent_id=agent_id, team=team)


def visible(username: str) -> set[str]:
    """The calls a user may see."""
    role, agent_id, team = USERS[username]
    if role in ("qa", "admin"):
        return set(CALLS)
    if role == "lead":
        return {c for c, (_, t) in CALLS.items() if t == team}
    return {c for c, (a, _) in CALLS.items() if a == agent_id}
