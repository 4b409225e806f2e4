"""Calls and outcomes with effects planted at known sizes, for checking that heard's insights find them.

Behaviour X (explain_why) raises first-contact resolution, CSAT and handle time by planted amounts; behaviour
Y (reassurance) does nothing. The queue confounds both: queues where resolution is easy are also where agents
explain and reassure most, so an unadjusted comparison credits both behaviours with the queue's ease. Agents
differ too (a random effect per agent), which is why intervals are clustered by agent.

The true effect of X is the average over the generated calls of the outcome with X minus the outcome without X,
with every random draw held fixed (the sample's average treatment effect), so it is exact, not approximate.
`write` puts the calls in a store through plain inserts (calls, turns, outcomes, analyses with their summary):
fast enough for a hundred thousand calls, and the same tables `heard insights` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import insert

from heard.empathy.lexicon import BEHAVIOURS
from heard.store import Store
from heard.store.schema import analyses, calls, outcomes, turns

X, Y = "explain_why", "reassurance"
QUEUES = ("billing", "tech", "sales")
BASE_LOGIT = np.array([-0.6, 0.3, 1.1])       # resolution is easiest in sales
PREVALENCE = np.array([0.25, 0.5, 0.75])      # ... where agents also explain and reassure most
X_LOGIT, X_CSAT, X_HANDLE = 0.7, 0.35, 0.12    # X: +0.7 on the log-odds of FCR, +0.35 CSAT points, +12% handle time
COMMENTS = ("She really listened and I felt heard.", "felt rushed off the phone tbh", "sounded like he was reading "
            "from a script", "very patient with me", "Fine.", "didnt feel like anyone listened")


@dataclass
class Planted:
    rows: pd.DataFrame
    truth: dict[str, float]     # outcome -> the true effect of X on the reported scale (points, CSAT points, %)


def generate(n: int, *, agents: int = 60, seed: int = 0) -> Planted:
    rng = np.random.default_rng(seed)
    agent_queue = np.arange(agents) % len(QUEUES)
    agent = rng.integers(0, agents, n)
    queue = agent_queue[agent]
    reason = queue * 2 + rng.integers(0, 2, n)
    skill = rng.normal(0, 0.5, agents)[agent]
    start = np.clip(rng.normal(-0.1, 0.35, n), -1, 1)
    n_turns = rng.integers(6, 30, n)
    x = (rng.random(n) < PREVALENCE[queue]).astype(float)
    y = (rng.random(n) < PREVALENCE[queue]).astype(float)
    others = {b: (rng.random(n) < 0.4).astype(float) for b in BEHAVIOURS if b not in (X, Y)}

    reason_shift = np.array([0.0, 0.2, 0.0, -0.2, 0.0, 0.15])[reason]
    lin = BASE_LOGIT[queue] + reason_shift + skill + 0.8 * start
    u = rng.random(n)

    def fcr(treated: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return (u < 1 / (1 + np.exp(-(lin + X_LOGIT * treated)))).astype(float)

    latent = 2.7 + 0.3 * queue + 0.3 * skill + 0.5 * start + rng.normal(0, 0.6, n)

    def csat(treated: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.clip(np.rint(latent + X_CSAT * treated), 1, 5)

    log_handle = np.log(240) - 0.25 * queue + 0.1 * skill + 0.02 * (n_turns - 18) + rng.normal(0, 0.35, n)
    handle = np.exp(log_handle + np.log1p(X_HANDLE) * x)
    ones, zeros = np.ones(n), np.zeros(n)
    truth = {"fcr": 100 * float((fcr(ones) - fcr(zeros)).mean()), "csat": float((csat(ones) - csat(zeros)).mean()),
             "handle_time": 100 * X_HANDLE}
    frame = pd.DataFrame({
        "call_id": [f"pl-{i:07d}" for i in range(n)], "agent_id": [f"agent-{a:03d}" for a in agent],
        "team": [QUEUES[q] for q in queue], "queue": [QUEUES[q] for q in queue],
        "reason": [f"{QUEUES[q]}-{r % 2}" for q, r in zip(queue, reason, strict=True)],
        "n_turns": n_turns.astype(float), "start_sentiment": start, "fcr": fcr(x), "csat": csat(x),
        "handle_time": np.round(handle, 1), f"b_{X}": x, f"b_{Y}": y,
        "comment": [COMMENTS[k] if k < len(COMMENTS) else None for k in rng.integers(0, 10 * len(COMMENTS), n)],
        **{f"b_{b}": v for b, v in others.items()},
    })
    return Planted(frame, truth)


def write(store: Store, planted: Planted, *, batch: int = 2000) -> None:
    """Insert the planted calls (two turns each, however long the call says it was), their outcomes, and an
    analysis per call whose summary carries the behaviours and the customer's starting sentiment."""
    rows = planted.rows
    now = datetime.now(UTC)
    first = datetime(2026, 1, 5, 8, tzinfo=UTC)
    for offset in range(0, len(rows), batch):
        part = rows.iloc[offset: offset + batch]
        call_rows, turn_rows, outcome_rows, analysis_rows = [], [], [], []
        for i, r in enumerate(part.itertuples(index=False), start=offset):
            found = sorted(b for b in BEHAVIOURS if getattr(r, f"b_{b}") == 1)
            call_rows.append({"id": r.call_id, "content_hash": f"planted-{r.call_id}", "agent_id": r.agent_id,
                              "team": r.team, "queue": r.queue, "reason": r.reason, "channel": "voice",
                              "started_at": first + timedelta(minutes=3 * i), "language": "en", "meta": {},
                              "speaker_mapping": None, "vendor_metrics": {}, "source_format": "planted",
                              "source_path": None, "n_turns": int(r.n_turns), "imported_at": now})
            turn_rows += [{"call_id": r.call_id, "idx": 0, "speaker": "customer", "speaker_id": None, "start": None,
                           "end": None, "text": "planted", "words": None},
                          {"call_id": r.call_id, "idx": 1, "speaker": "agent", "speaker_id": None, "start": None,
                           "end": None, "text": "planted", "words": None}]
            data = {"csat": int(r.csat), "fcr": bool(r.fcr), "handle_time": float(r.handle_time)}
            outcome_rows.append({"call_id": r.call_id, "updated_at": now,
                                 "data": data | ({"survey_comment": r.comment} if isinstance(r.comment, str) else {})})
            summary = {"behaviours": found, "robotic": 0, "escalations": 0, "opportunities": 0, "met": 0,
                       "duration": None, "customer_start": float(r.start_sentiment), "customer_end": None,
                       "recovery": None, "cues": 0, "handoffs": [], "heavy": [], "promises": []}
            analysis_rows.append({"call_id": r.call_id, "content_hash": f"planted-{r.call_id}",
                                  "analyser_key": "planted", "analysers": {"planted": 1}, "created_at": now,
                                  "summary": summary, "result": {
                                      "call_id": r.call_id, "content_hash": f"planted-{r.call_id}",
                                      "analysers": {"planted": 1}}})
        with store.engine.begin() as conn:
            conn.execute(insert(calls), call_rows)
            conn.execute(insert(turns), turn_rows)
            conn.execute(insert(outcomes), outcome_rows)
            conn.execute(insert(analyses), analysis_rows)
