"""Synthetic calls with planted timing (heard/audio/synth.py) and the measurements on the signal
(heard/audio/signal.py): speech edges, loudness, pitch, a raised voice, muting. The calls are spoken by
Debian's espeak-ng and flite; without them those tests skip and say how to install them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from heard.ingest.audio.signal import (
    FLOOR_DB,
    energy_segments,
    frame_db,
    loudness_db,
    mute,
    pitch_hz,
    raised_flags,
    refine_edges,
    speaking_rate,
)
from heard.ingest.audio.synth import Line, SynthCall, TtsUnavailable, require_tts, script_call, synthesize
from heard.model import Role

NEEDS_TTS = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("flite") is None,
    reason="synthetic audio needs espeak-ng and flite: run `bash scripts/ensure-tts.sh`")

# Named lines for the small hand-built calls.
GREETING = "Thank you for calling Northwind Energy, how can I help?"
PROBLEM = "Hi, I was charged twice for my bill this month."
EMPATHY = "I'm sorry, that sounds really stressful. Let's get it sorted."
SHORT = [Line(Role.AGENT, GREETING, 0.5), Line(Role.CUSTOMER, PROBLEM, 4.2), Line(Role.AGENT, EMPATHY, 6.0)]

# The planted call: one problem told in full, pauses of 0.5-1.5 s between lines and 2-4 s holds, half the
# customer's replies to a long agent line starting before the agent has finished, one raised customer line.
RATES = [(16000, False), (8000, True)]


def db(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(10 * np.log10(max(np.mean(x**2), 1e-12))) if len(x) else FLOOR_DB


def channel_of(call: SynthCall, role: Role, agent_channel: int = 0) -> np.ndarray:
    return call.audio[:, agent_channel if role == Role.AGENT else 1 - agent_channel]


@pytest.fixture(scope="module")
def planted() -> list[Line]:
    if shutil.which("espeak-ng") is None or shutil.which("flite") is None:
        pytest.skip("synthetic audio needs espeak-ng and flite: run `bash scripts/ensure-tts.sh`")
    return script_call(60, seed=3, raised=1, overlaps=0.5, gaps=(0.5, 1.5), hold=(2.0, 4.0))


@pytest.fixture(scope="module")
def calls(planted: list[Line]) -> dict[tuple[int, bool], SynthCall]:
    return {(rate, phone): synthesize(planted, sample_rate=rate, telephone=phone) for rate, phone in RATES}


def detected(call: SynthCall, role: Role) -> list[tuple[float, float]]:
    x = channel_of(call, role)
    return refine_edges(x, call.sample_rate, energy_segments(x, call.sample_rate))


@NEEDS_TTS
def test_synth_planted_script_has_what_the_tests_claim(planted: list[Line]) -> None:
    agent_ends: list[tuple[float, float]] = []
    overlaps = 0
    call = synthesize(planted, sample_rate=8000)
    for seg in call.truth:
        if seg.speaker == Role.CUSTOMER and any(a_start < seg.start < a_end for a_start, a_end in agent_ends):
            overlaps += 1
        if seg.speaker == Role.AGENT:
            agent_ends.append((seg.start, seg.end))
    gaps = [b.start - a.end for a, b in zip(call.truth, call.truth[1:], strict=False) if b.start > a.end]
    assert overlaps >= 1
    assert min(gaps) >= 0.5 - 1e-6 and max(gaps) >= 2.0
    assert sum(s.raised for s in call.truth) == 1
    assert planted[0].speaker == Role.AGENT and 50 <= call.duration <= 120


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), RATES)
def test_synth_truth_boundaries_match_the_signal(calls: dict[tuple[int, bool], SynthCall], rate: int,
                                                  phone: bool) -> None:
    call = calls[(rate, phone)]
    quiet = -90.0 if not phone else -45.0        # a phone line's filter rings a little past the edges
    for seg in call.truth:
        x = channel_of(call, seg.speaker)
        same = [s for s in call.truth if s.speaker == seg.speaker and s is not seg]
        levels = frame_db(x, rate, hop=0.005, win=0.005)
        speech = levels[int(seg.start / 0.005): int(seg.end / 0.005)]
        loud = np.flatnonzero(speech >= speech.max() - 40)
        assert abs(loud[0] * 0.005) <= 0.015, seg.text
        assert abs(seg.start + (loud[-1] + 1) * 0.005 - seg.end) <= 0.015, seg.text
        if not any(s.end > seg.start - 0.1 and s.start < seg.start for s in same):
            assert db(x[int((seg.start - 0.08) * rate): int((seg.start - 0.02) * rate)]) < quiet, seg.text
        if not any(s.start < seg.end + 0.1 and s.end > seg.end for s in same):
            assert db(x[int((seg.end + 0.02) * rate): int((seg.end + 0.08) * rate)]) < quiet, seg.text


@NEEDS_TTS
@pytest.mark.parametrize("agent_channel", [0, 1])
def test_synth_stereo_puts_each_party_on_its_channel(agent_channel: int) -> None:
    call = synthesize(SHORT, sample_rate=16000, agent_channel=agent_channel)
    assert call.audio.shape[1] == 2 and call.audio.dtype == np.float32
    for seg in call.truth:
        own = channel_of(call, seg.speaker, agent_channel)
        other = channel_of(call, Role.CUSTOMER if seg.speaker == Role.AGENT else Role.AGENT, agent_channel)
        span = slice(int(seg.start * 16000), int(seg.end * 16000))
        overlapping = [s for s in call.truth if s.speaker != seg.speaker and s.start < seg.end and s.end > seg.start]
        assert db(own[span]) > -40
        if not overlapping:
            assert db(other[span]) < -100


@NEEDS_TTS
def test_synth_mono_mixes_the_parties() -> None:
    stereo = synthesize(SHORT, sample_rate=16000)
    mono = synthesize(SHORT, sample_rate=16000, stereo=False)
    assert mono.audio.ndim == 1 and len(mono.audio) == len(stereo.audio)
    assert mono.truth == stereo.truth
    np.testing.assert_allclose(mono.audio, stereo.audio.sum(axis=1), atol=1e-6)


@NEEDS_TTS
def test_synth_telephone_is_8k_narrowband_mu_law() -> None:
    call = synthesize(SHORT, sample_rate=8000, telephone=True)
    x = call.audio[:, 0].astype(np.float64)
    assert len(np.unique(call.audio)) <= 255                      # every sample is a mu-law level
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / 8000)
    band = spectrum[(freqs >= 300) & (freqs <= 3400)].sum()
    assert spectrum[freqs < 200].sum() < band * 1e-3
    assert spectrum[freqs > 3700].sum() < band * 1e-3
    assert np.max(np.abs(call.audio)) < 1.0


@NEEDS_TTS
@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg"])
def test_synth_write_round_trips(tmp_path: Path, suffix: str) -> None:
    call = synthesize(SHORT, sample_rate=16000)
    path = call.write(tmp_path / f"call{suffix}")
    back, rate = sf.read(str(path), dtype="float32", always_2d=True)
    assert rate == 16000 and back.shape[1] == 2
    assert abs(len(back) - len(call.audio)) <= 16
    n = min(len(back), len(call.audio))
    if suffix == ".ogg":   # lossy: the level of each line survives
        for seg in call.truth:
            ch = 0 if seg.speaker == Role.AGENT else 1
            assert abs(loudness_db(back[:n, ch], rate, seg.start, seg.end)
                       - loudness_db(call.audio[:n, ch], rate, seg.start, seg.end)) < 1.0
    else:                  # 16-bit PCM
        np.testing.assert_allclose(back[:n], call.audio[:n], atol=1.5 / 32768)


@NEEDS_TTS
def test_synth_is_deterministic() -> None:
    first = synthesize(SHORT, sample_rate=8000, telephone=True, noise_db=-60)
    again = synthesize(SHORT, sample_rate=8000, telephone=True, noise_db=-60)
    assert np.array_equal(first.audio, again.audio) and first.truth == again.truth


def test_synth_require_tts_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("heard.ingest.audio.synth.shutil.which", lambda name: None)
    with pytest.raises(TtsUnavailable, match=r"bash scripts/ensure-tts\.sh") as caught:
        require_tts()
    assert "espeak-ng" in str(caught.value) and "apt-get install" in str(caught.value)


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), RATES)
def test_signal_edges_recover_planted_boundaries(calls: dict[tuple[int, bool], SynthCall], rate: int,
                                                 phone: bool) -> None:
    call = calls[(rate, phone)]
    for role in (Role.AGENT, Role.CUSTOMER):
        found = detected(call, role)
        truth = [s for s in call.truth if s.speaker == role]
        for start, end in found:   # no speech where none was planted, no two lines run together
            assert sum(s.start < end and s.end > start for s in truth) == 1, (start, end)
        for seg in truth:
            mine = [(s, e) for s, e in found if s < seg.end and e > seg.start]
            assert mine, seg.text
            assert abs(mine[0][0] - seg.start) <= 0.1, (seg.text, mine[0][0], seg.start)
            assert abs(mine[-1][1] - seg.end) <= 0.1, (seg.text, mine[-1][1], seg.end)


@NEEDS_TTS
def test_signal_edges_hold_over_line_noise(planted: list[Line]) -> None:
    call = synthesize(planted, sample_rate=16000, noise_db=-60)
    for role in (Role.AGENT, Role.CUSTOMER):
        found = detected(call, role)
        for seg in (s for s in call.truth if s.speaker == role):
            mine = [(s, e) for s, e in found if s < seg.end and e > seg.start]
            assert abs(mine[0][0] - seg.start) <= 0.1 and abs(mine[-1][1] - seg.end) <= 0.1, seg.text


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), RATES)
def test_signal_loudness_and_pitch_of_the_voices(calls: dict[tuple[int, bool], SynthCall], rate: int,
                                                 phone: bool) -> None:
    call = calls[(rate, phone)]
    measured: dict[tuple[Role, bool], list[tuple[float, float | None]]] = {}
    for seg in call.truth:
        x = channel_of(call, seg.speaker)
        measured.setdefault((seg.speaker, seg.raised), []).append(
            (loudness_db(x, rate, seg.start, seg.end), pitch_hz(x, rate, seg.start, seg.end)))
    agent_pitch = float(np.median([p for _, p in measured[(Role.AGENT, False)] if p]))
    customer_pitch = float(np.median([p for _, p in measured[(Role.CUSTOMER, False)] if p]))
    assert 140 <= agent_pitch <= 260          # flite slt, a higher voice
    assert 65 <= customer_pitch <= 140        # espeak-ng en-us at pitch 35, a lower one
    assert agent_pitch / customer_pitch > 1.4
    calm = float(np.median([level for level, _ in measured[(Role.CUSTOMER, False)]]))
    [(raised_level, raised_pitch)] = measured[(Role.CUSTOMER, True)]
    assert raised_level >= calm + 8
    assert raised_pitch is not None and raised_pitch >= customer_pitch * 1.2


@NEEDS_TTS
@pytest.mark.parametrize(("rate", "phone"), [*RATES, (8000, False), (16000, True)])
def test_signal_raised_flags_find_the_planted_raised_line(planted: list[Line], rate: int, phone: bool) -> None:
    call = synthesize(planted, sample_rate=rate, telephone=phone)
    raised = [s for s in call.truth if s.raised]
    for role in (Role.AGENT, Role.CUSTOMER):
        x = channel_of(call, role)
        found = detected(call, role)
        flags = raised_flags([(s, e, loudness_db(x, rate, s, e), pitch_hz(x, rate, s, e)) for s, e in found])
        flagged = [seg for seg, flag in zip(found, flags, strict=True) if flag]
        if role == Role.AGENT:
            assert flagged == []
        else:
            assert len(flagged) == 1
            assert abs(flagged[0][0] - raised[0].start) < 0.1


@pytest.mark.parametrize(("segments", "expected"), [
    ([(0.0, 2.0, -30.0, 100.0), (3.0, 5.0, -20.0, 130.0)], [False, False]),                    # no baseline
    ([(0, 2, -30.0, 100.0), (3, 5, -30.5, 101.0), (6, 8, -29.5, 99.0), (9, 11, -23.0, 120.0)],
     [False, False, False, True]),                                                            # louder and higher
    ([(0, 2, -30.0, 100.0), (3, 5, -30.5, 101.0), (6, 8, -29.5, 99.0), (9, 11, -23.0, 102.0)],
     [False, False, False, False]),                                                           # louder only
    ([(0, 2, -30.0, 100.0), (3, 5, -30.5, None), (6, 8, -29.5, 99.0), (9, 11, -19.0, None)],
     [False, False, False, True]),                                                            # much louder
    ([(0, 2, -30.0, 100.0), (3, 5, -30.5, 101.0), (6, 8, -29.5, 99.0), (9, 9.5, -15.0, 150.0)],
     [False, False, False, False]),                                                           # too short
])
def test_signal_raised_flags_against_the_speakers_own_baseline(
        segments: list[tuple[float, float, float | None, float | None]], expected: list[bool]) -> None:
    assert raised_flags(segments) == expected


@pytest.mark.parametrize(("words", "start", "end", "expected"), [
    (150, 0.0, 60.0, 150.0), (10, 2.0, 6.0, 150.0), (0, 0.0, 3.0, 0.0), (3, 1.0, 1.1, None), (3, 2.0, 1.0, None)])
def test_signal_speaking_rate(words: int, start: float, end: float, expected: float | None) -> None:
    assert speaking_rate(words, start, end) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("shape", [(16000 * 3,), (16000 * 3, 2)])
def test_signal_mute_silences_ranges_and_leaves_the_rest(shape: tuple[int, ...]) -> None:
    rate = 16000
    x = (0.3 * np.random.default_rng(7).standard_normal(shape)).astype(np.float32)
    ranges = [(0.5, 0.9), (2.0, 2.25), (2.9, 3.5)]      # the last runs past the end
    out = mute(x, rate, ranges, fade=0.01)
    assert out.shape == x.shape and out.dtype == np.float32 and out is not x
    untouched = np.ones(shape[0], dtype=bool)
    for start, end in ranges:
        inside = out[int(start * rate): int(end * rate)]
        assert db(inside) < -80
        untouched[max(0, int((start - 0.011) * rate)): int((end + 0.011) * rate) + 1] = False
    assert np.array_equal(out[untouched], x[untouched])
    fade = out[int(0.49 * rate): int(0.5 * rate)]
    assert np.all(np.abs(fade) <= np.abs(x[int(0.49 * rate): int(0.5 * rate)]) + 1e-7)   # a fade, not a jump


def test_signal_frame_db_of_a_known_tone() -> None:
    rate = 8000
    tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate)
    levels = frame_db(tone, rate)
    assert len(levels) == 100
    assert levels[:90] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.2)
    assert frame_db(np.zeros(800), rate).max() == FLOOR_DB
    assert pitch_hz(tone, rate, 0.0, 1.0) == pytest.approx(220, rel=0.01)
    assert loudness_db(tone, rate, 0.0, 1.0) == pytest.approx(-9.03, abs=0.1)


SIGNALS = st.one_of(
    hnp.arrays(np.float32, st.integers(0, 3000), elements=st.floats(-1, 1, width=32)),                # noise
    st.integers(0, 3000).map(lambda n: np.zeros(n, dtype=np.float32)),                                # silence
    st.integers(0, 3000).map(lambda n: np.sign(np.sin(np.arange(n) / 7.0)).astype(np.float32)),       # clipped
    st.tuples(st.integers(1, 3000), st.floats(1e-6, 1)).map(                                          # quiet tone
        lambda a: (a[1] * np.sin(np.arange(a[0]) * 0.3)).astype(np.float32)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=SIGNALS, rate=st.sampled_from([8000, 16000]), a=st.floats(-0.5, 1.0), b=st.floats(-0.5, 1.0))
def test_signal_functions_never_raise_and_stay_in_bounds(x: np.ndarray, rate: int, a: float, b: float) -> None:
    duration = len(x) / rate
    levels = frame_db(x, rate)
    assert np.all((levels >= FLOOR_DB) & (levels <= 0.01))
    segments = energy_segments(x, rate)
    for start, end in segments:
        assert 0 <= start < end <= duration + 1e-9
    refined = refine_edges(x, rate, [*segments, (min(a, b), max(a, b))])
    assert len(refined) == len(segments) + 1
    for start, end in refined[:-1]:
        assert 0 <= start < end <= duration + 1e-9
    level = loudness_db(x, rate, a, b)
    assert FLOOR_DB <= level <= 0.0
    pitch = pitch_hz(x, rate, min(a, b), max(a, b))
    assert pitch is None or 60.0 <= pitch <= 400.0
    rate_wpm = speaking_rate(len(x) % 50, a, b)
    assert rate_wpm is None or rate_wpm >= 0
    flags = raised_flags([(0.0, 1.5, level, pitch), (2.0, 3.5, level, None), (4.0, 5.5, None, pitch)])
    assert flags == [False, False, False]
    muted = mute(x, rate, [(min(a, b), max(a, b))])
    assert muted.shape == x.shape and np.all(np.isfinite(muted))
    assert np.all(np.abs(muted) <= np.abs(x) + 1e-7)
