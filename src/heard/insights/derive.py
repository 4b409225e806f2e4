"""Outcomes that need no survey, for calls whose imported outcome rows do not give them:

- repeat contact: the same customer (a customer id in the call's metadata) called again within the window
  (the outcome row's repeat_window_days, else `[insights] repeat_window_days`). A call whose window has not
  closed yet (it ends after the newest stored call) stays unknown rather than counted as no repeat;
- first-contact resolution: no repeat contact within the window;
- escalation: the call was transferred or a supervisor brought in, or the customer asked for a manager (the
  handoff analyser);
- handle time: the call's length from its turn times (without hold before answer or wrap-up after).

Every derived value is marked: column `<outcome>_derived` is true where heard derived it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

DERIVED = ("repeat_contact", "fcr", "escalated", "handle_time")


def repeat_contacts(contacts: Iterable[tuple[str, str, datetime]], windows: dict[str, float],
                    until: datetime | None = None) -> tuple[dict[str, bool], int]:
    """For each call id in `windows` (id -> window in days): whether the same customer called again within the
    window (True/False), from every contact (customer, call id, start) given; calls whose window runs past the end
    of the data (`until`, by default the newest contact) are left out (unknown). Returns (decided, censored)."""
    by_customer: dict[str, list[tuple[datetime, str]]] = {}
    newest = until
    for customer, call_id, start in contacts:
        by_customer.setdefault(customer, []).append((start, call_id))
        if until is None:
            newest = start if newest is None or start > newest else newest
    decided: dict[str, bool] = {}
    censored = 0
    for history in by_customer.values():
        history.sort()
        for i, (start, call_id) in enumerate(history):
            if call_id not in windows:
                continue
            end = start + timedelta(days=windows[call_id])
            later = next((s for s, _ in history[i + 1:] if s > start), None)
            if later is not None and later <= end:
                decided[call_id] = True
            elif newest is not None and end <= newest:
                decided[call_id] = False
            else:
                censored += 1
    return decided, censored


def derive(rows: pd.DataFrame, contacts: Iterable[tuple[str, str, datetime]] | None = None,
           until: datetime | None = None) -> tuple[dict[str, int], int]:
    """Fill the outcomes no imported row gave, in place, marking each derived value; returns (derived count per
    outcome, calls whose repeat window has not closed). `contacts` are every stored call's (customer, id, start)
    when the rows hold only part of the store (a team's calls): a repeat contact may reach another team. `until`
    is when the data ends (the newest stored call's start; by default the newest of the rows)."""
    if rows.empty:
        for name in DERIVED:
            rows[f"{name}_derived"] = pd.Series(dtype=bool)
        return dict.fromkeys(DERIVED, 0), 0
    known = rows["customer"].notna() & rows["started_at"].notna()
    if contacts is None:
        contacts = zip(rows.loc[known, "customer"], rows.loc[known, "call_id"], rows.loc[known, "started_at"],
                       strict=True)
    missing = known & rows["repeat_contact"].isna()
    windows = dict(zip(rows.loc[missing, "call_id"], rows.loc[missing, "window_days"], strict=True))
    if until is None and rows["started_at"].notna().any():
        until = rows["started_at"].dropna().max()
    decided, censored = repeat_contacts(contacts, windows, until)
    filled = rows["call_id"].map(decided)
    mark = rows["repeat_contact"].isna() & filled.notna()
    rows.loc[mark, "repeat_contact"] = filled[mark].astype(float)
    rows["repeat_contact_derived"] = mark

    mark = rows["fcr"].isna() & rows["repeat_contact"].notna()
    rows.loc[mark, "fcr"] = 1.0 - rows.loc[mark, "repeat_contact"]
    rows["fcr_derived"] = mark

    escalation = np.fmax(rows["handoff"].to_numpy(dtype=float), rows["manager_request"].to_numpy(dtype=float))
    mark = rows["escalated"].isna() & ~np.isnan(escalation)
    rows.loc[mark, "escalated"] = escalation[mark.to_numpy()]
    rows["escalated_derived"] = mark

    mark = rows["handle_time"].isna() & rows["duration"].notna() & (rows["duration"] > 0)
    rows.loc[mark, "handle_time"] = rows.loc[mark, "duration"]
    rows["handle_time_derived"] = mark
    return {name: int(rows[f"{name}_derived"].sum()) for name in DERIVED}, censored
