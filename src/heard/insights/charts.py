"""Plotly figure specs (plain dicts) for the insights report and the insights page: the same charts in both.

Effect charts are dots with their 95% interval as a bar, sorted, with a line at zero; a clear effect is dark,
an unclear one grey, one surviving the false-discovery correction is marked ★. No chart junk: no gridlines
beyond the axis, no legends where a label will do.
"""

from __future__ import annotations

from typing import Any

from heard.insights.effects import OUTCOME

CLEAR, UNCLEAR, ZERO = "#1f4e79", "#9aa5b1", "#c0392b"
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13}


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "font": {"size": 15}}, "height": height, "font": FONT,
            "margin": {"l": 10, "r": 20, "t": 40, "b": 40}, "showlegend": False, "plot_bgcolor": "white",
            "paper_bgcolor": "white", **extra}


def axis_title(outcome: str) -> str:
    o = OUTCOME[outcome]
    if o.model == "logistic":
        return f"difference in {o.label}, percentage points"
    if o.model == "log-linear":
        return f"difference in {o.label}, %"
    return f"difference in {o.label}, {o.unit}"


def effect_chart(effects: list[dict[str, Any]], outcome: str) -> dict[str, Any] | None:
    """One outcome's estimated effects, sorted, each a dot with its interval."""
    shown = sorted((e for e in effects if e["outcome"] == outcome and e["estimate"] is not None),
                   key=lambda e: e["estimate"])
    if not shown:
        return None
    labels = [("★ " if e["survives"] else "") + e["exposure_label"] for e in shown]
    colours = [CLEAR if e["clear"] else UNCLEAR for e in shown]
    trace = {"type": "scatter", "mode": "markers", "x": [e["estimate"] for e in shown], "y": labels,
             "marker": {"color": colours, "size": 10},
             "error_x": {"type": "data", "symmetric": False, "array": [e["high"] - e["estimate"] for e in shown],
                         "arrayminus": [e["estimate"] - e["low"] for e in shown], "color": "#555", "thickness": 1.5,
                         "width": 4},
             "text": [e["sentence"] for e in shown], "hoverinfo": "text"}
    return {"data": [trace], "layout": _layout(
        f"{OUTCOME[outcome].label}: effect with 95% interval", 90 + 32 * len(shown),
        xaxis={"title": {"text": axis_title(outcome)}, "zeroline": True, "zerolinecolor": ZERO, "zerolinewidth": 1.5,
               "showgrid": False, "linecolor": "#888"},
        yaxis={"automargin": True, "showgrid": False})}


def handle_chart(by_count: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    """Median handle time by the number of empathy behaviours in the call, heavy calls beside the rest."""
    traces = []
    for name, colour, label in (("light", UNCLEAR, "other calls"), ("heavy", CLEAR, "heavy calls")):
        rows = by_count.get(name) or []
        if rows:
            traces.append({"type": "bar", "name": label, "x": [r["group"] for r in rows],
                           "y": [round(r["value"] / 60, 2) for r in rows], "marker": {"color": colour},
                           "text": [f"n={r['n']}" for r in rows], "textposition": "outside"})
    if not traces:
        return None
    return {"data": traces, "layout": _layout(
        "Median handle time by empathy behaviours in the call", 320, barmode="group", showlegend=True,
        legend={"orientation": "h", "y": -0.25},
        xaxis={"title": {"text": "empathy behaviours in the call"}, "type": "category"},
        yaxis={"title": {"text": "minutes"}, "showgrid": False, "rangemode": "tozero"})}


def recovery_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Mean CSAT by whether the customer's sentiment got better, stayed, or got worse during the call."""
    if not rows:
        return None
    return {"data": [{"type": "bar", "x": [r["group"] for r in rows], "y": [r["value"] for r in rows],
                      "marker": {"color": CLEAR}, "text": [f"n={r['n']}" for r in rows], "textposition": "outside"}],
            "layout": _layout("Mean CSAT by the customer's sentiment from start to end", 300,
                              xaxis={"title": {"text": "customer sentiment by the end"}, "type": "category"},
                              yaxis={"title": {"text": "mean CSAT (1-5)"}, "range": [0, 5.5], "showgrid": False})}


def all_charts(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every chart of a report, by name (effects_<outcome>, handle, recovery); those without data left out."""
    charts: dict[str, dict[str, Any] | None] = {
        f"effects_{o}": effect_chart(result["effects"], o) for o in result["outcomes"]}
    charts["handle"] = handle_chart(result["efficiency"]["handle_by_count"])
    charts["recovery"] = recovery_chart(result["efficiency"]["csat_by_recovery"])
    return {k: v for k, v in charts.items() if v is not None}
