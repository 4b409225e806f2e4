"""The analyser registry: every analyser declares its versioned name, what it needs and what it produces.

    @analyser("turns.basic", version=1, needs=(), produces=("turns", "words", "talk_time"))
    def basic(call: Call, settings: NoSettings) -> Output: ...

Bump `version` whenever the output for the same call can change; stored results record it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from heard.errors import ConfigError
from heard.model import Call, Finding, Metric


class Need(StrEnum):
    TURN_TIMES = "turn_times"
    WORD_TIMES = "word_times"
    SENTIMENT = "sentiment"
    AUDIO = "audio"


class NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Output:
    metrics: list[Metric] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


_METRIC_LIST = TypeAdapter(list[Metric])
_FINDING_LIST = TypeAdapter(list[Finding])


def metrics_of(rows: list[dict[str, Any]]) -> list[Metric]:
    """Metrics from plain dicts, validated in one call: about half the cost of a Metric() each, which the
    per-call analysers pay dozens of times a call."""
    return _METRIC_LIST.validate_python(rows)


def findings_of(rows: list[dict[str, Any]]) -> list[Finding]:
    """Findings (their evidence as dicts too) from plain dicts, validated in one call: two thirds of the cost of a
    Finding() with its Evidence() each, for analysers that find something at many places of a call."""
    return _FINDING_LIST.validate_python(rows)


S = TypeVar("S", bound=BaseModel)
AnalyserFn = Callable[[Call, Any], Output]


@dataclass(frozen=True)
class Analyser:
    name: str
    version: int
    needs: frozenset[Need]
    produces: tuple[str, ...]
    settings_model: type[BaseModel]
    run: AnalyserFn
    doc: str

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def settings(self, values: dict[str, Any] | None) -> BaseModel:
        try:
            return self.settings_model.model_validate(values or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            valid = ", ".join(self.settings_model.model_fields) or "(none)"
            raise ConfigError(f"analysers.{self.name}.{key}: {err['msg']}",
                              hint=f"Valid settings for {self.name}: {valid}.") from None

    def missing(self, call: Call) -> str | None:
        """Why this analyser cannot run on the call, or None if it can."""
        if Need.TURN_TIMES in self.needs and not call.has_turn_times:
            return "needs turn start/end times, which this call does not have"
        if Need.WORD_TIMES in self.needs and not call.has_word_times:
            return "needs per-word times, which this call does not have"
        if Need.AUDIO in self.needs and call.audio is None:
            return "needs the call's recording (import the audio file), which this call does not have"
        return None


REGISTRY: dict[str, Analyser] = {}


def analyser(
    name: str, *, version: int, needs: tuple[Need, ...] = (), produces: tuple[str, ...] = (),
    settings: type[BaseModel] = NoSettings,
) -> Callable[[AnalyserFn], AnalyserFn]:
    """Register a function as an analyser under a versioned name."""

    def register(fn: AnalyserFn) -> AnalyserFn:
        if name in REGISTRY and REGISTRY[name].run is not fn:
            raise ValueError(f"analyser {name!r} is registered twice")
        REGISTRY[name] = Analyser(name=name, version=version, needs=frozenset(needs), produces=produces,
                                  settings_model=settings, run=fn, doc=(fn.__doc__ or "").strip())
        return fn

    return register
