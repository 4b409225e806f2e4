"""The insights report as one self-contained HTML file: plotly.js inline, no requests to anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import plotly.io as pio  # type: ignore[import-untyped]

from heard.insights.charts import all_charts

TEMPLATES = Path(__file__).with_name("templates")


def _fmt(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return ("+" if value > 0 else "") + text.replace("-", "−")


def render(result: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    env.filters["signed"] = _signed
    charts: dict[str, str] = {}
    for index, (name, spec) in enumerate(all_charts(result).items()):
        charts[name] = pio.to_html(spec, full_html=False, include_plotlyjs=index == 0,
                                   config={"displayModeBar": False, "responsive": True}, div_id=f"chart-{name}")
    return env.get_template("report.html").render(r=result, charts=charts)


def write(result: dict[str, Any], path: Path) -> Path:
    """The report at `path`, and its data beside it as JSON (same name, .json)."""
    import json

    path.write_text(render(result), encoding="utf-8")
    data = path.with_suffix(".json")
    data.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return data
