"""How each behaviour relates to each outcome in this organisation's own calls, with honest uncertainty.

One model per (exposure, outcome) pair, suited to the outcome: logistic regression for yes/no outcomes (the
effect is the average difference in percentage points, statsmodels' average marginal effect), linear regression
for CSAT and NPS (points on their own scale), linear regression on the logarithm of handle time (a percentage).
Each model is adjusted for queue, call reason, the customer's starting sentiment and call length (not length
for handle time, which would adjust the outcome away), with standard errors clustered by agent: calls of one
agent are not independent. Intervals are 95% with a t distribution on (agents - 1) degrees of freedom, the usual
guard when there are few agents. The unadjusted estimate is kept beside it, so confounding shows.

Everything here is association in this data, not proof of cause; many pairs are tested at once, so each finding
also carries a Benjamini-Hochberg q-value and a mark when it survives the false-discovery rate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import statsmodels.api as sm  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]
from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]

from heard.empathy.lexicon import BEHAVIOURS
from heard.insights.dataset import Frame, InsightsSettings

Model = Literal["logistic", "linear", "log-linear"]


@dataclass(frozen=True)
class Exposure:
    column: str
    label: str             # "explaining why"
    calls_with: str        # "calls where the agent explained why"
    kind: Literal["binary", "continuous"] = "binary"
    per: float = 1.0       # a continuous exposure's effect is per this much of it
    per_words: str = ""    # "each 10 points more of the customer's empathy opportunities met"


@dataclass(frozen=True)
class Outcome:
    column: str
    label: str             # "first-contact resolution"
    model: Model
    unit: str              # "points", "points (1-5)", "%"
    higher_is_better: bool = True


DID = {"acknowledge_emotion": "acknowledged how the customer felt",
       "mirror_paraphrase": "restated what the customer said",
       "clarifying_question": "asked a clarifying question", "explain_why": "explained why",
       "summarise_goal": "summarised the customer's goal", "next_steps": "stated clear next steps",
       "reassurance": "reassured the customer", "confidence_check": "checked the concern was resolved"}
DOING = {"acknowledge_emotion": "acknowledging feelings", "mirror_paraphrase": "restating the customer's words",
         "clarifying_question": "asking a clarifying question", "explain_why": "explaining why",
         "summarise_goal": "summarising the goal", "next_steps": "clear next steps",
         "reassurance": "reassurance", "confidence_check": "checking it is resolved"}
OUTCOMES = (
    Outcome("csat", "CSAT", "linear", "points (1-5)"),
    Outcome("nps", "NPS rating", "linear", "points (0-10)"),
    Outcome("fcr", "first-contact resolution", "logistic", "points"),
    Outcome("repeat_contact", "repeat contacts", "logistic", "points", higher_is_better=False),
    Outcome("escalated", "escalations", "logistic", "points", higher_is_better=False),
    Outcome("churned", "churn", "logistic", "points", higher_is_better=False),
    Outcome("handle_time", "handle time", "log-linear", "%", higher_is_better=False),
)
OUTCOME = {o.column: o for o in OUTCOMES}


def exposures(frame: Frame) -> list[Exposure]:
    """Every behaviour, robotic flags, the share of empathy opportunities met, and the scorecard's sections."""
    out = [Exposure(f"b_{b}", DOING[b], f"calls where the agent {DID[b]}") for b in BEHAVIOURS]
    out.append(Exposure("robotic", "robotic empathy", "calls with a robotic-empathy flag"))
    out.append(Exposure("opp_rate", "empathy opportunities met", "", "continuous", 0.1,
                        "each 10 points more of the customer's empathy opportunities met"))
    for column, title in frame.sections.items():
        out.append(Exposure(column, f"{title} (section)", "", "continuous", 10.0,
                            f"each 10 points more on the scorecard's {title} section"))
    return [e for e in out if e.column in frame.rows]


@dataclass
class Effect:
    exposure: str
    exposure_label: str
    outcome: str
    outcome_label: str
    model: str
    unit: str
    n: int
    agents: int
    exposed: int | None = None          # binary exposures: calls with it
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    q: float | None = None              # Benjamini-Hochberg over every estimated pair
    clear: bool = False                 # the interval excludes zero
    survives: bool = False              # q below the false-discovery rate
    unadjusted: dict[str, float] | None = None
    adjusted_for: list[str] = field(default_factory=list)
    baseline: float | None = None       # the outcome without the exposure (rate, mean, or median seconds)
    derived: float = 0.0                # share of the calls whose outcome heard derived
    too_few: str | None = None
    sentence: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _design(x: np.ndarray[Any, Any], covariates: pd.DataFrame | None) -> np.ndarray[Any, Any]:
    """Intercept, the exposure, then the covariates, dropping any column that adds nothing (a reason that
    only ever occurs in one queue makes that queue's dummy redundant)."""
    cols = [np.ones_like(x), x]
    if covariates is not None and covariates.shape[1]:
        cols += [covariates.iloc[:, j].to_numpy(dtype=float) for j in range(covariates.shape[1])]
    design = np.column_stack(cols)
    scale = np.where(design.std(axis=0) > 0, design.std(axis=0), 1.0)
    r = np.linalg.qr(design / scale, mode="r")
    keep = np.abs(np.diag(r)) > 1e-8 * max(1.0, float(np.abs(np.diag(r)).max()))
    keep[:2] = True
    return design[:, keep]


def _covariates(rows: pd.DataFrame, outcome: Outcome) -> tuple[pd.DataFrame, list[str]]:
    parts: list[pd.DataFrame] = []
    names: list[str] = []
    for col, name in (("queue", "queue"), ("reason", "reason")):
        values = rows[col].astype(str)
        if values.nunique() > 1:
            parts.append(pd.get_dummies(values, prefix=col, drop_first=True, dtype=float))
            names.append(name)
    start = rows["start_sentiment"].astype(float)
    if start.notna().any() and start.std() > 0:
        # a call whose customer said nothing in its first quarter: sentiment taken as neutral, and marked
        parts.append(pd.DataFrame({"start_sentiment": start.fillna(0.0),
                                   "start_missing": start.isna().astype(float)}, index=rows.index))
        names.append("the customer's starting sentiment")
    if outcome.model != "log-linear" and rows["n_turns"].std() > 0:
        parts.append(np.log(rows[["n_turns"]].astype(float)).rename(columns={"n_turns": "log_turns"}))
        names.append("call length")
    return (pd.concat(parts, axis=1) if parts else pd.DataFrame(index=rows.index)), names


def _fit(y: np.ndarray[Any, Any], design: np.ndarray[Any, Any], groups: np.ndarray[Any, Any], outcome: Outcome,
         kind: str, per: float) -> tuple[float, float]:
    """(effect, standard error) of the exposure (column 1), clustered by agent, on the model's scale."""
    cov = {"groups": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if outcome.model == "logistic":
            result = sm.Logit(y, design).fit(disp=0, maxiter=200, cov_type="cluster", cov_kwds=cov)
            if not result.mle_retvals.get("converged", True):
                raise np.linalg.LinAlgError("the model did not converge")
            est, se = average_marginal_effect(result, design, binary=kind == "binary")
        else:
            result = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds=cov)
            est, se = float(result.params[1]), float(result.bse[1])
    if kind == "continuous":
        est, se = est * per, se * per
    if not (math.isfinite(est) and math.isfinite(se)) or se <= 0:
        raise np.linalg.LinAlgError("no usable standard error")
    return est, se


def average_marginal_effect(result: Any, design: np.ndarray[Any, Any], *, binary: bool) -> tuple[float, float]:
    """The average marginal effect of the exposure (column 1) of a fitted logistic model, and its delta-method
    standard error from the model's (clustered) covariance: what statsmodels' get_margeff(at="overall",
    dummy=binary) reports for that column, computed for the one column only. get_margeff differentiates every
    column's effect numerically through an array of calls x columns x columns (130 MB per fit at 100,000 calls
    and 9 columns, 2.5 GB at 40); this needs calls x columns. tests/test_insights.py checks the two agree."""
    model, beta, cov = result.model, np.asarray(result.params), np.asarray(result.cov_params())
    if binary:
        with_it, without = design.copy(), design.copy()
        with_it[:, 1], without[:, 1] = 1.0, 0.0
        z1, z0 = with_it @ beta, without @ beta
        effect = float(np.mean(model.cdf(z1) - model.cdf(z0)))
        gradient = (model.pdf(z1) @ with_it - model.pdf(z0) @ without) / len(design)
    else:
        z = design @ beta
        density, curve = model.pdf(z), model.cdf(z)
        effect = float(beta[1] * density.mean())
        gradient = beta[1] * ((density * (1 - 2 * curve)) @ design) / len(design)   # logistic f' = f (1 - 2F)
        gradient[1] += density.mean()
    return effect, float(np.sqrt(gradient @ cov @ gradient))


def _interval(est: float, se: float, agents: int, outcome: Outcome) -> tuple[float, float, float, float]:
    """(estimate, low, high, p) on the reported scale: percentage points, points, or percent for handle time."""
    df = max(1, agents - 1)
    t = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(est / se), df))
    low, high = est - t * se, est + t * se
    if outcome.model == "logistic":
        return 100 * est, 100 * low, 100 * high, p
    if outcome.model == "log-linear":
        return 100 * math.expm1(est), 100 * math.expm1(low), 100 * math.expm1(high), p
    return est, low, high, p


def estimate(frame: Frame, exposure: Exposure, outcome: Outcome, settings: InsightsSettings) -> Effect:
    """One exposure against one outcome: the adjusted and unadjusted effects with their intervals, or why there
    are too few calls to tell."""
    rows = frame.rows
    usable = rows[exposure.column].notna() & rows[outcome.column].notna() & (rows["analysed"] == 1)
    if outcome.model == "log-linear":
        usable &= rows[outcome.column] > 0
    data = rows.loc[usable]
    effect = Effect(exposure.column, exposure.label, outcome.column, outcome.label, outcome.model, outcome.unit,
                    n=len(data), agents=int(data["agent_id"].nunique()))
    if len(data):
        effect.derived = round(float(data[f"{outcome.column}_derived"].mean()), 3) \
            if f"{outcome.column}_derived" in data else 0.0
    x = data[exposure.column].to_numpy(dtype=float)
    y = data[outcome.column].to_numpy(dtype=float)
    if outcome.model == "log-linear":
        y = np.log(y)
    problem = None
    if effect.n < settings.min_calls:
        problem = f"{effect.n} calls with both known (need {settings.min_calls})"
    elif effect.agents < settings.min_agents:
        problem = f"the calls come from {effect.agents} agents (need {settings.min_agents})"
    elif exposure.kind == "binary":
        effect.exposed = int(x.sum())
        if min(effect.exposed, effect.n - effect.exposed) < settings.min_each_side:
            problem = (f"{effect.exposed} of {effect.n} calls with it (need {settings.min_each_side} with and "
                       f"{settings.min_each_side} without)")
    elif np.unique(x).size < 3:
        problem = "it hardly varies between calls"
    if problem is None and outcome.model == "logistic" and min(y.sum(), len(y) - y.sum()) < settings.min_each_side:
        problem = f"{int(y.sum())} of {len(y)} calls had {outcome.label} (need {settings.min_each_side} each way)"
    if problem is not None:
        effect.too_few = problem
        effect.sentence = f"Too few calls to tell how {exposure.label} relates to {outcome.label}: {problem}."
        return effect
    groups = pd.factorize(data["agent_id"].astype(str))[0]
    covariates, effect.adjusted_for = _covariates(data, outcome)
    unexposed = y[x == 0] if exposure.kind == "binary" else y
    effect.baseline = round(float(np.exp(np.median(unexposed)) if outcome.model == "log-linear"
                                  else unexposed.mean()), 4) if len(unexposed) else None
    try:
        est, se = _fit(y, _design(x, covariates), groups, outcome, exposure.kind, exposure.per)
        raw, raw_se = _fit(y, _design(x, None), groups, outcome, exposure.kind, exposure.per)
    except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
        effect.too_few = f"the model could not be estimated ({exc})"
        effect.sentence = f"Cannot tell how {exposure.label} relates to {outcome.label}: {effect.too_few}."
        return effect
    effect.estimate, effect.low, effect.high, effect.p = (round(v, 6) for v in
                                                          _interval(est, se, effect.agents, outcome))
    raw_est, raw_low, raw_high, _ = _interval(raw, raw_se, effect.agents, outcome)
    effect.unadjusted = {"estimate": round(raw_est, 6), "low": round(raw_low, 6), "high": round(raw_high, 6)}
    assert effect.low is not None and effect.high is not None
    effect.clear = effect.low > 0 or effect.high < 0
    effect.sentence = sentence(effect, exposure, outcome)
    return effect


def _fmt(value: float, outcome: Outcome) -> str:
    digits = 2 if outcome.model == "linear" else 0
    text = f"{abs(value):,.{digits}f}"
    return ("−" if value < 0 and float(text.replace(",", "")) != 0 else "") + text


def _ci(effect: Effect, outcome: Outcome) -> str:
    assert effect.low is not None and effect.high is not None
    pct = "%" if outcome.model == "log-linear" else ""
    return f"95% CI {_fmt(effect.low, outcome)}{pct} to {_fmt(effect.high, outcome)}{pct}"


def _size(value: float, outcome: Outcome) -> str:
    """'9 points higher first-contact resolution', '0.31 points higher CSAT', '12% longer handle time'."""
    up = value >= 0
    if outcome.model == "log-linear":
        return f"{_fmt(abs(value), outcome)}% {'longer' if up else 'shorter'} {outcome.label}"
    scale = " (1-5)" if outcome.column == "csat" else " (0-10)" if outcome.column == "nps" else ""
    return f"{_fmt(abs(value), outcome)} points {'higher' if up else 'lower'} {outcome.label}{scale}"


def sentence(effect: Effect, exposure: Exposure, outcome: Outcome) -> str:
    """A sentence a leader can read: what went with what, how sure, how many calls, adjusted for what."""
    assert effect.estimate is not None
    adjusted = ", adjusted for " + _join(effect.adjusted_for) if effect.adjusted_for else ", not adjusted"
    tail = f" ({_ci(effect, outcome)}), {effect.n:,} calls from {effect.agents} agents{adjusted}."
    if not effect.clear:
        return (f"No clear link between {exposure.label} and {outcome.label}: "
                f"{'+' if effect.estimate >= 0 else ''}{_fmt(effect.estimate, outcome)}"
                f"{'%' if outcome.model == 'log-linear' else ' points'}{tail}")
    if exposure.kind == "binary":
        lead = exposure.calls_with[0].upper() + exposure.calls_with[1:]
        return f"{lead} had {_size(effect.estimate, outcome)}{tail}"
    lead = exposure.per_words[0].upper() + exposure.per_words[1:]
    return f"{lead} went with {_size(effect.estimate, outcome)}{tail}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def all_effects(frame: Frame, settings: InsightsSettings | None = None,
                outcomes: Sequence[Outcome] = OUTCOMES) -> list[Effect]:
    """Every exposure against every outcome, with q-values over the pairs that could be estimated."""
    settings = settings or InsightsSettings()
    effects = [estimate(frame, e, o, settings) for o in outcomes for e in exposures(frame)]
    mark_fdr(effects, settings.fdr)
    return effects


def mark_fdr(effects: Sequence[Effect], rate: float) -> None:
    tested = [e for e in effects if e.p is not None]
    if not tested:
        return
    reject, q, _, _ = multipletests([e.p for e in tested], alpha=rate, method="fdr_bh")
    for e, r, qv in zip(tested, reject, q, strict=True):
        e.q, e.survives = round(float(qv), 6), bool(r) and e.clear


def top(effects: Sequence[Effect], k: int = 3) -> list[Effect]:
    """The findings with the strongest evidence: those surviving the false-discovery rate first, then by p."""
    ranked = sorted((e for e in effects if e.p is not None),
                    key=lambda e: (not e.survives, not e.clear, e.p, e.exposure, e.outcome))
    return ranked[:k]
