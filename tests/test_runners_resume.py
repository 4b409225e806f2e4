"""Resuming a run: calls already analysed by the same analyser versions (same content) are skipped, on the local
engine and through `heard analyze`; results as a Parquet folder."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.analysers import REGISTRY
from heard.cli import app
from heard.errors import HeardError
from heard.model import CallAnalysis
from heard.pipeline import analyse, select_analysers
from heard.runners.local import Failed, Skipped, analyse_and_store, split_done
from heard.samples.generate import generate
from heard.store import Store
from tests.conftest import FIXTURES, make_call

LEXICAL = ["turns.basic", "timing", "sentiment"]
runner = CliRunner()


def _counts(results: list[CallAnalysis | Failed | Skipped]) -> tuple[int, int, int]:
    return (sum(isinstance(r, CallAnalysis) for r in results), sum(isinstance(r, Skipped) for r in results),
            sum(isinstance(r, Failed) for r in results))


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_skips_calls_already_analysed(store: Store, workers: int) -> None:
    calls = list(generate(6, seed=1))
    for call in calls:
        store.add_call(call)
    first = list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True, workers=workers))
    assert _counts(first) == (6, 0, 0)
    extra = make_call("late-call")
    store.add_call(extra)
    second = list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True, workers=workers))
    assert _counts(second) == (1, 6, 0)
    assert {r.call_id for r in second if isinstance(r, Skipped)} == {c.id for c in calls}
    assert len(list(store.iter_analyses())) == 7


def test_resume_redoes_calls_whose_analyser_versions_differ(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    for call in generate(4, seed=2):
        store.add_call(call)
    list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True))
    # A new version of one analyser: every call is analysed again.
    monkeypatch.setitem(REGISTRY, "sentiment", dataclasses.replace(REGISTRY["sentiment"], version=99))
    again = list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True))
    assert _counts(again) == (4, 0, 0)
    assert all(isinstance(r, CallAnalysis) and r.analysers["sentiment"] == 99 for r in again)
    # Another set of analysers is another key, so it is not "already done" either.
    more = list(analyse_and_store(store, store.iter_calls(), only=[*LEXICAL, "handoff"], resume=True))
    assert _counts(more) == (4, 0, 0)


def test_resume_without_it_analyses_everything_again(store: Store) -> None:
    store.add_call(make_call("c1"))
    list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True))
    assert _counts(list(analyse_and_store(store, store.iter_calls(), only=LEXICAL))) == (1, 0, 0)


def test_resume_key_leaves_out_analysers_a_call_cannot_run(store: Store) -> None:
    """An untimed call never runs timing, so its stored key lacks timing and it still counts as done."""
    store.add_call(make_call("untimed", timed=False))
    list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True))
    assert _counts(list(analyse_and_store(store, store.iter_calls(), only=LEXICAL, resume=True))) == (0, 1, 0)


def test_resume_redoes_a_call_whose_content_changed(store: Store) -> None:
    call = make_call("c1")
    store.add_call(call)
    store.save_analysis(analyse(call, only=LEXICAL))
    chosen = select_analysers(LEXICAL)
    changed = call.model_copy(update={"agent_id": "someone-else"})
    assert split_done(store, [call], chosen)[1] == [Skipped("c1")]
    todo, skipped = split_done(store, [changed], chosen)
    assert [c.id for c in todo] == ["c1"] and skipped == []


def test_store_analysed_ids_by_key(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.add_call(make_call(name))
    done = analyse(make_call("a"), only=["turns.basic"])
    store.save_analysis(done)
    store.save_analysis(analyse(make_call("b"), only=LEXICAL))
    key = f"turns.basic@{REGISTRY['turns.basic'].version}"
    assert store.analysed_ids(key, ["a", "b", "c"]) == {"a": done.content_hash}
    assert store.analysed_ids(key, []) == {}


def test_cli_analyze_resumes_and_all_redoes(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    assert runner.invoke(app, ["--db", db, "import", str(FIXTURES / "heard")]).exit_code == 0
    first = runner.invoke(app, ["--db", db, "analyze", "--analyser", "turns.basic", "--analyser", "sentiment"])
    assert first.exit_code == 0 and "4 call(s) analysed, 0 failed" in first.stdout
    again = runner.invoke(app, ["--db", db, "analyze", "--analyser", "turns.basic", "--analyser", "sentiment"])
    assert again.exit_code == 0 and "0 call(s) analysed, 0 failed, 4 skipped (already analysed" in again.stdout
    forced = runner.invoke(app, ["--db", db, "analyze", "--all", "--workers", "1", "--analyser", "turns.basic",
                                 "--analyser", "sentiment"])
    assert forced.exit_code == 0 and "4 call(s) analysed, 0 failed" in forced.stdout and "skipped" not in forced.stdout


def test_cli_analyze_local_engine_writes_a_parquet_folder(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    folder = tmp_path / "results"
    result = runner.invoke(app, ["analyze", "--engine", "local", "--workers", "1", "--analyser", "turns.basic",
                                 "--out", str(folder), str(FIXTURES / "captions")])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(folder).to_pylist()
    assert sorted(r["call_id"] for r in rows) == ["prefix", "sample", "voice"]
    for row in rows:
        analysis = CallAnalysis.model_validate_json(row["result"])
        assert row["status"] == "analysed" and row["error"] is None
        assert row["analyser_key"] == f"turns.basic@{REGISTRY['turns.basic'].version}"
        assert json.loads(row["summary"]) == analysis.summary() and row["content_hash"] == analysis.content_hash


def test_ray_engine_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from heard.runners.ray import CallFiles, analyse_on_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # an import of ray now fails as if it were not installed
    with pytest.raises(HeardError) as caught:
        list(analyse_on_ray(CallFiles((str(FIXTURES / "captions"),)), workers=1))
    assert "pip install 'heard[ray]'" in str(caught.value)
