"""Flat per-call rows and per-agent summaries: what export and the demo report are built from."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

from heard.csvcell import safe_row
from heard.errors import HeardError
from heard.model import Call, CallAnalysis, Outcome, analysis_key
from heard.store import Store

EXPORT_FORMATS = ("csv", "jsonl", "parquet")


def call_row(call: Call, analysis: CallAnalysis | None) -> dict[str, Any]:
    """One flat row per call: ids, metadata, outcome fields, and every metric as `<name>_<party>`."""
    row: dict[str, Any] = {
        "call_id": call.id, "agent_id": call.agent_id, "team": call.team, "queue": call.queue,
        "reason": call.reason, "channel": call.channel.value,
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "language": call.language, "source_format": call.source_format, "n_turns": len(call.turns),
    }
    outcome = (call.outcome or Outcome()).model_dump()
    row.update({f"outcome_{k}": v for k, v in outcome.items()})
    if analysis is not None:
        row["analysers"] = analysis_key(analysis.analysers)
        for m in analysis.metrics:
            if m.name.startswith("turn_"):  # per-turn figures belong in the JSONL export, not one row per call
                continue
            key = "_".join(p for p in (m.name, (m.label or "").lower(), m.party.value if m.party else "") if p)
            row[key] = m.value
    return row


def iter_rows(store: Store) -> Iterator[dict[str, Any]]:
    analyses = {a.call_id: a for a in store.iter_analyses()}
    for call in store.iter_calls():
        yield call_row(call, analyses.get(call.id))


def export(store: Store, fmt: str, out: Path) -> int:
    """Write every stored call (with its latest analysis) to `out`; returns the number of calls."""
    if fmt not in EXPORT_FORMATS:
        raise HeardError(f"unknown export format {fmt!r}", hint=f"Use one of: {', '.join(EXPORT_FORMATS)}.")
    if fmt == "jsonl":
        analyses = {a.call_id: a for a in store.iter_analyses()}
        count = 0
        with out.open("w", encoding="utf-8") as fh:
            for call in store.iter_calls():
                analysis = analyses.get(call.id)
                record = {"call": call.model_dump(mode="json"),
                          "analysis": analysis.model_dump(mode="json") if analysis else None}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        return count
    return write_rows(list(iter_rows(store)), fmt, out)


def write_rows(rows: list[dict[str, Any]], fmt: str, out: Path) -> int:
    """Flat rows to CSV or Parquet (columns in first-seen order); returns the number of rows. CSV cells that a
    spreadsheet would run as a formula are neutralised (heard.csvcell); Parquet keeps the raw values."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(safe_row(row) for row in rows)
        return len(rows)
    if fmt != "parquet":
        raise HeardError(f"unknown table format {fmt!r}", hint="Use csv or parquet.")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise HeardError("Parquet export needs pyarrow, which is not installed",
                         hint="Run: pip install 'heard[parquet]'") from None
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    pq.write_table(table, out)
    return len(rows)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 2) if whole else None


def agent_summary(store: Store) -> list[dict[str, Any]]:
    """Per agent: calls, mean CSAT, FCR rate, mean duration, the agent's share of talk time, how often the
    agent interrupted, the share of empathy opportunities met, robotic-empathy flags per call, and how much
    the customer's sentiment recovered from start to end."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in iter_rows(store):
        groups[(row["team"] or "-", row["agent_id"] or "-")].append(row)

    def avg(values: list[Any]) -> float | None:
        present = [float(v) for v in values if v is not None]
        return round(mean(present), 2) if present else None

    summary = []
    for (team, agent), rows in sorted(groups.items()):
        summary.append({
            "team": team, "agent_id": agent, "calls": len(rows),
            "csat": avg([r["outcome_csat"] for r in rows]),
            "fcr_rate": avg([r["outcome_fcr"] for r in rows]),
            "mean_duration_s": avg([r.get("duration") for r in rows]),
            "agent_talk_share": avg([r.get("talk_share_agent") for r in rows]),
            "interruptions_per_call": avg([r.get("interruptions_agent") for r in rows]),
            "opportunities_met": _ratio(sum(r.get("opportunities_met_customer") or 0 for r in rows),
                                        sum(r.get("opportunities_customer") or 0 for r in rows)),
            "robotic_per_call": avg([r.get("robotic_flags_agent") for r in rows]),
            "customer_recovery": avg([r.get("sentiment_recovery_customer") for r in rows]),
        })
    return summary
