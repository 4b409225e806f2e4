"""How far raters agree: Krippendorff's alpha (krippendorff), Fleiss' and Cohen's kappa (statsmodels), exact
agreement and agreement within one point, and each rater's deviation from an expert and from the others.

A rater is anyone who answers: an evaluator, an expert, or heard itself (its automatic answers are one more
rater, with the same statistics). A unit is one thing rated (a call's item, an utterance). Ratings are given as
rater -> unit -> value; "na" and None are "not rated". yes/no answers are nominal; scale and points answers are
ordinal (Cohen's kappa is then linearly weighted). Statistics that a sample cannot support (one category only, a
single rater) are None, never a made-up number.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from statistics import median
from typing import Any, Literal

import krippendorff
import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa  # type: ignore[import-untyped]

Level = Literal["nominal", "ordinal"]
Value = str | float
Ratings = Mapping[str, Mapping[Any, Any]]   # rater -> unit -> value


@dataclass(frozen=True)
class Deviation:
    """One rater against a reference (the expert, or the consensus of the other raters)."""

    units: int                      # units both rated
    agreement: float | None         # share of those units with the same answer
    leniency: float | None          # mean (rater - reference) on the answer scale: > 0 more lenient


@dataclass
class Agreement:
    level: Level
    units: int                                      # units with at least two ratings
    raters: list[str]
    alpha: float | None
    fleiss: float | None                            # over the units every rater rated
    exact: float | None                             # mean pairwise exact agreement
    within_one: float | None                        # ordinal only: mean pairwise |a - b| <= 1
    cohen: dict[tuple[str, str], float | None] = field(default_factory=dict)
    to_expert: dict[str, Deviation] = field(default_factory=dict)
    to_consensus: dict[str, Deviation] = field(default_factory=dict)

    @property
    def strictest(self) -> str | None:
        ranked = [(d.leniency, r) for r, d in self.to_consensus.items() if d.leniency is not None]
        return min(ranked)[1] if ranked else None

    @property
    def most_lenient(self) -> str | None:
        ranked = [(d.leniency, r) for r, d in self.to_consensus.items() if d.leniency is not None]
        return max(ranked)[1] if ranked else None

    def public(self) -> dict[str, Any]:
        def dev(d: Deviation) -> dict[str, Any]:
            return {"units": d.units, "agreement": _r(d.agreement), "leniency": _r(d.leniency)}

        return {"level": self.level, "units": self.units, "raters": self.raters, "alpha": _r(self.alpha),
                "fleiss": _r(self.fleiss), "exact": _r(self.exact), "within_one": _r(self.within_one),
                "cohen": {f"{a}|{b}": _r(k) for (a, b), k in self.cohen.items()},
                "to_expert": {r: dev(d) for r, d in self.to_expert.items()},
                "to_consensus": {r: dev(d) for r, d in self.to_consensus.items()},
                "strictest": self.strictest, "most_lenient": self.most_lenient}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _clean(value: Any) -> Value | None:
    if value is None or value == "na":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    return str(value)


def numeric(value: Value) -> float:
    """A value on a number line: yes = 1, no = 0, numbers as they are (for leniency and within-one)."""
    if isinstance(value, float):
        return value
    return {"yes": 1.0, "no": 0.0}.get(value.lower(), math.nan)


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def measure(ratings: Ratings, level: Level = "nominal", *, expert: str | None = None) -> Agreement:
    """Every statistic for these ratings. `expert` names the rater whose answers are the reference."""
    clean = {r: {u: v for u, v in ((u, _clean(v)) for u, v in units.items()) if v is not None}
             for r, units in ratings.items()}
    raters = sorted(clean)
    units = sorted({u for given in clean.values() for u in given}, key=str)
    shared = [u for u in units if sum(u in clean[r] for r in raters) >= 2]
    categories = sorted({v for given in clean.values() for v in given.values()}, key=lambda v: (str(type(v)), v))
    index = {v: i for i, v in enumerate(categories)}
    result = Agreement(level, len(shared), raters, None, None, None, None)
    if len(raters) < 2 or not shared:
        return result
    # Krippendorff's alpha: raters x units, NaN where not rated; ordinal works on the category ranks.
    matrix = np.array([[index[clean[r][u]] if u in clean[r] else np.nan for u in shared] for r in raters], float)
    if len(categories) > 1:
        try:
            result.alpha = _finite(float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level,
                                                            value_domain=list(range(len(categories))))))
        except (ValueError, ZeroDivisionError):
            result.alpha = None
    # Fleiss' kappa: the units every rater rated, as counts per category.
    complete = [u for u in shared if all(u in clean[r] for r in raters)]
    if complete and len(categories) > 1:
        table = np.zeros((len(complete), len(categories)))
        for i, u in enumerate(complete):
            for r in raters:
                table[i, index[clean[r][u]]] += 1
        result.fleiss = _finite(float(fleiss_kappa(table, method="fleiss")))
    # Pairwise: exact agreement, within one point, Cohen's kappa (linearly weighted when ordinal).
    same: list[float] = []
    near: list[float] = []
    for a, b in combinations(raters, 2):
        both = [u for u in shared if u in clean[a] and u in clean[b]]
        if not both:
            continue
        same += [float(clean[a][u] == clean[b][u]) for u in both]
        if level == "ordinal":
            near += [float(abs(numeric(clean[a][u]) - numeric(clean[b][u])) <= 1) for u in both]
        result.cohen[(a, b)] = _cohen([clean[a][u] for u in both], [clean[b][u] for u in both], index, level)
    result.exact = sum(same) / len(same) if same else None
    result.within_one = sum(near) / len(near) if near else None
    if expert is not None and expert in clean:
        result.to_expert = {r: _deviation(clean[r], clean[expert]) for r in raters if r != expert}
    for r in raters:
        others = [o for o in raters if o != r and o != expert] or [o for o in raters if o != r]
        result.to_consensus[r] = _deviation(clean[r], consensus({o: clean[o] for o in others}, level))
    return result


def consensus(ratings: Mapping[str, Mapping[Any, Value]], level: Level) -> dict[Any, Value]:
    """Per unit, the most common answer (nominal; ties broken by the smaller value) or the median (ordinal)."""
    by_unit: dict[Any, list[Value]] = {}
    for given in ratings.values():
        for u, v in given.items():
            by_unit.setdefault(u, []).append(v)
    out: dict[Any, Value] = {}
    for u, values in by_unit.items():
        if level == "ordinal" and all(isinstance(v, float) for v in values):
            out[u] = float(median(values))  # type: ignore[type-var]
        else:
            counts = Counter(values)
            top = max(counts.values())
            out[u] = sorted((v for v in counts if counts[v] == top), key=str)[0]
    return out


def _deviation(mine: Mapping[Any, Value], reference: Mapping[Any, Value]) -> Deviation:
    both = [u for u in mine if u in reference]
    if not both:
        return Deviation(0, None, None)
    agree = sum(mine[u] == reference[u] for u in both) / len(both)
    diffs = [numeric(mine[u]) - numeric(reference[u]) for u in both]
    finite = [d for d in diffs if math.isfinite(d)]
    return Deviation(len(both), agree, sum(finite) / len(finite) if finite else None)


def _cohen(a: list[Value], b: list[Value], index: dict[Value, int], level: Level) -> float | None:
    used = sorted({index[v] for v in a + b})
    if len(used) < 2:
        return None
    where = {c: i for i, c in enumerate(used)}
    table = np.zeros((len(used), len(used)))
    for x, y in zip(a, b, strict=True):
        table[where[index[x]], where[index[y]]] += 1
    kappa = cohens_kappa(table, wt="linear" if level == "ordinal" else None, return_results=False)
    return _finite(float(kappa))
