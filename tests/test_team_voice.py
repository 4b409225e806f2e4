"""Voice of the Agent (heard.team.voice and its pages), on SQLite and PostgreSQL: an anonymous item leaves no
trace of its author anywhere in the database, named items keep theirs, who sees what, the status flow,
overdue follow-ups, the small-team rule and the "we listened" summary."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from heard.auth.accounts import User, add_user, audit, find_user, set_active, start_session
from heard.store import Store, aware
from heard.store.schema import metadata, users
from heard.team import voice
from heard.web.app import create_app
from tests.web_world import PASSWORD

# One named example per thing a test needs to tell apart.
ROTA = "The new rota gives us no time to write up notes after a hard call."
REFUNDS = "The refund policy makes us ask every customer for a receipt, even loyal ones."
BREAKS = "Team meetings always land on our only break."
DONE = "From next month the rota has ten minutes of wrap time after each escalated call."

PEOPLE = {  # username: (role, agent id, team, display name)
    "ana.moreno": ("agent", "agent-ana-7", "north", "Ana Moreno"),
    "ben": ("agent", "ben", "north", "Ben"),
    "cy": ("agent", "cy", "north", "Cy"),
    "dee": ("agent", "dee", "south", "Dee"),
    "eve": ("agent", "eve", "south", "Eve"),
    "lena": ("lead", None, "north", "Lena"),
    "sam": ("lead", None, "south", "Sam"),
    "quinn": ("qa", None, None, "Quinn"),
    "ada": ("admin", None, None, "Ada"),
}


@pytest.fixture
def org(store: Store) -> Store:
    """Team north (three agents: anonymous items stay with the team), team south (two: they go org-wide), a
    lead of each, QA and an admin."""
    for username, (role, agent_id, team, name) in PEOPLE.items():
        add_user(store, username, PASSWORD, role, agent_id=agent_id, team=team, display_name=name)
    return store


def who(store: Store, username: str) -> User:
    return find_user(store, username)[0]


def everything(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table heard has, as an admin with full database access reads them."""
    out = {}
    with store.engine.connect() as conn:
        for name, table in metadata.tables.items():
            out[name] = {tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
                         for row in conn.execute(select(table))}
    return out


def _user_columns(table_name: str) -> set[int]:
    """Positions of the columns of a table that hold a user id."""
    table = metadata.tables[table_name]
    return {i for i, c in enumerate(table.columns)
            if any(fk.column.table is users for fk in c.foreign_keys) or c.name in ("user_id", "author_id")}


@pytest.mark.parametrize("through", ["library", "web"])
def test_voice_anonymous_item_leaves_no_trace_of_its_author(org: Store, through: str) -> None:
    ana = who(org, "ana.moreno")
    # Ana has used heard before: a session, a login in the audit log, and a named item of her own.
    start_session(org, ana, address="10.0.0.7")
    audit(org, ana, "login", "user", ana.username, address="10.0.0.7")
    named = voice.submit(org, ana, "process", REFUNDS, anonymous=False)
    voice.submit(org, who(org, "ben"), "leadership", BREAKS, anonymous=False)
    client = None
    if through == "web":
        client = TestClient(create_app(org, secret="s"))
        csrf = client.post("/api/session", json={"username": ana.username, "password": PASSWORD}).json()["csrf_token"]
    before = everything(org)

    started = datetime.now(UTC)
    if client is None:
        item = voice.submit(org, ana, "policy", ROTA, anonymous=True)
    else:
        sent = client.post("/team/voice", data={"csrf_token": csrf, "topic": "policy", "text": ROTA,
                                                "anonymous": "1"}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/team/voice"   # not to the item
        item = next(i for i in voice.list_items(org, who(org, "ada")) if i.text == ROTA)
    ended = datetime.now(UTC)
    after = everything(org)

    # The submission wrote exactly one row, in voice_items, and changed nothing else anywhere.
    written = {name: after[name] - before[name] for name in after if after[name] - before[name]}
    gone = {name: before[name] - after[name] for name in before if before[name] - after[name]}
    assert list(written) == ["voice_items"] and len(written["voice_items"]) == 1 and gone == {}

    # Search every table and column, as an admin would: nothing new points at Ana.
    traces = {ana.username, ana.display_name, str(ana.agent_id), "10.0.0.7"}
    for name, rows in after.items():
        new_rows = rows - before[name]
        for row in new_rows:
            for i, value in enumerate(row):
                if i in _user_columns(name):
                    assert value != ana.id, f"{name} column {i} holds the author's user id"
                if isinstance(value, str):
                    assert not any(t.lower() in value.lower() for t in traces), f"{name}: {value!r}"
                if isinstance(value, datetime):      # no time finer than the day
                    moment = aware(value)
                    assert not started - timedelta(seconds=1) <= moment <= ended + timedelta(seconds=1), name
    row = next(iter(written["voice_items"]))
    columns = [c.name for c in metadata.tables["voice_items"].columns]
    stored = dict(zip(columns, row, strict=True))
    assert stored["author_id"] is None and stored["team"] == "north" and stored["text"] == ROTA
    assert type(stored["submitted_on"]) is date                        # a day, never a time
    with org.engine.connect() as conn:     # no audit entry about it: one would carry a time to the microsecond
        audited = conn.execute(select(metadata.tables["audit_log"])).all()
    assert not [a for a in audited if a.object_type == "voice_item" and a.object_id == str(item.id)]
    with org.engine.connect() as conn:     # her user id is on her named item and on nothing else of the feature
        hers = [r.id for r in conn.execute(select(metadata.tables["voice_items"])) if r.author_id == ana.id]
        replies = [r for r in conn.execute(select(metadata.tables["voice_replies"])) if r.author_id == ana.id]
    assert hers == [named.id] and replies == []

    # What everyone is shown: "anonymous", Ana included (heard cannot know it is hers); her named item keeps her.
    for viewer in ("ada", "quinn", "lena", "ana.moreno", "ben"):
        shown = voice.get_item(org, who(org, viewer), item.id)
        assert shown.author == "anonymous" and shown.anonymous and not shown.mine
    assert voice.get_item(org, who(org, "lena"), named.id).author == "Ana Moreno"


def test_voice_named_item_keeps_its_author(org: Store) -> None:
    ana = who(org, "ana.moreno")
    item = voice.submit(org, ana, "process", REFUNDS, anonymous=False)
    with org.engine.connect() as conn:
        row = conn.execute(select(metadata.tables["voice_items"])).one()
        entry = conn.execute(select(metadata.tables["audit_log"])
                             .where(metadata.tables["audit_log"].c.object_type == "voice_item")).one()
    assert row.author_id == ana.id and row.team == "north"
    assert entry.user_id == ana.id and entry.action == "submit" and entry.object_id == str(item.id)
    assert item.author == "Ana Moreno" and item.mine and not item.anonymous
    assert voice.get_item(org, who(org, "lena"), item.id).author == "Ana Moreno"   # her lead sees who
    assert voice.get_item(org, who(org, "ada"), item.id).author == "Ana Moreno"
    colleague = voice.get_item(org, who(org, "ben"), item.id)                     # a colleague does not
    assert colleague.author == "a colleague" and not colleague.mine


def test_voice_scoping_per_role(org: Store) -> None:
    north = voice.submit(org, who(org, "ben"), "tools", "The CRM logs us out every hour.", anonymous=False)
    south = voice.submit(org, who(org, "eve"), "policy", "We cannot waive a late fee, ever.", anonymous=False)
    wide = voice.submit(org, who(org, "dee"), "leadership", BREAKS, anonymous=True)   # south is small: org-wide
    assert wide.team is None
    seen = {name: {i.id for i in voice.list_items(org, who(org, name))} for name in PEOPLE}
    assert seen["ana.moreno"] == seen["lena"] == {north.id, wide.id}
    assert seen["dee"] == seen["sam"] == {south.id, wide.id}
    assert seen["quinn"] == seen["ada"] == {north.id, south.id, wide.id}
    for outsider in ("ana.moreno", "lena"):
        with pytest.raises(voice.NotFound):
            voice.get_item(org, who(org, outsider), south.id)
    with pytest.raises(voice.NotFound):                 # another team's lead cannot answer it either
        voice.reply(org, who(org, "lena"), south.id, "We will look at it.", "answered", date.today())
    with pytest.raises(voice.VoiceError, match="for agents"):
        voice.submit(org, who(org, "lena"), "policy", ROTA, anonymous=True)


def test_voice_status_flow(org: Store) -> None:
    lena, ada, day = who(org, "lena"), who(org, "ada"), date(2030, 3, 4)
    item = voice.submit(org, who(org, "ana.moreno"), "policy", ROTA, anonymous=True, today=day)
    assert item.status == "open" and item.follow_up is None
    for user, status in ((who(org, "ana.moreno"), "answered"), (who(org, "quinn"), "answered")):
        with pytest.raises(voice.VoiceError, match="leads and admins"):
            voice.reply(org, user, item.id, "Thanks.", status, day, today=day)
    with pytest.raises(voice.VoiceError, match="Answer it first"):
        voice.reply(org, lena, item.id, DONE, "closed", today=day)
    with pytest.raises(voice.VoiceError, match="follow-up date"):
        voice.reply(org, lena, item.id, "Heard you; raising it with planning.", "in_progress", today=day)
    with pytest.raises(voice.VoiceError, match="in the past"):
        voice.reply(org, lena, item.id, "Heard you.", "in_progress", day - timedelta(days=1), today=day)
    with pytest.raises(voice.VoiceError, match="write the answer"):
        voice.reply(org, lena, item.id, "  ", "in_progress", day, today=day)
    item = voice.reply(org, lena, item.id, "Heard you; raising it with planning on Friday.", "in_progress",
                       day + timedelta(days=7), today=day)
    assert item.status == "in_progress" and item.follow_up == day + timedelta(days=7)
    with pytest.raises(voice.VoiceError, match="says what was done"):
        voice.reply(org, lena, item.id, "", "closed", today=day)
    item = voice.reply(org, ada, item.id, DONE, "closed", today=day)
    assert item.status == "closed" and item.follow_up is None
    assert [(r.author, r.status) for r in item.replies] == [("Lena", "in_progress"), ("Ada", "closed")]
    with pytest.raises(voice.VoiceError, match="is closed"):
        voice.reply(org, lena, item.id, "One more thing.", "answered", day + timedelta(days=9), today=day)
    with pytest.raises(voice.VoiceError, match="unknown status"):
        voice.reply(org, lena, voice.submit(org, who(org, "ben"), "other", BREAKS, False).id, "Ok.", "done")
    with pytest.raises(voice.VoiceError, match="unknown topic"):
        voice.submit(org, who(org, "ben"), "pay", BREAKS, False)
    assert voice.submit(org, who(org, "ben"), "other", "odd\x00 bytes", False).text == "odd bytes"   # not a 500


def test_voice_overdue_follow_ups(org: Store) -> None:
    lena, day = who(org, "lena"), date(2030, 3, 4)
    late = voice.submit(org, who(org, "ben"), "tools", "The CRM logs us out every hour.", False, today=day)
    closed = voice.submit(org, who(org, "cy"), "policy", ROTA, True, today=day)
    voice.reply(org, lena, late.id, "Asked IT for a longer session.", "in_progress", day + timedelta(days=7),
                today=day)
    voice.reply(org, lena, closed.id, "Taking it to planning.", "answered", day + timedelta(days=3), today=day)
    voice.reply(org, lena, closed.id, DONE, "closed", today=day)
    assert voice.overdue(org, lena, today=day + timedelta(days=7)) == []          # due today: not late yet
    late_now = voice.overdue(org, lena, today=day + timedelta(days=8))
    assert [i.id for i in late_now] == [late.id] and late_now[0].overdue
    assert voice.overdue(org, who(org, "sam"), today=day + timedelta(days=8)) == []   # not south's
    assert [i.id for i in voice.overdue(org, who(org, "ada"), today=day + timedelta(days=8))] == [late.id]


def test_voice_small_team_rule(org: Store) -> None:
    dee = who(org, "dee")
    where = voice.anonymous_goes_to(org, dee)
    assert where.team is None and where.agents == 2 and "fewer than 3" in where.sentence
    assert voice.submit(org, dee, "policy", ROTA, anonymous=True).team is None
    assert voice.submit(org, dee, "policy", REFUNDS, anonymous=False).team == "south"   # named: their team
    add_user(org, "finn", PASSWORD, "agent", agent_id="finn", team="south")
    assert voice.anonymous_goes_to(org, dee).team == "south"
    assert voice.submit(org, dee, "tools", BREAKS, anonymous=True).team == "south"
    set_active(org, "finn", False)                      # a deactivated agent does not count
    assert voice.anonymous_goes_to(org, dee).team is None
    assert voice.anonymous_goes_to(org, who(org, "ana.moreno")).team == "north"


def test_voice_we_listened_summary(org: Store) -> None:
    lena, today = who(org, "lena"), datetime.now(UTC).date()
    a = voice.submit(org, who(org, "ana.moreno"), "policy", ROTA, True, today=today - timedelta(days=4))
    b = voice.submit(org, who(org, "ben"), "tools", BREAKS, False, today=today - timedelta(days=2))
    voice.submit(org, who(org, "cy"), "other", REFUNDS, False)
    voice.reply(org, lena, a.id, "Taking it to planning.", "answered", today + timedelta(days=3))
    voice.reply(org, lena, a.id, DONE, "closed")
    voice.reply(org, lena, b.id, "Moving the meeting.", "in_progress", today + timedelta(days=3))
    voice.submit(org, who(org, "dee"), "leadership", BREAKS, True)             # org-wide
    north, wide = voice.listened(org, lena)
    assert north.team == "north" and wide.team is None
    assert north.counts == {"open": 1, "answered": 0, "in_progress": 1, "closed": 1}
    assert (north.items, north.answered, north.median_days) == (3, 2, 3.0)      # 4 and 2 days to a first answer
    assert "3 raised, 2 answered, 1 closed" in north.sentence() and "median of 3 days" in north.sentence()
    assert (wide.items, wide.answered, wide.median_days) == (1, 0, None)
    assert [s.team for s in voice.listened(org, who(org, "quinn"))] == ["north", None]


def test_voice_pages(org: Store) -> None:
    def login(username: str) -> tuple[TestClient, str]:
        c = TestClient(create_app(org, secret="s"))
        answer = c.post("/api/session", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200
        return c, answer.json()["csrf_token"]

    dee, dee_csrf = login("dee")
    page = dee.get("/team/voice")
    assert page.status_code == 200 and "Send without my name" in page.text
    assert "Team south has 2 agents, fewer than 3" in page.text                # said before anything is sent
    sent = dee.post("/team/voice", data={"csrf_token": dee_csrf, "topic": "process", "text": REFUNDS},
                    follow_redirects=False)
    assert sent.status_code == 303
    item_url = sent.headers["location"]
    assert "Sent with your name" in dee.get(item_url).text
    assert dee.post("/team/voice", data={"topic": "process", "text": REFUNDS}).status_code == 403   # no CSRF
    assert dee.post(f"{item_url}/reply", data={"csrf_token": dee_csrf, "text": "x", "status": "answered",
                                               "follow_up": "2099-01-01"}, follow_redirects=True).status_code == 200
    assert voice.get_item(org, who(org, "dee"), int(item_url.rsplit("/", 1)[1])).status == "open"

    lena, _ = login("lena")
    assert lena.get(item_url).status_code == 404                                # south's item
    for bad in ("0", "-1", "abc", "99999999999999", "12345"):
        assert lena.get(f"/team/voice/{bad}").status_code == 404
    sam, sam_csrf = login("sam")
    assert "Answer" in sam.get(item_url).text
    answered = sam.post(f"{item_url}/reply", data={"csrf_token": sam_csrf, "text": "Asking finance why.",
                                                   "status": "answered", "follow_up": "not a date"},
                        follow_redirects=True)
    assert "is not a date" in answered.text
    answered = sam.post(f"{item_url}/reply", data={"csrf_token": sam_csrf, "text": "Asking finance why.",
                                                   "status": "answered", "follow_up": "2099-01-01"},
                        follow_redirects=True)
    assert "Reply saved: the item is answered" in answered.text and "Asking finance why." in answered.text
    assert "Asking finance why." in dee.get("/team/voice").text                 # the agent sees the answer
    assert sam.get("/team/voice?status=answered").status_code == 200
    assert sam.get("/team/voice?status=nonsense").status_code == 200
