"""End to end in a real headless Chromium (Debian's, driven by Playwright): an evaluator reviews a call,
the agent disputes, the lead resolves. Screenshots of every page go to HEARD_SCREENSHOTS (default
.screenshots/ in the repo) so a person can look at them."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Browser, Page, expect

from heard.store import Store
from tests.browser import login, serving, shot
from tests.web_world import PASSWORD, build


def test_evaluate_dispute_resolve_in_a_browser(server: str, browser: Browser) -> None:
    # The evaluator: opens the call list and a call, starts an evaluation.
    qa = login(browser, server, "quinn")
    expect(qa.locator("h1")).to_contain_text("Calls")
    shot(qa, "01-qa-call-list")
    qa.click("a[href='/calls/n-ana-1']")
    expect(qa.locator("h1")).to_have_text("n-ana-1")
    expect(qa.locator(".chart .main-svg").first).to_be_visible()          # plotly drew the sentiment curve
    shot(qa, "02-qa-call-view")
    qa.click("text=Evaluate this call")
    expect(qa.locator(".state").first).to_have_text("draft")
    # Click an automatic answer's evidence: the page scrolls to that turn and highlights it.
    evidence = qa.locator("#item-early_acknowledgement a.evidence").first
    turn = evidence.get_attribute("data-turn")
    evidence.click()
    target = qa.locator(f"#turn-{turn}")
    expect(target).to_have_class("turn turn-agent flash-target")
    expect(target).to_be_in_viewport()
    assert qa.url.endswith(f"#turn-{turn}")
    shot(qa, "03-qa-evidence-highlighted")
    # Override an item with a comment, answer the manual item, submit.
    item = qa.locator("#item-wrap_up")
    item.locator("select").select_option("yes")
    item.locator("input[name=comment]").fill("She offered more help in her own words.")
    item.locator("button").click()
    expect(qa.locator(".flash").first).to_contain_text("Saved wrap_up")
    expect(qa.locator("#item-wrap_up .tag-override")).to_be_visible()
    resolved = qa.locator("#item-resolved")
    resolved.locator("select").select_option("yes")
    resolved.locator("button").click()
    qa.click("text=Submit evaluation")
    expect(qa.locator(".state").first).to_have_text("submitted")
    shot(qa, "04-qa-evaluation-submitted")
    evaluation_url = qa.url.split("#")[0]

    # The agent: sees only their own calls, disputes the evaluation.
    agent = login(browser, server, "ana")
    expect(agent.locator("h1")).to_contain_text("ana")
    calls_shown = {a.get_attribute("href") for a in agent.locator("a[href^='/calls/']").all()}
    assert calls_shown == {"/calls/n-ana-1", "/calls/n-ana-2"}
    expect(agent.locator(".chart .main-svg").first).to_be_visible()
    shot(agent, "05-agent-page")
    agent.goto(f"{server}/calls/n-ben-1")
    expect(agent.locator("h1")).to_have_text("Sorry")                      # not theirs: not found
    agent.goto(evaluation_url)
    agent.click("text=Dispute this evaluation")
    agent.select_option("form[action$='/dispute'] select[name=item]", "explain_why")
    agent.fill("form[action$='/dispute'] textarea[name=reason]", "I explained the bank retry at 1:07.")
    agent.click("text=Send dispute")
    expect(agent.locator(".state").first).to_have_text("disputed")
    shot(agent, "06-agent-disputed")

    # The lead: sees the team dashboard and the dispute, resolves it.
    lead = login(browser, server, "nora")
    expect(lead.locator("h1")).to_contain_text("Team north")
    expect(lead.locator(".chart .main-svg").first).to_be_visible()
    shot(lead, "07-lead-team-dashboard")
    lead.click("text=Disputes")
    lead.click(f"a[href='{evaluation_url.replace(server, '')}']")
    lead.select_option("form[action$='/resolve'] select[name=item]", "explain_why")
    lead.fill("form[action$='/resolve'] input[name=answer]", "yes")
    lead.fill("form[action$='/resolve'] textarea[name=resolution]", "Agreed: the retry was explained.")
    lead.click("form[action$='/resolve'] button")
    expect(lead.locator(".state").first).to_have_text("resolved")
    expect(lead.locator(".dispute")).to_contain_text("Agreed: the retry was explained.")
    shot(lead, "08-lead-resolved")
    for page in (qa, agent, lead):
        page.close()


def test_login_page_rejects_a_wrong_password(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{server}/calls")
    expect(page).to_have_url(f"{server}/login?next=/calls")
    page.fill("input[name=username]", "quinn")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("Wrong username or password")
    shot(page, "00-login-error")
    page.close()


def test_supervisor_live_view_updates_during_a_replay(server: str, browser: Browser) -> None:
    """A lead watches /live while a call streams: the call appears, its turns count up, and it is
    highlighted once the customer's frustration rises with no acknowledgement."""
    import asyncio

    import httpx

    from heard.ingest import read_path
    from heard.live.client import replay
    from heard.samples import CALLS_DIR

    with httpx.Client(base_url=server) as http:
        me = http.post("/api/session", json={"username": "ada", "password": PASSWORD}).json()
        token = http.post("/api/tokens", json={"name": "bridge", "scope": "live"},   # a telephony bridge's token
                          headers={"X-CSRF-Token": me["csrf_token"]}).json()["token"]
    call = next(c for c in read_path(CALLS_DIR / "dc-02.json") if hasattr(c, "turns"))
    assert call.team == "north"
    lead = login(browser, server, "nora")
    lead.click("text=Live")
    expect(lead.locator("h1")).to_contain_text("Live calls")
    done = threading.Event()

    def stream() -> None:
        asyncio.run(replay(server.replace("http", "ws"), call, speed=12, token=token))
        done.set()

    threading.Thread(target=stream, daemon=True).start()
    row = lead.locator("tr[data-call='dc-02']")
    expect(row).to_be_visible(timeout=15000)
    first = int(row.locator("td").nth(3).inner_text())
    expect(row).to_have_class("live-row attention", timeout=15000)
    shot(lead, "09-lead-live-view")
    assert done.wait(timeout=30)
    lead.wait_for_timeout(1500)
    assert int(row.locator("td").nth(3).inner_text()) > first
    expect(row.locator("td").last).to_contain_text("ended")
    lead.close()


def test_account_page_in_a_browser(server: str, browser: Browser) -> None:
    """An agent opens her account from the header, sees her tokens and the password form; the page's scripts
    run under heard's Content-Security-Policy without a single violation."""
    page = login(browser, server, "kim")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.click("header a.me")
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("text=Change your password")).to_be_visible()
    shot(page, "10-agent-account")
    page.goto(f"{server}/agents/kim")
    expect(page.locator(".chart .main-svg").first).to_be_visible()     # plotly draws under the CSP
    assert violations == []
    page.close()


def test_blind_calibration_session_in_a_browser(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> None:
    """Two evaluators and an expert score the same calls blind; nobody sees another's answers before submitting;
    the results page shows per-item alpha and the turns where answers split; the agreed note reaches the
    evaluation page."""
    from heard.auth.accounts import add_user

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('cal') / 'heard.db'}")
    build(store)
    add_user(store, "quincy", PASSWORD, "qa")
    plan = {  # rater -> (call, item) -> (answer, turn); every other item n/a
        "quinn": {("n-ana-1", "early_acknowledgement"): ("yes", None), ("n-ben-1", "early_acknowledgement"): ("no", 2),
                  ("n-ben-1", "calm_at_end"): ("yes", None)},
        "quincy": {("n-ana-1", "early_acknowledgement"): ("yes", None),
                   ("n-ben-1", "early_acknowledgement"): ("yes", 4), ("n-ben-1", "calm_at_end"): ("yes", None)},
        "ada": {("n-ana-1", "early_acknowledgement"): ("yes", None), ("n-ben-1", "early_acknowledgement"): ("no", 2),
                ("n-ben-1", "calm_at_end"): ("yes", None)}}

    def score(page: Page, username: str, session_url: str) -> None:
        page.goto(session_url)
        expect(page.locator("h1")).to_contain_text("November: acknowledgement")
        for call_id in ("n-ana-1", "n-ben-1"):
            form = page.locator(f"#call-{call_id} form")
            form.evaluate("f => f.querySelectorAll('select').forEach(s => { s.value = 'na'; })")
            for (cid, item), (value, turn) in plan[username].items():
                if cid == call_id:
                    form.locator(f"select[name='a:{item}']").select_option(value)
                    if turn is not None:
                        form.locator(f"input[name='t:{item}']").fill(str(turn))
            form.locator("button[type=submit]").click()
            page.wait_for_load_state("networkidle")
        page.click("text=Submit my answers")
        page.wait_for_load_state("networkidle")

    with serving(store) as base:
        lead = login(browser, base, "quinn")
        lead.click("header >> text=Calibration")
        lead.fill("input[name=name]", "November: acknowledgement")
        lead.fill("textarea[name=calls]", "n-ana-1, n-ben-1")
        lead.check("input[name=evaluators][value=quinn]")
        lead.check("input[name=evaluators][value=quincy]")
        lead.select_option("select[name=expert]", "ada")
        lead.click("text=Create session")
        lead.wait_for_load_state("networkidle")
        session_url = lead.url
        shot(lead, "11-calibration-sheet")
        score(lead, "quinn", session_url)

        other = login(browser, base, "quincy")
        other.goto(session_url)
        # Blind: quinn has submitted, yet quincy's sheet shows none of her answers, and no results.
        assert other.locator("select option[selected]").count() == 0
        other.goto(session_url + "/results")
        expect(other.locator(".flash")).to_contain_text("submit your own answers first")
        score(other, "quincy", session_url)
        expert = login(browser, base, "ada")
        score(expert, "ada", session_url)

        lead.goto(session_url + "/results")
        expect(lead.locator("text=3 of 3 raters submitted")).to_be_visible()
        row = lead.locator("tr[data-item='early_acknowledgement']")
        alpha = float(row.locator("td").nth(1).inner_text())
        assert -1.0 <= alpha < 1.0                                   # they split, so alpha is below 1
        split = lead.locator("#item-early_acknowledgement .split[data-split='n-ben-1']")
        expect(split).to_contain_text("quincy yes")
        expect(split.locator("a[href='/calls/n-ben-1#turn-2']")).to_be_visible()
        expect(split.locator("a[href='/calls/n-ben-1#turn-4']")).to_be_visible()
        lead.fill("#item-early_acknowledgement textarea[name=note]",
                  "A feeling named back in the customer's own words; 'sorry for the inconvenience' alone is not it.")
        lead.select_option("#item-early_acknowledgement select[name=call]", "n-ben-1")
        lead.fill("#item-early_acknowledgement input[name=answer]", "no")
        lead.click("#item-early_acknowledgement button[type=submit]")
        lead.wait_for_load_state("networkidle")
        shot(lead, "12-calibration-results", full_page=True)
        # The note is guidance next to the item on every evaluation of this scorecard.
        lead.goto(f"{base}/calls/s-kim-1")
        lead.click("text=Evaluate this call")
        lead.wait_for_load_state("networkidle")
        guidance = lead.locator("#item-early_acknowledgement .guidance")
        expect(guidance).to_contain_text("customer's own words")
        guidance.scroll_into_view_if_needed()
        shot(lead, "13-evaluation-guidance")
        for page in (lead, other, expert):
            page.close()
    store.close()


def test_coaching_plan_session_and_acknowledgement_in_a_browser(server: str, browser: Browser) -> None:
    """A lead starts a plan for an agent, logs a 1:1 from it (a moment, an action, a follow-up date); the agent
    adds to the action and acknowledges; the overdue follow-up shows on the lead's team page."""
    from datetime import date, timedelta

    lead = login(browser, server, "nora")
    lead.goto(f"{server}/coaching/agents/ben")
    expect(lead.locator("h1")).to_contain_text("Coaching ben")
    lead.click("text=Start plan")
    lead.wait_for_load_state("networkidle")
    expect(lead.locator(".focus h2")).to_contain_text("Focus:")
    expect(lead.locator(".moment.missed").first).to_be_visible()
    expect(lead.locator(".moment.missed .replies li")).to_have_count(3)
    shot(lead, "16-coaching-plan", full_page=True)
    lead.locator("input[name=moment]").first.check()
    lead.fill("textarea[name=notes]", "We listened to the billing call together; ben said the script felt safer.")
    lead.fill("input[name=action]", "Name the customer's worry in their words before the fix.")
    lead.fill("input[name=follow_up]", (date.today() - timedelta(days=1)).isoformat())
    lead.click("text=Log session")
    lead.wait_for_load_state("networkidle")
    expect(lead.locator("h1")).to_contain_text("1:1 on")
    session_url = lead.url
    expect(lead.locator("text=not acknowledged yet")).to_be_visible()

    agent = login(browser, server, "ben")
    agent.click("header >> text=My coaching")
    agent.wait_for_load_state("networkidle")
    agent.locator(".card", has_text="Sessions").locator("a").first.click()
    agent.wait_for_load_state("networkidle")
    assert agent.url == session_url
    agent.fill("input[name=agent_action]", "I'll pause after naming it and let them answer.")
    agent.click("button:has-text('Acknowledge')")
    agent.wait_for_load_state("networkidle")
    expect(agent.locator("text=ben added:")).to_be_visible()
    expect(agent.locator("text=acknowledged by ben")).to_be_visible()
    shot(agent, "17-coaching-session-agent")

    lead.goto(f"{server}/teams/north")
    expect(lead.locator("text=Coaching follow-ups overdue")).to_be_visible()
    lead.goto(session_url)
    expect(lead.locator("text=ben added:")).to_be_visible()
    shot(lead, "18-coaching-session-lead")
    lead.close()
    agent.close()
