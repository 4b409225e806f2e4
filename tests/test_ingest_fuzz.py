"""Fuzzing the parsers: whatever the bytes, read_bytes returns calls and errors, never raises, and a
store import of fuzzed files leaves only whole calls."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heard.errors import IngestError
from heard.ingest import FORMATS, IngestOptions, read_bytes
from heard.ingest.base import OutcomeRecord
from heard.model import Call
from heard.runners.importer import import_paths
from heard.store import Store
from tests.conftest import FIXTURES

# HEARD_FUZZ_EXAMPLES=3000 pytest tests/test_ingest_fuzz.py runs a deep pass; CI runs the default.
FUZZ = settings(max_examples=int(os.environ.get("HEARD_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SUFFIXES = [".json", ".jsonl", ".txt", ".vtt", ".srt", ".csv"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=30,
)
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file())


def assert_well_behaved(results: list[Any]) -> None:
    assert isinstance(results, list)
    for r in results:
        assert isinstance(r, Call | OutcomeRecord | IngestError), type(r)
        if isinstance(r, IngestError):
            assert r.message and r.path


@pytest.mark.parametrize("suffix", SUFFIXES)
@FUZZ
@given(data=st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(suffix: str, data: bytes) -> None:
    assert_well_behaved(read_bytes(data, Path(f"fuzz{suffix}")))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@FUZZ
@given(doc=JSON)
def test_fuzz_arbitrary_json_forced_through_each_format(fmt: str, doc: Any) -> None:
    data = json.dumps(doc).encode()
    assert_well_behaved(read_bytes(data, Path("fuzz.json"), format=fmt))
    assert_well_behaved(read_bytes(data, Path("fuzz.json")))


def _mutate(doc: Any, path: list[int], replacement: Any) -> Any:
    """Replace (or delete, when replacement is a sentinel) the node picked by `path` in a JSON document."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return replacement
    keys = list(doc.keys()) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    if len(path) == 1 and replacement == "<delete>":
        del copy[key]
        return copy
    copy[key] = _mutate(doc[key], path[1:], replacement)  # type: ignore[index]
    return copy


@pytest.mark.parametrize("fixture", [p for p in FIXTURE_FILES if p.suffix == ".json"], ids=lambda p: p.name)
@FUZZ
@given(path=st.lists(st.integers(0, 50), min_size=1, max_size=6), replacement=JSON | st.just("<delete>"))
def test_fuzz_mutated_vendor_json(fixture: Path, path: list[int], replacement: Any) -> None:
    doc = _mutate(json.loads(fixture.read_text()), path, replacement)
    assert_well_behaved(read_bytes(json.dumps(doc).encode(), fixture))


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.name)
@FUZZ
@given(cut=st.floats(0, 1))
def test_fuzz_truncated_files(fixture: Path, cut: float) -> None:
    data = fixture.read_bytes()
    assert_well_behaved(read_bytes(data[: int(len(data) * cut)], fixture))


@pytest.mark.parametrize("turns", [20_000])
def test_fuzz_huge_call(tmp_path: Path, turns: int) -> None:
    lines = [f"[{i // 60:02d}:{i % 60:02d}] {'Agent' if i % 2 == 0 else 'Customer'}: turn number {i} " + "word " * 20
             for i in range(turns)]
    data = "\n".join(lines).encode()
    (call,) = read_bytes(data, Path("huge.txt"), options=IngestOptions(max_turns=turns))
    assert isinstance(call, Call) and len(call.turns) == turns
    (refused,) = read_bytes(data, Path("huge.txt"))   # over the default ingest.max_turns
    assert isinstance(refused, IngestError) and "ingest.max_turns" in str(refused)


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(FIXTURE_FILES), st.floats(0, 1), st.binary(max_size=64)),
                      min_size=1, max_size=4))
def test_fuzz_import_leaves_only_whole_calls(tmp_path_factory: pytest.TempPathFactory,
                                             files: list[tuple[Path, float, bytes]]) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for i, (fixture, cut, noise) in enumerate(files):
        data = fixture.read_bytes()
        (folder / f"{i}{fixture.suffix}").write_bytes(data[: int(len(data) * cut)] + noise)
    with Store.open(f"sqlite:///{folder / 'fuzz.db'}") as store:
        report = import_paths(store, [folder])
        integrity = store.integrity()
        assert integrity.broken == []
        assert integrity.calls == report.added + report.replaced
