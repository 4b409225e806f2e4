"""heard tune: a simulated organisation whose evaluators hold a stricter standard than heard's defaults.

The organisation counts early acknowledgement as met only when heard's acknowledgement confidence is at least
0.85 (heard's default says yes from its own, lower, model threshold); on every other item it agrees with heard.
Three simulated evaluators follow that standard, each with independent 8% random flips. The calls are short and
analysed by heard's real pipeline; only the acknowledgement's confidence is planted (drawn uniformly above the
model's threshold), and every score is made by heard's real scoring (service.score_stored).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from heard.cli import app
from heard.model import Call, CallAnalysis, Role, Turn
from heard.pipeline import analyse
from heard.scorecards import definition, rules, tuning
from heard.scorecards.definition import Scorecard
from heard.scorecards.rules import RuleSet
from heard.scorecards.service import latest_scores, queue_norms, review_item, score_stored
from heard.scorecards.tuning import Example, Tuning, TuningError
from heard.store import Store
from heard.store.schema import scores

runner = CliRunner()

A, C = Role.AGENT, Role.CUSTOMER
DISCLOSURE = "Northwind, this call may be recorded. How can I help?"
GREETING = "Northwind, how can I help?"
PROBLEMS = ["I was charged twice and my rent is due Friday, I'm really worried.",
            "My broadband has been down for two days and I work from home, it's so stressful.",
            "My order still hasn't arrived and it was a birthday present, I'm upset about it."]
ACKNOWLEDGE = ["That sounds really stressful, I'm sorry you're dealing with that.",
               "I can hear how worrying that is, I'm sorry."]
VERIFY = "Can I confirm your date of birth first?"
EXPLAIN = "That happened because the payment system retried after a timeout."
FIX = "I've sorted that now and you'll see it fixed within two working days."
CANNED = "I apologise for the inconvenience."
WRAP_UP = "Is there anything else I can help you with today?"
ORG_THRESHOLD = 0.85         # the planted standard: early acknowledgement counts from this confidence
FLIP = 0.08                  # each evaluator's independent random flips
EVALUATORS = ("eve", "max", "ola")
TRAIN, HELD_OUT = 200, 60
SPARSE_ITEM, SPARSE_LABELS = "recording_disclosure", 20   # evaluators answer this item on only 20 calls


def org_call(index: int, rng: random.Random) -> tuple[Call, bool]:
    """A short call; returns it and whether the agent acknowledged the customer's feelings."""
    acknowledged = rng.random() < 0.8
    agent = [DISCLOSURE if rng.random() < 0.7 else GREETING, None,
             " ".join(([rng.choice(ACKNOWLEDGE)] if acknowledged else []) + ([VERIFY] if rng.random() < 0.8 else [])
                      + ([EXPLAIN] if rng.random() < 0.5 else [])) or "Let me look at your account.",
             FIX + (" " + CANNED if rng.random() < 0.2 else ""), WRAP_UP if rng.random() < 0.6 else "Goodbye."]
    customer = [rng.choice(PROBLEMS), "Okay.", "Thanks."]
    turns, t = [], 0.0
    for k, text in enumerate([agent[0], customer[0], agent[2], customer[1], agent[3], customer[2], agent[4]]):
        assert text is not None
        turns.append(Turn(speaker=A if k % 2 == 0 else C, start=t, end=t + 4.0, text=text))
        t += 4.5
    return Call(id=f"org-{index:03d}", agent_id=f"agent-{index % 5}", team="north", queue="billing",
                turns=turns), acknowledged


def plant(analysis: CallAnalysis, confidence: float) -> CallAnalysis:
    """The analysis with the acknowledgement's confidence set (as the turn model would have reported it)."""
    for f in analysis.findings:
        if f.kind == "behaviour" and f.label in ("acknowledge_emotion", "early_acknowledgement"):
            f.confidence = confidence
    return analysis


def ack_confidence(analysis: CallAnalysis) -> float | None:
    return next((f.confidence for f in analysis.findings
                 if f.kind == "behaviour" and f.label == "early_acknowledgement"), None)


def standard(item: str, heard: str, confidence: float | None) -> str:
    """The organisation's answer: heard's, except that early acknowledgement needs confidence >= 0.85."""
    if item == "early_acknowledgement":
        return "yes" if confidence is not None and confidence >= ORG_THRESHOLD else "no"
    return heard


@dataclass
class Org:
    store: Store
    card: Scorecard
    ruleset: RuleSet
    ids: list[str]
    confidence: dict[str, float | None]
    # evaluator -> call -> item -> answer, for every call (the training label is one evaluator's per call)
    answers: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def train(self) -> list[str]:
        return self.ids[:TRAIN]

    @property
    def held_out(self) -> list[str]:
        return self.ids[TRAIN:]

    def labeller(self, call_id: str) -> str:
        return EVALUATORS[self.ids.index(call_id) % len(EVALUATORS)]


def build_org(store: Store, calls: int = TRAIN + HELD_OUT, train: int = TRAIN, seed: int = 7) -> Org:
    """Store, analyse (real pipeline, planted acknowledgement confidence) and score the calls with heard's
    defaults; the three evaluators answer every call; one of them per training call is written as its review."""
    rng = random.Random(seed)
    card, ruleset = definition.load(), rules.load()
    org = Org(store, card, ruleset, [], {})
    for index in range(calls):
        call, _ = org_call(index, rng)
        store.add_call(call)
        analysis = analyse(call)
        if ack_confidence(analysis) is not None:
            plant(analysis, round(rng.uniform(0.45, 1.0), 4))
        store.save_analysis(analysis)
        org.ids.append(call.id)
        org.confidence[call.id] = ack_confidence(analysis)
    automatic = {s.call_id: s.result for s in score_stored(store, card, ruleset)}
    items = [i for _, i in card.items if tuning.tunable(i)]
    org.answers = {e: {} for e in EVALUATORS}
    for call_id in org.ids:
        result = automatic[call_id]
        assert result is not None
        heard = {a.item: a.answer for a in result.answers}
        for e in EVALUATORS:
            org.answers[e][call_id] = {
                i.id: flip if rng.random() < FLIP else planted
                for i in items if heard[i.id] in ("yes", "no")
                for planted in [standard(i.id, str(heard[i.id]), org.confidence[call_id])]
                for flip in ["no" if planted == "yes" else "yes"]}
    sparse = set(org.ids[:train][:SPARSE_LABELS])
    with store.engine.begin() as conn:     # one transaction: the reviews are the same, written faster
        for call_id in org.ids[:train]:
            for item, answer in org.answers[org.labeller(call_id)][call_id].items():
                if item != SPARSE_ITEM or call_id in sparse:
                    review_item(store, call_id, card.name, item, answer, comment=None,
                                reviewer=org.labeller(call_id), conn=conn)
    return org


def machine(store: Store, card: Scorecard) -> dict[str, dict[str, str]]:
    """The stored automatic yes/no answers per call."""
    return {r["call_id"]: {a.item: str(a.answer) for a in r["automatic"].answers if a.answer in ("yes", "no")}
            for r in latest_scores(store, card.name)}


def agreement(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]], calls: list[str],
              item: str | None = None) -> float:
    pairs = [(a[c][i], b[c][i]) for c in calls for i in a[c] if i in b[c] and (item is None or i == item)]
    return sum(x == y for x, y in pairs) / len(pairs)


def machine_vs_evaluators(org: Org, item: str | None = None) -> float:
    found = machine(org.store, org.card)
    return float(np.mean([agreement(found, org.answers[e], org.held_out, item) for e in EVALUATORS]))


def evaluators_vs_each_other(org: Org, item: str | None = None) -> float:
    pairs = [(a, b) for k, a in enumerate(EVALUATORS) for b in EVALUATORS[k + 1:]]
    return float(np.mean([agreement(org.answers[a], org.answers[b], org.held_out, item) for a, b in pairs]))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    """The simulated organisation on SQLite: 200 training calls with one evaluator's answers stored, 60 held out."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('org') / 'heard.db'}")
    yield build_org(store)
    store.close()


@pytest.fixture(scope="module")
def proposal(org: Org) -> Tuning:
    """The tuning fitted on the 200 training calls, stored as a proposal."""
    return tuning.propose(org.store, org.card, org.ruleset, norms=queue_norms(org.store))


def item_report(report: dict[str, Any], item: str) -> dict[str, Any]:
    return next(e for e in report["items"] if e["item"] == item)


@pytest.mark.parametrize("expected", [{
    "heard": 0.41, "tuned": 0.915, "threshold": 0.849, "overall_heard": 0.889, "overall_tuned": 0.928}])
def test_tuning_learns_the_planted_standard_cross_validated(proposal: Tuning, expected: dict[str, float]) -> None:
    report = proposal.report
    ack = item_report(report, "early_acknowledgement")
    assert (report["calls"], ack["labels"], ack["head"]) == (TRAIN, TRAIN, "threshold")
    assert ack["heard"]["agreement"] == pytest.approx(expected["heard"], abs=0.02)
    assert ack["tuned"]["agreement"] == pytest.approx(expected["tuned"], abs=0.02)
    head = proposal.model["items"]["early_acknowledgement"]
    assert (head["feature"], head["direction"]) == ("confidence", ">=")
    assert head["threshold"] == pytest.approx(expected["threshold"], abs=0.02)   # the planted 0.85
    # Items where the organisation agrees with heard keep heard's default.
    assert proposal.tuned_items == ["early_acknowledgement"]
    assert report["overall"]["heard"]["agreement"] == pytest.approx(expected["overall_heard"], abs=0.02)
    assert report["overall"]["tuned"]["agreement"] == pytest.approx(expected["overall_tuned"], abs=0.02)
    assert report["overall"]["tuned"]["kappa"] > report["overall"]["heard"]["kappa"]


def test_tuning_item_with_too_few_labels_keeps_default(proposal: Tuning) -> None:
    sparse = item_report(proposal.report, SPARSE_ITEM)
    assert (sparse["labels"], sparse["head"], sparse["candidates"]) == (SPARSE_LABELS, None, {})
    assert sparse["note"].startswith("too few labels (20 < 30)")
    assert sparse["tuned"] == sparse["heard"] and SPARSE_ITEM not in proposal.model["items"]


@pytest.mark.parametrize("expected", [{
    "before": 0.888, "after": 0.919, "evaluators": 0.851,
    "ack_before": 0.500, "ack_after": 0.928, "ack_evaluators": 0.856}])
def test_tuning_held_out_agreement_reaches_the_evaluators(org: Org, proposal: Tuning,
                                                         expected: dict[str, float]) -> None:
    """Accept the tuning, re-score: on the 60 held-out calls the machine agrees with the evaluators at least as
    well as they agree with each other. (The only test that changes the module's store; the others read
    heard's own answers, which a tuning never changes.)"""
    before = machine_vs_evaluators(org), machine_vs_evaluators(org, "early_acknowledgement")
    tuning.accept(org.store, proposal.id)
    assert all(s.result is not None for s in score_stored(org.store, org.card, org.ruleset))
    after = machine_vs_evaluators(org), machine_vs_evaluators(org, "early_acknowledgement")
    evaluators = evaluators_vs_each_other(org), evaluators_vs_each_other(org, "early_acknowledgement")
    measured = dict(zip(expected, [before[0], after[0], evaluators[0], before[1], after[1], evaluators[1]],
                        strict=True))
    assert measured == pytest.approx(expected, abs=0.02)
    assert after[0] > before[0] and after[1] > before[1]
    assert after[0] >= evaluators[0] and after[1] >= evaluators[1]
    with org.store.engine.connect() as conn:
        assert set(conn.execute(select(scores.c.tuning_id)).scalars()) == {proposal.id}


# --- accept / list / restore / off, on SQLite and PostgreSQL ----------------------------------------------------


@pytest.fixture
def small_org(db_url: str) -> Iterator[Org]:
    """40 calls, every one with an evaluator's answers."""
    store = Store.open(db_url)
    yield build_org(store, calls=40, train=40)
    store.close()


def tuning_ids(store: Store) -> set[int | None]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(scores.c.tuning_id)).scalars())


def acknowledgement(store: Store, card: Scorecard) -> dict[str, tuple[Any, str]]:
    """Each call's automatic early-acknowledgement answer and why."""
    return {r["call_id"]: next((a.answer, a.why) for a in r["automatic"].answers if a.item == "early_acknowledgement")
            for r in latest_scores(store, card.name)}


def rescore(org: Org) -> None:
    assert all(s.result is not None for s in score_stored(org.store, org.card, org.ruleset))


def test_tuning_accept_list_restore_off_round_trip(small_org: Org) -> None:
    org, store, name = small_org, small_org.store, small_org.card.name
    norms = queue_norms(store)
    default = acknowledgement(store, org.card)
    reviews = {r["call_id"]: r["review"] for r in latest_scores(store, name)}
    first = tuning.propose(store, org.card, org.ruleset, norms=norms, created_by="qa.lee")
    assert first.tuned_items == ["early_acknowledgement"] and first.created_by == "qa.lee"
    rescore(org)
    assert tuning_ids(store) == {None}          # a proposal changes nothing

    tuning.accept(store, first.id)
    rescore(org)
    assert tuning_ids(store) == {first.id}
    tuned = acknowledgement(store, org.card)
    changed = [c for c in tuned if tuned[c][0] != default[c][0]]
    assert changed and all(default[c][0] == "yes" and tuned[c][0] == "no" for c in changed)
    assert all(why.startswith("tuned: confidence ") and f"(tuning {first.id}); heard's own answer" in why
               for answer, why in tuned.values() if answer in ("yes", "no"))
    after = latest_scores(store, name)
    assert {r["call_id"]: r["review"] for r in after} == reviews           # evaluators' answers are kept
    assert all(r["tuning_id"] == first.id for r in after)
    for r in after:
        final = {a.item: a for a in r["final"].answers}
        assert all(final[item].answer == given["answer"] and final[item].by == "evaluator"
                   for item, given in r["review"].items())

    # The next fit learns from heard's own answers, not from the tuned ones now stored.
    second = tuning.propose(store, org.card, org.ruleset, norms=norms, seed=1)
    assert item_report(second.report, "early_acknowledgement")["heard"] == \
        item_report(first.report, "early_acknowledgement")["heard"]
    tuning.accept(store, second.id)
    assert [(t.id, t.state) for t in tuning.list_tunings(store, name)] == [(second.id, "active"), (first.id, "retired")]
    with pytest.raises(TuningError, match="already active"):
        tuning.accept(store, second.id)
    third = tuning.propose(store, org.card, org.ruleset, norms=norms)
    with pytest.raises(TuningError, match=f"tuning {third.id} is proposed, not retired"):
        tuning.restore(store, third.id)
    with pytest.raises(TuningError, match="no tuning 999"):
        tuning.accept(store, 999)

    restored = tuning.restore(store, first.id)
    assert restored.state == "active" and tuning.get(store, second.id).state == "retired"
    active = tuning.active(store, name)
    assert active is not None and active.id == first.id

    was = tuning.off(store, name)
    assert was is not None and was.id == first.id and tuning.get(store, first.id).state == "retired"
    assert tuning.active(store, name) is None and tuning.off(store, name) is None
    rescore(org)
    assert tuning_ids(store) == {None}
    assert {c: a for c, (a, _) in acknowledgement(store, org.card).items()} == {c: a for c, (a, _) in default.items()}


# --- applying a head ------------------------------------------------------------------------------------------


def acknowledged_call() -> tuple[Call, CallAnalysis]:
    call = Call(id="ack", queue="billing", turns=[
        Turn(speaker=A, start=0.0, end=3.0, text=DISCLOSURE),
        Turn(speaker=C, start=3.5, end=9.0, text=PROBLEMS[0]),
        Turn(speaker=A, start=9.5, end=13.0, text=ACKNOWLEDGE[0] + " " + VERIFY),
        Turn(speaker=C, start=13.5, end=15.0, text="Okay."),
        Turn(speaker=A, start=15.5, end=19.0, text=FIX)])
    analysis = analyse(call)
    assert ack_confidence(analysis) is not None
    return call, analysis


def threshold_tuning(card: Scorecard, ruleset: RuleSet, item_id: str = "early_acknowledgement") -> Tuning:
    """An active tuning with one threshold head, fitted (as it were) on this card and rule set."""
    from datetime import UTC, datetime

    item = card.item(item_id)
    assert item is not None
    head = {"head": "threshold", "feature": "confidence", "direction": ">=", "threshold": 0.85,
            "source": tuning.source_digest(item, ruleset)}
    return Tuning(id=5, scorecard=card.name, state="active", created_at=datetime.now(UTC), created_by=None,
                  activated_at=None, model={"items": {item_id: head}}, report={})


@pytest.mark.parametrize(("confidence", "answer", "why"), [
    (0.7, "no", "tuned: confidence 0.70 < 0.85 (tuning 5); heard's own answer yes"),
    (0.9, "yes", "tuned: confidence 0.90 >= 0.85 (tuning 5); heard's own answer yes")])
def test_tuning_head_answers_and_says_why(confidence: float, answer: str, why: str) -> None:
    from heard.scorecards.conditions import Facts
    from heard.scorecards.scoring import answer_automatically

    card, ruleset = definition.load(), rules.load()
    prepared = tuning.prepare(threshold_tuning(card, ruleset), card, ruleset)
    assert prepared is not None
    call, analysis = acknowledged_call()
    facts = Facts(call, plant(analysis, confidence), norms={"billing": 20.0})
    heard = answer_automatically(card, facts, ruleset)
    found = {a.item: a for a in prepared.apply(card, facts, ruleset, heard)}
    assert (found["early_acknowledgement"].answer, found["early_acknowledgement"].fraction) == \
        (answer, 1.0 if answer == "yes" else 0.0)
    assert found["early_acknowledgement"].why.startswith(why)
    assert [a for a in heard if a.item != "early_acknowledgement"] == \
        [a for a in found.values() if a.item != "early_acknowledgement"]


def _edited_source(card: Scorecard, ruleset: RuleSet) -> tuple[Scorecard, RuleSet]:
    data = card.model_dump(mode="json", by_alias=True, exclude_none=True)
    for section in data["sections"]:
        for item in section["items"]:
            if item["id"] == "early_acknowledgement":
                item["source"] = {"when": {"behaviour": "acknowledge_emotion"}}
    return Scorecard.model_validate(data), ruleset


def _edited_rule(card: Scorecard, ruleset: RuleSet) -> tuple[Scorecard, RuleSet]:
    own = {"name": "identity_verification", "when": {"phrase": {"any": ["date of birth"]}}}
    return card, RuleSet.model_validate({"rules": [
        own if r.name == own["name"] else r.model_dump(mode="json", by_alias=True, exclude_none=True)
        for r in ruleset.rules]})


@pytest.mark.parametrize(("item_id", "edit"), [("early_acknowledgement", _edited_source),
                                               ("identity_verification", _edited_rule)])
def test_tuning_head_is_dropped_when_the_item_changed(item_id: str, edit: Any) -> None:
    """A head learnt for one meaning of an item is not applied to another: heard's default answers it."""
    card, ruleset = definition.load(), rules.load()
    tuned = threshold_tuning(card, ruleset, item_id)
    assert tuning.prepare(tuned, card, ruleset) is not None
    assert tuning.prepare(tuned, *edit(card, ruleset)) is None


# --- fitting, from hand-made labels ------------------------------------------------------------------------------


def labels(item: str, n: int, rule: Any, seed: int = 3) -> list[Example]:
    """n labels of one item: features drawn at random, the evaluator's answer from `rule(confidence, robotic)`."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        confidence, robotic = round(rng.uniform(0.3, 1.0), 3), float(rng.random() < 0.4)
        heard = 0.0 if item == "no_robotic_empathy" and robotic else 1.0
        if item == "no_robotic_empathy":
            confidence = confidence if robotic else 0.0
        out.append(Example(f"c{k:03d}", item, (heard, confidence, 3.0, 0.5, robotic),
                           "yes" if rule(confidence, robotic) else "no"))
    return out


@pytest.mark.parametrize(("item", "rule", "head", "expected"), [
    # A flag counts against the agent only when heard is sure of it: "yes" below a confidence.
    ("no_robotic_empathy", lambda c, r: not r or c < 0.8, "threshold", {"direction": "<", "threshold": 0.8}),
    # Two of heard's outputs together: only the logistic head can follow it.
    ("explain_why", lambda c, r: c - 0.3 * r >= 0.6, "logistic", {"features": ["confidence", "robotic"]})])
def test_tuning_fit_chooses_the_simplest_head_that_helps(item: str, rule: Any, head: str,
                                                         expected: dict[str, Any]) -> None:
    card, ruleset = definition.load(), rules.load()
    model, report = tuning.fit(card, ruleset, labels(item, 120, rule))
    entry = item_report(report, item)
    assert entry["head"] == head and entry["tuned"]["agreement"] >= entry["heard"]["agreement"] + tuning.MIN_GAIN
    fitted = model["items"][item]
    for key, value in expected.items():
        assert fitted[key] == (pytest.approx(value, abs=0.03) if isinstance(value, float) else value)
    assert tuning.fit(card, ruleset, labels(item, 120, rule)) == (model, report)    # deterministic


@pytest.mark.parametrize(("n", "note"), [(29, "too few labels (29 < 30)"), (40, "too few of one answer (3 < 5 no)")])
def test_tuning_fit_keeps_default_without_enough_labels(n: int, note: str) -> None:
    card, ruleset = definition.load(), rules.load()
    examples = labels("explain_why", n, lambda c, r: c >= 0.5)
    if n == 40:     # all yes but three
        examples = [Example(e.call_id, e.item, e.features, "no" if k < 3 else "yes") for k, e in enumerate(examples)]
    model, report = tuning.fit(card, ruleset, examples)
    assert model["items"] == {} and item_report(report, "explain_why")["note"].startswith(note)


# --- the CLI ------------------------------------------------------------------------------------------------


def heard(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout + result.stderr


def test_tune_cli_propose_accept_list_restore_off(tmp_path: Path) -> None:
    db = tmp_path / "heard.db"
    with Store.open(f"sqlite:///{db}") as store:
        build_org(store, calls=40, train=40)
    code, out = heard(db, "tune", "--json", "--by", "qa.lee")
    proposal = json.loads(out)
    assert code == 0 and proposal["state"] == "proposed" and proposal["tuned_items"] == ["early_acknowledgement"]
    code, out = heard(db, "tune", "--folds", "4")
    assert code == 0 and "early_acknowledgement" in out and "heard tune accept 2" in out
    code, out = heard(db, "tune", "list")
    assert code == 0 and "proposed" in out and "2 tuning(s)." in out
    code, out = heard(db, "tune", "accept", str(proposal["id"]), "--rescore")
    assert code == 0 and "Tuning 1 is now active" in out and "40 call(s) re-scored" in out
    with Store.open(f"sqlite:///{db}") as store:
        assert tuning_ids(store) == {1}
    code, out = heard(db, "tune", "off")
    assert code == 0 and "Tuning 1 retired" in out and "heard score" in out
    code, out = heard(db, "tune", "restore", "1")
    assert code == 0 and "Tuning 1 is active again" in out
    code, out = heard(db, "tune", "list", "--json")
    assert [json.loads(line)["state"] for line in out.splitlines()] == ["proposed", "active"]
    code, out = heard(db, "tune", "accept", "999")
    assert code == 2 and "no tuning 999" in out
