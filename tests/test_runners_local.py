"""The local engine on a source (analyse_source): workers that read their own calls return results ready to write,
equal byte for byte to analysing the calls in memory; work items of bounded size; a big file cut into chunks;
resuming and storing from worker processes; Parquet out."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from heard.ingest import expand_paths, read_path
from heard.model import Analysed, Call, CallAnalysis
from heard.runners import sources
from heard.runners.local import analyse_many, analyse_source
from heard.runners.sources import CallFiles, Failed, ParquetCalls, Skipped, StoredCalls, work_items
from heard.samples.generate import generate, write_corpus
from heard.store import Store
from tests.conftest import FIXTURES

LEXICAL = ["turns.basic", "timing", "overlap", "sentiment", "handoff", "heavy", "promises"]


def _calls(folder: Path) -> list[Call]:
    return [c for p in expand_paths([folder]) for c in read_path(p) if isinstance(c, Call)]


def _in_memory(calls: list[Call]) -> list[str]:
    """The analyses as the library makes them in this process, as the JSON an engine carries."""
    return [a.model_dump_json() for a in analyse_many(calls, only=LEXICAL) if isinstance(a, CallAnalysis)]


@pytest.mark.parametrize("workers", [1, 2])
def test_files_in_workers_equal_analysing_in_memory_in_order(tmp_path: Path, workers: int) -> None:
    write_corpus(tmp_path / "calls", calls=60, seed=4, per_file=7)
    results = list(analyse_source(CallFiles((str(tmp_path / "calls"),)), only=LEXICAL, workers=workers))
    assert all(isinstance(r, Analysed) for r in results)
    assert [r.result for r in results if isinstance(r, Analysed)] == _in_memory(_calls(tmp_path / "calls"))
    first = results[0]
    assert isinstance(first, Analysed)
    analysis = first.analysis()
    assert json.loads(first.summary) == analysis.summary() and first.analysers == analysis.analysers


def test_items_are_bounded_and_cover_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_corpus(tmp_path / "calls", calls=90, seed=2, per_file=3)
    size = files[0].stat().st_size
    monkeypatch.setattr(sources, "ITEM_BYTES", size * 4)
    items = list(work_items(CallFiles((str(tmp_path / "calls"),)), workers=1))
    assert [p for i in items for p in i["paths"]] == [str(f) for f in sorted(files)]
    # No item holds more than ITEM_BYTES (sizes differ a little: a file is at most 1.3 times the first one).
    assert len(items) >= 6 and all(sum(Path(p).stat().st_size for p in i["paths"]) <= size * 4 for i in items)
    # With more workers the items get smaller, so that each worker has four at least.
    assert len(list(work_items(CallFiles((str(tmp_path / "calls"),)), workers=4))) >= 16


def test_a_big_file_is_cut_into_chunks_and_its_bad_lines_reported(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = list(generate(25, seed=5, turns=6))
    lines = [c.model_dump_json() for c in calls]
    lines.insert(10, '{"id": "broken", "turns": "not a list"}')
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(sources, "BIG_FILE", 1000)
    monkeypatch.setattr(sources, "CALLS_PER_CHUNK", 4)
    items = list(work_items(CallFiles((str(big),)), workers=2))
    assert {i["kind"] for i in items} == {"calls"} and len(items) == 7
    results = list(analyse_source(CallFiles((str(big),)), only=LEXICAL, workers=2))
    failed = [r for r in results if isinstance(r, Failed)]
    assert len(failed) == 1 and "line 11" in failed[0].error and str(big) in failed[0].error
    read = [c for c in read_path(big) if isinstance(c, Call)]
    assert len(read) == 25 and [r.result for r in results if isinstance(r, Analysed)] == _in_memory(read)


def test_stored_calls_resume_from_worker_processes(sqlite_store: Store) -> None:
    calls = list(generate(24, seed=8))
    for call in calls:
        sqlite_store.add_call(call)
    sqlite_store.save_analyses([a for a in analyse_many(calls[:9], only=LEXICAL) if isinstance(a, CallAnalysis)])
    results = list(analyse_source(StoredCalls.of(sqlite_store), store=sqlite_store, only=LEXICAL, workers=2,
                                  resume=True))
    assert {r.call_id for r in results if isinstance(r, Skipped)} == {c.id for c in calls[:9]}
    done = [r for r in results if isinstance(r, Analysed)]
    assert [r.result for r in done] == _in_memory(calls[9:])
    # What the workers made is stored as the library would store it: the same analysis read back.
    for call in calls:
        stored = sqlite_store.latest_analysis(call.id)
        assert stored is not None and stored.model_dump_json() == _in_memory([call])[0]
    again = list(analyse_source(StoredCalls.of(sqlite_store), store=sqlite_store, only=LEXICAL, workers=2,
                                resume=True))
    assert [type(r) for r in again] == [Skipped] * 24


def test_an_in_memory_store_is_analysed_in_this_process() -> None:
    store = Store.open("sqlite://")
    calls = list(generate(5, seed=9))
    for call in calls:
        store.add_call(call)
    results = list(analyse_source(StoredCalls.of(store), store=store, only=LEXICAL, workers=2, resume=True))
    assert [r.result for r in results if isinstance(r, Analysed)] == _in_memory(sorted(calls, key=lambda c: c.id))
    assert len(list(store.iter_analyses())) == 5


def test_parquet_in_and_out(tmp_path: Path) -> None:
    import pyarrow as pa

    calls = list(generate(12, seed=10, turns=8))
    table = pa.Table.from_pylist([{"call": c.model_dump_json()} for c in calls]
                                 + [{"call": '{"id": "bad"}'}])
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "calls.parquet", row_group_size=5)
    results = list(analyse_source(ParquetCalls((str(tmp_path / "in"),)), out=tmp_path / "out", only=LEXICAL,
                                  workers=2))
    rows = pq.read_table(tmp_path / "out").to_pylist()
    assert [r["result"] for r in rows if r["status"] == "analysed"] == _in_memory(calls)
    bad = [r for r in rows if r["status"] == "failed"]
    assert len(bad) == 1 and "row 13" in bad[0]["error"] and "turns" in bad[0]["error"]
    assert len(results) == 13


def test_a_missing_file_fails_its_calls_and_the_rest_go_on(tmp_path: Path) -> None:
    results = list(analyse_source(CallFiles((str(tmp_path / "nowhere.jsonl"), str(FIXTURES / "heard"))),
                                  only=LEXICAL, workers=2))
    failed = [r for r in results if isinstance(r, Failed)]
    assert len(failed) == 1 and "nowhere.jsonl" in failed[0].error
    assert [r.result for r in results if isinstance(r, Analysed)] == _in_memory(_calls(FIXTURES / "heard"))
