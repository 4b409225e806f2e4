"""The analyser registry and the pure pipeline."""

from __future__ import annotations

import pytest

from heard.analysers import REGISTRY, Need, Output, analyser
from heard.analysers.registry import NoSettings
from heard.errors import ConfigError
from heard.model import Call, Metric, Role
from heard.pipeline import analyse
from heard.runners.local import Failed, analyse_many
from tests.conftest import make_call


@pytest.mark.parametrize("call", [make_call(turns=4)])
def test_pipeline_turns_basic_metrics(call: Call) -> None:
    result = analyse(call, only=["turns.basic"])
    assert result.analysers == {"turns.basic": 2}
    turns = result.metric("turns", Role.AGENT)
    assert turns is not None and turns.value == 2 and turns.turns == [0, 2]
    seconds = result.metric("seconds_in_turns", Role.CUSTOMER)
    assert seconds is not None and seconds.value == 6.0 and seconds.unit == "s"
    mean = result.metric("mean_turn_seconds", Role.CUSTOMER)
    assert mean is not None and mean.value == 3.0


@pytest.mark.parametrize("call", [make_call(turns=3, timed=False)])
def test_pipeline_untimed_call_has_no_durations(call: Call) -> None:
    result = analyse(call)
    seconds = result.metric("seconds_in_turns", Role.AGENT)
    assert seconds is not None and seconds.value is None
    turns = result.metric("turns", Role.AGENT)
    assert turns is not None and turns.value == 2
    assert set(result.skipped) == {"timing", "overlap", "acoustics"} and "turn start/end" in result.skipped["timing"]
    assert "recording" in result.skipped["acoustics"]


@pytest.mark.parametrize("call", [make_call()])
def test_pipeline_is_pure(call: Call) -> None:
    before = call.model_dump()
    assert analyse(call) == analyse(call)
    assert call.model_dump() == before


class Threshold(NoSettings):
    minimum: int = 1


@pytest.fixture
def registered() -> object:
    """Register throwaway analysers for one test and remove them after."""
    names: list[str] = []

    @analyser("test.needs_words", version=3, needs=(Need.WORD_TIMES,), produces=("x",))
    def needs_words(call: Call, settings: NoSettings) -> Output:
        return Output(metrics=[Metric(name="x", value=1, analyser="test.needs_words")])

    @analyser("test.threshold", version=1, settings=Threshold)
    def threshold(call: Call, settings: Threshold) -> Output:
        if settings.minimum < 0:
            raise RuntimeError("boom")
        return Output(metrics=[Metric(name="long", value=int(len(call.turns) >= settings.minimum),
                                      analyser="test.threshold")])

    names += ["test.needs_words", "test.threshold"]
    yield
    for name in names:
        REGISTRY.pop(name, None)


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("call", [make_call()])
def test_pipeline_skips_analysers_whose_needs_are_missing(call: Call) -> None:
    result = analyse(call, only=["test.needs_words", "turns.basic"])
    assert "test.needs_words" not in result.analysers
    assert "per-word times" in result.skipped["test.needs_words"]


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("call", [make_call()])
def test_pipeline_settings_are_validated(call: Call) -> None:
    result = analyse(call, only=["test.threshold"], settings={"test.threshold": {"minimum": 10}})
    assert result.metrics[0].value == 0
    with pytest.raises(ConfigError) as info:
        analyse(call, only=["test.threshold"], settings={"test.threshold": {"minimun": 10}})
    assert "minimun" in str(info.value) and "minimum" in (info.value.hint or "")
    with pytest.raises(ConfigError):
        analyse(call, only=["test.threshold"], settings={"nope": {}})
    with pytest.raises(ConfigError):
        analyse(call, only=["no.such.analyser"])


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("workers", [1, 2])
def test_pipeline_runner_reports_failures_and_goes_on(workers: int) -> None:
    calls = [make_call(f"c{i}") for i in range(5)]
    results = list(analyse_many(calls, workers=workers, only=["test.threshold"], chunk_size=2,
                                settings={"test.threshold": {"minimum": -1}}))
    assert all(isinstance(r, Failed) and "boom" in r.error for r in results)
    ok = list(analyse_many(calls, workers=workers, only=["turns.basic"], chunk_size=2))
    assert [r.call_id for r in ok] == [c.id for c in calls]


def test_pipeline_registering_a_name_twice_fails() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        analyser("turns.basic", version=9)(lambda call, settings: Output())
