"""Limits on import: turns per call, bytes per file, call length. Each is refused with an error that names
the file, the limit and the setting that raises it; the rest of the batch is imported; a higher limit lets
the call in. And analysing a long call costs work in proportion to its turns."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from heard.cli import app
from heard.config import load_settings
from heard.empathy import detect as empathy_detect
from heard.empathy import lexicon as empathy_lexicon
from heard.empathy.model import TurnModel
from heard.errors import ConfigError, IngestError
from heard.ingest import IngestOptions, read_bytes, read_path
from heard.model import Call, Role, Turn
from heard.pipeline import analyse
from heard.runners.importer import import_paths
from heard.store import Store
from tests.conftest import FIXTURES, GREETING, PROBLEM

runner = CliRunner()

TRANSCRIPTS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "outcomes" not in p.parts)
SRC = Path(__file__).resolve().parents[1] / "src" / "heard"


def turns_json(n: int, *, step: float = 4.0) -> list[dict[str, Any]]:
    return [{"speaker": "agent" if i % 2 == 0 else "customer", "start": i * step, "end": i * step + 3,
             "text": GREETING if i % 2 == 0 else PROBLEM} for i in range(n)]


def heard_call(call_id: str, n: int, *, step: float = 4.0) -> str:
    return json.dumps({"id": call_id, "turns": turns_json(n, step=step)})


def only_call(results: list[Any]) -> Call:
    (call,) = results
    assert isinstance(call, Call), str(call)
    return call


def only_error(results: list[Any]) -> IngestError:
    (error,) = results
    assert isinstance(error, IngestError), f"expected an error, got {error!r}"
    return error


def assert_names_limit(error: IngestError, path: Path, setting: str) -> None:
    """What happened (the limit, the setting), where (the file), and both ways to raise it."""
    text = str(error)
    assert text.startswith(str(path)), text
    assert "over the limit" in text and f"(ingest.{setting})" in text, text
    assert error.hint is not None
    assert f"--set ingest.{setting}=" in error.hint and f"{setting} = " in error.hint and "[ingest]" in error.hint


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_import_limits_max_turns_every_format(path: Path) -> None:
    calls = [c for c in read_path(path) if isinstance(c, Call)]
    assert calls, f"{path} holds no call"
    n = max(len(c.turns) for c in calls)
    results = read_path(path, options=IngestOptions(max_turns=n - 1))
    errors = [r for r in results if isinstance(r, IngestError)]
    assert errors and all("ingest.max_turns" in str(e) for e in errors), results
    biggest = next(c for c in calls if len(c.turns) == n)
    error = next(e for e in errors if e.call_id == biggest.id)
    assert_names_limit(error, path, "max_turns")
    assert f"over the limit of {n - 1:,}" in str(error)
    # At the call's own size the limit lets it in, unchanged.
    again = [c for c in read_path(path, options=IngestOptions(max_turns=n)) if isinstance(c, Call)]
    assert [c.model_dump() for c in again] == [c.model_dump() for c in calls]


@pytest.mark.parametrize("path", [p for p in TRANSCRIPTS if any(
    isinstance(c, Call) and c.has_turn_times for c in read_path(p))], ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_import_limits_max_call_seconds_every_format(path: Path) -> None:
    call = max((c for c in read_path(path) if isinstance(c, Call)), key=lambda c: c.duration or 0)
    assert call.duration is not None
    limit = call.duration - 0.5
    errors = [r for r in read_path(path, options=IngestOptions(max_call_seconds=limit)) if isinstance(r, IngestError)]
    error = next(e for e in errors if e.call_id == call.id)
    assert_names_limit(error, path, "max_call_seconds")
    late = next(i for i, t in enumerate(call.turns) if (t.end or t.start or 0) > limit)
    assert error.turn == late and "ends at" in error.message
    assert "milliseconds" in (error.hint or "")
    kept = [c for c in read_path(path, options=IngestOptions(max_call_seconds=call.duration))
            if isinstance(c, Call) and c.id == call.id]
    assert kept == [call]


@pytest.mark.parametrize("limit", [3])
def test_import_limits_text_stops_reading_at_the_limit(tmp_path: Path, limit: int) -> None:
    path = tmp_path / "long.txt"
    path.write_text("# id: long-1\n" + "".join(f"Agent: turn {i}\n" for i in range(100_000)))
    error = only_error(read_path(path, options=IngestOptions(max_turns=limit)))
    assert_names_limit(error, path, "max_turns")
    # The parser stopped at the first turn over the limit, on line 1 + limit + 1, without reading the rest.
    assert error.line == limit + 2 and error.call_id == "long-1"
    assert f"more than {limit}" in error.message and f"ingest.max_turns={2 * limit}" in (error.hint or "")


@pytest.mark.parametrize("n", [6])
def test_import_limits_heard_json_checked_before_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           n: int) -> None:
    path = tmp_path / "many.json"
    path.write_text(heard_call("many-1", n))

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("the call was validated turn by turn before its turns were counted")

    monkeypatch.setattr(Call, "model_validate", no_validation)
    error = only_error(read_path(path, options=IngestOptions(max_turns=n - 1)))
    assert error.call_id == "many-1" and f"call has {n} turns" in error.message
    assert f"ingest.max_turns={n}" in (error.hint or "")


@pytest.mark.parametrize("seconds", [30_000.0])
def test_import_limits_milliseconds_given_as_seconds(tmp_path: Path, seconds: float) -> None:
    path = tmp_path / "ms.json"
    turns = turns_json(3)
    turns[2]["end"] = seconds
    path.write_text(json.dumps({"id": "ms-1", "turns": turns}))
    error = only_error(read_path(path))
    assert_names_limit(error, path, "max_call_seconds")
    assert error.turn == 2 and "30,000.0 s (8.3 h)" in error.message and "21,600 s" in error.message
    assert "ingest.max_call_seconds=30000" in (error.hint or "")
    assert only_call(read_path(path, options=IngestOptions(max_call_seconds=seconds))).duration == seconds


def test_import_limits_jsonl_bad_lines_do_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([heard_call("ok-1", 4), heard_call("long-1", 12), heard_call("ok-2", 4),
                               heard_call("late-1", 4, step=100.0), heard_call("ok-3", 4)]) + "\n")
    options = IngestOptions(max_turns=10, max_call_seconds=200)
    results = read_path(path, options=options)
    assert [r.id for r in results if isinstance(r, Call)] == ["ok-1", "ok-2", "ok-3"]
    errors = {e.call_id: e for e in results if isinstance(e, IngestError)}
    assert set(errors) == {"long-1", "late-1"}
    assert errors["long-1"].line == 2 and "ingest.max_turns" in str(errors["long-1"])
    assert errors["late-1"].line == 4 and errors["late-1"].turn == 2 and "ingest.max_call_seconds" in str(
        errors["late-1"])
    assert str(errors["long-1"]).startswith(f"{path}, line 2, call long-1: call has 12 turns")


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A folder with two good calls and one file over each limit (turns 10, 200 s, 4 KB)."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.json").write_text(heard_call("good-1", 4))
    (folder / "calls.jsonl").write_text(heard_call("good-2", 4) + "\n" + heard_call("long-2", 12) + "\n")
    (folder / "long.txt").write_text("# id: long-1\n" + "".join(
        f"{'Agent' if i % 2 == 0 else 'Customer'}: turn number {i}\n" for i in range(11)))
    (folder / "late.json").write_text(heard_call("late-1", 4, step=100.0))
    (folder / "big.json").write_text(json.dumps({"id": "big-1", "turns": turns_json(2),
                                                 "metadata": {"notes": "x" * 5000}}))
    return folder


LIMITS = IngestOptions(max_turns=10, max_call_seconds=200, max_file_mb=4 / 1024)


def test_import_limits_batch_goes_on_and_a_higher_limit_lets_it_in(store: Store, batch: Path) -> None:
    report = import_paths(store, [batch], options=LIMITS)
    assert (report.files, report.added, report.failed) == (5, 2, 4)
    assert sorted(store.call_ids()) == ["good-1", "good-2"]
    problems = "\n".join(str(p) for p in report.problems)
    for name, setting in (("long.txt", "max_turns"), ("calls.jsonl, line 2, call long-2", "max_turns"),
                          ("late.json", "max_call_seconds"), ("big.json", "max_file_mb")):
        line = next((p for p in problems.splitlines() if name in p), "")
        assert f"(ingest.{setting})" in line and f"--set ingest.{setting}=" in line, problems
    integrity = store.integrity()
    assert integrity.broken == [] and integrity.calls == 2   # nothing half-written
    raised = LIMITS.model_copy(update={"max_turns": 12, "max_call_seconds": 400, "max_file_mb": 1})
    again = import_paths(store, [batch], options=raised)
    assert (again.added, again.skipped, again.failed) == (4, 2, 0)
    assert sorted(store.call_ids()) == ["big-1", "good-1", "good-2", "late-1", "long-1", "long-2"]


def test_import_limits_cli_set_and_heard_toml(tmp_path: Path, batch: Path) -> None:
    db = tmp_path / "cli.db"
    tight = ["--set", "ingest.max_turns=10", "--set", "ingest.max_call_seconds=200",
             "--set", "ingest.max_file_mb=0.004"]
    result = runner.invoke(app, ["--db", str(db), *tight, "import", str(batch)])
    assert result.exit_code == 1 and "2 imported" in result.stdout and "4 failed" in result.stdout
    assert "long.txt" in result.stderr and "--set ingest.max_turns=20" in result.stderr
    assert "max_turns = 20 under [ingest] in heard.toml" in result.stderr
    config = tmp_path / "heard.toml"
    config.write_text("[ingest]\nmax_turns = 12\nmax_call_seconds = 400\nmax_file_mb = 1\n")
    result = runner.invoke(app, ["--db", str(db), "--config", str(config), "import", str(batch)])
    assert result.exit_code == 0 and "4 imported, 2 already stored" in result.stdout, result.output


@pytest.mark.parametrize("limit_mb", [1.0])
def test_import_limits_big_file_refused_without_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          limit_mb: float) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:   # sparse: 3 GB on paper, nothing on disk
        f.truncate(3 * 1024**3)
    opened: list[Path] = []
    real_open = Path.open

    def spy_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read whole"))
    for options in (IngestOptions(max_file_mb=limit_mb), IngestOptions()):
        error = only_error(read_path(path, options=options))
        assert_names_limit(error, path, "max_file_mb")
        assert "file is 3,072.0 MB" in error.message and "ingest.max_file_mb=3072" in (error.hint or "")
    assert path not in opened


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_import_limits_endless_file_read_only_to_the_limit() -> None:
    # A device reports size 0 and never ends: reading stops one byte past the limit.
    error = only_error(read_path("/dev/zero", options=IngestOptions(max_file_mb=1 / 1024)))
    assert "file is more than 1 KB" in error.message and "(ingest.max_file_mb)" in error.message


@pytest.mark.parametrize("size", [2048])
def test_import_limits_read_bytes_checks_the_size(size: int) -> None:
    error = only_error(read_bytes(b" " * size, Path("upload.json"), options=IngestOptions(max_file_mb=1 / 1024)))
    assert error.path == "upload.json" and "file is 2 KB, over the limit of" in error.message


def test_import_limits_defaults_and_settings() -> None:
    defaults = IngestOptions()
    assert (defaults.max_turns, defaults.max_file_mb, defaults.max_call_seconds) == (5000, 64.0, 21600.0)
    settings = load_settings(overrides=["ingest.max_turns=20000", "ingest.max_file_mb=256",
                                        "ingest.max_call_seconds=43200"])
    assert (settings.ingest.max_turns, settings.ingest.max_file_mb, settings.ingest.max_call_seconds) == (
        20000, 256, 43200)
    with pytest.raises(ConfigError, match=r"ingest\.max_turns"):
        load_settings(overrides=["ingest.max_turns=0"])


# Analysis of a long call: the work (lines of heard's own code run) grows in proportion to the turns.

AGENT_LINES = [GREETING, "I'm so sorry, I understand your frustration. Let me check that for you.",
               "Okay.", "Can I confirm your date of birth? Why do you think it happened?",
               "I've refunded the duplicate payment. You'll see it in three to five days."]
CUSTOMER_LINES = [PROBLEM, "This is the third time I've called and I'm fed up with it!", "Mhm.",
                  "Why was I charged twice for my account this month?", "I'm worried I can't pay the rent now."]


def long_call(n: int) -> Call:
    turns, clock = [], 0.0
    for i in range(n):
        role, lines = (Role.AGENT, AGENT_LINES) if i % 2 == 0 else (Role.CUSTOMER, CUSTOMER_LINES)
        text = lines[(i // 2) % len(lines)]
        clock += 6.0 if i % 7 == 0 else 0.4   # a silence every few turns
        end = clock + max(0.8, len(text.split()) / 2.5)
        turns.append(Turn(speaker=role, text=text, start=round(clock, 2), end=round(end, 2)))
        clock = end
    return Call(id=f"long-{n}", turns=turns)


class EveryLabelSession:
    """A stand-in for the ONNX session: every label fires on every turn, so every code path runs."""

    def __init__(self, width: int) -> None:
        self.width = width

    def logits(self, pairs: list[tuple[str, str]], *, batch: int = 1) -> np.ndarray[Any, Any]:
        return np.full((len(pairs), self.width), 10.0 + 0.001 * np.arange(self.width), dtype=np.float32) \
            - 0.0001 * np.arange(len(pairs), dtype=np.float32)[:, None]


def lines_run(fn: Any) -> int:
    """How many lines of heard's own code run while fn() runs (a measure of work that no clock affects)."""
    count = 0
    src = str(SRC)

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if not frame.f_code.co_filename.startswith(src):
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


@pytest.fixture
def fake_model() -> Iterator[TurnModel]:
    from heard.empathy.corpus import AGENT_LABELS

    labels = (*AGENT_LABELS, "opportunity")
    yield TurnModel(EveryLabelSession(len(labels)), labels,  # type: ignore[arg-type]
                    np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(labels), 1)),
                    np.full(len(labels), 0.5, dtype=np.float32), "test")


@pytest.mark.parametrize("n", [150])
def test_import_limits_analysis_work_grows_linearly(n: int, fake_model: TurnModel) -> None:
    def pipeline(turns: int) -> int:
        call = long_call(turns)
        return lines_run(lambda: analyse(call, only=["timing", "overlap", "sentiment", "turns.basic"]))

    def empathy(turns: int) -> int:
        call = long_call(turns)
        lexicon = empathy_lexicon.load(None)
        return lines_run(lambda: empathy_detect.detect(call, lexicon, analyser="empathy", model=fake_model,
                                                       negativity=lambda text: 0.5))

    for work in (pipeline, empathy):
        small, large = work(n), work(4 * n)
        assert large <= 4.6 * small, f"{work.__name__}: {small:,} lines for {n} turns, {large:,} for {4 * n}"


ASKED = "Why was I charged twice for my bill?"
ASKED_OTHER = "When will the engineer visit my house?"


@pytest.mark.parametrize(("lookback", "found"), [(200, True), (2, True), (1, False)])
def test_import_limits_repeated_question_looks_back_a_bounded_way(lookback: int, found: bool) -> None:
    texts = [GREETING, ASKED, "Let me check that for you.", ASKED_OTHER, "One moment please.", ASKED]
    call = Call(id="asked-again", turns=[Turn(speaker=Role.AGENT if i % 2 == 0 else Role.CUSTOMER, text=text)
                                         for i, text in enumerate(texts)])
    analysis = analyse(call, only=["sentiment"], settings={"sentiment": {"question_lookback": lookback}})
    repeated = [f.evidence[0].turn for f in analysis.findings if f.label == "repeated_question"]
    assert repeated == ([5] if found else [])
