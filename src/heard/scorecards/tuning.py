"""This organisation's own standard, learnt from its evaluators' answers (`heard tune`).

Evaluators' final answers on automatic yes/no items (a confirmation or an override, kept in `scores.review`
beside heard's answer) are labels. For every such item with enough of them, a small *head* is fitted on top
of heard's own outputs for that call and item, the features (always these five, in this order):

    heard              heard's own answer: 1 yes, 0 no
    confidence         the largest confidence among the findings the item's condition reads (the kinds and
                       labels it names, following `rule:` references); 0 when none was found. For an item whose
                       condition reads no findings (a phrase, a metric): the confidence of a yes, 0 for a no
    behaviours         how many behaviour findings the call has
    opportunities_met  the share of the customer's empathy opportunities that were met (0 when there were none)
    robotic            how many robotic-empathy flags the call has

Two heads compete, each judged by stratified k-fold cross-validation (deterministic seed) against heard's own
answer on the same labels:

    threshold  yes when `confidence` >= t (or < t, for an item like "no robotic empathy"); t and the direction
               are those that agree most with the evaluators on the training folds
    logistic   statsmodels' Logit on the five features (standardised; a ridge-penalised fit when the classes
               separate); yes when P(yes) >= a cut-off chosen on the training folds

Simplest first: the threshold head replaces heard's answer if its cross-validated agreement is higher by at
least MIN_GAIN, and the logistic head replaces whichever was chosen only if it is higher again by MIN_GAIN.
An item where no head does that (or with fewer than MIN_LABELS labels, or fewer than MIN_EACH of either answer)
keeps heard's default. The chosen head is then refitted on all the item's labels.

A tuning is stored as a proposal; accepting it makes it the scorecard's active tuning (the previous active one
is retired and kept), `restore` re-activates an earlier one, `off` goes back to heard's defaults. Scoring
(service.score_stored) applies the active tuning to the items whose source (condition, N/A condition and the
rules they use) is unchanged since the fit, says so in the item's `why`, and records the tuning in
`scores.tuning_id`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, insert, select, update

from heard.errors import HeardError
from heard.model import Finding
from heard.scorecards.conditions import Condition, Facts
from heard.scorecards.definition import Item, Scorecard
from heard.scorecards.rules import RuleSet
from heard.scorecards.scoring import ItemAnswer, answer_automatically, fraction
from heard.store import Store, aware
from heard.store.schema import scorecards, scores, tunings

FEATURES = ("heard", "confidence", "behaviours", "opportunities_met", "robotic")
MIN_LABELS = 30      # labels (heard's answer and the evaluator's both yes/no) an item needs to be tuned
MIN_EACH = 5         # ... with at least this many of each answer, so every fold sees both
MIN_GAIN = 0.02      # a head must beat the simpler answer's cross-validated agreement by this much
RIDGE = 0.05         # the penalty of the fallback logistic fit (per observation, on standardised features)
MODEL_VERSION = 1

Vector = npt.NDArray[np.float64]
Head = dict[str, Any]


class TuningError(HeardError):
    """A tuning cannot be fitted, found or changed as asked."""


@dataclass(frozen=True)
class Example:
    """One label: a call's automatic yes/no item, heard's features for it and the evaluator's final answer."""

    call_id: str
    item: str
    features: tuple[float, ...]
    answer: str        # the evaluator's: yes or no

    @property
    def heard(self) -> str:
        return "yes" if self.features[0] >= 0.5 else "no"


@dataclass(frozen=True)
class Tuning:
    id: int
    scorecard: str
    state: str
    created_at: datetime
    created_by: str | None
    activated_at: datetime | None
    model: dict[str, Any]
    report: dict[str, Any]

    @property
    def tuned_items(self) -> list[str]:
        return sorted(self.model.get("items", {}))


# --- features -----------------------------------------------------------------------------------------------


def tunable(item: Item) -> bool:
    """A yes/no item answered automatically from a condition or a rule."""
    return item.answer == "yes_no" and item.source is not None and \
        (item.source.when is not None or item.source.rule is not None)


def _rules_of(item: Item, ruleset: RuleSet) -> list[str]:
    """The rules an item's source and N/A condition use, with the rules those use, in the rule set's order."""
    wanted: set[str] = set()
    todo: list[str] = []
    source = item.source
    if source is not None:
        todo += [source.rule] if source.rule else []
        todo += sorted(source.when.rules()) if source.when is not None else []
    todo += sorted(item.na_when.rules()) if item.na_when is not None else []
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        rule = ruleset.get(name)
        if rule is not None:
            todo += sorted(rule.when.rules())
    return [r.name for r in ruleset.rules if r.name in wanted]


def _reads(cond: Condition, ruleset: RuleSet, seen: frozenset[str] = frozenset()) -> set[tuple[str, str | None]]:
    """(kind, label) of the findings a condition reads (label None: any), following rules."""
    out: set[tuple[str, str | None]] = set()
    for child in [*(cond.all_ or []), *(cond.any_ or []), *([cond.not_] if cond.not_ else [])]:
        out |= _reads(child, ruleset, seen)
    if cond.behaviour is not None:
        out.add(("behaviour", cond.behaviour))
    if cond.finding is not None:
        out.add((cond.finding.kind, cond.finding.label))
        if cond.finding.before is not None:
            out.add(("behaviour", cond.finding.before))
    if cond.rule is not None and cond.rule not in seen:
        rule = ruleset.get(cond.rule)
        if rule is not None:
            out |= _reads(rule.when, ruleset, seen | {cond.rule})
    return out


def reads(item: Item, ruleset: RuleSet) -> set[tuple[str, str | None]]:
    """(kind, label) of the findings an item's source reads."""
    source = item.source
    if source is None:
        return set()
    if source.when is not None:
        return _reads(source.when, ruleset)
    return _reads(Condition.model_validate({"rule": source.rule}), ruleset) if source.rule else set()


def source_digest(item: Item, ruleset: RuleSet) -> str:
    """What an item's automatic answer means: its source, its N/A condition and the digests of the rules used."""
    rules = {name: rule.digest for name in _rules_of(item, ruleset) if (rule := ruleset.get(name)) is not None}
    text = json.dumps({"source": item.source.model_dump(mode="json", by_alias=True, exclude_none=True)
                       if item.source else None,
                       "na_when": item.na_when.model_dump(mode="json", by_alias=True, exclude_none=True)
                       if item.na_when else None, "rules": rules}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_by(finding: Finding, read: set[tuple[str, str | None]]) -> bool:
    return any(finding.kind == kind and (label is None or finding.label == label) for kind, label in read)


def features(item: Item, facts: Facts, ruleset: RuleSet, answer: ItemAnswer,
             read: set[tuple[str, str | None]] | None = None) -> tuple[float, ...]:
    """The FEATURES of one call for one item, given heard's own (yes/no) answer to it."""
    read = reads(item, ruleset) if read is None else read
    found = facts.analysis.findings
    if read:
        confidence = max((f.confidence for f in found if _read_by(f, read)), default=0.0)
    else:
        confidence = (answer.confidence if answer.confidence is not None else 1.0) if answer.answer == "yes" else 0.0
    opportunities = [f for f in found if f.kind == "opportunity"]
    met = sum(f.label == "met" for f in opportunities) / len(opportunities) if opportunities else 0.0
    return (1.0 if answer.answer == "yes" else 0.0, round(float(confidence), 4),
            float(sum(f.kind == "behaviour" for f in found)), round(met, 4),
            float(sum(f.kind == "robotic" for f in found)))


# --- heads --------------------------------------------------------------------------------------------------


def _best_cut(v: Vector, y: Vector, directions: Sequence[str], prefer: float | None = None) -> tuple[str, float, float]:
    """(direction, cut, agreement) of the cut on v that agrees most with y (1 = yes); ties go to the cut nearest
    `prefer`, else to the first (">=" before "<", lowest cut first)."""
    values, inverse = np.unique(v, return_inverse=True)
    yes = np.bincount(inverse, weights=y, minlength=len(values))
    no = np.bincount(inverse, weights=1.0 - y, minlength=len(values))
    # Cut j lies below values[j]: j = 0 is below everything, j = len(values) above everything.
    cum_yes = np.concatenate(([0.0], np.cumsum(yes)))
    cum_no = np.concatenate(([0.0], np.cumsum(no)))
    cuts = np.concatenate(([values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]))
    best: tuple[float, float, str, float] | None = None
    for direction in directions:
        agree = cum_no + (yes.sum() - cum_yes) if direction == ">=" else cum_yes + (no.sum() - cum_no)
        for j in np.flatnonzero(agree >= agree.max() - 1e-9):
            distance = abs(float(cuts[j]) - prefer) if prefer is not None else 0.0
            if best is None or agree[j] > best[0] + 1e-9 or (abs(agree[j] - best[0]) <= 1e-9 and distance < best[1]):
                best = (float(agree[j]), distance, direction, float(cuts[j]))
    assert best is not None
    return best[2], round(best[3], 6), best[0] / len(y)


def _fit_threshold(x: Vector, y: Vector) -> Head:
    column = FEATURES.index("confidence")
    direction, cut, _ = _best_cut(x[:, column], y, (">=", "<"))
    return {"head": "threshold", "feature": "confidence", "direction": direction, "threshold": cut}


def _logit_params(design: Vector, y: Vector) -> tuple[Vector, str]:
    """Maximum-likelihood logistic coefficients, or ridge-penalised ones when the classes (nearly) separate."""
    import statsmodels.api as sm  # type: ignore[import-untyped]
    from statsmodels.tools.sm_exceptions import (  # type: ignore[import-untyped]
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            params = np.asarray(sm.Logit(y, design).fit(disp=0, maxiter=100).params, dtype=np.float64)
            if np.all(np.isfinite(params)) and np.abs(params).max() < 15:
                return params, "mle"
        except (PerfectSeparationError, PerfectSeparationWarning, ConvergenceWarning, HessianInversionWarning,
                RuntimeWarning, np.linalg.LinAlgError):
            pass
    alpha = np.full(design.shape[1], RIDGE)
    alpha[0] = 0.0     # the intercept is not penalised
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, design, family=sm.families.Binomial()).fit_regularized(alpha=alpha, L1_wt=0.0)
    return np.asarray(fit.params, dtype=np.float64), "ridge"


def _fit_logistic(x: Vector, y: Vector) -> Head:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    keep = scale > 1e-9              # a feature that never varies here carries nothing (and breaks the fit)
    names = [n for n, k in zip(FEATURES, keep, strict=True) if k]
    z = (x[:, keep] - mean[keep]) / scale[keep]
    design = np.column_stack([np.ones(len(y)), z])
    params, how = _logit_params(design, y)
    head: Head = {"head": "logistic", "fit": how, "features": names, "mean": [round(float(m), 6) for m in mean[keep]],
                  "scale": [round(float(s), 6) for s in scale[keep]], "intercept": round(float(params[0]), 6),
                  "coef": [round(float(c), 6) for c in params[1:]], "cutoff": 0.5}
    _, cutoff, _ = _best_cut(_probabilities(head, x), y, (">=",), prefer=0.5)
    head["cutoff"] = round(min(max(cutoff, 0.0), 1.0), 4)
    return head


def _probabilities(head: Head, x: Vector) -> Vector:
    columns = [FEATURES.index(n) for n in head["features"]]
    z = (x[:, columns] - np.array(head["mean"])) / np.array(head["scale"]) if columns else np.zeros((len(x), 0))
    logit = head["intercept"] + z @ np.array(head["coef"], dtype=np.float64)
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50))), dtype=np.float64)


def predict(head: Head, x: Vector) -> Vector:
    """1.0 where the head answers yes, for each row of features."""
    if head["head"] == "threshold":
        v = x[:, FEATURES.index(head["feature"])]
        yes = v >= head["threshold"] if head["direction"] == ">=" else v < head["threshold"]
    else:
        yes = _probabilities(head, x) >= head["cutoff"]
    return yes.astype(np.float64)


def _compare(value: float, sign: str, cut: float) -> str:
    """A comparison in words ("0.78 < 0.85"), with more digits where two decimals would make both look equal."""
    digits = next((d for d in (2, 3, 4) if f"{value:.{d}f}" != f"{cut:.{d}f}"), 6)
    return f"{value:.{digits}f} {sign} {cut:.{digits}f}"


def decide(head: Head, values: Sequence[float]) -> tuple[str, str, float | None]:
    """A head's answer for one call's features, the reason in words, and P(yes) for a logistic head."""
    x = np.array([values], dtype=np.float64)
    yes = bool(predict(head, x)[0])
    if head["head"] == "threshold":
        v = values[FEATURES.index(head["feature"])]
        holds = v >= head["threshold"] if head["direction"] == ">=" else v < head["threshold"]
        sign = head["direction"] if holds else ("<" if head["direction"] == ">=" else ">=")
        return ("yes" if yes else "no"), f"{head['feature']} {_compare(v, sign, head['threshold'])}", None
    p = float(_probabilities(head, x)[0])
    sign = ">=" if p >= head["cutoff"] else "<"
    return ("yes" if yes else "no"), f"P(yes)={_compare(p, sign, head['cutoff'])}", round(p, 4)


HEADS = {"threshold": _fit_threshold, "logistic": _fit_logistic}


# --- cross-validation and the report ------------------------------------------------------------------------


def stratified_folds(y: Vector, k: int, seed: int) -> list[npt.NDArray[np.int64]]:
    """k test folds, each with its share of yes and no; the same labels and seed give the same folds."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for cls in (1.0, 0.0):
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        for n, index in enumerate(members):
            folds[(offset + n) % k].append(int(index))
        offset += len(members)
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def kappa(a: Vector, b: Vector) -> float | None:
    """Cohen's kappa of two yes/no raters (statsmodels); None when it is undefined (both always said the same)."""
    from statsmodels.stats.inter_rater import cohens_kappa  # type: ignore[import-untyped]

    table = np.array([[np.sum((a == 1) & (b == 1)), np.sum((a == 1) & (b == 0))],
                      [np.sum((a == 0) & (b == 1)), np.sum((a == 0) & (b == 0))]], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(cohens_kappa(table, return_results=False))
    return round(value, 4) if np.isfinite(value) else None


def agreement(a: Vector, b: Vector) -> dict[str, float | None]:
    """Exact agreement and Cohen's kappa of two yes/no raters."""
    return {"agreement": round(float(np.mean(a == b)), 4) if len(a) else None, "kappa": kappa(a, b) if len(a) else None}


def cross_validate(name: str, x: Vector, y: Vector, folds: Sequence[npt.NDArray[np.int64]]) -> Vector:
    """Out-of-fold answers of a head: each fold answered by the head fitted on the other folds."""
    out = np.zeros(len(y))
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        out[test] = predict(HEADS[name](x[train], y[train]), x[test])
    return out


def fit(card: Scorecard, ruleset: RuleSet, examples: Sequence[Example], *, folds: int = 5, seed: int = 0,
        min_labels: int = MIN_LABELS) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model, report) from labels: per item the head chosen by cross-validation, or heard's default."""
    if folds < 2:
        raise TuningError(f"--folds {folds}: cross-validation needs at least 2 folds")
    by_item: dict[str, list[Example]] = {}
    for e in examples:
        by_item.setdefault(e.item, []).append(e)
    model: dict[str, Any] = {"version": MODEL_VERSION, "scorecard": card.name, "scorecard_digest": card.digest,
                             "features": list(FEATURES), "items": {}}
    items: list[dict[str, Any]] = []
    pooled_heard: list[Vector] = []
    pooled_tuned: list[Vector] = []
    pooled_y: list[Vector] = []
    for _, item in card.items:
        rows = sorted(by_item.get(item.id, []), key=lambda e: e.call_id)
        if not rows or not tunable(item):
            continue
        x = np.array([e.features for e in rows], dtype=np.float64)
        y = np.array([1.0 if e.answer == "yes" else 0.0 for e in rows])
        heard = x[:, 0]
        entry: dict[str, Any] = {"item": item.id, "labels": len(rows), "evaluators_yes": int(y.sum()),
                                 "heard_yes": int(heard.sum()), "heard": agreement(heard, y), "candidates": {},
                                 "head": None, "tuned": agreement(heard, y), "note": ""}
        chosen = heard
        fewest = int(min(y.sum(), len(y) - y.sum()))
        if len(rows) < min_labels:
            entry["note"] = f"too few labels ({len(rows)} < {min_labels}): heard's default kept"
        elif fewest < MIN_EACH:
            entry["note"] = (f"too few of one answer ({fewest} < {MIN_EACH} {'yes' if y.sum() < len(y) / 2 else 'no'}"
                             "): heard's default kept")
        else:
            splits = stratified_folds(y, min(folds, fewest), seed)
            answers = {name: cross_validate(name, x, y, splits) for name in HEADS}
            entry["candidates"] = {name: agreement(a, y) for name, a in answers.items()}
            # Simplest first: a head replaces the answer chosen so far only if it agrees more by MIN_GAIN.
            best, score = None, entry["heard"]["agreement"]
            for name in HEADS:
                if entry["candidates"][name]["agreement"] >= score + MIN_GAIN - 1e-9:
                    best, score = name, entry["candidates"][name]["agreement"]
            if best is not None:
                head = HEADS[best](x, y)
                head["source"] = source_digest(item, ruleset)
                model["items"][item.id] = head
                entry.update(head=best, tuned=entry["candidates"][best],
                             note=f"{best} head: {score - entry['heard']['agreement']:+.3f} agreement over heard's "
                                  "default")
                chosen = answers[best]
            else:
                top = max(entry["candidates"][n]["agreement"] for n in HEADS) - entry["heard"]["agreement"]
                entry["note"] = f"no head beat heard's default by {MIN_GAIN:g} (best {top:+.3f}): default kept"
        pooled_heard.append(heard)
        pooled_tuned.append(chosen)
        pooled_y.append(y)
        items.append(entry)
    y_all = np.concatenate(pooled_y) if pooled_y else np.zeros(0)
    report: dict[str, Any] = {
        "scorecard": card.name, "folds": folds, "seed": seed, "min_labels": min_labels, "min_each": MIN_EACH,
        "min_gain": MIN_GAIN, "calls": len({e.call_id for e in examples}), "labels": len(examples),
        "tuned_items": sorted(model["items"]), "items": items,
        "overall": {"heard": agreement(np.concatenate(pooled_heard), y_all) if pooled_y else agreement(y_all, y_all),
                    "tuned": agreement(np.concatenate(pooled_tuned), y_all) if pooled_y else agreement(y_all, y_all)}}
    return model, report


# --- labels from the store ----------------------------------------------------------------------------------


def _reviews(store: Store, scorecard: str) -> dict[str, dict[str, Any]]:
    """Each call's evaluator answers on a scorecard (any version): the newest score row that has a review."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(scores.c.call_id, scores.c.review).join(
            scorecards, scorecards.c.id == scores.c.scorecard_id).where(scorecards.c.name == scorecard)
            .order_by(scores.c.call_id, scores.c.updated_at.desc(), scores.c.id.desc())).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.call_id not in out and r.review:
            out[r.call_id] = dict(r.review)
    return out


def examples(store: Store, card: Scorecard, ruleset: RuleSet, norms: Mapping[str, float]) -> list[Example]:
    """The labels in the store: every automatic yes/no item where heard's answer (recomputed from the call's
    latest analysis, so an earlier tuning never feeds itself) and the evaluator's final answer are both yes/no.

    `norms` are the queue norms scoring uses (service.queue_norms)."""
    wanted = [item for _, item in card.items if tunable(item)]
    read = {item.id: reads(item, ruleset) for item in wanted}
    reviews = {c: r for c, r in _reviews(store, card.name).items()
               if any(str((r.get(i.id) or {}).get("answer")) in ("yes", "no") for i in wanted)}
    ids = sorted(reviews)
    out: list[Example] = []
    for offset in range(0, len(ids), 200):
        chunk = ids[offset: offset + 200]
        for call in store.iter_calls(chunk):
            analysis = store.latest_analysis(call.id)
            if analysis is None:
                continue
            facts = Facts(call, analysis, norms=dict(norms))
            answers = {a.item: a for a in answer_automatically(card, facts, ruleset)}
            for item in wanted:
                given = str((reviews[call.id].get(item.id) or {}).get("answer"))
                heard = answers[item.id]
                if given in ("yes", "no") and heard.answer in ("yes", "no"):
                    out.append(Example(call.id, item.id, features(item, facts, ruleset, heard, read[item.id]), given))
    return out


# --- stored tunings -----------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _tuning(row: Any) -> Tuning:
    return Tuning(id=row.id, scorecard=row.scorecard, state=row.state, created_at=aware(row.created_at),
                  created_by=row.created_by, activated_at=aware(row.activated_at) if row.activated_at else None,
                  model=dict(row.model), report=dict(row.report))


def propose(store: Store, card: Scorecard, ruleset: RuleSet, *, norms: Mapping[str, float], folds: int = 5,
            seed: int = 0, min_labels: int = MIN_LABELS, created_by: str | None = None) -> Tuning:
    """Fit a tuning of a scorecard from the evaluators' answers in the store and keep it as a proposal (not
    applied until accepted). `norms` are the queue norms scoring uses (service.queue_norms)."""
    found = examples(store, card, ruleset, norms)
    if not found:
        raise TuningError(f"no evaluator answers on the automatic yes/no items of scorecard {card.name} yet",
                          hint="Evaluators' confirmations and overrides are what heard tune learns from: review "
                               "calls first (heard review CALL ITEM ANSWER, or evaluations in the web app).")
    model, report = fit(card, ruleset, found, folds=folds, seed=seed, min_labels=min_labels)
    now = _now()
    with store.engine.begin() as conn:
        key = conn.execute(insert(tunings).values(scorecard=card.name, created_at=now, created_by=created_by,
                                                  model=model, report=report, state="proposed")).inserted_primary_key
    assert key is not None
    return get(store, int(key[0]))


def get(store: Store, tuning_id: int) -> Tuning:
    with store.engine.connect() as conn:
        row = conn.execute(select(tunings).where(tunings.c.id == tuning_id)).first()
    if row is None:
        raise TuningError(f"no tuning {tuning_id}", hint="List them with: heard tune list")
    return _tuning(row)


def list_tunings(store: Store, scorecard: str | None = None) -> list[Tuning]:
    """Stored tunings, newest first."""
    query = select(tunings).order_by(tunings.c.id.desc())
    if scorecard is not None:
        query = query.where(tunings.c.scorecard == scorecard)
    with store.engine.connect() as conn:
        return [_tuning(r) for r in conn.execute(query)]


def active(store: Store, scorecard: str) -> Tuning | None:
    """The scorecard's active tuning; None when it is scored with heard's defaults."""
    with store.engine.connect() as conn:
        row = conn.execute(select(tunings).where(and_(tunings.c.scorecard == scorecard, tunings.c.state == "active"))
                           .order_by(tunings.c.activated_at.desc(), tunings.c.id.desc())).first()
    return _tuning(row) if row is not None else None


def _activate(store: Store, tuning_id: int, allowed: str, hint: str) -> Tuning:
    with store.engine.begin() as conn:
        row = conn.execute(select(tunings).where(tunings.c.id == tuning_id).with_for_update()).first()
        if row is None:
            raise TuningError(f"no tuning {tuning_id}", hint="List them with: heard tune list")
        if row.state == "active":
            raise TuningError(f"tuning {tuning_id} is already active for scorecard {row.scorecard}")
        if row.state != allowed:
            raise TuningError(f"tuning {tuning_id} is {row.state}, not {allowed}", hint=hint)
        conn.execute(update(tunings).where(and_(tunings.c.scorecard == row.scorecard, tunings.c.state == "active"))
                     .values(state="retired"))
        conn.execute(update(tunings).where(tunings.c.id == tuning_id).values(state="active", activated_at=_now()))
    return get(store, tuning_id)


def accept(store: Store, tuning_id: int) -> Tuning:
    """Make a proposal the scorecard's active tuning; the one active before is retired (and kept)."""
    return _activate(store, tuning_id, "proposed", f"An earlier tuning comes back with: heard tune restore {tuning_id}")


def restore(store: Store, tuning_id: int) -> Tuning:
    """Make an earlier (retired) tuning active again; the one active before is retired."""
    return _activate(store, tuning_id, "retired", f"A proposal is applied with: heard tune accept {tuning_id}")


def off(store: Store, scorecard: str) -> Tuning | None:
    """Go back to heard's defaults for a scorecard: its active tuning is retired (and kept). Returns it, if any."""
    current = active(store, scorecard)
    if current is not None:
        with store.engine.begin() as conn:
            conn.execute(update(tunings).where(and_(tunings.c.scorecard == scorecard, tunings.c.state == "active"))
                         .values(state="retired"))
    return current


# --- applying a tuning when scoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An active tuning ready to answer the items of one scorecard definition (those whose source is unchanged)."""

    id: int
    heads: dict[str, Head]
    reads: dict[str, set[tuple[str, str | None]]]

    def apply(self, card: Scorecard, facts: Facts, ruleset: RuleSet, answers: list[ItemAnswer]) -> list[ItemAnswer]:
        """heard's automatic answers with each tuned item answered by its head (N/A and other items unchanged)."""
        out = []
        for a in answers:
            head = self.heads.get(a.item)
            item = card.item(a.item)
            if head is None or item is None or a.answer not in ("yes", "no"):
                out.append(a)
                continue
            values = features(item, facts, ruleset, a, self.reads[a.item])
            answer, why, p = decide(head, values)
            out.append(a.model_copy(update={
                "answer": answer, "fraction": fraction(item, answer),
                "confidence": p if p is not None else a.confidence,
                "why": f"tuned: {why} (tuning {self.id}); heard's own answer {a.answer}: {a.why}"}))
        return out


def prepare(tuning: Tuning, card: Scorecard, ruleset: RuleSet) -> Prepared | None:
    """The heads of a tuning that still fit this scorecard and rule set; None when none does."""
    heads = {}
    for item_id, head in tuning.model.get("items", {}).items():
        item = card.item(item_id)
        if item is not None and tunable(item) and head.get("source") == source_digest(item, ruleset):
            heads[item_id] = head
    if not heads:
        return None
    return Prepared(tuning.id, heads, {i: reads(item, ruleset) for i in heads if (item := card.item(i)) is not None})


def prepared_for(store: Store, card: Scorecard, ruleset: RuleSet) -> Prepared | None:
    """The scorecard's active tuning, prepared for scoring; None for heard's defaults."""
    current = active(store, card.name)
    return prepare(current, card, ruleset) if current is not None else None


__all__ = ["FEATURES", "MIN_EACH", "MIN_GAIN", "MIN_LABELS", "Example", "Prepared", "Tuning", "TuningError",
           "accept", "active", "agreement", "cross_validate", "decide", "examples", "features", "fit", "get",
           "kappa", "list_tunings", "off", "predict", "prepare", "prepared_for", "propose", "reads", "restore",
           "source_digest", "stratified_folds", "tunable"]
