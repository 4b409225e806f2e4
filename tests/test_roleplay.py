"""Role-play packs (heard/coaching/roleplay.py, `heard roleplay`, /roleplay pages): redaction in role-play packs
(personal data planted in a call never reaches a pack, a page, the CLI's text or its JSON), replies built from
the customer's own words, the coach's pack, difficult moments, and who may see a pack."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from heard.cli import app
from heard.coaching.roleplay import RolePlayError, coach_pack, difficult_moments, pack
from heard.model import Call, Role, Turn
from heard.pipeline import analyse
from heard.runners.local import analyse_and_store
from heard.store import Store
from heard.text.speech import content_words
from heard.web.app import create_app
from tests.web_world import CANNED, PASSWORD, build

A, C = Role.AGENT, Role.CUSTOMER
CALL_ID = "n-ana-pii"
GREETING = "Northwind, you're through to Ana Lopez, how can I help?"
# One customer turn with a card number, an email and a phone number, then answers that are personal data only
# because of the question before them.
WORRIED = ("My name is Jo Bloggs. I was charged twice on my card 4111 1111 1111 1111 and my rent is due Friday, "
           "I'm really worried. Email me at jo.bloggs@example.com or call 07700 900123.")
ASK_ACCOUNT = "Can I take your account number please?"
ACCOUNT = "It's seven seven two, three one nine, zero five."
ASK_DOB = "And your date of birth?"
DOB = "Fourteenth of March, eighty-eight."
# Anything here in a pack, a page or the CLI's output is a leak.
PERSONAL = ["4111", "1111 1111", "jo.bloggs", "example.com", "07700", "900123", "Bloggs", "Lopez",
            "seven seven two", "three one nine", "Fourteenth", "eighty-eight"]


def planted() -> Call:
    texts = [(A, GREETING), (C, WORRIED), (A, CANNED), (C, "Okay."), (A, ASK_ACCOUNT), (C, ACCOUNT), (A, ASK_DOB),
             (C, DOB), (A, "I've refunded the duplicate and your bank will show it within two working days."),
             (C, "Okay, thanks.")]
    turns = [Turn(speaker=who, start=4.0 * i, end=4.0 * i + 3.5, text=text) for i, (who, text) in enumerate(texts)]
    return Call(id=CALL_ID, agent_id="ana", team="north", queue="billing", turns=turns)


def leaks(text: str) -> list[str]:
    return [p for p in PERSONAL if p.lower() in text.lower()]


@pytest.fixture
def pii_world(world: Store) -> Iterator[Store]:
    """The web world plus one of ana's calls with personal data planted in it, analysed."""
    world.add_call(planted())
    list(analyse_and_store(world, world.iter_calls([CALL_ID])))
    yield world


def client(store: Store, username: str | None) -> TestClient:
    c = TestClient(create_app(store, secret="test-secret"), raise_server_exceptions=False)
    if username is not None:
        r = c.post("/api/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return c


@pytest.mark.parametrize("turn", [1, 2])
def test_roleplay_redaction_in_role_play_packs(turn: int) -> None:
    call = planted()
    analysis = analyse(call)
    made = pack(call, analysis, turn)
    coached = coach_pack(call, analysis, turn)
    for dumped in (json.dumps(made.as_dict(), ensure_ascii=False), json.dumps(coached.as_dict(), ensure_ascii=False),
                   json.dumps([m.summary for m in difficult_moments(call, analysis)], ensure_ascii=False)):
        assert leaks(dumped) == []
    assert made.moment.turn == 1 and made.moment.reply_turn == 2   # an agent turn finds the customer's before it
    lines = {line.turn: line.text for line in made.excerpt}
    assert "[CARD]" in lines[1] and "[EMAIL]" in lines[1] and "[PHONE]" in lines[1] and "[NAME]" in lines[1]
    assert lines[0] == "Northwind, you're through to [NAME], how can I help?"
    assert made.redacted == {"CARD": 1, "EMAIL": 1, "NAME": 2, "PHONE": 1}
    later = pack(call, analysis, 5)   # the answers are personal data because of the questions before them
    assert {line.turn: line.text for line in later.excerpt}[5] == "It's [ACCOUNT]."
    assert {line.turn: line.text for line in later.excerpt}[7] == "[DOB]."
    assert leaks(json.dumps(later.as_dict(), ensure_ascii=False)) == []


@pytest.mark.parametrize("turn", [1])
def test_roleplay_pack_holds_the_moment(turn: int) -> None:
    call = planted()
    made = pack(call, analyse(call), turn)
    moment = made.moment
    assert moment.kinds == ["missed_opportunity"]
    assert moment.words == "charged twice on my card … rent is due Friday"
    assert {"worry", "financial_strain"} <= set(moment.feelings)
    assert moment.behaviours[0] == "acknowledge_emotion"
    assert made.agent_said == CANNED
    assert [line.turn for line in made.customer_lines] == [1]        # the customer's lines, up to the moment
    assert [line.turn for line in made.excerpt] == [0, 1, 2, 3, 4]   # a few turns either side
    assert any("scripted sympathy" in note and CANNED in note for note in made.notice)


@pytest.mark.parametrize("turn", [1])
def test_roleplay_replies_use_the_customers_words_and_differ(turn: int) -> None:
    call = planted()
    made = pack(call, analyse(call), turn)
    assert len(made.replies) == 3 and len(set(made.replies)) == 3
    customer = content_words(call.turns[turn].text)
    for reply in made.replies:
        assert {"charg", "twice", "rent", "frida"} & content_words(reply) & customer, reply
        assert "[" not in reply            # placeholders are not read out
        assert "my rent" not in reply      # said back from the agent's side
    assert "you were charged twice" in made.replies[0].lower()
    assert "your rent is due friday" in made.replies[0].lower()


@pytest.mark.parametrize("turn", [1])
def test_roleplay_coach_pack(turn: int) -> None:
    call = planted()
    coached = coach_pack(call, analyse(call), turn)
    assert [s.step for s in coached.steps] == ["Recognise effort", "Name the behaviour, not the person",
                                               "Ask what was happening for the agent", "Co-create one action"]
    assert all(len(s.examples) >= 2 for s in coached.steps)
    named = " ".join(coached.steps[1].examples)
    assert CANNED in named and "robotic" not in named.lower()   # the behaviour, never a label for the person
    assert any("robotic" in a for a in coached.avoid)
    assert coached.agent_lines and coached.replies


@pytest.mark.parametrize("turn,message", [(99, "there is no turn 99"), (0, "the customer has not spoken yet")])
def test_roleplay_no_moment(turn: int, message: str) -> None:
    call = planted()
    with pytest.raises(RolePlayError, match=message):
        pack(call, analyse(call), turn)


@pytest.mark.parametrize("call_id", [CALL_ID])
def test_roleplay_difficult_moments(call_id: str) -> None:
    call = planted()
    moments = difficult_moments(call, analyse(call))
    assert moments and moments[0].turn == 1
    assert all(call.turns[m.turn].speaker is C for m in moments)
    assert 5 not in [m.turn for m in moments]   # "It's [ACCOUNT]." leaves nothing to practise with
    assert pack(call, None, 1).moment.feelings   # without an analysis the pack still reads the words


def test_roleplay_page_redacted_and_scoped(pii_world: Store) -> None:
    ana = client(pii_world, "ana")
    page = ana.get(f"/roleplay/{CALL_ID}/1")
    assert page.status_code == 200
    assert leaks(page.text) == []
    assert "[CARD]" in page.text and "What good could sound like" in page.text
    assert "<script>" not in page.text and "onclick" not in page.text   # the CSP allows no inline script
    coach = ana.get(f"/roleplay/{CALL_ID}/1?coach=1")
    assert coach.status_code == 200 and "Co-create one action" in coach.text and leaks(coach.text) == []
    moments = ana.get(f"/calls/{CALL_ID}/moments")
    assert moments.status_code == 200 and f"/roleplay/{CALL_ID}/1" in moments.text and leaks(moments.text) == []
    call_page = ana.get(f"/calls/{CALL_ID}")
    assert re.search(rf'href="/roleplay/{CALL_ID}/1">Role-play this moment', call_page.text)
    # Whoever may see the call may see its packs; nobody else learns it exists.
    for username, status in (("nora", 200), ("quinn", 200), ("ada", 200), ("sam", 404), ("kim", 404), ("ben", 404)):
        for url in (f"/roleplay/{CALL_ID}/1", f"/roleplay/{CALL_ID}/1?coach=1", f"/calls/{CALL_ID}/moments"):
            r = client(pii_world, username).get(url)
            assert r.status_code == status, (username, url)
            assert leaks(r.text) == []
    anonymous = client(pii_world, None).get(f"/roleplay/{CALL_ID}/1", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    for url in (f"/roleplay/{CALL_ID}/99", f"/roleplay/{CALL_ID}/x", f"/roleplay/{CALL_ID}/0", "/roleplay/nope/1",
                f"/roleplay/{CALL_ID}/99999999999999999999"):
        assert ana.get(url).status_code == 404, url


def test_roleplay_cli_redacted(pii_world: Store, db_url: str) -> None:
    runner = CliRunner()
    for args in (["roleplay", CALL_ID], ["roleplay", CALL_ID, "1"], ["roleplay", CALL_ID, "1", "--coach"],
                 ["roleplay", CALL_ID, "5"]):
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == 0, result.output
        assert leaks(result.output) == [], args
    result = runner.invoke(app, ["--db", db_url, "roleplay", CALL_ID, "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pack"] == "agent" and data["moment"]["turn"] == 1 and len(data["replies"]) == 3
    assert leaks(result.output) == []
    coach = json.loads(runner.invoke(app, ["--db", db_url, "roleplay", CALL_ID, "2", "--coach", "--json"]).output)
    assert coach["pack"] == "coach" and len(coach["steps"]) == 4 and leaks(json.dumps(coach)) == []
    missing = runner.invoke(app, ["--db", db_url, "roleplay", "nope", "1"])
    assert missing.exit_code == 2 and "no stored call" in missing.output
    beyond = runner.invoke(app, ["--db", db_url, "roleplay", CALL_ID, "99"])
    assert beyond.exit_code == 2 and "no turn 99" in beyond.output


@pytest.fixture(scope="module")
def sqlite_pii_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('roleplay') / 'heard.db'}")
    build(store)
    store.add_call(planted())
    list(analyse_and_store(store, store.iter_calls([CALL_ID])))
    yield store
    store.close()


@pytest.fixture(scope="module")
def ana_client(sqlite_pii_world: Store) -> TestClient:
    return client(sqlite_pii_world, "ana")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call_id=st.sampled_from([CALL_ID, "n-ana-1", "s-kim-1", "nope"]) | st.text(min_size=1, max_size=30),
       turn=st.sampled_from(["0", "1", "2", "9", "99999999999", "-1", "1.5", "٣"]) | st.text(min_size=1, max_size=12),
       coach=st.sampled_from(["", "1", "yes", "0"]) | st.text(max_size=5))
def test_roleplay_pages_never_answer_5xx(ana_client: TestClient, call_id: str, turn: str, coach: str) -> None:
    for url in (f"/roleplay/{quote(call_id, safe='')}/{quote(turn, safe='')}?coach={quote(coach, safe='')}",
                f"/calls/{quote(call_id, safe='')}/moments"):
        r = ana_client.get(url, follow_redirects=False)
        assert r.status_code < 500, (url, r.text[:300])
        assert leaks(r.text) == []
