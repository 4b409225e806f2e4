"""Insights: outcomes derived from the calls, planted effects found (and confounding shown), too few calls said
so, the report kept per scope, the coaching focus weighted by it, and the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from heard.auth.accounts import add_user, find_user
from heard.cli import app
from heard.ingest.base import OutcomeRecord
from heard.insights import dataset, effects, html, planted, report
from heard.insights.dataset import Frame, InsightsSettings
from heard.insights.derive import repeat_contacts
from heard.model import Call, Outcome, Role, Turn
from heard.runners.local import analyse_and_store
from heard.store import Store
from tests.conftest import make_call

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _rows(p: planted.Planted) -> Frame:
    return Frame(rows=p.rows.assign(analysed=1.0))


# --- derived outcomes ---------------------------------------------------------------------------------------


def test_repeat_contacts_within_the_window_and_unknown_while_it_is_open() -> None:
    contacts = [("c1", "a", T0), ("c1", "b", T0 + timedelta(days=3)), ("c1", "c", T0 + timedelta(days=20)),
                ("c2", "d", T0 + timedelta(days=1)), ("c3", "e", T0 + timedelta(days=25)),
                ("c4", "z", T0 + timedelta(days=30))]
    decided, censored = repeat_contacts(contacts, {k: 7.0 for k in "abcde"})
    # a: b came 3 days later; b: next is 17 days later; c and d: no later call and their windows closed before
    # the newest contact (day 30); e (day 25): its window runs past day 30 and nothing came: unknown
    assert decided == {"a": True, "b": False, "c": False, "d": False}
    assert censored == 1
    decided, _ = repeat_contacts(contacts, {"b": 20.0})   # a wider window (from the outcome row) reaches c
    assert decided == {"b": True}
    decided, censored = repeat_contacts(contacts, {"c": 7.0}, until=T0 + timedelta(days=22))   # the data ends sooner
    assert decided == {} and censored == 1


def _call(call_id: str, customer: str | None, start: datetime, agent_line: str, team: str = "north") -> Call:
    return Call(id=call_id, agent_id="ana" if team == "north" else "kim", team=team, queue="billing",
                started_at=start, metadata={"customer_id": customer} if customer else {},
                turns=[Turn(speaker=Role.AGENT, start=0.0, end=3.0, text="Thanks for calling, how can I help?"),
                       Turn(speaker=Role.CUSTOMER, start=3.5, end=8.0, text="My bill is wrong again."),
                       Turn(speaker=Role.AGENT, start=8.5, end=14.0, text=agent_line)])


def test_outcomes_are_derived_from_the_calls_and_marked(store: Store) -> None:
    transfer = "I'm going to transfer you to our billing team now."
    calls = [_call("a1", "cust-1", T0, "I've fixed the bill."),
             _call("a2", "cust-1", T0 + timedelta(days=2), transfer, team="south"),   # cust-1 again, other team
             _call("a3", "cust-2", T0 + timedelta(days=1), "I've fixed the bill."),
             _call("a4", None, T0 + timedelta(days=30), "I've fixed the bill.")]
    for c in calls:
        store.add_call(c)
    list(analyse_and_store(store, calls))
    store.apply_outcome(OutcomeRecord(call_id="a3", fields={}, outcome=Outcome(fcr=True, escalated=True)))
    frame = dataset.load(store)
    rows = frame.rows.set_index("call_id")
    assert rows.loc["a1", "repeat_contact"] == 1 and rows.loc["a1", "repeat_contact_derived"]
    assert rows.loc["a1", "fcr"] == 0 and rows.loc["a1", "fcr_derived"]
    assert rows.loc["a3", "repeat_contact"] == 0 and rows.loc["a3", "repeat_contact_derived"]
    assert rows.loc["a3", "fcr"] == 1 and not rows.loc["a3", "fcr_derived"]            # imported: kept, not derived
    assert rows.loc["a3", "escalated"] == 1 and not rows.loc["a3", "escalated_derived"]
    assert rows.loc["a2", "escalated"] == 1 and rows.loc["a2", "escalated_derived"]    # the transfer
    assert rows.loc["a1", "escalated"] == 0 and rows.loc["a1", "escalated_derived"]
    assert np.isnan(rows.loc["a4", "repeat_contact"])                                # no customer id: unknown
    assert rows.loc["a1", "handle_time"] == pytest.approx(14.0) and rows.loc["a1", "handle_time_derived"]
    assert rows.loc["a2", "repeat_contact"] == 0 and rows.loc["a2", "fcr"] == 1
    assert frame.derived == {"repeat_contact": 3, "fcr": 2, "escalated": 3, "handle_time": 4}
    # one team's rows still see the other team's call as the repeat contact
    north = dataset.load(store, report.InsightsScope("north").condition)
    assert north.rows.set_index("call_id").loc["a1", "repeat_contact"] == 1
    assert set(north.rows["call_id"]) == {"a1", "a3", "a4"}


# --- planted effects ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, planted.Planted]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('planted') / 'heard.db'}")
    data = planted.generate(6000, seed=1)   # one data set; how often intervals hold the truth is the next test's
    planted.write(store, data)
    return store, data


@pytest.mark.parametrize("outcome", ["fcr", "csat", "handle_time"])
def test_planted_effects_are_found_and_confounding_is_shown(planted_store: tuple[Store, planted.Planted],
                                                             outcome: str) -> None:
    store, data = planted_store
    frame = dataset.load(store)
    settings = InsightsSettings()
    found = {e.exposure: e for e in (effects.estimate(frame, ex, effects.OUTCOME[outcome], settings)
                                     for ex in effects.exposures(frame)) if e.exposure in ("b_explain_why",
                                                                                           "b_reassurance")}
    x, y = found["b_explain_why"], found["b_reassurance"]
    truth = data.truth[outcome]
    assert x.low is not None and x.high is not None and y.low is not None and y.high is not None
    assert x.low <= truth <= x.high and x.clear                     # the planted effect, inside X's interval
    assert y.low <= 0 <= y.high and not y.clear                     # Y does nothing: its interval holds zero
    assert x.unadjusted and y.unadjusted
    # unadjusted, the queue is credited to both behaviours: X misjudged (overstated for FCR and CSAT, understated
    # for handle time: the queues where agents explain most are also the quickest), Y given an effect it lacks
    assert not x.unadjusted["low"] <= truth <= x.unadjusted["high"]
    assert not y.unadjusted["low"] <= 0 <= y.unadjusted["high"]
    assert x.adjusted_for[:2] == ["queue", "reason"] and x.n == 6000 and x.agents == 60
    assert "adjusted for queue, reason" in x.sentence and f"{x.n:,} calls" in x.sentence


def test_planted_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    """Twenty independent data sets, three outcomes, X and Y: the adjusted 95% intervals hold the truth about 95
    times in 100 (at least 104 of 120: were they independent, a binomial(120, 0.95) would fall below that about 1
    time in 10,000), the unadjusted almost never."""
    settings = InsightsSettings()
    adjusted = unadjusted = 0
    for seed in range(20):
        data = planted.generate(2000, seed=100 + seed)
        for outcome in ("fcr", "csat", "handle_time"):
            for behaviour, truth in (("explain_why", data.truth[outcome]), ("reassurance", 0.0)):
                e = effects.estimate(_rows(data), effects.Exposure(f"b_{behaviour}", behaviour, "calls"),
                                     effects.OUTCOME[outcome], settings)
                assert e.low is not None and e.high is not None and e.unadjusted is not None
                adjusted += e.low <= truth <= e.high
                unadjusted += e.unadjusted["low"] <= truth <= e.unadjusted["high"]
    assert adjusted >= 104 and unadjusted <= 12


@pytest.mark.parametrize("binary", [True, False])
def test_average_marginal_effect_is_statsmodels_own(binary: bool) -> None:
    """heard computes the exposure's average marginal effect for one column (bounded memory); statsmodels'
    get_margeff gives the same figure and standard error, with the same clustered covariance."""
    import statsmodels.api as sm  # type: ignore[import-untyped]

    data = planted.generate(3000, seed=21).rows
    exposure = data["b_explain_why"] if binary else data["start_sentiment"]
    design = np.column_stack([np.ones(len(data)), exposure, np.log(data["n_turns"]),
                              (data["queue"] == "tech").astype(float), (data["queue"] == "sales").astype(float)])
    groups = pd.factorize(data["agent_id"])[0]
    result = sm.Logit(data["fcr"].to_numpy(), design).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    theirs = result.get_margeff(at="overall", method="dydx", dummy=binary)
    mine = effects.average_marginal_effect(result, design, binary=binary)
    assert mine[0] == pytest.approx(float(theirs.margeff[0]), rel=1e-6)
    assert mine[1] == pytest.approx(float(theirs.margeff_se[0]), rel=1e-4)   # theirs is a numerical derivative


def test_too_few_calls_says_so_instead_of_guessing() -> None:
    data = planted.generate(25, agents=10, seed=3)
    e = effects.estimate(_rows(data), effects.Exposure("b_explain_why", "explaining why", "calls"),
                         effects.OUTCOME["fcr"], InsightsSettings())
    assert e.estimate is None and e.too_few == "25 calls with both known (need 30)"
    assert e.sentence.startswith("Too few calls to tell how explaining why relates to first-contact resolution")
    few_agents = planted.generate(400, agents=3, seed=3)
    e = effects.estimate(_rows(few_agents), effects.Exposure("b_explain_why", "explaining why", "calls"),
                         effects.OUTCOME["csat"], InsightsSettings())
    assert e.estimate is None and e.too_few == "the calls come from 3 agents (need 5)"


def test_many_pairs_get_false_discovery_marks() -> None:
    data = planted.generate(4000, seed=11)
    found = effects.all_effects(_rows(data), InsightsSettings(), outcomes=[effects.OUTCOME["fcr"]])
    by = {e.exposure: e for e in found}
    assert by["b_explain_why"].survives and by["b_explain_why"].q is not None
    assert not by["b_reassurance"].survives
    # q-values are never below p-values, and only clear effects are marked
    assert all(e.q >= e.p - 1e-12 for e in found if e.p is not None and e.q is not None)
    assert all(e.clear for e in found if e.survives)
    assert effects.top(found, 1)[0].exposure == "b_explain_why"


# --- the report, kept per scope -----------------------------------------------------------------------------


def test_fingerprint_changes_with_every_call_change_in_its_scope(store: Store) -> None:
    """Every call: a new call or a replaced one changes it (read from the newest import alone, no count);
    a team: also a call that leaves it."""
    every, north = report.InsightsScope(), report.InsightsScope("north")
    store.add_call(make_call("f1", team="north"))
    seen = (report.fingerprint(store, every), report.fingerprint(store, north))
    assert seen == (report.fingerprint(store, every), report.fingerprint(store, north))   # nothing changed
    store.add_call(make_call("f2", team="south"))
    assert report.fingerprint(store, every) != seen[0] and report.fingerprint(store, north) == seen[1]
    seen = (report.fingerprint(store, every), report.fingerprint(store, north))
    store.add_call(make_call("f1", team="south"), replace=True)   # replaced: moves from north to south
    assert report.fingerprint(store, every) != seen[0] and report.fingerprint(store, north) != seen[1]


def test_report_is_kept_per_scope_and_refreshed_when_calls_change(planted_store: tuple[Store, planted.Planted],
                                                                  tmp_path: Path) -> None:
    store, data = planted_store
    result = report.current(store, report.InsightsScope(), by="test")
    assert json.loads(json.dumps(result, default=str))["calls"] == 6000
    assert result["top"][0]["exposure"] == "b_explain_why" and result["top"][0]["survives"]
    notes, themes = result["notes"], result["comments"]["themes"]
    assert "Benjamini-Hochberg" in notes["multiple"] and "not proof of cause" in notes["association"]
    assert "at random" in notes["stronger"] and "heard coach" in notes["stronger"]
    assert themes["heard"]["calls"] > 0 and themes["rushed"]["calls"] > 0
    assert report.current(store, report.InsightsScope(), by="test")["run"] == result["run"]   # unchanged: kept
    team = report.current(store, report.InsightsScope("sales"), by="test")
    assert team["calls"] == (data.rows["team"] == "sales").sum() and team["scope"] == "team:sales"
    assert team["run"] != result["run"]
    store.apply_outcome(OutcomeRecord(call_id="pl-0000000", fields={}, outcome=Outcome(csat=1)))
    assert report.current(store, report.InsightsScope(), by="test")["run"] != result["run"]   # changed: new run
    page = tmp_path / "report.html"
    data_file = html.write(result, page)
    text = page.read_text(encoding="utf-8")
    assert "What moves outcomes here" in text and result["top"][0]["sentence"] in text
    assert not re.search(r"<script[^>]*\bsrc=", text) and "Plotly.newPlot" in text   # plotly.js inline, no fetch
    assert json.loads(data_file.read_text())["calls"] == 6000


def test_scope_follows_the_role(world: Store) -> None:
    lead, _ = find_user(world, "nora")
    qa, _ = find_user(world, "quinn")
    agent, _ = find_user(world, "ana")
    assert report.InsightsScope.of(lead).key == "team:north"
    assert report.InsightsScope.of(qa).key == "all" and report.InsightsScope.of(qa, "south").key == "team:south"
    with pytest.raises(report.InsightsError):
        report.InsightsScope.of(lead, "south")
    with pytest.raises(report.InsightsError):
        report.InsightsScope.of(agent)
    empty = report.build(world, report.InsightsScope.of(qa, "no-such-team"))   # found by schemathesis: was a 500
    assert empty["calls"] == 0 and empty["top"] == [] and "Too few calls" in html.render(empty)
    small = report.build(world, report.InsightsScope.of(lead))
    assert small["calls"] == 3 and small["top"] == []          # three calls: too few for anything
    assert all(e["too_few"] for e in small["effects"])


# --- coaching reads the effects ---------------------------------------------------------------------------


def test_coaching_focus_weights_come_from_the_organisations_outcomes(planted_store: tuple[Store, planted.Planted]
                                                                    ) -> None:
    from heard.coaching import plans

    store, _ = planted_store
    report.current(store, report.InsightsScope(), by="test")
    weights = plans.outcome_weights(store)
    assert weights.values["explain_why"] == pytest.approx(1.5 * plans.WEIGHTS["explain_why"])
    assert weights.values["reassurance"] == plans.WEIGHTS["reassurance"]        # nothing clear: the default
    assert "insights run" in weights.source and weights.reasons["explain_why"]
    add_user(store, "lee", "correct-horse-battery", "lead", team="billing")
    lead, _ = find_user(store, "lee")
    focus = plans.choose_focus(store, "agent-000", "billing")
    assert focus.weights.values == weights.values
    plan = plans.start_plan(store, lead, "agent-000", behaviour="explain_why")
    assert "insights run" in plan["why"]["weights"] and plan["why"]["weight_reasons"]
    assert "In this organisation's calls: " in plan["why"]["sentence"]


def test_without_insights_the_defaults_are_used(world: Store) -> None:
    from heard.coaching import plans

    weights = plans.outcome_weights(world)
    assert weights.values == plans.WEIGHTS and "default" in weights.source and not weights.reasons


# --- CLI ----------------------------------------------------------------------------------------------------


def test_cli_prints_findings_and_writes_the_report(planted_store: tuple[Store, planted.Planted],
                                                   tmp_path: Path) -> None:
    store, _ = planted_store
    url = str(store.engine.url)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["--db", url, "insights", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Calls where the agent explained why had" in result.output and "★" in result.output
    assert out.exists() and out.with_suffix(".json").exists()
    as_json = CliRunner().invoke(app, ["--db", url, "insights", "--team", "tech", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["scope"] == "team:tech"


def test_the_call_page_marks_a_handoff() -> None:
    from heard.pipeline import analyse
    from heard.web.views import call_detail

    call = _call("h1", "cust-9", T0, "Let me put you through to our billing team now.")
    marks = call_detail(call, analyse(call))["turns"][2]["marks"]
    handoff = [m for m in marks if m["kind"] == "handoff"]
    assert [m["label"] for m in handoff] == ["transfer"] and handoff[0]["span"] is not None
