"""Every example in README.md and docs/*.md runs: ```python blocks in order, and `$ heard ...` lines."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(python|console)\n(.*?)```", re.S)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder that sees the repo's tests/ and src/ at the same relative paths as the docs."""
    for name in ("tests", "src"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEARD_DB", raising=False)
    return tmp_path


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_examples_run(doc: Path, workdir: Path) -> None:
    blocks = BLOCK.findall(doc.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{doc.stem}"}
    runner = CliRunner()
    for kind, body in blocks:
        if kind == "python":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(body, f"{doc.name} example", "exec", dont_inherit=True), namespace)
            continue
        for line in body.splitlines():
            if not line.startswith("$ heard"):
                continue
            args = shlex.split(line[len("$ heard"):])
            result = runner.invoke(app, args)
            assert result.exit_code == 0, f"{doc.name}: `{line}` exited {result.exit_code}:\n{result.output}"
