"""Recordings in, analysed calls out: synthetic calls with planted talk-over, silences and a raised voice.

Each call is spoken by offline text-to-speech (flite for the agent, espeak-ng for the customer; installed
by `make test` through scripts/ensure-tts.sh), so where every line's speech begins and ends is known to
the sample. The recording then goes through heard's whole audio path (Silero voice activity, Whisper base,
diarisation for mono, the acoustics analyser) and what comes out is checked against that truth:
word error rate under a stated bound, talk-over and silence edges within 100 ms, speakers right.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("faster_whisper", reason="the audio extra is not installed (pip install 'heard[audio]')")
if shutil.which("espeak-ng") is None or shutil.which("flite") is None:
    pytest.skip("espeak-ng and flite are needed to make the test audio (bash scripts/ensure-tts.sh)",
                allow_module_level=True)

import jiwer

from heard.analysers import REGISTRY
from heard.ingest.audio.pipeline import read_recording
from heard.ingest.audio.settings import AudioSettings
from heard.ingest.audio.synth import Line, SynthCall, TruthSegment, line_duration, synthesize
from heard.model import Call, Role
from heard.pipeline import analyse
from heard.text.speech import gaps, merge

A, C = Role.AGENT, Role.CUSTOMER
EDGE = 0.10   # seconds: how far a measured talk-over or silence edge may be from the planted one
# Agent: flite's slt (a woman's voice); customer: flite's rms (a man's). espeak-ng's robotic voice through a
# mu-law phone line loses a quarter of its words to Whisper base, which tests the voice, not heard.
VOICES = {A: "flite:slt", C: "flite:rms"}

# (speaker, text, pause before it in seconds; negative = starts that long before the previous line ends, raised)
SCRIPT: list[tuple[Role, str, float, bool]] = [
    (A, "Thank you for calling Northwind Energy, my name is Sam. How can I help you today?", 0.5, False),
    (C, "Hi Sam, I was charged twice for my bill this month.", 0.6, False),
    (A, "I am sorry about that. Let me check your account for you.", 0.7, False),
    (A, "Thank you for waiting. I can see the second payment on your account.", 3.0, False),   # a hold
    (C, "This is the third time it has happened and I am really fed up with it!", -1.2, True),   # talk-over
    (A, "I completely understand. I will refund the payment today.", 0.8, False),
    (C, "Okay. How long will the refund take?", 1.5, False),
    (A, "The refund will reach your account within three days.", 0.6, False),
    (C, "Right, thank you for sorting it out.", 2.2, False),
    (C, "I will look out for it on Friday.", 0.5, False),
]
# Mono: the same lines one after another (two voices at once in one channel cannot be split by two-voice
# clustering, so talk-over is measured on stereo recordings only); the raised line stays raised.
MONO_SCRIPT = [(who, text, abs(pause) if pause > 0 else 0.6, raised) for who, text, pause, raised in SCRIPT]


def place(script: Sequence[tuple[Role, str, float, bool]], rate: int) -> list[Line]:
    """Start times from the spoken lengths, so each pause (or overlap) is exactly as written."""
    lines: list[Line] = []
    cursor = 0.0
    for who, text, pause, raised in script:
        line = Line(who, text, round(max(0.0, cursor + pause), 3), raised)
        lines.append(line)
        cursor = max(cursor, line.start + line_duration(line, sample_rate=rate, engine_for=VOICES))
    return lines


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("-", " ")))


def wer(truth: Sequence[TruthSegment], call: Call, role: Role) -> float:
    said = " ".join(words(t.text) for t in truth if t.speaker is role)
    heard = " ".join(words(t.text) for t in call.turns if t.speaker is role)
    return float(jiwer.wer(said, heard))


def spans(truth: Sequence[TruthSegment], role: Role) -> list[tuple[float, float]]:
    return merge((t.start, t.end) for t in truth if t.speaker is role)


def found(call: Call, kind: str) -> list[tuple[float, float]]:
    analysis = analyse(call, only=["acoustics"])
    return [(f.detail["start"], f.detail["end"]) for f in analysis.findings if f.kind == kind]


def close(measured: Sequence[tuple[float, float]], planted: Sequence[tuple[float, float]]) -> None:
    assert len(measured) == len(planted), (measured, planted)
    for (ms, me), (ps, pe) in zip(measured, planted, strict=True):
        assert abs(ms - ps) <= EDGE and abs(me - pe) <= EDGE, ((ms, me), (ps, pe))


class Case:
    def __init__(self, tmp: Path, rate: int, stereo: bool, telephone: bool, suffix: str = ".wav") -> None:
        script = SCRIPT if stereo else MONO_SCRIPT
        self.synth: SynthCall = synthesize(place(script, rate), sample_rate=rate, stereo=stereo, telephone=telephone,
                                           engine_for=VOICES)
        self.path = self.synth.write(tmp / f"call-{rate}-{'stereo' if stereo else 'mono'}{suffix}")
        self.call = read_recording(self.path)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    tmp = tmp_path_factory.mktemp("audio")
    return {"stereo-16k": Case(tmp, 16000, True, False), "stereo-8k": Case(tmp, 8000, True, True),
            "mono-16k": Case(tmp, 16000, False, False), "mono-8k": Case(tmp, 8000, False, True)}


# Word error rate bounds per case, measured on this script with Whisper base int8, beam 1 (docs/audio.md).
WER_BOUND = {"stereo-16k": 0.15, "stereo-8k": 0.25, "mono-16k": 0.15, "mono-8k": 0.25}


@pytest.mark.parametrize("name", list(WER_BOUND))
def test_audio_words_are_recognised_within_the_stated_error(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    for role in (A, C):
        assert wer(case.synth.truth, case.call, role) <= WER_BOUND[name], (role, [t.text for t in case.call.turns])
    assert case.call.has_word_times and case.call.audio is not None
    assert case.call.source_format == "audio"


@pytest.mark.parametrize("name", ["stereo-16k", "stereo-8k"])
def test_audio_stereo_talkover_is_exact_and_who_started_it(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    planted = [(max(a[0], c[0]), min(a[1], c[1])) for a in spans(case.synth.truth, A)
               for c in spans(case.synth.truth, C) if min(a[1], c[1]) - max(a[0], c[0]) > 0.2]
    assert len(planted) == 1
    close(found(case.call, "talkover"), planted)
    talkover = [f for f in analyse(case.call, only=["acoustics"]).findings if f.kind == "talkover"]
    assert talkover[0].detail["by"] == "customer"


@pytest.mark.parametrize("name", list(WER_BOUND))
def test_audio_silences_are_exact(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    everyone = spans(case.synth.truth, A) + spans(case.synth.truth, C)
    planted = gaps(everyone, minimum=1.0, origin=everyone and min(s for s, _ in everyone))
    assert len(planted) >= 2   # the hold and the pause before the customer's thanks (and, in mono, more)
    close(found(case.call, "silence"), planted)


@pytest.mark.parametrize("name", list(WER_BOUND))
def test_audio_speakers_are_right(cases: dict[str, Case], name: str) -> None:
    """Share of planted speech time given to the right party (trivially exact in stereo; diarised in mono)."""
    case = cases[name]
    assert case.call.audio is not None
    step = 0.01
    frames = int(case.synth.duration / step)

    def who(segments: Sequence[tuple[Role, float, float]]) -> list[set[Role]]:
        out: list[set[Role]] = [set() for _ in range(frames)]
        for role, start, end in segments:
            for k in range(int(start / step), min(frames, int(end / step))):
                out[k].add(role)
        return out

    truth = who([(t.speaker, t.start, t.end) for t in case.synth.truth])
    said = who([(s.speaker, s.start, s.end) for s in case.call.audio.segments])
    one = [k for k in range(frames) if len(truth[k]) == 1]   # where exactly one party speaks
    heard = [k for k in one if said[k]]                      # ...and heard found speech (not a pause inside a line)
    assert len(heard) >= 0.85 * len(one)
    right = sum(said[k] == truth[k] for k in heard)
    assert right / len(heard) >= 0.95
    mapping = case.call.speaker_mapping
    assert mapping is not None
    if name.startswith("mono"):
        assert mapping.method == "heuristic" and mapping.confidence > 0.7
        # 0.5 means "could not tell two voices apart"; these measure 0.69-0.83 (docs/audio.md)
        assert case.call.audio is not None and (case.call.audio.diarization_confidence or 0) > 0.6
    else:
        assert mapping.method == "config"


@pytest.mark.parametrize("name", list(WER_BOUND))
def test_audio_raised_voice_is_the_customers_planted_line(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    raised = [t for t in case.synth.truth if t.raised]
    cues = [f for f in analyse(case.call).findings if f.kind == "frustration_cue" and f.label == "raised_voice"]
    assert len(cues) == 1
    assert abs(cues[0].detail["start"] - raised[0].start) <= 0.3
    assert all(not s.raised for s in case.call.audio.segments if s.speaker is A) if case.call.audio else False


def test_audio_timing_metrics_say_they_came_from_the_recording(cases: dict[str, Case]) -> None:
    analysis = analyse(cases["stereo-16k"].call)
    timing = [m for m in analysis.metrics if m.analyser in ("timing", "overlap", "acoustics")]
    assert timing and {m.source for m in timing} == {"audio"}
    assert not any(m.approximate for m in timing)
    assert "acoustics" in analysis.analysers and "acoustics" in REGISTRY


def test_audio_long_recording_in_windows_matches_one_window(tmp_path: Path) -> None:
    """A call read 30 s at a time finds the same speech and words as read whole: nothing is cut at a window edge.

    (Where a line has a borderline pause inside it, Silero may split it in one reading and not the other, so the
    speech is compared with pauses under half a second joined.)"""
    lines = place(SCRIPT * 3, 16000)
    path = synthesize(lines, sample_rate=16000, engine_for=VOICES).write(tmp_path / "long.flac")
    whole = read_recording(path, AudioSettings(chunk_seconds=600))
    seen: list[tuple[float, float]] = []
    windowed = read_recording(path, AudioSettings(chunk_seconds=30),
                              progress=lambda done, whole_s: seen.append((done, whole_s)))
    assert whole.audio is not None and windowed.audio is not None
    # The progress bar moves forward window by window and ends at the recording's length.
    assert len(seen) >= 4 and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == pytest.approx(windowed.audio.duration, abs=0.01)
    for role in (A, C):
        a = joined([(s.start, s.end) for s in whole.audio.segments if s.speaker is role])
        b = joined([(s.start, s.end) for s in windowed.audio.segments if s.speaker is role])
        assert len(a) == len(b) and len(a) >= 12
        for (sa, ea), (sb, eb) in zip(a, b, strict=True):
            assert abs(sa - sb) <= 0.05 and abs(ea - eb) <= 0.05
        said = " ".join(words(t.text) for t in whole.turns if t.speaker is role)
        assert jiwer.wer(said, " ".join(words(t.text) for t in windowed.turns if t.speaker is role)) <= 0.05


def joined(spans: Sequence[tuple[float, float]], pause: float = 0.5) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if out and start - out[-1][1] < pause:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
