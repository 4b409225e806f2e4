"""Server-side HTML: the Jinja templates, their filters (clock, evidence highlighting), flash messages."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from heard.auth.accounts import User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
LABELS = {"acknowledge_emotion": "acknowledges feelings", "early_acknowledgement": "early acknowledgement",
          "mirror_paraphrase": "mirrors", "clarifying_question": "clarifying question", "explain_why": "explains why",
          "summarise_goal": "summarises goal", "next_steps": "next steps", "reassurance": "reassures",
          "confidence_check": "checks it's resolved"}


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def render(request: Request, name: str, user: User | None, status: int = 200, **context: Any) -> HTMLResponse:
    messages = request.session.pop("flash", []) if "session" in request.scope else []
    return templates.TemplateResponse(request, name, {"user": user, "csrf": request.session.get("csrf", ""),
                                                      "flashes": messages, "labels": LABELS, **context},
                                      status_code=status)


def highlight(text: str, marks: list[dict[str, Any]]) -> Markup:
    """The turn's text with each evidence span wrapped in <mark>, escaped everywhere else."""
    spans = [(m["span"][0], m["span"][1], m) for m in marks if m.get("span") and m["span"][1] > m["span"][0]]
    if not spans:
        return Markup(escape(text))
    cuts = sorted({0, len(text), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out = []
    for a, b in pairwise(cuts):
        covering = [m for s, e, m in spans if s <= a and b <= e]
        piece = escape(text[a:b])
        if covering:
            kinds = " ".join(sorted({f"mk-{m['kind']}" for m in covering}))
            title = ", ".join(sorted({LABELS.get(m["label"], m["label"].replace("_", " ")) for m in covering}))
            out.append(Markup(f'<mark class="{kinds}" title="{escape(title)}">{piece}</mark>'))
        else:
            out.append(piece)
    return Markup("").join(out)


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


templates.env.filters["clock"] = clock
templates.env.filters["highlight"] = highlight
templates.env.filters["tojson_attr"] = lambda v: Markup(escape(json.dumps(v)))
templates.env.globals["urlencode"] = urlencode


