"""Voice of the Agent: agents raise what gets in the way (a policy, a process, leadership, tools), by name or
anonymously; leads answer, and every item keeps a status and a follow-up date until it is closed, so the team
can see that it was listened to.

Anonymity is enforced in storage, not hidden in the page. An anonymous item is one `voice_items` row with
`author_id` NULL, the day (never the time) it was submitted, the topic, the text and the team, and nothing else
anywhere: no audit entry (even one without a user would carry a time to the microsecond and sit in the log
between the author's own entries), no other table written. In a team of fewer than MIN_TEAM agents an anonymous
item goes to no team (org-wide) instead, because in a team of two "anonymous" names the other person; the page
says so before anything is sent. Named items keep their author and are audited like any other change.

Who sees what: an agent sees their team's items and the org-wide ones, their own named items with their name and
everyone else's as "a colleague" (an anonymous item is "anonymous" to everyone, its author included: heard
cannot know it is theirs); a lead sees their team's and the org-wide items with names; QA and admins see all.
Leads (for their team and org-wide items) and admins reply. Statuses go open -> answered or in progress ->
closed; closed is final. A reply that does not close the item sets the next follow-up date; closing needs a
reply that says what was done. An item not closed by its follow-up date is overdue.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, true, update

from heard.auth.accounts import User, UserRole, audit
from heard.errors import HeardError
from heard.store import Store, aware
from heard.store.schema import users, voice_items, voice_replies

TOPICS = {"policy": "a policy", "process": "a process", "leadership": "leadership", "tools": "tools and systems",
          "other": "something else"}
STATUSES = {"open": "open", "answered": "answered", "in_progress": "in progress", "closed": "closed"}
# What a reply may move an item to, from each status. Answering again, or updating work in progress, keeps it.
NEXT = {"open": ("answered", "in_progress"), "answered": ("answered", "in_progress", "closed"),
        "in_progress": ("in_progress", "answered", "closed"), "closed": ()}
MIN_TEAM = 3            # active agents a team needs before an anonymous item stays with that team
MAX_TEXT = 5000
ANONYMOUS = "anonymous"
COLLEAGUE = "a colleague"


class VoiceError(HeardError):
    """The request does not fit the item or the user's part in it."""


class NotFound(VoiceError):
    """No such item, or not one this user may see."""


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Reply:
    id: int
    author: str
    text: str
    status: str
    follow_up: date | None
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "author": self.author, "text": self.text, "status": self.status,
                "follow_up": self.follow_up.isoformat() if self.follow_up else None,
                "created_at": aware(self.created_at).isoformat()}


@dataclass(frozen=True)
class Item:
    """An item as one viewer may see it: `author` is a name, "a colleague" or "anonymous"."""

    id: int
    team: str | None          # None: org-wide
    topic: str
    text: str
    status: str
    follow_up: date | None
    submitted_on: date
    author: str
    anonymous: bool
    mine: bool                # a named item of the viewer (an anonymous one is never known to be anyone's)
    overdue: bool
    replies: list[Reply] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "team": self.team, "topic": self.topic, "text": self.text, "status": self.status,
                "follow_up": self.follow_up.isoformat() if self.follow_up else None,
                "submitted_on": self.submitted_on.isoformat(), "author": self.author, "anonymous": self.anonymous,
                "mine": self.mine, "overdue": self.overdue, "replies": [r.public() for r in self.replies]}


@dataclass(frozen=True)
class Where:
    """Where an agent's anonymous item would go, and why, for the page to say before they submit."""

    team: str | None
    agents: int
    sentence: str


def team_size(store: Store, team: str | None) -> int:
    """Active agents in a team."""
    if team is None:
        return 0
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(users).where(
            users.c.team == team, users.c.role == UserRole.AGENT.value, users.c.active.is_(True))).scalar_one())


def anonymous_goes_to(store: Store, user: User) -> Where:
    """The team an anonymous item of this agent is filed under (None: org-wide), with the reason in words."""
    agents = team_size(store, user.team)
    if user.team is None:
        return Where(None, 0, "You are in no team, so anonymous items go to the whole organisation (org-wide): "
                              "every lead can read and answer them.")
    if agents < MIN_TEAM:
        return Where(None, agents, f"Team {user.team} has {agents} agent{'s' if agents != 1 else ''}, fewer than "
                                   f"{MIN_TEAM}: in a team that small anyone could guess who wrote it, so anonymous "
                                   f"items go to the whole organisation (org-wide), not only to your team's lead.")
    return Where(user.team, agents, f"Anonymous items go to team {user.team} ({agents} agents): your lead reads "
                                    f"them, and nobody, admins included, can find out who wrote them.")


def submit(store: Store, user: User, topic: str, text: str, anonymous: bool, *,
           today: date | None = None) -> Item:
    """File an agent's item. Anonymous: author_id NULL, the day only, no audit entry, team by MIN_TEAM."""
    if user.role is not UserRole.AGENT:
        raise VoiceError("Voice of the Agent is for agents to raise things",
                         hint="Leads answer items on their page; QA and admins read them.")
    if topic not in TOPICS:
        raise VoiceError(f"unknown topic {topic[:40]!r}", hint=f"Use one of: {', '.join(TOPICS)}.")
    said = text.replace("\x00", "").strip()     # PostgreSQL refuses NUL in text
    if not said:
        raise VoiceError("say what you want to raise", hint="Write a sentence or two: what happens, and why it "
                                                            "gets in the way.")
    if len(said) > MAX_TEXT:
        raise VoiceError(f"the text is {len(said)} characters long", hint=f"Keep it under {MAX_TEXT}.")
    team = anonymous_goes_to(store, user).team if anonymous else user.team
    with store.engine.begin() as conn:
        key = conn.execute(insert(voice_items).values(
            author_id=None if anonymous else user.id, team=team, topic=topic, text=said, status="open",
            follow_up=None, submitted_on=today or _today())).inserted_primary_key
    assert key is not None
    item_id = int(key[0])
    if not anonymous:
        audit(store, user, "submit", "voice_item", str(item_id), topic=topic)
    return get_item(store, user, item_id, today=today)


def _scope(user: User) -> ColumnElement[bool]:
    """The items a user may see: their team's and the org-wide ones (QA and admins: all)."""
    if user.sees_all:
        return true()
    if user.team is None:
        return voice_items.c.team.is_(None)
    return or_(voice_items.c.team == user.team, voice_items.c.team.is_(None))


def _item(row: Any, viewer: User, replies: list[Reply], day: date) -> Item:
    anonymous = row.author_id is None
    mine = not anonymous and row.author_id == viewer.id
    if anonymous:
        author = ANONYMOUS
    elif viewer.role is UserRole.AGENT and not mine:
        author = COLLEAGUE
    else:
        author = row.author_name or COLLEAGUE
    overdue = row.status != "closed" and row.follow_up is not None and row.follow_up < day
    return Item(row.id, row.team, row.topic, row.text, row.status, row.follow_up, row.submitted_on, author,
                anonymous, mine, overdue, replies)


_ITEMS = (select(voice_items, users.c.display_name.label("author_name"))
          .outerjoin(users, users.c.id == voice_items.c.author_id))


def _replies(store: Store, item_ids: list[int]) -> dict[int, list[Reply]]:
    out: dict[int, list[Reply]] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    with store.engine.connect() as conn:
        rows = conn.execute(select(voice_replies, users.c.display_name)
                            .join(users, users.c.id == voice_replies.c.author_id)
                            .where(voice_replies.c.item_id.in_(item_ids))
                            .order_by(voice_replies.c.created_at, voice_replies.c.id)).all()
    for r in rows:
        out[r.item_id].append(Reply(r.id, r.display_name, r.text, r.status, r.follow_up, r.created_at))
    return out


def list_items(store: Store, user: User, *, status: str | None = None, today: date | None = None) -> list[Item]:
    """The items the user may see, newest first, each with its replies."""
    query = _ITEMS.where(_scope(user))
    if status is not None:
        query = query.where(voice_items.c.status == status)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(voice_items.c.submitted_on.desc(), voice_items.c.id.desc())).all()
    replies = _replies(store, [r.id for r in rows])
    day = today or _today()
    return [_item(r, user, replies[r.id], day) for r in rows]


def get_item(store: Store, user: User, item_id: int, *, today: date | None = None) -> Item:
    """One item the user may see, with its replies; one they may not see is simply not there."""
    with store.engine.connect() as conn:
        row = conn.execute(_ITEMS.where(voice_items.c.id == item_id, _scope(user))).first()
    if row is None:
        raise NotFound(f"no voice item {item_id}")
    return _item(row, user, _replies(store, [item_id])[item_id], today or _today())


def can_reply(user: User, item: Item) -> bool:
    """Admins reply to any item, a lead to their team's and the org-wide ones."""
    if user.role is UserRole.ADMIN:
        return True
    return user.role is UserRole.LEAD and item.team in (None, user.team)


def reply(store: Store, lead: User, item_id: int, text: str, status: str, follow_up: date | None = None, *,
          today: date | None = None) -> Item:
    """A lead's (or admin's) answer: the text, the item's new status and, unless it closes the item, when they
    will come back to it."""
    if lead.role not in (UserRole.LEAD, UserRole.ADMIN):
        raise VoiceError("leads and admins answer voice items")
    day = today or _today()
    item = get_item(store, lead, item_id, today=day)
    if not can_reply(lead, item):
        raise NotFound(f"no voice item {item_id}")
    if status not in STATUSES:
        raise VoiceError(f"unknown status {status[:40]!r}", hint=f"Use one of: {', '.join(STATUSES)}.")
    allowed = NEXT[item.status]
    if status not in allowed:
        if item.status == "closed":
            raise VoiceError(f"voice item {item_id} is closed", hint="Ask the agent to raise it again if it is back.")
        raise VoiceError(f"a reply cannot move item {item_id} from {STATUSES[item.status]} to {STATUSES[status]}",
                         hint="Answer it first (answered or in progress), then close it with what was done."
                         if status == "closed" else f"Choose {' or '.join(STATUSES[s] for s in allowed)}.")
    said = text.replace("\x00", "").strip()     # PostgreSQL refuses NUL in text
    if not said:
        raise VoiceError("closing needs a reply that says what was done" if status == "closed" else
                         "write the answer", hint="The team reads it: what changed, what will, or why not.")
    if len(said) > MAX_TEXT:
        raise VoiceError(f"the reply is {len(said)} characters long", hint=f"Keep it under {MAX_TEXT}.")
    if status == "closed":
        follow_up = None
    elif follow_up is None:
        raise VoiceError("set a follow-up date", hint="Until it is closed, every item has a date when you come "
                                                      "back to it and tell the team where it stands.")
    elif follow_up < day:
        raise VoiceError(f"the follow-up {follow_up.isoformat()} is in the past", hint="Pick today or a later day.")
    with store.engine.begin() as conn:
        changed = conn.execute(update(voice_items).where(and_(voice_items.c.id == item_id,
                                                              voice_items.c.status == item.status))
                               .values(status=status, follow_up=follow_up)).rowcount
        if changed != 1:
            raise VoiceError(f"voice item {item_id} changed while you were answering",
                             hint="Reload it and answer again.")
        conn.execute(insert(voice_replies).values(item_id=item_id, author_id=lead.id, text=said, status=status,
                                                  follow_up=follow_up, created_at=datetime.now(UTC)))
    audit(store, lead, "reply", "voice_item", str(item_id), status=status)
    return get_item(store, lead, item_id, today=day)


def overdue(store: Store, user: User, *, today: date | None = None) -> list[Item]:
    """Items the user may see whose follow-up date has passed and that are not closed, oldest date first."""
    found = [i for i in list_items(store, user, today=today) if i.overdue]
    return sorted(found, key=lambda i: (i.follow_up or date.min, i.id))


@dataclass(frozen=True)
class Listened:
    """"We listened", for one team (None: org-wide): items by status and how fast the first answer came."""

    team: str | None
    counts: dict[str, int]
    items: int
    answered: int               # items with at least one reply
    median_days: float | None   # from submission to the first reply, over the answered items
    overdue: int

    def sentence(self) -> str:
        where = f"Team {self.team}" if self.team else "Org-wide"
        if not self.items:
            return f"{where}: nothing raised yet."
        speed = (f"; the first answer came after a median of {self.median_days:g} day"
                 f"{'' if self.median_days == 1 else 's'}" if self.median_days is not None else "")
        return (f"{where}: {self.items} raised, {self.answered} answered, {self.counts['closed']} closed{speed}.")


def listened(store: Store, user: User, *, today: date | None = None) -> list[Listened]:
    """The "we listened" summary of each team the user may see (org-wide last)."""
    day = today or _today()
    items = list_items(store, user, today=day)
    by_team: dict[str | None, list[Item]] = {}
    for item in items:
        by_team.setdefault(item.team, []).append(item)
    if not user.sees_all and user.team is not None:
        by_team.setdefault(user.team, [])
    out = []
    for team in sorted(by_team, key=lambda t: (t is None, t or "")):
        group = by_team[team]
        counts = {s: sum(1 for i in group if i.status == s) for s in STATUSES}
        waits = [max(0, (aware(i.replies[0].created_at).date() - i.submitted_on).days) for i in group if i.replies]
        out.append(Listened(team, counts, len(group), len(waits),
                            float(statistics.median(waits)) if waits else None, sum(1 for i in group if i.overdue)))
    return out
