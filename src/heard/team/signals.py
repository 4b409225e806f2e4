"""Signals about a call the team features share, read from its stored summary (CallAnalysis.summary()).

- turned around: the customer started negative and ended positive (sentiment on -1 to 1, their first and last
  quarter of the call);
- heavy: an emotionally heavy call for the agent (heard.analysers.heavy.is_heavy).
"""

from __future__ import annotations

from typing import Any

START_BELOW = -0.2    # the customer's first quarter at or below this ...
END_ABOVE = 0.2       # ... and their last quarter at or above this: turned around


def turned_around(summary: dict[str, Any] | None) -> bool | None:
    """True when the customer's sentiment went from negative at the start to positive at the end; None when the
    call has no analysis with both quarters."""
    if not summary:
        return None
    start, end = summary.get("customer_start"), summary.get("customer_end")
    if start is None or end is None:
        return None
    return bool(start <= START_BELOW and end >= END_ABOVE)
