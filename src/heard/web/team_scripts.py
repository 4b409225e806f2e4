"""Team pages: scripts (heard.team.scripts); a thin shell.

GET /team/scripts shows a form (paste a script or knowledge article, or upload a Markdown, text or HTML file);
POST /team/scripts shows the same text with each problem sentence highlighted and its suggestion beside it.
For leads, QA and admins; nothing is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from heard.auth.accounts import User, UserRole
from heard.team import scripts
from heard.web.deps import PageError, page_user, read_form
from heard.web.render import render

router = APIRouter(include_in_schema=False)

MAX_BYTES = 500_000     # a long knowledge article is a few tens of kilobytes
KIND_NAMES = {"canned_empathy": "Canned empathy", "jargon": "Jargon", "no_why": "No why", "rigid_no": "Rigid no",
              "hard_to_read": "Hard to read"}


def _lead(request: Request) -> User:
    user = page_user(request)
    if user.role is UserRole.AGENT:
        raise PageError(403, "Script checks are for leads, QA and admins. Ask your lead if a script reads badly.")
    return user


def _blocks(report: scripts.Report) -> list[dict[str, Any]]:
    """The script paragraph by paragraph, each sentence with its findings, for showing them in place."""
    by_sentence: dict[int, list[scripts.Finding]] = {}
    for f in report.findings:
        by_sentence.setdefault(f.sentence, []).append(f)
    blocks: list[dict[str, Any]] = []
    for i, s in enumerate(report.sentences):
        if not blocks or blocks[-1]["index"] != s.block:
            blocks.append({"index": s.block, "line": s.line, "sentences": [], "notes": 0})
        found = by_sentence.get(i, [])
        blocks[-1]["sentences"].append({"text": s.text, "line": s.line, "checked": s.checked, "findings": found,
                                        "kinds": " ".join(sorted({f"sk-{f.kind}" for f in found}))})
        blocks[-1]["notes"] += len(found)
    return blocks


def _page(request: Request, user: User, status: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "team_scripts.html", user, status, kind_names=KIND_NAMES, why=scripts.WHY,
                  **{"text": "", "filename": "", "report": None, "blocks": [], "error": None, **context})


@router.get("/team/scripts")
def scripts_page(request: Request) -> HTMLResponse:
    return _page(request, _lead(request))


@router.post("/team/scripts")
async def scripts_post(request: Request) -> HTMLResponse:
    user = _lead(request)
    form = await read_form(request)
    upload = (await request.form()).get("file")      # read_form keeps text only; the upload is the same form's
    text, name = form.get("text", ""), ""
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_BYTES + 1)
            name = upload.filename
            if len(data) > MAX_BYTES:
                raise scripts.ScriptError(f"{name}: larger than {MAX_BYTES // 1000} kB.",
                                          hint="Check one script or article at a time, or use `heard script check`.")
            report = scripts.check_bytes(data, name=name)
            text = data.decode("utf-8-sig")
        else:
            if not text.strip():
                return _page(request, user, 400, error="Paste a script or choose a file to check.")
            if len(text.encode()) > MAX_BYTES:
                raise scripts.ScriptError(f"The text is larger than {MAX_BYTES // 1000} kB.",
                                          hint="Check one script or article at a time, or use `heard script check`.")
            report = scripts.check_text(text, name="pasted text")
    except scripts.ScriptError as exc:
        return _page(request, user, 400, text=text, error=str(exc))
    return _page(request, user, text=text, filename=name, report=report, blocks=_blocks(report))
