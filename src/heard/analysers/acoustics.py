"""acoustics: what the recording itself shows — exact talk-over, silences, loudness, pace, the customer's raised voice.

Runs only on calls imported from audio. Talk-over is where both parties' voice activity overlaps
(exact timing from the signal, not the transcript's turn times); the party who started second talked
over the other. Silence is where neither party has voice activity. A raised voice is marked for the
customer only, against the customer's own baseline (louder and higher than their usual), and counts
as one more frustration cue; heard never judges the agent's feelings from their voice.
"""

from __future__ import annotations

from statistics import median

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Need, Output, analyser
from heard.model import AudioSegment, Call, Evidence, Finding, Metric, Role
from heard.text.speech import Interval, gaps, merge

NAME = "acoustics"


class AcousticsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_talkover_seconds: float = Field(default=0.2, ge=0, description="shorter overlaps are edge jitter")
    min_silence_seconds: float = Field(default=1.0, gt=0, description="a gap this long with nobody speaking")


@analyser(NAME, version=1, needs=(Need.AUDIO,), settings=AcousticsSettings, produces=(
    "talkover_count", "talkover_seconds", "silence_count", "silence_seconds", "longest_silence", "loudness_db",
    "speaking_rate", "raised_voice_segments", "talkover", "silence", "frustration_cue"))
def acoustics(call: Call, settings: AcousticsSettings) -> Output:
    """Talk-over, silence, loudness and pace measured on the recording; the customer's raised voice."""
    assert call.audio is not None   # Need.AUDIO
    segments = call.audio.segments
    spans = {role: merge((s.start, s.end) for s in segments if s.speaker is role)
             for role in (Role.AGENT, Role.CUSTOMER)}
    metrics: list[Metric] = []
    findings: list[Finding] = []

    def metric(name: str, value: float | int | None, unit: str | None = None, party: Role | None = None) -> None:
        metrics.append(Metric(name=name, value=value, unit=unit, party=party, analyser=NAME, source="audio"))

    starts = {role: [s for s in segments if s.speaker is role] for role in spans}
    talkover = {Role.AGENT: [0, 0.0], Role.CUSTOMER: [0, 0.0]}
    for start, end in _intersections(spans[Role.AGENT], spans[Role.CUSTOMER]):
        if end - start < settings.min_talkover_seconds:
            continue
        by = _started_second(starts, start)
        tally = talkover[by]
        tally[0] += 1
        tally[1] += end - start
        other = Role.CUSTOMER if by is Role.AGENT else Role.AGENT
        findings.append(Finding(kind="talkover", label="talkover", analyser=NAME,
                                evidence=_evidence(call, start, end),
                                detail={"by": by.value, "of": other.value, "start": round(start, 3),
                                        "end": round(end, 3), "seconds": round(end - start, 3)}))
    for role, (count, seconds) in talkover.items():
        metric("talkover_count", count, None, role)
        metric("talkover_seconds", round(seconds, 3), "s", role)

    silences = gaps(spans[Role.AGENT] + spans[Role.CUSTOMER], minimum=settings.min_silence_seconds)
    for start, end in silences:
        findings.append(Finding(kind="silence", label="silence", analyser=NAME, evidence=_evidence(call, start, end),
                                detail={"start": round(start, 3), "end": round(end, 3),
                                        "seconds": round(end - start, 3)}))
    metric("silence_count", len(silences))
    metric("silence_seconds", round(sum(e - s for s, e in silences), 3), "s")
    metric("longest_silence", round(max((e - s for s, e in silences), default=0.0), 3), "s")

    for role in (Role.AGENT, Role.CUSTOMER):
        own = starts[role]
        levels = [s.loudness_db for s in own if s.loudness_db is not None]
        metric("loudness_db", round(median(levels), 2) if levels else None, "dBFS", role)
        metric("speaking_rate", _pace(own), "words/min", role)
    raised = [s for s in starts[Role.CUSTOMER] if s.raised]
    metric("raised_voice_segments", len(raised), None, Role.CUSTOMER)
    baseline = [s.loudness_db for s in starts[Role.CUSTOMER] if s.loudness_db is not None and not s.raised]
    for s in raised:
        above = None if s.loudness_db is None or not baseline else round(s.loudness_db - median(baseline), 1)
        findings.append(Finding(kind="frustration_cue", label="raised_voice", analyser=NAME,
                                evidence=_evidence(call, s.start, s.end, Role.CUSTOMER),
                                detail={"start": s.start, "end": s.end, "db_above_baseline": above,
                                        "pitch_hz": s.pitch_hz, "source": "audio"}))
    return Output(metrics=metrics, findings=findings)


def _intersections(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _started_second(segments: dict[Role, list[AudioSegment]], at: float) -> Role:
    """Who began the stretch that is going on at `at` later: the one who talked over the other."""
    began = {role: max((s.start for s in own if s.start <= at + 1e-6), default=-1.0) for role, own in segments.items()}
    return Role.AGENT if began[Role.AGENT] > began[Role.CUSTOMER] else Role.CUSTOMER


def _evidence(call: Call, start: float, end: float, role: Role | None = None) -> list[Evidence]:
    """The turns that overlap [start, end] (of `role` when given), each with its own start time."""
    found = [Evidence(turn=i, time=t.start) for i, t in enumerate(call.turns)
             if t.start is not None and t.end is not None and t.start < end + 0.05 and t.end > start - 0.05
             and (role is None or t.speaker is role)]
    return found[:4]


def _pace(segments: list[AudioSegment]) -> float | None:
    timed = [(s.words_per_minute, s.end - s.start) for s in segments if s.words_per_minute is not None]
    seconds = sum(d for _, d in timed)
    return round(sum(r * d for r, d in timed) / seconds, 1) if seconds else None
