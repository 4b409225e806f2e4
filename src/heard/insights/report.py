"""The insights report: every effect, empathy against efficiency, what survey comments say, and the notes that
keep it honest; built for a scope (all calls, or one team's), kept in the store, read by pages and coaching.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, func, insert, select, true

from heard.auth.accounts import Denied, User, UserRole
from heard.insights import comments as comment_themes
from heard.insights.dataset import OUTCOMES, Frame, InsightsSettings, load
from heard.insights.effects import (
    OUTCOME,
    Exposure,
    Outcome,
    all_effects,
    estimate,
    mark_fdr,
    top,
)
from heard.store import Store
from heard.store.schema import analyses, calls, insight_runs, outcomes, scores

LABELS = {o: OUTCOME[o].label for o in OUTCOMES}
ASSOCIATION = ("These are associations in this organisation's own calls, not proof of cause: agents who explain "
               "why may also differ in ways heard cannot see. Adjusting for queue, reason, the customer's starting "
               "sentiment and call length removes those differences only.")
STRONGER = ("To learn whether coaching a behaviour causes the change, run a rollout as an experiment: list the "
            "agents of the teams taking part, split them at random into two halves within each team (agents, not "
            "calls: an agent's calls are not independent), start a heard coaching plan on the chosen behaviour "
            "(heard coach AGENT --behaviour NAME) for one half only, and leave the other half's coaching as it was "
            "for six to eight weeks. Decide the behaviour and the outcome before you start. Then run heard insights "
            "on the weeks after the start with the half each agent was in as the comparison: the difference between "
            "the halves, clustered by agent, is the effect of the coaching.")


class InsightsError(Denied):
    """An insights request that cannot be met (who may see it, what scope)."""


class InsightsScope:
    """Which calls a report covers: every call, or one team's."""

    def __init__(self, team: str | None = None) -> None:
        self.team = team

    @classmethod
    def of(cls, user: User, team: str | None = None) -> InsightsScope:
        """Leads see their own team; QA and admins every call or any team; agents none (they see their own calls
        and coaching, not comparisons of others')."""
        if user.role is UserRole.AGENT:
            raise InsightsError("insights are for leads, QA and admins", hint="Your own calls are on your page.")
        if user.role is UserRole.LEAD:
            if not user.team or (team is not None and team != user.team):
                raise InsightsError(f"no team {team or ''} whose calls you can see".replace("  ", " "))
            return cls(user.team)
        return cls(team)

    @property
    def key(self) -> str:
        return f"team:{self.team}" if self.team else "all"

    @property
    def condition(self) -> ColumnElement[bool]:
        return calls.c.team == self.team if self.team else true()

    @property
    def words(self) -> str:
        return f"team {self.team}" if self.team else "every team"


def fingerprint(store: Store, scope: InsightsScope) -> str:
    """Changes whenever a call, analysis, outcome or score in scope changes: a kept report is current while
    this matches.

    A team's calls are counted, with the newest import among them (a call that moves to another team leaves
    one count lower); for every call, only the newest import is read (indexed): a stored call is only ever
    deleted when it is replaced, and its replacement is a newer import. Counting a million calls cost 380 ms.
    Analyses, outcomes and scores are read store-wide (the newest id or change, each an indexed read), so any
    change anywhere makes every kept report stale. Joining them to the scope's calls cost 400 ms on a million
    calls; a report rebuilt when nothing in its scope changed costs only that rebuild."""
    newest_call = select(func.count(), func.max(calls.c.imported_at)).where(scope.condition) if scope.team \
        else select(func.max(calls.c.imported_at))
    with store.engine.connect() as conn:
        parts = [
            conn.execute(newest_call).one(),
            conn.execute(select(func.max(analyses.c.id))).one(),
            conn.execute(select(func.max(outcomes.c.updated_at))).one(),
            conn.execute(select(func.max(scores.c.updated_at))).one(),
        ]
    return hashlib.sha256(repr([tuple(p) for p in parts]).encode()).hexdigest()


def _table(rows: pd.DataFrame, by: pd.Series, value: str, how: Callable[[pd.Series], float]) -> list[dict[str, Any]]:
    out = []
    for key, group in rows.groupby(by, observed=True):
        values = group[value].dropna()
        if len(values):
            out.append({"group": str(key), "n": len(values), "value": round(float(how(values)), 3)})
    return out


def efficiency(frame: Frame, settings: InsightsSettings) -> dict[str, Any]:
    """Handle time against how many empathy behaviours a call had, for heavy calls and the rest; handle time of
    heavy calls; the customer's sentiment recovery against CSAT."""
    handle, csat = OUTCOME["handle_time"], OUTCOME["csat"]
    count = Exposure("behaviour_count", "empathy behaviours per call", "", "continuous", 1.0,
                     "each extra empathy behaviour in a call")
    heavy = Exposure("heavy", "heavy calls", "heavy calls (a distressed or repeatedly frustrated customer)")
    recovery = Exposure("recovery", "the customer's sentiment recovery", "", "continuous", 0.5,
                        "each half point more of customer sentiment recovery (end minus start)")
    rows = frame.rows
    found = {"count_handle_time": estimate(frame, count, handle, settings),
             "heavy_handle_time": estimate(frame, heavy, handle, settings),
             "recovery_csat": estimate(frame, recovery, csat, settings)}
    for part, name in ((1.0, "heavy"), (0.0, "light")):
        found[f"count_handle_time_{name}"] = estimate(Frame(rows=rows.loc[rows["heavy"] == part]), count, handle,
                                                      settings)
    mark_fdr(list(found.values()), settings.fdr)
    results: dict[str, Any] = {k: e.as_dict() for k, e in found.items()}
    known = rows.loc[rows["handle_time"].notna() & rows["behaviour_count"].notna() & rows["heavy"].notna()]
    buckets = known["behaviour_count"].clip(upper=4).map(lambda v: "4+" if v >= 4 else str(int(v)))
    results["handle_by_count"] = {
        name: _table(known.loc[known["heavy"] == part], buckets[known["heavy"] == part], "handle_time", np.median)
        for part, name in ((1.0, "heavy"), (0.0, "light"))}
    graded = rows.loc[rows["recovery"].notna() & rows["csat"].notna()]
    bins = pd.cut(graded["recovery"], [-4, -0.25, 0.25, 4], labels=["worse", "about the same", "better"])
    results["csat_by_recovery"] = _table(graded, bins, "csat", np.mean)
    return results


def survey_comments(frame: Frame, limit: int = 10) -> dict[str, Any]:
    """Comments that mention feeling heard or not, listened to, rushed, scripted, patience or kindness, with the
    calls they belong to (at most `limit` shown per theme; every one counted)."""
    rows = frame.rows.loc[frame.rows["comment"].notna()] if "comment" in frame.rows else frame.rows.iloc[0:0]
    counts: dict[str, dict[str, Any]] = {}
    items: list[dict[str, Any]] = []
    csats: dict[str, list[float]] = {}
    for r in rows.itertuples(index=False):
        for m in comment_themes.mentions(str(r.comment)):
            entry = counts.setdefault(m.theme, {"label": comment_themes.THEMES[m.theme], "calls": 0})
            entry["calls"] += 1
            if not np.isnan(r.csat):
                csats.setdefault(m.theme, []).append(float(r.csat))
            if entry["calls"] <= limit:
                items.append({"call_id": r.call_id, "agent_id": str(r.agent_id), "theme": m.theme,
                              "csat": None if np.isnan(r.csat) else int(r.csat), "words": m.text,
                              "comment": str(r.comment)})
    for theme, entry in counts.items():
        values = csats.get(theme, [])
        entry["mean_csat"] = round(float(np.mean(values)), 2) if values else None
    return {"with_comment": len(rows), "themes": counts, "items": items, "limit": limit}


def build(store: Store, scope: InsightsScope | None = None, settings: InsightsSettings | None = None, *,
          scorecard: str | None = None) -> dict[str, Any]:
    """The whole report for a scope, as plain JSON-ready data."""
    scope = scope or InsightsScope()
    settings = settings or InsightsSettings()
    frame = load(store, scope.condition if scope.team else None, settings, scorecard=scorecard)
    rows = frame.rows
    effects = all_effects(frame, settings)
    tested = [e for e in effects if e.p is not None]
    survivors = [e for e in tested if e.survives]
    eff = efficiency(frame, settings)
    chance = len(tested) * 0.05
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scope": scope.key, "scope_words": scope.words,
        "calls": len(rows), "analysed": int(rows["analysed"].sum()) if len(rows) else 0,
        "agents": int(rows["agent_id"].nunique()) if len(rows) else 0,
        "scorecard": frame.scorecard, "sections": frame.sections,
        "outcomes": {o: {"label": LABELS[o], "known": int(rows[o].notna().sum()) if len(rows) else 0,
                         "imported": frame.imported.get(o, 0), "derived": frame.derived.get(o, 0)} for o in OUTCOMES},
        "censored": frame.censored,
        "settings": settings.model_dump(),
        "effects": [e.as_dict() for e in effects],
        "tested": len(tested), "survived": len(survivors),
        "top": [e.as_dict() for e in top(effects)],
        "efficiency": eff,
        "comments": survey_comments(frame),
        "notes": {
            "association": ASSOCIATION,
            "multiple": (f"{len(tested)} pairs of behaviour and outcome could be estimated. At a 95% level about "
                         f"{chance:.0f} of them would look like an effect by chance alone, so a single clear pair "
                         f"is weak evidence. {len(survivors)} survive a false-discovery-rate correction "
                         f"(Benjamini-Hochberg at {settings.fdr:.0%}) and are marked ★."),
            "stronger": STRONGER,
            "derived": _derived_note(frame),
        },
    }


def _derived_note(frame: Frame) -> str:
    parts = [f"{n:,} {LABELS[o]}" for o, n in frame.derived.items() if n]
    text = ("Derived by heard where no outcome was imported: " + ", ".join(parts) + " (repeat contact: the same "
            "customer again within the window; first-contact resolution: no repeat contact; escalation: a transfer, "
            "a supervisor or a manager request in the call; handle time: the call's length).") if parts else \
        "Every outcome shown was imported; heard derived none."
    if frame.censored:
        text += (f" {frame.censored:,} recent calls have no repeat-contact answer yet: their window has not "
                 f"closed.")
    return text


def save(store: Store, scope: InsightsScope, result: dict[str, Any], *, by: str | None, fp: str) -> int:
    with store.engine.begin() as conn:
        key = conn.execute(insert(insight_runs).values(scope=scope.key, fingerprint=fp, created_by=by,
                                                       created_at=datetime.now(UTC), result=result)
                           ).inserted_primary_key
    assert key is not None
    return int(key[0])


def latest(store: Store, scope: InsightsScope) -> tuple[int, str, dict[str, Any]] | None:
    """(id, fingerprint, result) of the newest kept report for the scope."""
    with store.engine.connect() as conn:
        row = conn.execute(select(insight_runs.c.id, insight_runs.c.fingerprint, insight_runs.c.result)
                           .where(insight_runs.c.scope == scope.key).order_by(insight_runs.c.id.desc())).first()
    return (row.id, row.fingerprint, row.result) if row else None


def current(store: Store, scope: InsightsScope, settings: InsightsSettings | None = None, *,
            by: str | None = None, refresh: bool = False) -> dict[str, Any]:
    """The kept report for the scope while the calls have not changed; otherwise a new one, kept."""
    fp = fingerprint(store, scope)
    kept = latest(store, scope)
    if kept is not None and kept[1] == fp and not refresh:
        return kept[2] | {"run": kept[0]}
    result = build(store, scope, settings)
    return result | {"run": save(store, scope, result, by=by, fp=fp)}


__all__ = ["InsightsError", "InsightsScope", "Outcome", "build", "current", "efficiency", "fingerprint", "latest",
           "save", "survey_comments"]
