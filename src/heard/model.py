"""The call data model: plain typed data, no I/O.

A Call holds Turns (who said what, when) and, when known, an Outcome (what happened after).
Vendor metrics (e.g. Amazon's ConversationCharacteristics) ride along untouched so heard's own
figures can be compared with them later. This module is also the published JSON format:
`heard schema` prints `Call.model_json_schema()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1.0"


class Role(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    OTHER = "other"


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Word(_Strict):
    """One recognised word with its own timing (from speech-to-text)."""

    text: str
    start: Seconds
    end: Seconds
    confidence: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Word:
        if self.start > self.end:
            raise ValueError(f"word {self.text!r}: 'start' is after 'end' ({self.start} > {self.end})")
        return self


class Turn(_Strict):
    """One stretch of speech (or one chat message) by one speaker."""

    speaker: Role
    speaker_id: str | None = Field(default=None, description="the source's own label: spk_0, A, ch_1, a name")
    start: Seconds | None = Field(default=None, description="seconds from the start of the call")
    end: Seconds | None = None
    text: str = Field(min_length=1)
    words: list[Word] | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty; drop the turn or give it text")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Turn:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"'start' is after 'end' ({self.start} > {self.end})")
        return self

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


class Outcome(_Strict):
    """What happened after the call: survey answers and operational outcomes."""

    csat: int | None = Field(default=None, ge=1, le=5, description="customer satisfaction, 1-5")
    nps: int | None = Field(default=None, ge=0, le=10, description="likelihood to recommend, 0-10")
    fcr: bool | None = Field(default=None, description="resolved on first contact")
    repeat_contact: bool | None = Field(
        default=None, description="the customer contacted again within repeat_window_days")
    repeat_window_days: int | None = Field(default=None, ge=1, le=365)
    escalated: bool | None = None
    handle_time: Seconds | None = Field(default=None, description="seconds, including hold and wrap-up")
    refund: bool | None = None
    churned: bool | None = None
    survey_comment: str | None = None

    def merged(self, other: Outcome) -> Outcome:
        """This outcome with every field that `other` sets taken from `other`."""
        data = self.model_dump()
        data.update(other.model_dump(exclude_none=True))
        return Outcome.model_validate(data)


@dataclass
class OutcomeRecord:
    """One row of a metadata/outcomes file: joined to a stored call by its id."""

    call_id: str
    fields: dict[str, Any]
    outcome: Outcome | None
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


class SpeakerMapping(_Strict):
    """How the source's speaker labels were mapped to agent/customer, and how sure we are."""

    method: Literal["explicit", "config", "heuristic"]
    roles: dict[str, Role] = Field(default_factory=dict)
    confidence: float = Field(default=1.0, ge=0, le=1)
    reason: str | None = None


class AudioSegment(_Strict):
    """One stretch of voice activity in the recording, on one party's channel or diarised speaker.

    Times are exact (from the signal, not the transcript). Loudness and pitch describe what the party's
    voice did in that stretch; `raised` is set for the customer only, against their own baseline.
    """

    speaker: Role
    start: Seconds
    end: Seconds
    loudness_db: float | None = Field(default=None, description="RMS level, dB relative to full scale")
    pitch_hz: float | None = Field(default=None, ge=0, description="median fundamental frequency of voiced frames")
    words_per_minute: float | None = Field(default=None, ge=0)
    raised: bool = Field(default=False, description="customer only: louder and higher than their own baseline")

    @model_validator(mode="after")
    def _ordered(self) -> AudioSegment:
        if self.start > self.end:
            raise ValueError(f"'start' is after 'end' ({self.start} > {self.end})")
        return self


class AudioInfo(_Strict):
    """Where a call's recording came from and what the signal itself showed (present only for audio imports)."""

    file: str = Field(description="the recording's file name (not its folder)")
    sha256: str = Field(description="of the recording's bytes, so the same recording is recognised again")
    sample_rate: int = Field(gt=0)
    channels: int = Field(ge=1)
    duration: Seconds
    layout: Literal["stereo", "mono"]
    transcript_source: str = Field(description="which speech-to-text engine and model wrote the words")
    segments: list[AudioSegment] = Field(default_factory=list, description="voice activity, in order of start")
    diarization: str | None = Field(default=None, description="mono recordings: how the two voices were told apart")
    diarization_confidence: float | None = Field(default=None, ge=0, le=1)
    redacted_copy: str | None = Field(default=None, description="file name of the copy with PII ranges muted")


class Call(_Strict):
    """One conversation between an agent and a customer."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickled as its JSON (a process pool or a Ray worker): pydantic's default pickling of every nested turn
        # and word costs about twice as much.
        return _call_from_json, (self.model_dump_json(),)

    schema_version: str = SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=200)
    agent_id: str | None = None
    team: str | None = None
    queue: str | None = None
    reason: str | None = Field(default=None, description="call reason / contact driver, when known")
    channel: Channel = Channel.VOICE
    started_at: datetime | None = None
    language: str = "en"
    metadata: dict[str, Any] = Field(default_factory=dict)
    turns: list[Turn] = Field(min_length=1)
    outcome: Outcome | None = None
    speaker_mapping: SpeakerMapping | None = None
    vendor_metrics: dict[str, Any] = Field(
        default_factory=dict, description="metrics computed by the source vendor, keyed by vendor name"
    )
    source_format: str | None = None
    audio: AudioInfo | None = Field(default=None, description="the recording's signal facts, for audio imports")

    @field_validator("started_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Times without a zone are taken as UTC, so every stored time compares the same way."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("id")
    @classmethod
    def _id_clean(cls, value: str) -> str:
        if value != value.strip() or any(c in value for c in "\n\r\t"):
            raise ValueError("call id must not contain surrounding spaces, tabs or newlines")
        return value

    @model_validator(mode="after")
    def _turns_in_order(self) -> Call:
        last = None
        for index, turn in enumerate(self.turns):
            if turn.start is None:
                continue
            if last is not None and turn.start < last - 1e-9:
                raise ValueError(
                    f"turn {index}: starts at {turn.start}s, before the previous turn's start {last}s; "
                    "turns must be in order of their start time"
                )
            last = turn.start
        return self

    @property
    def has_turn_times(self) -> bool:
        return all(t.start is not None and t.end is not None for t in self.turns)

    @property
    def has_word_times(self) -> bool:
        return all(t.words for t in self.turns)

    @property
    def duration(self) -> float | None:
        ends = [t.end for t in self.turns if t.end is not None]
        return max(ends) if ends else None

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of this call: equal for equal content, whatever the source file."""
        # Fields serialise in model order; dict fields (metadata) keep the order their source gave.
        # A call without audio hashes as it did before the audio field existed.
        exclude = {"source_format"} if self.audio is not None else {"source_format", "audio"}
        return hashlib.sha256(self.model_dump_json(exclude=exclude).encode("utf-8")).hexdigest()


class Metric(_Strict):
    """A number an analyser computed, with the turns it came from.

    A per-turn figure (turn_sentiment) is one series metric per party instead: `value` is None and `values`
    and `labels` hold one entry for each of `turns`. Read it with CallAnalysis.per_turn, which also reads the
    one-metric-per-turn form that analyses stored before sentiment v3 hold."""

    name: str
    value: float | int | None
    unit: str | None = None
    label: str | None = Field(default=None, description="a category, e.g. a quarter (Q1..Q4)")
    party: Role | None = None
    turns: list[int] = Field(default_factory=list)
    approximate: bool = False
    source: Literal["audio", "words", "turns"] | None = Field(
        default=None, description="timing metrics: measured on the recording, on word times or on turn times")
    analyser: str
    # Left out of the JSON when absent: only series metrics have them.
    values: list[float | None] | None = Field(default=None, exclude_if=lambda v: v is None,
                                              description="a series: one value for each of `turns`")
    labels: list[str | None] | None = Field(default=None, exclude_if=lambda v: v is None,
                                            description="a series: one label for each of `turns`")


class TurnValue(NamedTuple):
    """One turn's entry of a per-turn figure."""

    turn: int
    party: Role | None
    value: float | None
    label: str | None


class Evidence(_Strict):
    turn: int
    span: tuple[int, int] | None = None
    text: str | None = None
    time: float | None = None


class Finding(_Strict):
    """Something an analyser found at a place in the call (a behaviour, an opportunity, a flag)."""

    kind: str
    label: str
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0, le=1)
    analyser: str
    detail: dict[str, Any] = Field(default_factory=dict)


class CallAnalysis(_Strict):
    """Everything the pipeline produced for one call, and which analyser versions produced it."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickled as its JSON: pydantic's default pickling of ~100 nested metrics and findings cost 3.3 ms a call,
        # as much as analysing it, and the driver of a process pool paid it for every result (0.26 + 1.5 ms so).
        return _analysis_from_json, (self.model_dump_json(),)

    call_id: str
    content_hash: str
    analysers: dict[str, int]
    metrics: list[Metric] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict, description="analyser -> why it did not run")

    def summary(self) -> dict[str, Any]:
        """What a call list shows: behaviours found, flags, opportunities and length (stored beside the analysis)."""
        found = self.findings
        duration = self.metric("duration")
        return {
            "behaviours": sorted({f.label for f in found if f.kind == "behaviour"}),
            "robotic": sum(f.kind == "robotic" for f in found),
            "escalations": sum(f.kind == "escalation" for f in found),
            "opportunities": sum(f.kind == "opportunity" for f in found),
            "met": sum(f.kind == "opportunity" and f.label == "met" for f in found),
            "duration": duration.value if duration is not None else None,
            "handoffs": sorted({f.label for f in found if f.kind == "handoff"}) if "handoff" in self.analysers
            else None,   # None: the handoff analyser did not run, so unknown rather than none
            "promises": [{"label": f.label, "what": f.detail.get("what"), "when": f.detail.get("when"),
                          "due": f.detail.get("due"), "turn": f.evidence[0].turn if f.evidence else None}
                         for f in found if f.kind == "promise"] if "promises" in self.analysers else None,
            "heavy": sorted({f.label for f in found if f.kind == "heavy"}) if "heavy" in self.analysers else None,
            "customer_start": self._value("sentiment_quarter", Role.CUSTOMER, "Q1"),
            "customer_end": self._value("sentiment_quarter", Role.CUSTOMER, "Q4"),
            "recovery": self._value("sentiment_recovery", Role.CUSTOMER),
            "cues": sum(f.kind == "frustration_cue" for f in found) if "sentiment" in self.analysers else None,
        }

    def _value(self, name: str, party: Role, label: str | None = None) -> float | None:
        for m in self.metrics:
            if m.name == name and m.party == party and m.label == label and m.value is not None:
                return float(m.value)
        return None

    def metric(self, name: str, party: Role | None = None) -> Metric | None:
        for m in self.metrics:
            if m.name == name and m.party == party:
                return m
        return None

    def per_turn(self, name: str, party: Role | None = None) -> list[TurnValue]:
        """A per-turn figure (e.g. "turn_sentiment") for each turn that has one, in turn order; only `party`'s
        turns when given. Reads series metrics and the one-metric-per-turn form of older stored analyses."""
        found: list[TurnValue] = []
        for m in self.metrics:
            if m.name != name or (party is not None and m.party is not party):
                continue
            if m.values is not None:
                labels = m.labels if m.labels is not None else [None] * len(m.turns)
                found += [TurnValue(t, m.party, v, lab) for t, v, lab in zip(m.turns, m.values, labels, strict=False)]
            elif m.turns:
                found.append(TurnValue(m.turns[0], m.party, None if m.value is None else float(m.value), m.label))
        found.sort(key=lambda tv: tv.turn)
        return found


@dataclass(frozen=True, slots=True)
class Analysed:
    """A CallAnalysis as the engines carry it: ready to store or write, its result kept as JSON text.

    A worker makes it; the one process that writes (the driver of a run) saves or writes it without rebuilding
    the CallAnalysis, which cost it 1.4 ms a call (more than a quarter of analysing one). `analysis()` rebuilds it."""

    call_id: str
    content_hash: str
    analyser_key: str      # "name@version,..." sorted by name, as the store keys analyses
    summary: str           # CallAnalysis.summary() as JSON
    result: str            # CallAnalysis as JSON (model_dump_json)

    @classmethod
    def of(cls, analysis: CallAnalysis) -> Analysed:
        return cls(analysis.call_id, analysis.content_hash, analysis_key(analysis.analysers),
                   json.dumps(analysis.summary()), analysis.model_dump_json())

    @property
    def analysers(self) -> dict[str, int]:
        return dict((name, int(version)) for name, _, version in
                    (part.rpartition("@") for part in self.analyser_key.split(",") if part))

    def analysis(self) -> CallAnalysis:
        return CallAnalysis.model_validate_json(self.result)


def analysis_key(versions: Mapping[str, int]) -> str:
    """The key an analysis is stored under: "name@v,name@v", sorted by name."""
    return ",".join(f"{n}@{v}" for n, v in sorted(versions.items()))


def _call_from_json(text: str) -> Call:
    return Call.model_validate_json(text)


def _analysis_from_json(text: str) -> CallAnalysis:
    return CallAnalysis.model_validate_json(text)
