"""The CLI: every command, its exit codes, and its --json output."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from heard.analysers import REGISTRY
from heard.cli import app
from heard.store import Store
from tests.conftest import FIXTURES

runner = CliRunner()


def heard(*args: str, db: Path | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [*(["--db", str(db)] if db else []), *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_every_command_has_help() -> None:
    # Typer vendors its own click, so walk the command tree by shape rather than by click's classes.
    root = get_command(app)
    commands: dict[str, Any] = root.commands  # type: ignore[attr-defined]
    assert {"import", "analyze", "show", "export", "sample", "demo", "config", "schema", "formats"} <= set(commands)
    stack: list[tuple[str, Any]] = list(commands.items())
    while stack:
        name, command = stack.pop()
        assert command.help and command.help.strip(), f"`heard {name}` has no help text"
        for param in command.params:
            if param.name != "help":
                assert getattr(param, "help", None), f"`heard {name}` parameter {param.name} has no help text"
        stack += [(f"{name} {n}", c) for n, c in getattr(command, "commands", {}).items()]


def test_cli_import_then_reimport(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    code, out, _ = heard("import", str(FIXTURES / "heard"), str(FIXTURES / "captions"), db=db)
    assert code == 0 and "7 imported" in out
    code, out, _ = heard("import", "--json", str(FIXTURES / "heard"), db=db)
    report = json.loads(out)
    assert code == 0 and (report["added"], report["skipped"]) == (0, 4)


def test_cli_import_bad_file_is_reported_and_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_text((FIXTURES / "heard" / "call.json").read_text())
    (folder / "bad.json").write_text('{"id": "x", "turns": [{"speaker": "agent", "start": 5, "end": 1, "text": "hi"}]}')
    code, out, err = heard("import", str(folder), db=tmp_path / "h.db")
    assert code == 1
    assert "1 imported" in out and "1 failed" in out
    assert "bad.json" in err and "turn 0" in err and "--repair-timestamps" in err
    code, out, _ = heard("import", "--repair-timestamps", str(folder), db=tmp_path / "h.db")
    assert code == 0 and "1 imported, 1 already stored" in out


@pytest.mark.parametrize("pattern", ["nothing-here/*.json"])
def test_cli_import_no_files(tmp_path: Path, pattern: str) -> None:
    code, _, err = heard("import", str(tmp_path / pattern), db=tmp_path / "h.db")
    assert code == 1 and "no files found" in err


def test_cli_analyze_show_export(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    heard("import", str(FIXTURES / "heard"), str(FIXTURES / "outcomes"), db=db)
    code, out, _ = heard("analyze", db=db)
    assert code == 0 and "4 call(s) analysed, 0 failed" in out
    code, out, _ = heard("show", "heard-1", db=db)
    assert code == 0 and "charged twice" in out and "csat=5" in out
    talk_row = next(line for line in out.splitlines() if line.strip().startswith("talk_time (s)"))
    assert talk_row.split()[2:4] == ["~9.20", "~5.90"]  # agent, customer; turn timings only
    code, out, _ = heard("show", "--json", "heard-1", db=db)
    shown = json.loads(out)
    assert shown["call"]["id"] == "heard-1"
    # Every analyser ran but acoustics, which needs a recording and says so.
    assert shown["analysis"]["analysers"] == {name: a.version for name, a in REGISTRY.items() if name != "acoustics"}
    assert "recording" in shown["analysis"]["skipped"]["acoustics"]
    code, _, err = heard("show", "nope", db=db)
    assert code == 2 and "no stored call" in err
    for fmt in ("csv", "jsonl", "parquet"):
        target = tmp_path / f"out.{fmt}"
        code, out, _ = heard("export", "--format", fmt, "--out", str(target), db=db)
        assert code == 0 and "4 call(s)" in out and target.stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert {r["call_id"] for r in rows} == {"heard-1", "heard-l0", "heard-l1", "heard-l2"}
    first = next(r for r in rows if r["call_id"] == "heard-1")
    assert (first["outcome_csat"], first["talk_time_agent"]) == ("5", "9.2")
    assert first["analysers"] == ",".join(f"{n}@{a.version}" for n, a in sorted(REGISTRY.items()) if n != "acoustics")
    # The customer's quarters run to their last turn end (19.6 s); no customer turn is centred in Q1.
    assert first["sentiment_quarter_q1_customer"] == "" and first["sentiment_quarter_q2_customer"] != ""
    assert "turn_sentiment_agent" not in first
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "out.parquet").num_rows == 4
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["analysis"] is not None


def test_cli_analyze_files_read_only_or_stored(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    out_file = tmp_path / "results.jsonl"
    code, _, _ = heard("analyze", "--out", str(out_file), str(FIXTURES / "amazon"), db=db)
    assert code == 0 and not db.exists()  # files are analysed read-only by default
    results = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert len(results) == 7 and all(r["analysers"]["timing"] == REGISTRY["timing"].version for r in results)
    code, out, err = heard("analyze", str(FIXTURES / "captions"), db=db)
    assert code == 0 and "3 call(s) analysed" in err
    assert [json.loads(line)["call_id"] for line in out.splitlines()] == ["prefix", "sample", "voice"]
    code, _, err = heard("analyze", "--store", str(FIXTURES / "deepgram"), db=db)
    with Store.open(f"sqlite:///{db}") as store:
        assert store.count_calls() == 3 and len(list(store.iter_analyses())) == 3


@pytest.mark.parametrize("seed", [3])
def test_cli_sample_is_deterministic(tmp_path: Path, seed: int) -> None:
    for name in ("a", "b"):
        code, _, _ = heard("sample", "--calls", "30", "--seed", str(seed), "--per-file", "20", "--out",
                           str(tmp_path / name))
        assert code == 0
    files = sorted((tmp_path / "a").iterdir())
    assert [f.name for f in files] == ["calls-0000.jsonl", "calls-0001.jsonl"]
    assert all(f.read_bytes() == (tmp_path / "b" / f.name).read_bytes() for f in files)
    code, out, _ = heard("import", str(tmp_path / "a"), db=tmp_path / "h.db")
    assert code == 0 and "30 imported" in out


def test_cli_demo_prints_the_report(tmp_path: Path) -> None:
    keep = tmp_path / "demo.db"
    code, out, _ = heard("demo", "--keep", str(keep), "--no-serve")
    assert code == 0
    assert "Imported 46 sample calls" in out and "0 problems" in out   # 45 transcripts and a recording
    for agent in ("a.rivera", "j.okafor", "m.chen", "d.kowalski", "r.singh", "t.brooks"):
        assert agent in out
    assert "agent  ana" in out and "admin  ada" in out and "Serving" not in out   # kept: logins are printed
    # One recorded call besides (the audio extra is part of `make test`): transcribed and measured.
    assert "Audio: au-01.ogg (stereo, 8 kHz, 73 s) transcribed offline" in out and "raised voice 1" in out
    assert "talk-over 4 (customer started it)" in out   # the four planted overlaps (au-01.truth.json)
    with Store.open(f"sqlite:///{keep}") as store:
        assert store.count_calls() == 46 and len(list(store.iter_analyses())) == 46
        call = store.get_call("au-01")
        assert call is not None and call.agent_id == "a.rivera" and call.audio is not None


def test_cli_config_show_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEARD_DB", raising=False)
    (tmp_path / "heard.toml").write_text('[ingest]\nagent_names = ["Rep"]\n[store]\nurl = "x.db"\n')
    code, out, _ = heard("--set", "ingest.repair_timestamps=true", "config", "show")
    settings = json.loads(out)
    assert code == 0 and settings["ingest"]["agent_names"] == ["Rep"] and settings["ingest"]["repair_timestamps"]
    assert settings["store"]["url"] == "x.db"
    code, _, err = heard("--set", "ingest.agent_name=x", "config", "show")
    assert code == 2 and "agent_name" in err and "agent_names" in err
    (tmp_path / "heard.toml").write_text("[ingest\n")
    code, _, err = heard("config", "show")
    assert code == 2 and "invalid TOML" in err


def test_cli_schema_is_the_published_one() -> None:
    code, out, _ = heard("schema")
    published = Path(__file__).parents[1] / "src" / "heard" / "schema" / "call.schema.json"
    assert code == 0 and json.loads(out) == json.loads(published.read_text())


def test_cli_formats_lists_every_format() -> None:
    code, out, _ = heard("formats")
    assert code == 0
    for name in ("heard-json", "amazon-contact-lens", "deepgram", "webvtt", "outcomes-csv", "text"):
        assert name in out


def test_cli_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "heard.cli", "--db", str(tmp_path / "h.db"), "import",
                             str(FIXTURES / "amazon")], capture_output=True, text=True)
    assert result.returncode == 0 and "7 imported" in result.stdout
