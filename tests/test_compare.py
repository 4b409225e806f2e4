"""heard's figures against Amazon's, on fixture files written in Amazon's documented shape.

tests/fixtures/amazon/compare/ holds two calls whose ConversationCharacteristics were worked out by
hand from Amazon's documented rules (see the comments in docs/analytics.md): one Call Analytics file
with word timings (a pause inside a turn, an interruption, a backchannel, a hold), one Contact Lens
1.1.0 file with turn timings only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.accuracy.amazon import compare_call, match_non_talk, summary
from heard.cli import app
from heard.ingest import read_path
from heard.model import Call
from heard.pipeline import analyse
from tests.conftest import FIXTURES

COMPARE = FIXTURES / "amazon" / "compare"


def rows_for(path: Path) -> tuple[list, object]:
    (call,) = read_path(path)
    assert isinstance(call, Call)
    return compare_call(call, analyse(call))


@pytest.mark.parametrize("name", ["ca-words.json", "cl-turns.json"])
def test_compare_agrees_within_amazons_tolerances(name: str) -> None:
    rows, match = rows_for(COMPARE / name)
    checked = [r for r in rows if r.within is not None]
    assert {r.metric for r in checked} == {"talk_time_s", "wpm", "non_talk_instances"}
    assert all(r.within for r in checked), [r for r in checked if not r.within]
    assert match.amazon_only == [] and match.heard_only == [] and match.max_offset <= 0.5  # type: ignore[attr-defined]
    for r in rows:
        if r.metric == "wpm":
            assert abs(r.deviation) <= 3
        if r.metric == "talk_time_s":
            assert abs(r.deviation) <= 0.05
        if r.metric == "duration_s":
            assert r.deviation == 0


@pytest.mark.parametrize(("name", "party", "heard", "amazon"), [
    ("ca-words.json", "customer", 1, 1),   # a 2.2 s interruption both count
    ("cl-turns.json", "customer", 0, 0),   # a 1.0 s overlap that does not take the floor: neither counts it
])
def test_compare_interruptions_reported_not_judged(name: str, party: str, heard: int, amazon: int) -> None:
    rows, _ = rows_for(COMPARE / name)
    (row,) = [r for r in rows if r.metric == "interruptions" and r.party == party]
    assert (row.heard, row.amazon, row.within) == (heard, amazon, None)
    assert "undocumented" in row.note


def test_compare_explains_a_disagreement() -> None:
    # call-analytics.json: Amazon's customer talk time (5.3 s) is shorter than the word timings show (5.9 s).
    rows, _ = rows_for(FIXTURES / "amazon" / "call-analytics.json")
    (talk,) = [r for r in rows if r.metric == "talk_time_s" and r.party == "customer"]
    assert talk.within is False and talk.deviation == pytest.approx((5.9 - 5.3) / 5.3, abs=1e-3)
    assert "audio" in talk.note


def test_compare_calls_without_amazon_metrics_are_skipped() -> None:
    rows, _ = rows_for(FIXTURES / "heard" / "call.json")
    assert rows == []


@pytest.mark.parametrize(("ours", "theirs", "matched", "heard_only", "amazon_only"), [
    ([(1.0, 5.0)], [(1.4, 5.3)], 1, 0, 0),
    ([(1.0, 5.0)], [(1.6, 5.0)], 0, 1, 1),
    ([(1.0, 5.0), (10.0, 14.0)], [(10.2, 13.9)], 1, 1, 0),
])
def test_compare_non_talk_matching(ours: list, theirs: list, matched: int, heard_only: int, amazon_only: int) -> None:
    m = match_non_talk(ours, theirs)
    assert (m.matched, len(m.heard_only), len(m.amazon_only)) == (matched, heard_only, amazon_only)


def test_compare_metrics_cli_ends_with_one_json_line() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["compare-metrics", str(COMPARE)])
    assert result.exit_code == 0
    assert "talk_time_s" in result.stdout and "non_talk_instances" in result.stdout
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["calls"] == 2 and final["all_within_tolerance"] is True
    assert final["non_talk_instances"] == {"matched": 3, "heard_only": 0, "amazon_only": 0, "max_offset_s": 0.0,
                                           "tolerance_s": 0.5}
    assert final["wpm_deviation"]["max"] <= 3
    strict = runner.invoke(app, ["compare-metrics", "--strict", str(FIXTURES / "amazon" / "call-analytics.json")])
    assert strict.exit_code == 1
    assert json.loads(strict.stdout.strip().splitlines()[-1])["outside_tolerance"][0]["party"] == "customer"


def test_compare_summary_of_nothing() -> None:
    assert summary([], [], ["x"])["calls"] == 0
