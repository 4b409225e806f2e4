"""The Ray engine on a real local Ray cluster: the same analyses as the local engine from files, JSONL and Parquet
folders and the store; Parquet results; bad calls that do not stop the job; resuming; the CLI."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from heard.cli import app
from heard.ingest import expand_paths, read_path
from heard.model import Analysed, Call, CallAnalysis
from heard.runners.local import Failed, Skipped, analyse_many
from heard.runners.ray import CallFiles, ParquetCalls, StoredCalls, analyse_on_ray
from heard.samples.generate import generate, write_corpus
from heard.store import Store
from tests.conftest import FIXTURES

LEXICAL = ["turns.basic", "timing", "overlap", "sentiment", "handoff", "heavy", "promises"]
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One small local Ray cluster for the module; the engine joins it instead of starting its own."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    yield
    ray.shutdown()


def _by_id(results: list[Analysed | CallAnalysis | Failed | Skipped]) -> dict[str, dict[str, object]]:
    return {r.call_id: (r.analysis() if isinstance(r, Analysed) else r).model_dump() for r in results
            if isinstance(r, Analysed | CallAnalysis)}


def _local(calls: list[Call], only: list[str] | None = LEXICAL) -> dict[str, dict[str, object]]:
    return _by_id(list(analyse_many(calls, only=only)))


def _read(folder: Path) -> list[Call]:
    return [c for p in expand_paths([folder]) for c in read_path(p) if isinstance(c, Call)]


@pytest.mark.parametrize("folder", ["amazon", "captions", "heard"])
def test_ray_files_equal_local(folder: str) -> None:
    results = list(analyse_on_ray(CallFiles((str(FIXTURES / folder),)), only=LEXICAL, workers=2))
    assert not [r for r in results if isinstance(r, Failed)]
    assert _by_id(results) == _local(_read(FIXTURES / folder))


@pytest.mark.parametrize("calls", [40])
def test_ray_jsonl_folder_equal_local_and_parquet_out(tmp_path: Path, calls: int) -> None:
    write_corpus(tmp_path / "calls", calls=calls, seed=3, per_file=10)
    results = list(analyse_on_ray(CallFiles((str(tmp_path / "calls"),)), only=LEXICAL, workers=2,
                                  out=tmp_path / "results"))
    expected = _local(_read(tmp_path / "calls"))
    assert len(expected) == calls and _by_id(results) == expected
    rows = pq.read_table(tmp_path / "results").to_pylist()
    assert len(rows) == calls and {r["status"] for r in rows} == {"analysed"}
    for row in rows:
        analysis = CallAnalysis.model_validate_json(row["result"])
        assert analysis.model_dump() == expected[row["call_id"]]
        assert json.loads(row["summary"]) == analysis.summary() and row["content_hash"] == analysis.content_hash
        assert row["analyser_key"] == ",".join(f"{n}@{v}" for n, v in sorted(analysis.analysers.items()))


@pytest.mark.parametrize("layout", ["json column", "field columns"])
def test_ray_parquet_folder_equal_local(tmp_path: Path, layout: str) -> None:
    calls = list(generate(12, seed=4))
    # Defaults left out as a writer of field columns would: Parquet cannot hold an empty struct ({}).
    rows = [{"call": c.model_dump_json()} if layout == "json column"
            else c.model_dump(mode="json", exclude_defaults=True) for c in calls]
    (tmp_path / "in").mkdir()
    for part in range(2):
        pq.write_table(pa.Table.from_pylist(rows[part * 6: part * 6 + 6]), tmp_path / "in" / f"p{part}.parquet",
                       row_group_size=4)
    results = list(analyse_on_ray(ParquetCalls((str(tmp_path / "in"),)), only=LEXICAL, workers=2))
    assert _by_id(results) == _local(calls)


def test_ray_bad_calls_do_not_stop_the_job(tmp_path: Path) -> None:
    good = list(generate(5, seed=5))
    folder = tmp_path / "calls"
    folder.mkdir()
    lines = [c.model_dump_json() for c in good]
    lines.insert(2, json.dumps({"id": "broken", "turns": [{"speaker": "agent", "text": "hi", "start": 5, "end": 1}]}))
    (folder / "calls.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "truncated.json").write_text('{"id": "cut", "turns": [')
    pq.write_table(pa.Table.from_pylist([{"call": good[0].model_dump_json()}, {"call": '{"id": "no-turns"}'}]),
                   tmp_path / "bad.parquet")
    results = list(analyse_on_ray(CallFiles((str(folder),)), only=LEXICAL, workers=2))
    failed = {r.call_id: r.error for r in results if isinstance(r, Failed)}
    assert _by_id(results).keys() == {c.id for c in good}
    assert len(failed) == 2 and "broken" in failed and "line 3" in failed["broken"]
    assert any("truncated.json" in where for where in failed)
    from_parquet = list(analyse_on_ray(ParquetCalls((str(tmp_path / "bad.parquet"),)), only=LEXICAL, workers=2))
    bad = [r for r in from_parquet if isinstance(r, Failed)]
    assert list(_by_id(from_parquet)) == [good[0].id]
    assert len(bad) == 1 and "row 2" in bad[0].error and "turns" in bad[0].error


def test_ray_store_input_resumes_and_equals_local(store: Store) -> None:
    calls = list(generate(30, seed=6))
    for call in calls:
        store.add_call(call)
    # A third analysed by the local engine first: the Ray run skips exactly those, whichever engine made them.
    first = [r for r in analyse_many(calls[:10], only=LEXICAL) if isinstance(r, CallAnalysis)]
    store.save_analyses(first)
    results = list(analyse_on_ray(StoredCalls.of(store), store=store, only=LEXICAL, workers=2, resume=True))
    assert {r.call_id for r in results if isinstance(r, Skipped)} == {c.id for c in calls[:10]}
    assert _by_id(results) == _local(calls[10:])
    assert len(list(store.iter_analyses())) == 30
    again = list(analyse_on_ray(StoredCalls.of(store, [c.id for c in calls[:5]]), store=store, only=LEXICAL,
                                workers=2, resume=True))
    assert [type(r) for r in again] == [Skipped] * 5
    # Other analyser versions (here another set) are not "done": every call is analysed again.
    other = list(analyse_on_ray(StoredCalls.of(store), store=store, only=["turns.basic"], workers=2, resume=True))
    assert sum(isinstance(r, Analysed) for r in other) == 30


@pytest.mark.parametrize("calls", [3])
def test_ray_default_analysers_equal_local(calls: int) -> None:
    """Every analyser, the empathy turn model included, gives the same analysis on both engines."""
    sample = list(generate(calls, seed=7, turns=6))
    folder = Path(FIXTURES / "heard")
    local = _local(sample + _read(folder), only=None)
    table = pa.Table.from_pylist([{"call": c.model_dump_json()} for c in sample])
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(table, Path(tmp) / "calls.parquet")
        on_ray = _by_id(list(analyse_on_ray(ParquetCalls((tmp,)), workers=2)))
    on_ray |= _by_id(list(analyse_on_ray(CallFiles((str(folder),)), workers=2)))
    assert on_ray == local and all("empathy" in a["analysers"] for a in local.values())  # type: ignore[operator]


def test_cli_analyze_engine_ray_stores_resumes_and_writes_parquet(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    args = ["--db", db, "analyze", "--engine", "ray", "--workers", "2", "--analyser", "turns.basic",
            "--analyser", "sentiment"]
    first = runner.invoke(app, [*args, "--store", str(FIXTURES / "heard")])  # files: JSON lines to stdout
    assert first.exit_code == 0 and "4 call(s) analysed, 0 failed" in first.stderr, first.stderr
    assert len(first.stdout.splitlines()) == 4
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "0 call(s) analysed, 0 failed, 4 skipped" in again.stdout, again.stderr
    forced = runner.invoke(app, [*args, "--all", "--out", str(tmp_path / "results")])
    assert forced.exit_code == 0 and "4 call(s) analysed, 0 failed" in forced.stdout, forced.stderr
    rows = pq.read_table(tmp_path / "results").to_pylist()
    with Store.open(f"sqlite:///{db}") as store:
        stored = {a.call_id: a.model_dump() for a in store.iter_analyses()}
    assert {r["call_id"]: CallAnalysis.model_validate_json(r["result"]).model_dump() for r in rows} == stored
    files = runner.invoke(app, ["analyze", "--engine", "ray", "--workers", "2", "--analyser", "turns.basic",
                                "--out", str(tmp_path / "lines.jsonl"), str(FIXTURES / "captions")])
    assert files.exit_code == 0, files.stderr
    lines = (tmp_path / "lines.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["call_id"] for line in lines) == ["prefix", "sample", "voice"]


def test_cli_score_engine_ray_analyses_missing_calls_and_scores_as_local(tmp_path: Path) -> None:
    """`heard score --engine ray`: unanalysed stored calls are analysed on the cluster (and stored), then scored; the
    scores equal those of a store scored on the local engine in this process."""
    scored: dict[str, list[dict[str, object]]] = {}
    for name, options in (("ray", ["--engine", "ray", "--workers", "2"]), ("local", ["--workers", "1"])):
        db = f"sqlite:///{tmp_path / name}.db"
        assert runner.invoke(app, ["--db", db, "import", str(FIXTURES / "heard")]).exit_code == 0
        result = runner.invoke(app, ["--db", db, "score", "--json", *options])
        assert result.exit_code == 0, result.output
        scored[name] = sorted((json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")),
                              key=lambda r: str(r["call_id"]))
        with Store.open(db) as store:
            assert len(list(store.iter_analyses())) == 4
    assert len(scored["ray"]) == 4 and scored["ray"] == scored["local"]
