"""Customer history and promises kept across calls: what a returning customer was promised, and whether it happened.

The customer of a call is the first of `InsightsSettings.customer_keys` (customer_id, customer, account_id,
caller_id) present in its metadata, as for repeat contacts (heard.insights.dataset). Promises come from the
stored summaries (the `promises` analyser); follow-ups and complaints from the later calls' turns.

A promise made on a call is, on a `today` date:

- **kept** when a later call from the same customer, started on or before the due date (any time when the
  promise has none), has a matching agent follow-up: for a `callback`, the later call is outbound (metadata
  `direction` = "outbound") or an agent turn follows up ("calling you back", "as promised", "following up",
  "i said i'd call"); for any other label, an agent turn follows up and names the kind of thing ("as promised
  i've emailed the form", "following up on your refund").
- **broken** when it is not kept and a later call's customer complains it did not happen ("you said you'd call
  me back", "still no refund", "nobody called", "never arrived": the complaint names the kind, or names none and
  then counts against every promise not yet kept);
- **overdue** when it is neither, and its due date is before `today`: no follow-up was seen, so it is flagged for
  someone to check — heard cannot tell a refund that quietly arrived from one that never did;
- **open** otherwise: the due date is today or later, or there is none, and nothing has happened yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from heard.auth.accounts import User, call_scope
from heard.insights.dataset import InsightsSettings
from heard.insights.dataset import customer_of as customer_in
from heard.model import Call, Role
from heard.store import Store, aware
from heard.store.schema import calls

FOLLOW_UP = re.compile(r"\b(?:calling (?:you )?back|call(?:ing)? you back as (?:promised|agreed)|as (?:promised|"
                       r"agreed)|following up|follow(?:ing)? up on|i said i(?:'d| would)|i promised|"
                       r"like i said i would|(?:just )?ringing (?:you )?back|getting back to you)\b", re.I)
COMPLAINT = re.compile(r"\b(?:you said you(?:'d| would)|you promised|(?:nobody|no one|no-one) (?:called|rang|phoned|"
                       r"came|turned up|got back|emailed|texted)|never (?:called|rang|got|arrived|came|turned up|heard|"
                       r"received|showed)|still (?:no|not|haven't|hasn't|have not|has not|waiting|nothing)|(?:didn't|"
                       r"did not|hasn't|has not|haven't|have not) (?:call|ring|get|arrive|come|turn up|receive|hear|"
                       r"show)|was supposed to|were supposed to|meant to (?:call|ring|send|email|text))\b", re.I)
# Words that name each kind of promise, in a follow-up or a complaint.
KIND_WORDS = {
    "callback": re.compile(r"\b(?:call(?:ed|ing)?|rang|ring(?:ing)?|phon(?:e|ed)|back to me|got back)\b", re.I),
    "email": re.compile(r"\be-?mail(?:ed|s)?\b", re.I),
    "text": re.compile(r"\b(?:text(?:ed|s)?|sms|message)\b", re.I),
    "refund": re.compile(r"\b(?:refund(?:ed)?|money|credit(?:ed)?|payment)\b", re.I),
    "visit": re.compile(r"\b(?:engineer|technician|visit|appointment|came|turned up|showed)\b", re.I),
    "send": re.compile(r"\b(?:sent|send|form|card|letter|replacement|parcel|arrived|post|delivery|delivered)\b", re.I),
    "other": re.compile(r"\b(?:sorted|cancel(?:led)?|chased|fixed|done)\b", re.I),
}
STATUSES = ("kept", "broken", "overdue", "open")


@dataclass
class Promise:
    """One promise made on a call, and what became of it."""

    call_id: str
    started_at: str | None
    turn: int | None
    label: str
    what: str | None
    when: str | None
    due: str | None
    status: str
    why: str
    agent_id: str | None = None
    customer: str | None = None
    settled_by: str | None = None    # the later call that kept or broke it


@dataclass
class PastCall:
    id: str
    started_at: str | None
    agent_id: str | None
    reason: str | None
    customer_end: float | None        # the customer's sentiment in the call's last quarter (-1 to 1)
    promises: list[Promise] = field(default_factory=list)


@dataclass
class History:
    """A customer's recent calls, newest first, with their promises; the open, broken and overdue ones gathered."""

    customer: str
    calls: list[PastCall]
    open: list[Promise]
    broken: list[Promise]
    last_sentiment: float | None
    overdue: list[Promise] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def customer_of(call: Call, keys: Sequence[str] | None = None) -> str | None:
    """The customer a call is from (the first customer key in its metadata), or None."""
    return customer_in(call.metadata, keys or InsightsSettings().customer_keys)


def _rows(store: Store, customer: str | None, keys: Sequence[str], scope: ColumnElement[bool] | None,
          before: datetime | None) -> list[Any]:
    query = select(calls.c.id, calls.c.agent_id, calls.c.reason, calls.c.started_at, calls.c.meta)
    if customer is not None:
        query = query.where(or_(*(calls.c.meta[k].as_string() == customer for k in keys)))
    if scope is not None:
        query = query.where(scope)
    if before is not None:
        query = query.where(calls.c.started_at < before)
    with store.engine.connect() as conn:
        rows = [r for r in conn.execute(query) if customer_in(r.meta, keys) is not None]
    return sorted(rows, key=lambda r: (aware(r.started_at) if r.started_at else datetime.min.replace(tzinfo=UTC),
                                       r.id))


def _settle(store: Store, rows: list[Any], customer: str, today: date) -> list[PastCall]:
    """Each call of one customer (oldest first) with its promises' status."""
    summaries = store.latest_summaries([r.id for r in rows], need=("promises",))
    past = [PastCall(r.id, aware(r.started_at).isoformat() if r.started_at else None, r.agent_id, r.reason,
                     (summaries.get(r.id) or {}).get("customer_end")) for r in rows]
    made = [(i, p) for i, r in enumerate(rows) for p in (summaries.get(r.id) or {}).get("promises") or []]
    if not made:
        return past
    first = min(i for i, _ in made)
    later = {c.id: c for c in store.iter_calls([r.id for r in rows[first + 1:]])}
    for i, p in made:
        row = rows[i]
        promise = Promise(row.id, past[i].started_at, p.get("turn"), p["label"], p.get("what"), p.get("when"),
                          p.get("due"), "open", "nothing has happened yet and it is not due", row.agent_id, customer)
        due = date.fromisoformat(p["due"]) if p.get("due") else None
        for after in rows[i + 1:]:
            call = later.get(after.id)
            if call is None or (row.started_at is not None and after.started_at is not None
                                and aware(after.started_at) <= aware(row.started_at)):
                continue
            on_time = due is None or after.started_at is None or aware(after.started_at).date() <= due
            if on_time and _followed_up(call, p["label"]):
                promise.status, promise.why, promise.settled_by = "kept", f"followed up on call {call.id}", call.id
                break
            if promise.status == "open" and _complained(call, p["label"]):
                promise.status, promise.why = "broken", f"the customer said it did not happen on call {call.id}"
                promise.settled_by = call.id
        if promise.status == "open" and due is not None and due < today:
            promise.status, promise.why = "overdue", (f"due {due.isoformat()}; no follow-up seen in the customer's "
                                                      f"later calls: check whether it happened")
        past[i].promises.append(promise)
    return past


def _followed_up(call: Call, label: str) -> bool:
    if label == "callback" and str(call.metadata.get("direction", "")).lower() == "outbound":
        return True
    return any(t.speaker is Role.AGENT and FOLLOW_UP.search(t.text) and (
        label == "callback" or KIND_WORDS[label].search(t.text)) for t in call.turns)


def _complained(call: Call, label: str) -> bool:
    for t in call.turns:
        if t.speaker is not Role.CUSTOMER or not COMPLAINT.search(t.text):
            continue
        named = [k for k, rx in KIND_WORDS.items() if k != "other" and rx.search(t.text)]
        if not named or label in named:
            return True
    return False


def _today(today: date | None) -> date:
    return today or datetime.now(UTC).date()


def history(store: Store, customer: str, before: datetime | None = None, limit: int = 5, *,
            today: date | None = None, scope: ColumnElement[bool] | None = None,
            keys: Sequence[str] | None = None) -> History:
    """The customer's `limit` most recent calls before `before` (newest first), each with its promises' status
    on `today` (default: today, UTC), and the open and broken promises among all their calls."""
    keys = list(keys or InsightsSettings().customer_keys)
    rows = [r for r in _rows(store, customer, keys, scope, before) if customer_in(r.meta, keys) == customer]
    past = _settle(store, rows, customer, _today(today))
    everything = [p for c in past for p in c.promises]
    recent = list(reversed(past))[:limit]
    last = next((c.customer_end for c in recent if c.customer_end is not None), None)
    return History(customer, recent, [p for p in everything if p.status == "open"],
                   [p for p in everything if p.status == "broken"], last,
                   [p for p in everything if p.status == "overdue"])


def open_promises(store: Store, customer: str, today: date | None = None) -> list[Promise]:
    """Promises made to the customer that are not yet due and not yet kept."""
    return history(store, customer, today=today).open


def broken_promises(store: Store, scope: User | ColumnElement[bool] | None, today: date | None = None,
                    keys: Sequence[str] | None = None) -> list[Promise]:
    """Promises flagged across every customer with calls in scope (a user's calls, a SQL condition on `calls`, or
    None for all): broken (the customer said so) and overdue (due, no follow-up seen), the most recently due
    first."""
    keys = list(keys or InsightsSettings().customer_keys)
    condition = call_scope(scope) if isinstance(scope, User) else scope
    everyone = _rows(store, None, keys, None, None)
    shown = {r.id for r in _rows(store, None, keys, condition, None)} if condition is not None else \
        {r.id for r in everyone}
    # Whether a promise was kept is read from all the customer's calls, in scope or not: a lead's list must not
    # call a promise broken because another team made the follow-up call.
    customers = {customer_in(r.meta, keys) for r in everyone if r.id in shown}
    by_customer: dict[str, list[Any]] = {}
    for r in everyone:
        if customer_in(r.meta, keys) in customers:
            by_customer.setdefault(str(customer_in(r.meta, keys)), []).append(r)
    day = _today(today)
    found = [p for customer, rows in by_customer.items() for c in _settle(store, rows, customer, day)
             for p in c.promises if p.status in ("broken", "overdue") and p.call_id in shown]
    return sorted(found, key=lambda p: (p.due or "", p.call_id), reverse=True)
