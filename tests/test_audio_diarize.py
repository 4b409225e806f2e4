"""Two-speaker diarisation of mono recordings (heard/audio/diarize.py), on synthetic calls whose truth is
planted: agent (flite) and customer (espeak-ng) taking turns with short gaps, at 8 kHz telephone and
16 kHz quality. Needs Debian's espeak-ng and flite; without them the tests skip and say how to install."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from heard.ingest.audio.diarize import Diarization, diarize
from heard.ingest.audio.signal import energy_segments, refine_edges
from heard.ingest.audio.synth import Line, SynthCall, line_duration, synthesize
from heard.model import Role

NEEDS_TTS = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("flite") is None,
    reason="synthetic audio needs espeak-ng and flite: run `bash scripts/ensure-tts.sh`")

# A call's worth of turns, agent first, each party's lines in order.
AGENT = [
    "Thank you for calling Northwind Energy, my name is Sam. How can I help you today?",
    "I'm so sorry about that. Being charged twice right before rent is really stressful.",
    "Could I take your account number and the first line of your address, please?",
    "Thank you. I can see the two payments, and the second one was a duplicate from our side.",
    "I completely understand, and I'm sorry you've had to call again about it.",
    "I've raised a refund. It will be back in your account within three working days.",
    "You're very welcome. Is there anything else I can help you with today?",
    "Thanks for calling, and have a lovely day.",
]
CUSTOMER = [
    "Hi, I was charged twice for my bill this month and I need that money back.",
    "Yes, it's really worrying, I only just get by as it is.",
    "Sure, it's four five seven two nine one, and I live at twelve Mill Lane.",
    "This is the third time this has happened and nobody has fixed it.",
    "Okay. How long will the refund take to come through?",
    "Right, that makes sense, thank you.",
    "No, that's everything, thanks for your help.",
    "You too, bye.",
]
RATES = [(16000, False), (8000, True)]


def taking_turns(voices: dict[Role, str] | None = None, *, seed: int = 0) -> list[Line]:
    """Agent and customer lines alternating, each after a gap of 0.3-1.0 s (all in one voice if asked)."""
    rng = random.Random(seed)
    lines, clock = [], 0.5
    for agent, customer in zip(AGENT, CUSTOMER, strict=True):
        for role, text in ((Role.AGENT, agent), (Role.CUSTOMER, customer)):
            line = Line(role, text, round(clock, 3))
            lines.append(line)
            clock += line_duration(line, engine_for=voices) + rng.uniform(0.3, 1.0)
    return lines


def accuracy(call: SynthCall, result: Diarization) -> float:
    """Share of the planted speech time given to the right speaker, under the better of the two namings."""
    step = 0.01
    times = np.concatenate([np.arange(s.start, s.end, step) for s in call.truth])
    truth = np.concatenate([np.full(len(np.arange(s.start, s.end, step)), s.speaker == Role.CUSTOMER, dtype=int)
                            for s in call.truth])
    said = np.full(len(times), -1)
    for start, end, label in result.turns:
        said[(times >= start) & (times < end)] = int(label.removeprefix("spk_"))
    return max(float(np.mean(np.where(said >= 0, np.array(naming)[np.maximum(said, 0)], -1) == truth))
               for naming in ([0, 1], [1, 0]))


def diarized(call: SynthCall) -> Diarization:
    rate = call.sample_rate
    return diarize(call.audio, rate, refine_edges(call.audio, rate, energy_segments(call.audio, rate)))


@pytest.fixture(scope="module")
def two_voices() -> list[Line]:
    if shutil.which("espeak-ng") is None or shutil.which("flite") is None:
        pytest.skip("synthetic audio needs espeak-ng and flite: run `bash scripts/ensure-tts.sh`")
    return taking_turns()


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), RATES)
def test_diarize_two_voices_taking_turns(two_voices: list[Line], rate: int, phone: bool) -> None:
    call = synthesize(two_voices, sample_rate=rate, telephone=phone, stereo=False)
    result = diarized(call)
    assert result.speakers == ["spk_0", "spk_1"]
    assert result.turns[0][2] == "spk_0"                    # labels by first appearance
    assert all(a[1] <= b[0] for a, b in zip(result.turns, result.turns[1:], strict=False))
    assert accuracy(call, result) >= 0.95
    assert result.confidence > 0.7
    assert result.method == "spectral+pitch clustering"


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), RATES)
def test_diarize_one_voice_is_one_speaker_with_low_confidence(two_voices: list[Line], rate: int,
                                                              phone: bool) -> None:
    both = diarized(synthesize(two_voices, sample_rate=rate, telephone=phone, stereo=False))
    alone = [Line(Role.AGENT, line.text, line.start) for line in two_voices]
    result = diarized(synthesize(alone, sample_rate=rate, telephone=phone, stereo=False))
    assert result.confidence < both.confidence
    assert result.confidence <= 0.6
    assert result.speakers == ["spk_0"]
    assert result.turns


@pytest.mark.parametrize("segments", [[], [(0.2, 0.6)], [(0.5, 0.2)]])
def test_diarize_too_little_speech_is_one_speaker(segments: list[tuple[float, float]]) -> None:
    rate = 8000
    x = (0.1 * np.random.default_rng(0).standard_normal(rate)).astype(np.float32)
    result = diarize(x, rate, segments)
    assert result.confidence == 0.5
    assert len(result.speakers) <= 1
    assert all(0 <= start < end <= 1.0 for start, end, _ in result.turns)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_diarize_never_fails_on_noise_and_silence(rate: int) -> None:
    rng = np.random.default_rng(1)
    x = np.zeros(rate * 20, dtype=np.float32)
    x[rate * 2: rate * 18] = 0.05 * rng.standard_normal(rate * 16)
    result = diarize(x, rate, [(float(s), float(s) + 1.2) for s in range(0, 20, 2)])
    assert 0.5 <= result.confidence <= 1.0
    assert all(0 <= start < end <= 20 for start, end, _ in result.turns)
