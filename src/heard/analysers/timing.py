"""timing: talk time and pace per party, non-talk time (hold vs dead air), monologues, response
latency, and time to the first acknowledgement.

Speech is taken from word timings where the call has them (a pause inside a turn of at least the
non-talk threshold is then not talk), else from turn start/end, and figures that could only use
turn timings are marked approximate. Definitions follow Amazon's where Amazon documents them; see
docs/analytics.md.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from statistics import median
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heard.analysers.registry import Need, Output, analyser, findings_of, metrics_of
from heard.model import Call, Role
from heard.text.speech import (
    AGENT,
    BACKCHANNEL_MAX_SECONDS,
    BACKCHANNEL_MAX_WORDS,
    CUSTOMER,
    compile_phrases,
    gaps,
    is_backchannel,
    merge,
    party_speech,
    timing_source,
    tokens,
    total,
    turn_speech,
    word_count,
)

NAME = "timing"

HOLD_PHRASES = [
    r"(?:put|place|pop) you on (?:a )?(?:short |brief |quick )?hold", r"bear with me", r"hold on",
    r"(?:one|a|just a|give me a) (?:moment|second|sec|minute|mo)", r"let me (?:just )?(?:check|look|see|pull|find|"
    r"take a look|have a look|dig)", r"while i (?:check|look|pull|find)", r"i'?ll (?:just )?(?:check|look)",
]
RESUME_PHRASES = [r"thanks? (?:you )?for (?:holding|waiting|your patience|bearing with me)",
                  r"(?:sorry|apologi[sz]e) (?:for|about) (?:the|keeping you) wait", r"i'?m back"]
ACKNOWLEDGEMENT_PHRASES = [
    r"sorry", r"apologi[sz]e", r"i (?:completely |totally |really )?understand", r"(?:that|this|it) (?:sounds|must be)",
    r"i can (?:see|hear|imagine|understand)", r"frustrat\w*", r"stressful", r"worr(?:y|ying|ied)",
    r"i hear you", r"(?:that'?s|that is) (?:awful|terrible|annoying|not good|a lot|a pain|rotten|hard|worrying)",
    r"i'?d be (?:fed up|annoyed|upset|frustrated|losing patience|going mad)", r"fair enough",
]


class TimingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    non_talk_threshold: float = Field(default=3.0, gt=0, description="seconds of silence that count as non-talk")
    hold_phrases: list[str] = Field(default_factory=lambda: list(HOLD_PHRASES))
    resume_phrases: list[str] = Field(default_factory=lambda: list(RESUME_PHRASES))
    acknowledgement_phrases: list[str] = Field(default_factory=lambda: list(ACKNOWLEDGEMENT_PHRASES))
    problem_min_words: int = Field(default=6, ge=1, description="a customer turn this long states the problem")
    backchannel_max_words: int = BACKCHANNEL_MAX_WORDS
    backchannel_max_seconds: float = BACKCHANNEL_MAX_SECONDS


@analyser(NAME, version=2, needs=(Need.TURN_TIMES,), settings=TimingSettings, produces=(
    "duration", "talk_time", "talk_share", "talk_percent_of_call", "words", "wpm", "non_talk_time",
    "non_talk_count", "hold_time", "dead_air_time", "longest_monologue", "response_latency_median",
    "response_latency_max", "time_to_acknowledgement", "non_talk"))
def timing(call: Call, settings: TimingSettings) -> Output:
    """Talk time, pace, silences, monologues, response latency and time to acknowledgement."""
    approximate = not call.has_word_times and call.audio is None
    source = timing_source(call)
    pause = settings.non_talk_threshold
    rows: list[dict[str, Any]] = []   # every metric, validated in one call at the end (cheaper than a Metric() each)
    findings: list[dict[str, Any]] = []   # validated in one call at the end, like the metrics

    def metric(name: str, value: float | int | None, unit: str | None = None, party: Role | None = None,
               turns: list[int] | None = None, approx: bool = approximate) -> None:
        rows.append({"name": name, "value": value, "unit": unit, "party": party, "turns": turns or [],
                     "analyser": NAME, "approximate": approx, "source": source})

    ends = [t.end or 0.0 for t in call.turns]
    last = max(range(len(ends)), key=ends.__getitem__)
    duration = ends[last]
    metric("duration", round(duration, 3), "s", turns=[last], approx=False)

    floor = _floor_turns(call, settings)
    spoken = [turn_speech(t, pause) for t in call.turns]   # each turn's speech, worked out once
    if call.audio is not None:
        speech = {role: party_speech(call, role, pause) for role in (AGENT, CUSTOMER)}
    else:   # party_speech(call, role, pause), from the spans above
        speech = {role: merge(span for t, spans in zip(call.turns, spoken, strict=True) if t.speaker is role
                              for span in spans) for role in (AGENT, CUSTOMER)}
    talk = {role: total(spans) for role, spans in speech.items()}
    both = sum(talk.values())
    counts = [word_count(t) for t in call.turns]
    for role in (AGENT, CUSTOMER):
        own = [i for i, t in enumerate(call.turns) if t.speaker is role]
        words = sum(counts[i] for i in own)
        metric("talk_time", round(talk[role], 3), "s", role, own)
        metric("talk_share", round(talk[role] / both, 4) if both else None, "ratio", role, own)
        metric("talk_percent_of_call", round(100 * talk[role] / duration, 2) if duration else None, "%", role, own)
        metric("words", words, None, role, own, approx=False)
        metric("wpm", round(words / (talk[role] / 60), 1) if talk[role] else None, "words/min", role, own)
        metric("longest_monologue", *_longest_monologue(call, role, settings, floor), approx=False)

    hold = compile_phrases(settings.hold_phrases)
    resume = compile_phrases(settings.resume_phrases)
    # With a recording, silence is where neither channel (or voice) has speech; else where no turn's words are.
    everyone = speech[AGENT] + speech[CUSTOMER] if call.audio is not None \
        else [span for spans in spoken for span in spans]
    silences = gaps(everyone, minimum=settings.non_talk_threshold)
    hold_time = dead_air = 0.0
    # Turns come in order of start and silences in order of time, so one pass finds each silence's turns:
    # the agent's last turn started by it, the agent's first turn after it, and the turns it falls inside.
    agent = [i for i, t in enumerate(call.turns) if t.speaker is AGENT]
    agent_starts = [call.turns[i].start or 0 for i in agent]
    started: list[int] = []   # turns started before the silence that may still be going on
    next_turn = 0
    for start, end in silences:
        k = bisect_right(agent_starts, start)
        before = agent[k - 1:k]
        k = bisect_left(agent_starts, end - 0.5)
        after = agent[k:k + 1]
        while next_turn < len(call.turns) and (call.turns[next_turn].start or 0) < start:
            started.append(next_turn)
            next_turn += 1
        # A turn that ended by this silence's end ends before every later silence's end too.
        started = [i for i in started if (call.turns[i].end or 0) > end]
        inside = started
        announced = before and _says_before(call.turns[before[-1]].text, start, call, before[-1], hold)
        resumed = after and resume.search(call.turns[after[0]].text[:80])
        label = "hold" if announced or resumed else "dead_air"
        if label == "hold":
            hold_time += end - start
        else:
            dead_air += end - start
        evidence = [{"turn": i, "time": call.turns[i].start} for i in sorted(set(before[-1:] + after[:1] + inside))]
        findings.append({"kind": "non_talk", "label": label, "evidence": evidence, "analyser": NAME, "detail": {
            "start": round(start, 3), "end": round(end, 3), "duration": round(end - start, 3),
            "inside_turn": inside[0] if inside else None,
            "announced_by": before[-1] if announced else None, "resumed_by": after[0] if resumed else None}})
    metric("non_talk_time", round(hold_time + dead_air, 3), "s")
    metric("non_talk_count", len(silences))
    metric("hold_time", round(hold_time, 3), "s")
    metric("dead_air_time", round(dead_air, 3), "s")

    latencies = _latencies(call, floor)
    metric("response_latency_median", round(median(v for v, _ in latencies), 3) if latencies else None, "s",
           AGENT, sorted({i for _, pair in latencies for i in pair}), approx=False)
    worst = max(latencies, default=None)
    metric("response_latency_max", round(worst[0], 3) if worst else None, "s", AGENT,
           list(worst[1]) if worst else [], approx=False)

    metric("time_to_acknowledgement", *_time_to_acknowledgement(call, settings), approx=False)
    return Output(metrics=metrics_of(rows), findings=findings_of(findings))


def _says_before(text: str, silence_start: float, call: Call, index: int, pattern: object) -> bool:
    """Did the agent announce the wait in the words spoken before the silence began?"""
    turn = call.turns[index]
    if turn.words and (turn.end or 0) > silence_start:
        spoken = " ".join(w.text for w in turn.words if w.end <= silence_start + 0.01)
    else:
        spoken = text
    return bool(pattern.search(spoken[-160:]))  # type: ignore[attr-defined]


def _floor_turns(call: Call, settings: TimingSettings) -> list[int]:
    """Turns that take the floor: everything but backchannels."""
    return [i for i, t in enumerate(call.turns) if not is_backchannel(
        t, max_words=settings.backchannel_max_words, max_seconds=settings.backchannel_max_seconds)]



def _longest_monologue(call: Call, role: Role, settings: TimingSettings,
                       floor: list[int]) -> tuple[float | None, str, Role, list[int]]:
    # A run is a stretch of `floor` by this role; it is kept as its first position so that a long run is
    # never copied turn by turn.
    best_span, best_first, best_last = 0.0, -1, -1
    first = -1   # where the current run starts in `floor`; -1: no run
    for pos, i in enumerate(floor):
        turn = call.turns[i]
        if turn.speaker is role:
            # A silence of non-talk length ends a monologue: nobody is talking through a hold.
            if first >= 0 and (turn.start or 0) - (call.turns[floor[pos - 1]].end or 0) >= settings.non_talk_threshold:
                first = -1
            if first < 0:
                first = pos
            span = (turn.end or 0) - (call.turns[floor[first]].start or 0)
            if span > best_span:
                best_span, best_first, best_last = span, first, pos
        else:
            first = -1
    turns = floor[best_first:best_last + 1] if best_first >= 0 else []
    return (round(best_span, 3) if turns else None), "s", role, turns


def _latencies(call: Call, floor: list[int]) -> list[tuple[float, tuple[int, int]]]:
    """Seconds from the end of each customer turn to the start of the agent's reply (negative: overlap)."""
    found = []
    for before, after in itertools.pairwise(floor):
        a, b = call.turns[before], call.turns[after]
        if a.speaker is CUSTOMER and b.speaker is AGENT and a.end is not None and b.start is not None:
            found.append((b.start - a.end, (before, after)))
    return found


def _time_to_acknowledgement(call: Call, settings: TimingSettings) -> tuple[float | None, str, Role, list[int]]:
    ack = compile_phrases(settings.acknowledgement_phrases)
    problem = next((i for i, t in enumerate(call.turns)
                    if t.speaker is CUSTOMER and len(tokens(t.text)) >= settings.problem_min_words), None)
    if problem is None:
        return None, "s", AGENT, []
    for i in range(problem + 1, len(call.turns)):
        t = call.turns[i]
        if t.speaker is AGENT and ack.search(t.text):
            return round((t.start or 0) - (call.turns[problem].end or 0), 3), "s", AGENT, [problem, i]
    return None, "s", AGENT, [problem]
