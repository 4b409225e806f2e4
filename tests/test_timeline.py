"""The text timeline behind `heard show`."""

from __future__ import annotations

import pytest

from heard.cli.timeline import LABEL_WIDTH, render
from heard.model import Call, Role, Turn
from heard.pipeline import analyse

A, C = Role.AGENT, Role.CUSTOMER


@pytest.fixture
def sample() -> Call:
    # 0-10 agent, 8-12 customer cuts in, 12-20 silence (dead air), 20-30 agent, 30-40 customer angry.
    return Call(id="tl", turns=[
        Turn(speaker=A, start=0, end=10, text="Here is the whole long explanation of the bill."),
        Turn(speaker=C, start=8, end=12, text="No, that is not what I asked you at all."),
        Turn(speaker=A, start=20, end=30, text="The refund is on its way."),
        Turn(speaker=C, start=30, end=40, text="This is awful and I am furious, I want to speak to a manager."),
    ])


@pytest.mark.parametrize("width", [50, 90])
def test_timeline_lanes(sample: Call, width: int) -> None:
    lanes = {lane.name: lane.text for lane in render(sample, analyse(sample), width=width)}
    columns = width - LABEL_WIDTH
    assert list(lanes) == ["time", "agent", "customer", "events", "silence", "feeling"]
    assert all(len(text) == columns for text in lanes.values())

    def at(seconds: float) -> int:
        return int(seconds / 40 * columns)

    assert lanes["agent"][at(1)] == "█" and lanes["agent"][at(15)] == " "
    assert lanes["agent"][at(9)] == "▓" and lanes["customer"][at(9)] == "▓"   # both talking
    assert lanes["events"][at(8)] == "^"                                       # the customer interrupts
    assert lanes["events"][at(30)] == "!"                                      # escalation
    assert set(lanes["silence"][at(13): at(19)]) == {"░"}                      # dead air
    assert lanes["feeling"][at(35)] == "-" and lanes["time"].startswith("0:00")


def test_timeline_needs_times() -> None:
    untimed = Call(id="u", turns=[Turn(speaker=A, text="Hello there, how can I help?")])
    assert render(untimed, None) == []


def test_show_prints_timeline_and_sentiment(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from heard.cli import app
    from tests.conftest import FIXTURES

    db = Path(str(tmp_path)) / "h.db"
    runner = CliRunner()
    runner.invoke(app, ["--db", str(db), "import", str(FIXTURES / "amazon" / "compare")])
    runner.invoke(app, ["--db", str(db), "analyze"])
    result = runner.invoke(app, ["--db", str(db), "show", "compare-words"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())  # table cells may wrap at any console width
    for expected in ("customer ", "silence", "HHH", "⤷ interrupts (2.2 s)", "3.5 s hold", "talk_time (s)", "wpm"):
        assert expected in out, expected
