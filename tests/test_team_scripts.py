"""Scripts and knowledge articles through a human lens (heard.team.scripts): named example sentences both ways for
every kind, Markdown, text and HTML files read with their line numbers, files that cannot be read, the
`heard script check` command and the /team/scripts page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from heard.auth.accounts import add_user
from heard.cli import app
from heard.store import Store
from heard.team.scripts import KINDS, ScriptError, check_bytes, check_file, check_text, reading_label
from heard.web.app import create_app
from tests.web_world import PASSWORD

# --- named examples: each must fire its kind --------------------------------------------------------------------
CANNED = "I understand your frustration."
CANNED_CONCERN = "I completely understand your concern, let me check the account."
CANNED_APOLOGY = "I apologise for the inconvenience."
CANNED_ANY = "Sorry for any inconvenience this may have caused."
CANNED_SORRY = "I'm so sorry to hear that."
CANNED_VALUE = "We value your business."
CANNED_IMPORTANT = "Your call is important to us."
CANNED_BARE = "I understand."
CANNED_BARE_APOLOGY = "I apologise, the system is slow today."

JARGON_BAU = "This is BAU for the billing team."
JARGON_SLA = "We will reply within the SLA."
JARGON_MATRIX = "I'll check the escalation matrix."
JARGON_PROVISIONING = "Your line is still in provisioning."
JARGON_TCS = "Please read the T&Cs on the website."
JARGON_TIER = "I'll raise it with tier 2 today."
JARGON_TICKET = "Your ticket ID is in the email."
JARGON_ACRONYM = "The engineer will update the NOC tonight."
JARGON_KYC = "A KYC check is needed before we continue."

NO_WHY_ACCOUNT = "Can I have your account number?"
NO_WHY_BIRTH = "Could I take your date of birth please?"
NO_WHY_POSTCODE = "What's your postcode?"
NO_WHY_RESTART = "Please restart the router."
NO_WHY_UNPLUG = "Unplug the router and wait thirty seconds."
NO_WHY_COPY = "You will need to send us a copy of your bill."
NO_WHY_PHOTO = "Can you send me a photo of the meter?"
NO_WHY_EMAIL = "I'll need you to confirm your email address."
NO_WHY_ASK = "Ask the customer for their order number."

RIGID_REFUND = "We cannot refund this."
RIGID_DISCOUNT = "Unfortunately we can't offer a discount."
RIGID_DATE = "I'm unable to change the delivery date."
RIGID_POSSIBLE = "That's not possible."
RIGID_POLICY = "It's company policy."
RIGID_NOTHING = "There is nothing I can do."
RIGID_EXCHANGES = "We don't do exchanges on sale items."
RIGID_NON_REFUNDABLE = "This ticket is non-refundable."
RIGID_WITH_REASON = "We won't waive the fee because it was applied correctly."   # a why is not an alternative

HARD_LEGAL = "Notwithstanding the aforementioned considerations, remuneration adjustments necessitate authorisation."
HARD_SELF_SERVICE = ("Utilisation of the self-service functionality facilitates expeditious resolution of "
                     "administrative enquiries.")
HARD_RECONCILE = ("Subsequent to verification, the reconciliation of outstanding liabilities will commence "
                  "automatically.")
HARD_DIAGNOSTIC = "Customers experiencing intermittent connectivity degradation should initiate diagnostic procedures."
HARD_REGULATORY = ("Any discrepancies identified during the investigation will be rectified in accordance with "
                   "regulatory obligations.")
HARD_LONG = ("Please be aware that if you decide to cancel your contract before the end of the minimum term we will "
             "need to charge you an early termination fee which is calculated on the number of months left.")
HARD_CONDITIONAL = "Authorisation of the reimbursement is conditional upon satisfactory documentation."
HARD_ELIGIBILITY = "Eligibility determination necessitates comprehensive evaluation of individual circumstances."

# --- named examples: each must NOT fire its kind ----------------------------------------------------------------
OWN_WORDS = "That sounds really stressful, being charged twice right before rent is due."
UNDERSTAND_WHY = "I understand why you want to cancel, so let's look at the options."
UNDERSTAND_THAT = "I understand that you moved house last week."
APOLOGY_OWNED = "I apologise for the mix-up with your parcel, that's on us."
BEARING_WITH = "Thanks for bearing with me while I check."
HEAR_WORRY = "I can hear how worried you are about the payment."
LOOK_INTO = "Let me look into the missing refund for you."
NO_WONDER = "No wonder you're upset after three calls."

PLAIN_REFERENCE = "Your reference number is in the email."
EVERYDAY_PIN = "Please type your PIN on the keypad."
EVERYDAY_SMS = "We'll send you an SMS today."
EVERYDAY_SIM = "You'll get a new SIM by Friday."
EXPLAINED_SLA = "Our service level agreement (SLA) says two days."
EXPLAINED_TCS = "The terms and conditions (T&Cs) are on page two."
EMPHASIS = "Do NOT promise a date to the customer."
SHOUTED_HEADING = "IMPORTANT: READ THIS BEFORE EVERY CALL."

WHY_SO_I_CAN = "Can I have your account number, so I can find your details?"
WHY_NEXT_SENTENCE = "Could I take your date of birth? That's how I know I'm speaking to the account holder."
WHY_PICKS_UP = "Please restart the router so it picks up the new settings."
WHY_SECURITY = "For your security, can I have the first line of your address?"
WHY_BECAUSE = "Unplug the router and wait thirty seconds, because it needs to reset fully."
TELL_ME_MORE = "Can you tell me a bit more about what happened?"
BEAR_WITH_ME = "Please bear with me a moment."
THANKS = "Thanks for calling us today."

NO_WITH_CREDIT = "We can't refund this, but what I can do is offer a credit."
NO_THEN_OFFER = "Unfortunately we can't offer a discount. What I can do is move you to a cheaper plan."
NO_WITH_DEPOT = "I'm unable to change the delivery date, but you can pick it up from the depot instead."
CANT_SEE = "I can't see the payment yet, let me check with the bank team."
WONT_BE_CHARGED = "You won't be charged for the call-out."
NO_CHARGE = "There's no charge for the new card."
DONT_WANT = "We don't want you to lose any data."
NOT_ONLINE = "That's not possible online, but I can do it for you now over the phone."

EASY_SENT = "I've sent the new card today."
EASY_REFUND = "Your refund will show in two to three working days."
EASY_ACCOUNT = WHY_SO_I_CAN
EASY_ENGINEER = "The engineer will come on Tuesday morning between eight and twelve."
EASY_LIGHT = "If the light is red, turn the router off and on again."
EASY_TEXT = "We'll text you when the parcel is on its way."
EASY_SORTED = "That's sorted now, and you won't pay anything extra."
EASY_THANKS = "Thanks for your patience today."

FIRES = {
    "canned_empathy": [CANNED, CANNED_CONCERN, CANNED_APOLOGY, CANNED_ANY, CANNED_SORRY, CANNED_VALUE,
                       CANNED_IMPORTANT, CANNED_BARE, CANNED_BARE_APOLOGY],
    "jargon": [JARGON_BAU, JARGON_SLA, JARGON_MATRIX, JARGON_PROVISIONING, JARGON_TCS, JARGON_TIER, JARGON_TICKET,
               JARGON_ACRONYM, JARGON_KYC],
    "no_why": [NO_WHY_ACCOUNT, NO_WHY_BIRTH, NO_WHY_POSTCODE, NO_WHY_RESTART, NO_WHY_UNPLUG, NO_WHY_COPY,
               NO_WHY_PHOTO, NO_WHY_EMAIL, NO_WHY_ASK],
    "rigid_no": [RIGID_REFUND, RIGID_DISCOUNT, RIGID_DATE, RIGID_POSSIBLE, RIGID_POLICY, RIGID_NOTHING,
                 RIGID_EXCHANGES, RIGID_NON_REFUNDABLE, RIGID_WITH_REASON],
    "hard_to_read": [HARD_LEGAL, HARD_SELF_SERVICE, HARD_RECONCILE, HARD_DIAGNOSTIC, HARD_REGULATORY, HARD_LONG,
                     HARD_CONDITIONAL, HARD_ELIGIBILITY],
}
SILENT = {
    "canned_empathy": [OWN_WORDS, UNDERSTAND_WHY, UNDERSTAND_THAT, APOLOGY_OWNED, BEARING_WITH, HEAR_WORRY,
                       LOOK_INTO, NO_WONDER],
    "jargon": [PLAIN_REFERENCE, EVERYDAY_PIN, EVERYDAY_SMS, EVERYDAY_SIM, EXPLAINED_SLA, EXPLAINED_TCS, EMPHASIS,
               SHOUTED_HEADING],
    "no_why": [WHY_SO_I_CAN, WHY_NEXT_SENTENCE, WHY_PICKS_UP, WHY_SECURITY, WHY_BECAUSE, TELL_ME_MORE,
               BEAR_WITH_ME, THANKS],
    "rigid_no": [NO_WITH_CREDIT, NO_THEN_OFFER, NO_WITH_DEPOT, CANT_SEE, WONT_BE_CHARGED, NO_CHARGE, DONT_WANT,
                 NOT_ONLINE],
    "hard_to_read": [EASY_SENT, EASY_REFUND, EASY_ACCOUNT, EASY_ENGINEER, EASY_LIGHT, EASY_TEXT, EASY_SORTED,
                     EASY_THANKS],
}


def kinds(text: str) -> list[str]:
    return [f.kind for f in check_text(text).findings]


@pytest.mark.parametrize(("kind", "sentence"), [(k, s) for k, xs in FIRES.items() for s in xs])
def test_scripts_kind_fires(kind: str, sentence: str) -> None:
    report = check_text(sentence)
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"{kind} should fire on {sentence!r}"
    assert found[0].line == 1 and found[0].text == sentence and found[0].suggestion and found[0].why


@pytest.mark.parametrize(("kind", "sentence"), [(k, s) for k, xs in SILENT.items() for s in xs])
def test_scripts_kind_does_not_fire(kind: str, sentence: str) -> None:
    assert kind not in kinds(sentence)


def test_scripts_every_kind_has_examples_both_ways() -> None:
    for kind in KINDS:
        assert len(FIRES[kind]) >= 8 and len(SILENT[kind]) >= 8


@pytest.mark.parametrize(("sentence", "said"), [
    (NO_WHY_ACCOUNT, "so I can find your account"),
    (NO_WHY_BIRTH, "so I know I'm speaking to the account holder"),
    (NO_WHY_RESTART, "so it starts fresh"),
    (RIGID_REFUND, "What I can do is"),
    (JARGON_SLA, '"the time we promise to reply in" instead of "SLA"'),
    (JARGON_ACRONYM, "Say what NOC means"),
    (HARD_LEGAL, '"even so" for "notwithstanding"'),
])
def test_scripts_suggestions_are_plain_words(sentence: str, said: str) -> None:
    assert any(said in f.suggestion for f in check_text(sentence).findings)


@pytest.mark.parametrize("script", [
    "A service level agreement (SLA) is the time we promise to reply in. The SLA is two days.",
    "The SLA means the time we promise to reply in. We reply within the SLA.",
])
def test_scripts_an_acronym_explained_earlier_is_not_jargon(script: str) -> None:
    assert "jargon" not in kinds(script)


def test_scripts_jargon_explained_only_later_still_counts_where_first_used() -> None:
    report = check_text("Check the SLA.\n\nThe SLA (service level agreement) is two days.")
    assert [(f.kind, f.line) for f in report.findings if f.kind == "jargon"] == [("jargon", 1)]


@pytest.mark.parametrize(("options", "fires"), [
    ({}, True), ({"allow": ["noc"]}, False), ({"jargon": ["dispatch queue"]}, True),
])
def test_scripts_jargon_lists_extend(options: dict[str, list[str]], fires: bool) -> None:
    report = check_text("The NOC sends it to the dispatch queue.", **options)  # type: ignore[arg-type]
    words = [f.words for f in report.findings if f.kind == "jargon"]
    assert ("NOC" in words) is fires or ("dispatch queue" in words)
    if options.get("jargon"):
        assert "dispatch queue" in words


@pytest.mark.parametrize("script", [
    "Can I have your account number?\nThis is so I can find your account.",   # the reason on the next line
    "To keep your account safe we check who you are. Can I have your date of birth?",   # ... or just before
])
def test_scripts_a_reason_in_the_next_or_previous_sentence_counts(script: str) -> None:
    assert "no_why" not in kinds(script)


def test_scripts_an_alternative_in_the_next_sentence_counts_but_not_a_paragraph_later() -> None:
    assert "rigid_no" not in kinds("We cannot refund this. Instead, I can send a replacement today.")
    assert "rigid_no" in kinds("We cannot refund this.\n\nInstead, I can send a replacement today.")


@pytest.mark.parametrize(("ease", "label"), [
    (95, "very easy"), (85, "easy"), (75, "fairly easy"), (65, "plain English"), (55, "fairly hard"),
    (35, "hard"), (10, "very hard"), (None, "nothing to read"),
])
def test_scripts_reading_label(ease: float | None, label: str) -> None:
    assert reading_label(ease) == label


def test_scripts_summary_reads_ease_and_counts_every_kind() -> None:
    plain = check_text("I've sent the new card. It will come on Friday. Call us if it doesn't.")
    hard = check_text(HARD_LEGAL + " " + HARD_ELIGIBILITY)
    assert plain.reading_ease is not None and hard.reading_ease is not None
    assert plain.reading_ease > 70 > 0 > hard.reading_ease
    assert plain.summary()["counts"] == dict.fromkeys(KINDS, 0)
    assert hard.summary()["counts"]["hard_to_read"] == 2 and hard.summary()["reading_label"] == "very hard"
    assert check_text("").reading_ease is None


# --- files ------------------------------------------------------------------------------------------------------
MARKDOWN = """---
title: Refunds
---
# Refunds

Agent: Thanks for calling. I understand your frustration.
**Agent:** Can I have your account number?
Customer: Why? It's in the SLA.

- Please restart the router.
- We cannot refund this.

A long paragraph that wraps
onto a second line, where the jargon is: check the BAU notes.

```
SLA in a code block is not read
```
| Step | Say |
|------|-----|
| 1 | It's company policy. |
"""


def test_scripts_markdown_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "refunds.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    report = check_file(path)
    assert [(f.line, f.kind) for f in report.findings] == [     # a sentence is on the line it starts (13)
        (6, "canned_empathy"), (7, "no_why"), (10, "no_why"), (11, "rigid_no"), (13, "jargon"), (21, "rigid_no")]
    assert all(f.file == str(path) for f in report.findings)
    customer = [s for s in report.sentences if not s.checked]
    assert [s.text for s in customer] == ["Why?", "It's in the SLA."]        # shown, never judged
    assert not any("code block" in s.text for s in report.sentences)
    assert report.sentences[0].text == "Refunds" and "**" not in report.sentences[2].text


def test_scripts_text_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "billing.txt"
    path.write_text("Thanks for calling.\nCan I have your account number?\n\n\nWe cannot refund this. "
                    "Sorry for any inconvenience.\nIt is BAU.\n", encoding="utf-8")
    report = check_file(path)
    assert [(f.line, f.kind) for f in report.findings] == [
        (2, "no_why"), (5, "rigid_no"), (5, "canned_empathy"), (6, "jargon")]


HTML = """<!doctype html>
<html><head><title>Refunds SLA</title><style>p { color: red }</style></head>
<body>
<h1>Refunds</h1>
<p>Thank you for calling.
  <b>I understand your frustration.</b></p>
<ul>
  <li>Can I have your account number?</li>
  <li>We cannot refund this &amp; that&#39;s final.</li>
</ul>
<p>Check the
escalation matrix and the BAU notes.</p>
<script>var SLA = 1;</script>
</body></html>
"""


def test_scripts_html_strips_tags_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "refunds.html"
    path.write_text(HTML, encoding="utf-8")
    report = check_file(path)
    assert [(f.line, f.kind, f.words) for f in report.findings] == [
        (6, "canned_empathy", "I understand your frustration"), (8, "no_why", "Can I have your account number"),
        (9, "rigid_no", "We cannot refund"), (11, "jargon", "escalation matrix"), (11, "jargon", "BAU")]
    assert "We cannot refund this & that's final." in [s.text for s in report.sentences]
    assert not any("SLA" in s.text or "color" in s.text for s in report.sentences)   # head, style, script skipped


def test_scripts_html_is_recognised_without_a_suffix() -> None:
    report = check_text("<p>We cannot refund this.</p>\n<p>It is <em>BAU</em>.</p>")
    assert [(f.line, f.kind) for f in report.findings] == [(1, "rigid_no"), (2, "jargon")]


@pytest.mark.parametrize(("data", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("Thanks.\nCaf\xe9 refunds are final.".encode("latin-1"), "line 2: not UTF-8"),
])
def test_scripts_a_bad_file_says_what_to_do(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "script.md"
    path.write_bytes(data)
    with pytest.raises(ScriptError) as caught:
        check_file(path)
    assert str(path) in str(caught.value) and message in str(caught.value) and caught.value.hint


@pytest.mark.parametrize("where", ["missing.md", "."])
def test_scripts_a_missing_file_or_folder_is_a_script_error(tmp_path: Path, where: str) -> None:
    with pytest.raises(ScriptError, match=r"missing\.md: cannot read it|is a folder"):
        check_file(tmp_path / where)


def test_scripts_check_bytes_reads_utf8_with_a_bom() -> None:
    report = check_bytes("\ufeffWe cannot refund this.".encode(), name="x.txt")
    assert report.sentences[0].text == "We cannot refund this." and report.name == "x.txt"


# --- the command ------------------------------------------------------------------------------------------------

def test_scripts_cli_check_prints_findings_per_file(tmp_path: Path) -> None:
    md, html = tmp_path / "refunds.md", tmp_path / "refunds.html"
    md.write_text(MARKDOWN, encoding="utf-8")
    html.write_text(HTML, encoding="utf-8")
    result = CliRunner().invoke(app, ["script", "check", str(md), str(html)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    said = result.output
    assert f"{md}: reading ease" in said and f"{html}: reading ease" in said
    assert 'line    7  "Can I have your account number?"' in said
    assert 'no why: Say why: "…so I can find your account."' in said
    assert said.index(str(md)) < said.index(str(html))


def test_scripts_cli_json_and_a_bad_file_exits_2(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.md"
    good.write_text("We cannot refund this.\n", encoding="utf-8")
    bad.write_bytes(b"\x00\x01\x02")
    result = CliRunner().invoke(app, ["script", "check", str(good), str(bad), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [f["file"] for f in data["files"]] == [str(good)]
    assert data["files"][0]["counts"]["rigid_no"] == 1 and data["files"][0]["items"][0]["line"] == 1
    assert data["errors"][0]["file"] == str(bad) and "binary" in data["errors"][0]["error"]


def test_scripts_cli_options_extend_jargon(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("Our APR is fixed. Put it in the dispatch queue.\n", encoding="utf-8")
    plain = json.loads(CliRunner().invoke(app, ["script", "check", str(path), "--json"]).stdout)
    tuned = json.loads(CliRunner().invoke(app, ["script", "check", str(path), "--json", "--allow", "APR",
                                                "--jargon", "dispatch queue"]).stdout)
    assert [i["words"] for i in plain["files"][0]["items"] if i["kind"] == "jargon"] == ["APR"]
    assert [i["words"] for i in tuned["files"][0]["items"] if i["kind"] == "jargon"] == ["dispatch queue"]


def test_scripts_cli_has_help() -> None:
    result = CliRunner().invoke(app, ["script", "check", "--help"])
    assert result.exit_code == 0 and "exit status is 0 whatever is found" in " ".join(result.output.split())


# --- the page ---------------------------------------------------------------------------------------------------

@pytest.fixture
def people(sqlite_store: Store) -> Store:
    add_user(sqlite_store, "nora", PASSWORD, "lead", team="north")
    add_user(sqlite_store, "quinn", PASSWORD, "qa")
    add_user(sqlite_store, "ada", PASSWORD, "admin")
    add_user(sqlite_store, "ana", PASSWORD, "agent", agent_id="ana", team="north")
    return sqlite_store


def _login(store: Store, username: str) -> TestClient:
    client = TestClient(create_app(store, secret="s"))
    assert client.post("/api/session", json={"username": username, "password": PASSWORD}).status_code == 200
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("username", ["nora", "quinn", "ada"])
def test_scripts_page_checks_pasted_text(people: Store, username: str) -> None:
    client = _login(people, username)
    page = client.get("/team/scripts")
    assert page.status_code == 200 and 'name="text"' in page.text
    shown = client.post("/team/scripts", data={"csrf_token": _csrf(page.text),
                                               "text": f"{NO_WHY_ACCOUNT}\n\n{RIGID_REFUND} <b>bold</b>"})
    assert shown.status_code == 200
    assert 'data-kind="no_why" data-line="1"' in shown.text and 'data-kind="rigid_no" data-line="3"' in shown.text
    assert "So I can find your account" in shown.text or "so I can find your account" in shown.text
    assert "<b>bold</b>" not in shown.text.split('id="findings"')[1]       # escaped, never markup


def test_scripts_page_checks_an_uploaded_file_and_refuses_a_binary_one(people: Store) -> None:
    client = _login(people, "nora")
    token = _csrf(client.get("/team/scripts").text)
    shown = client.post("/team/scripts", data={"csrf_token": token, "text": ""},
                        files={"file": ("refunds.html", HTML.encode(), "text/html")})
    assert shown.status_code == 200 and "refunds.html" in shown.text
    assert 'data-kind="jargon" data-line="11"' in shown.text
    bad = client.post("/team/scripts", data={"csrf_token": token},
                      files={"file": ("scan.md", b"\x00\x01binary", "application/octet-stream")})
    assert bad.status_code == 400 and "binary file" in bad.text
    empty = client.post("/team/scripts", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 400 and "Paste a script" in empty.text


def test_scripts_page_is_not_for_agents_and_needs_the_form_token(people: Store) -> None:
    agent = _login(people, "ana")
    assert agent.get("/team/scripts").status_code == 403
    assert agent.post("/team/scripts", data={"text": "x"}).status_code == 403
    lead = _login(people, "nora")
    assert lead.post("/team/scripts", data={"text": RIGID_REFUND}).status_code == 403   # no CSRF token
    assert TestClient(create_app(people, secret="s")).get("/team/scripts", follow_redirects=False).status_code in (
        302, 303, 307, 401)
