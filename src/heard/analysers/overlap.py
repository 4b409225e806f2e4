"""overlap: who started speaking while the other party was speaking, and for how long.

A turn that starts inside the other party's speech is a backchannel when it is short (at most
`backchannel_max_words` words and `backchannel_max_seconds` long: "mhm", "okay", "right"). Otherwise it
is an interruption only when it is real talk-over that takes the floor, as Amazon counts Interruptions:
the two talk at once for at least `min_overlap_seconds`, the interrupted party stops while the
interrupter goes on, and the span from the interrupter's start to the end of the interrupted turn is at
least `min_span_seconds`. Anything else that overlaps is "overtalk" (both talking a moment, usually
turn-boundary padding in a transcript), reported but not counted as an interruption. Overlaps shorter
than `min_overtalk_seconds` are diarisation jitter and are ignored. The overlap is measured on word
timings where the call has them. Each interruption also carries Amazon's way of timing it (from the
interrupter's start to the end of the interrupted turn, chains merged) so the two can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Need, Output, analyser, findings_of, metrics_of
from heard.model import Call, Role
from heard.text.speech import (
    AGENT,
    BACKCHANNEL_MAX_SECONDS,
    BACKCHANNEL_MAX_WORDS,
    CUSTOMER,
    is_backchannel,
    merge,
    overlap,
    timing_source,
    turn_speech,
)

NAME = "overlap"


class OverlapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backchannel_max_words: int = Field(default=BACKCHANNEL_MAX_WORDS, ge=0)
    backchannel_max_seconds: float = Field(default=BACKCHANNEL_MAX_SECONDS, ge=0)
    min_overtalk_seconds: float = Field(default=0.5, ge=0, description="shorter overlaps (turn padding) are ignored")
    min_overlap_seconds: float = Field(default=1.0, ge=0, description="an interruption talks over this long")
    min_span_seconds: float = Field(default=2.0, ge=0,
                                    description="an interruption's span (its start to the interrupted end)")
    pause: float = Field(default=3.0, gt=0, description="a pause this long inside a turn is not speech")


@dataclass
class _Tally:
    interruptions: int = 0
    seconds: float = 0.0
    backchannels: int = 0
    overtalks: int = 0
    turns: list[int] = field(default_factory=list)
    amazon_spans: list[tuple[float, float]] = field(default_factory=list)


@analyser(NAME, version=3, needs=(Need.TURN_TIMES,), settings=OverlapSettings, produces=(
    "interruptions", "interruption_seconds", "backchannels", "overtalks", "overtalk_seconds", "interruption",
    "backchannel", "overtalk"))
def overlaps(call: Call, settings: OverlapSettings) -> Output:
    """Interruptions and backchannels per party, with how long each talked over the other."""
    approximate = not call.has_word_times and call.audio is None
    source = timing_source(call)
    findings: list[dict[str, Any]] = []   # validated in one call at the end, like the metrics
    counts = {AGENT: _Tally(), CUSTOMER: _Tally()}
    # Each party's turns that may still be in progress; turns come in order of start, so a turn that
    # ended before this one started can be dropped for good.
    active: dict[Role, list[int]] = {AGENT: [], CUSTOMER: []}
    starts = [t.start or 0 for t in call.turns]
    ends = [t.end or 0 for t in call.turns]
    for j, turn in enumerate(call.turns):
        if turn.speaker not in counts or turn.start is None:
            continue
        other = CUSTOMER if turn.speaker is AGENT else AGENT
        start = turn.start
        active[other] = still = [i for i in active[other] if ends[i] > start]
        active[turn.speaker].append(j)
        # The other party's latest-starting turn that was in progress when this one started.
        i = next((i for i in reversed(still) if starts[i] < start), -1) if still else -1
        if i < 0:
            continue
        shared = overlap(turn_speech(turn, settings.pause), turn_speech(call.turns[i], settings.pause))
        if shared < settings.min_overtalk_seconds:
            continue
        short = is_backchannel(turn, max_words=settings.backchannel_max_words,
                               max_seconds=settings.backchannel_max_seconds)
        interrupted_end = call.turns[i].end or start
        floor_taken = (turn.end or 0) > interrupted_end
        takes_floor = (shared >= settings.min_overlap_seconds and floor_taken
                       and interrupted_end - start >= settings.min_span_seconds)
        label = "backchannel" if short else "interruption" if takes_floor else "overtalk"
        tally = counts[turn.speaker]
        tally.turns.append(j)
        if short:
            tally.backchannels += 1
        elif not takes_floor:
            tally.overtalks += 1
        else:
            tally.interruptions += 1
            tally.seconds += shared
            tally.amazon_spans.append((turn.start, call.turns[i].end or turn.start))
        findings.append({
            "kind": "overlap", "label": label, "analyser": NAME,
            "evidence": [{"turn": i, "time": call.turns[i].start}, {"turn": j, "time": turn.start}],
            "detail": {"by": turn.speaker.value, "of": other.value, "start": round(turn.start, 3),
                       "overlap_seconds": round(shared, 3), "floor_taken": floor_taken, "approximate": approximate}})
    rows: list[dict[str, Any]] = []
    for role, tally in counts.items():
        chains = merge(tally.amazon_spans)  # Amazon merges interruptions whose spans touch into one
        for name, value, unit, approx in (
                ("interruptions", tally.interruptions, None, False),
                ("interruption_seconds", round(tally.seconds, 3), "s", approximate),
                ("backchannels", tally.backchannels, None, False),
                ("overtalks", tally.overtalks, None, False),
                ("amazon_interruptions", len(chains), None, False),   # Amazon's way of counting and timing them
                ("amazon_interruption_seconds", round(sum(e - s for s, e in chains), 3), "s", approximate)):
            rows.append({"name": name, "value": value, "unit": unit, "party": role, "turns": tally.turns,
                         "analyser": NAME, "approximate": approx, "source": source})
    return Output(metrics=metrics_of(rows), findings=findings_of(findings))
