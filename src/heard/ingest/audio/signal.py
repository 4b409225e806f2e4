"""Measurements on the signal itself: levels, voice activity, exact speech edges, loudness, pitch, muting.

Pure numpy/scipy: arrays in, numbers out, no files and no models. Every function takes float samples in
[-1, 1] (one channel as shape (n,); a 2-D (n, channels) array is averaged to one channel where a single
level is asked for) and never raises on short, silent or clipped input: it returns the floor (-120 dBFS),
an empty list or None instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly  # type: ignore[import-untyped]

Samples = npt.NDArray[np.float32]
Levels = npt.NDArray[np.float64]

FLOOR_DB = -120.0          # the level reported for digital silence
PITCH_MIN, PITCH_MAX = 60.0, 400.0
_CHUNK = 1 << 14           # frames measured at a time, so a long call never needs a (frames x window) copy whole


def _mono(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    data = np.asarray(x, dtype=np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1)
    elif data.ndim != 1:
        data = data.reshape(-1)
    return np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)


def _db(power: npt.NDArray[np.float64]) -> Levels:
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(np.maximum(power, 0.0))
    return np.maximum(levels, FLOOR_DB)


def _frame_power(x: npt.NDArray[np.float64], hop_n: int, win_n: int) -> npt.NDArray[np.float64]:
    """Mean square of each window of `win_n` samples every `hop_n` samples; the last windows are zero-padded."""
    if len(x) == 0:
        return np.zeros(0)
    count = -(-len(x) // hop_n)
    padded = np.zeros((count - 1) * hop_n + win_n)
    padded[: len(x)] = x[: len(padded)]
    power = np.empty(count)
    for first in range(0, count, _CHUNK):
        last = min(count, first + _CHUNK)
        block = padded[first * hop_n: (last - 1) * hop_n + win_n]
        windows = np.lib.stride_tricks.sliding_window_view(block, win_n)[::hop_n]
        power[first:last] = np.einsum("ij,ij->i", windows, windows) / win_n
    return power


def frame_db(x: npt.ArrayLike, sr: int, *, hop: float = 0.01, win: float = 0.025) -> Levels:
    """RMS level per frame in dBFS (floor -120): frame i covers [i*hop, i*hop + win) seconds."""
    hop_n = max(1, round(hop * sr))
    win_n = max(hop_n, round(win * sr))
    return _db(_frame_power(_mono(x), hop_n, win_n))


def _floor_and_level(levels: Levels) -> tuple[float, float]:
    """The noise floor (5th percentile of frame levels) and the speech level (95th percentile)."""
    if len(levels) == 0:
        return FLOOR_DB, FLOOR_DB
    return float(np.percentile(levels, 5)), float(np.percentile(levels, 95))


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last + 1) index pairs of each run of True."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def energy_segments(x: npt.ArrayLike, sr: int, *, min_silence: float = 0.3, min_speech: float = 0.1,
                    threshold_db: float | None = None) -> list[tuple[float, float]]:
    """Stretches of speech in one clean channel, by frame energy: (start, end) seconds, in order.

    Without `threshold_db` the threshold sits between the noise floor and the speech level, never more than
    30 dB under the speech level (so a digitally silent channel does not make every breath speech). A channel
    whose levels do not spread at least 6 dB is silent (or one unbroken sound) and gives no segments when quiet.
    """
    hop, win = 0.01, 0.02
    data = _mono(x)
    duration = len(data) / sr if sr > 0 else 0.0
    levels = frame_db(data, sr, hop=hop, win=win)
    if len(levels) == 0:
        return []
    if threshold_db is None:
        floor, level = _floor_and_level(levels)
        if level - floor < 6.0:
            if level < -50.0:
                return []
            threshold_db = floor - 1.0
        else:
            threshold_db = max(floor + 6.0, min(floor + 0.5 * (level - floor), level - 30.0))
    found: list[list[float]] = []
    for first, last in _runs(levels >= threshold_db):
        start, end = first * hop, min(duration, (last - 1) * hop + win)
        if found and start - found[-1][1] < min_silence:
            found[-1][1] = end
        else:
            found.append([start, end])
    return [(round(s, 4), min(duration, round(e, 4))) for s, e in found if e - s >= min_speech]


def refine_edges(x: npt.ArrayLike, sr: int, segments: Sequence[tuple[float, float]], *,
                 search: float = 0.3) -> list[tuple[float, float]]:
    """Each coarse (start, end) snapped to where the speech really begins and ends, to 10 ms.

    Within `search` seconds of each edge (never past half-way to the neighbouring segment) the new start is
    the first 10 ms frame above a threshold set from this segment's own level (30 dB under its loud frames)
    and the noise floor (at least 8 dB over it); the new end is the last such frame. An edge with no frame
    above the threshold near it stays where it was. One segment out for each segment in, in the same order.
    """
    step = 0.01
    data = _mono(x)
    if sr <= 0 or len(data) == 0:
        return [(float(s), float(e)) for s, e in segments]
    duration = len(data) / sr
    levels = frame_db(data, sr, hop=step, win=step)
    floor, _ = _floor_and_level(levels)
    count = len(levels)
    out: list[tuple[float, float]] = []
    for index, (start, end) in enumerate(segments):
        start, end = max(0.0, float(start)), min(duration, float(end))
        if end <= start:
            out.append((start, max(start, end)))
            continue
        prev_end = float(segments[index - 1][1]) if index > 0 else -np.inf
        next_start = float(segments[index + 1][0]) if index + 1 < len(segments) else np.inf
        inside = levels[int(start / step): max(int(start / step) + 1, int(np.ceil(end / step)))]
        own = float(np.percentile(inside, 90)) if len(inside) else FLOOR_DB
        threshold = max(floor + 8.0, own - 30.0)
        lo = max(start - search, (prev_end + start) / 2 if prev_end < start else start - search, 0.0)
        hi = min(start + search, end)
        first_frame, last_frame = int(np.floor(lo / step + 1e-9)), int(np.ceil(hi / step - 1e-9))
        loud = np.flatnonzero(levels[first_frame: min(count, last_frame)] >= threshold)
        new_start = (first_frame + int(loud[0])) * step if len(loud) else start
        lo = max(end - search, new_start)
        hi = min(end + search, (end + next_start) / 2 if next_start > end else end + search, duration)
        first_frame, last_frame = int(np.floor(lo / step + 1e-9)), int(np.ceil(hi / step - 1e-9))
        loud = np.flatnonzero(levels[first_frame: min(count, last_frame)] >= threshold)
        new_end = min(duration, (first_frame + int(loud[-1]) + 1) * step) if len(loud) else end
        if new_end <= new_start:
            new_start, new_end = start, end
        out.append((round(new_start, 4), min(duration, round(new_end, 4))))
    return out


def _span(x: npt.ArrayLike, sr: int, start: float, end: float) -> npt.NDArray[np.float64]:
    """The samples of [start, end) as one float64 channel (only that part is converted)."""
    data = np.asarray(x)
    if data.ndim == 0 or sr <= 0 or not (np.isfinite(start) and np.isfinite(end)):
        return np.zeros(0)
    first = max(0, round(start * sr))
    last = min(len(data), round(end * sr))
    return _mono(data[first:last]) if last > first else np.zeros(0)


def _active_power(span: npt.NDArray[np.float64], sr: int) -> npt.NDArray[np.float64]:
    """Mean square of the 10 ms frames within 30 dB of the loudest one (speech, not the pauses in it)."""
    power = _frame_power(span, max(1, round(0.01 * sr)), max(1, round(0.01 * sr)))
    if len(power) == 0 or power.max() <= 0:
        return power[:0]
    return power[power >= power.max() * 1e-3]


def loudness_db(x: npt.ArrayLike, sr: int, start: float, end: float) -> float:
    """RMS level in dBFS of the voiced part of [start, end): pauses more than 30 dB down are left out."""
    active = _active_power(_span(x, sr, start, end), sr)
    if len(active) == 0:
        return FLOOR_DB
    return float(min(0.0, _db(np.array([active.mean()]))[0]))


def _pitch_track(data: npt.NDArray[np.float64], sr: int) -> npt.NDArray[np.float64]:
    """F0 in Hz of each voiced 10 ms step (YIN: cumulative mean normalised difference, 60-400 Hz)."""
    min_lag = max(2, int(np.floor(sr / PITCH_MAX)))
    max_lag = int(np.ceil(sr / PITCH_MIN))
    width = max(1, round(0.025 * sr))
    hop = max(1, round(0.01 * sr))
    frame = width + max_lag + 1
    if len(data) < frame:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(data, frame)[::hop]
    power = np.einsum("ij,ij->i", frames[:, :width], frames[:, :width])
    keep = power > 0
    if keep.any():
        keep &= power >= power.max() * 10 ** (-25 / 10)   # only the frames near the span's speech level
    frames = frames[keep]
    if len(frames) == 0:
        return np.zeros(0)
    size = 1 << int(np.ceil(np.log2(frame)))   # lags never wrap: j + tau < frame
    head = frames[:, :width]
    # r(tau) = sum_j x_j x_{j+tau} over the first `width` samples: cross-correlation of the head with the frame.
    spectrum = np.fft.rfft(frames, size) * np.conj(np.fft.rfft(head, size))
    corr = np.fft.irfft(spectrum, size)[:, : max_lag + 1]
    squares = np.concatenate((np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)), axis=1)
    lags = np.arange(max_lag + 1)
    shifted = squares[:, lags + width] - squares[:, lags]          # energy of x_{tau .. tau+width}
    diff = np.maximum(squares[:, width : width + 1] + shifted - 2 * corr, 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, max_lag + 1)
    cmnd = np.ones_like(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        cmnd[:, 1:] = np.where(running > 0, diff[:, 1:] / running, 1.0)
    band = cmnd[:, min_lag: max_lag + 1]
    below = band < 0.15
    first = np.where(below.any(axis=1), below.argmax(axis=1), band.argmin(axis=1))
    rows = np.arange(len(band))
    # walk down from the first dip under the threshold to its local minimum
    for _ in range(max_lag):
        nxt = np.minimum(first + 1, band.shape[1] - 1)
        better = band[rows, nxt] < band[rows, first]
        if not better.any():
            break
        first = np.where(better, nxt, first)
    best = band[rows, first]
    voiced = best < 0.3
    lag = (first + min_lag).astype(np.float64)
    inner = (first > 0) & (first < band.shape[1] - 1)
    a = band[rows, np.maximum(first - 1, 0)]
    b = best
    c = band[rows, np.minimum(first + 1, band.shape[1] - 1)]
    curve = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(inner & (curve > 0), 0.5 * (a - c) / curve, 0.0)
    lag = lag + np.clip(offset, -0.5, 0.5)
    f0 = sr / lag[voiced]
    return f0[(f0 >= PITCH_MIN) & (f0 <= PITCH_MAX)]


def resample(x: npt.ArrayLike, rate_in: int, rate_out: int) -> npt.NDArray[np.float64]:
    """Samples at `rate_in` brought to `rate_out` (scipy's polyphase filter; the ratio kept to small integers)."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float64)
    ratio = Fraction(rate_out, rate_in).limit_denominator(2000)
    return np.asarray(resample_poly(np.asarray(x), ratio.numerator, ratio.denominator), dtype=np.float64)


def pitch_hz(x: npt.ArrayLike, sr: int, start: float, end: float) -> float | None:
    """Median fundamental frequency (Hz) of the voiced frames of [start, end); None when none are voiced.

    YIN on 25 ms frames every 10 ms, 60-400 Hz. Works on telephone audio (8 kHz, 300-3400 Hz) too: the
    harmonics carry the period even when the fundamental itself was filtered out.
    """
    span = _span(x, sr, start, end)
    if sr > 16000 and len(span):
        span, sr = resample(span, sr, 16000), 16000
    track = _pitch_track(span, sr)
    if len(track) < 3:
        return None
    return float(np.clip(np.median(track), PITCH_MIN, PITCH_MAX))


def raised_flags(segments: Sequence[tuple[float, float, float | None, float | None]], *,
                 min_duration: float = 1.0, louder_db: float = 6.0, higher: float = 1.15,
                 much_louder_db: float = 10.0) -> list[bool]:
    """Which of one speaker's segments (start, end, loudness_db, pitch_hz) are a raised voice.

    Raised: at least `min_duration` long and, against that speaker's own baseline (the median of their
    segments), `louder_db` louder with pitch `higher` times theirs, or `much_louder_db` louder whatever the
    pitch. Fewer than three segments with a loudness give no baseline, so nothing is flagged.
    """
    loud = [s[2] for s in segments if s[2] is not None and s[2] > FLOOR_DB]
    if len(loud) < 3:
        return [False] * len(segments)
    base_loud = float(np.median(loud))
    pitches = [s[3] for s in segments if s[3] is not None and s[3] > 0]
    base_pitch = float(np.median(pitches)) if len(pitches) >= 3 else None
    flags = []
    for start, end, level, pitch in segments:
        if level is None or end - start < min_duration:
            flags.append(False)
            continue
        louder = level - base_loud
        rises = pitch is not None and base_pitch is not None and pitch >= base_pitch * higher
        flags.append(bool(louder >= much_louder_db or (louder >= louder_db and rises)))
    return flags


def speaking_rate(word_count: int, start: float, end: float) -> float | None:
    """Words per minute over [start, end); None when the stretch is too short (< 0.2 s) to say."""
    duration = end - start
    if not np.isfinite(duration) or duration < 0.2 or word_count < 0:
        return None
    return word_count * 60.0 / duration


def mute(x: npt.ArrayLike, sr: int, ranges: Sequence[tuple[float, float]], *, fade: float = 0.01) -> Samples:
    """A float32 copy with each (start, end) range at digital silence on every channel.

    The level ramps down over `fade` seconds just before a range and back up just after it (a raised cosine,
    so the cut makes no click); everything further away is left exactly as it was.
    """
    out = np.array(x, dtype=np.float32, copy=True)
    n = out.shape[0] if out.ndim else 0
    if n == 0 or sr <= 0 or not ranges:
        return out
    gain = np.ones(n, dtype=np.float64)
    ramp_n = max(0, round(fade * sr))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, ramp_n + 1) / (ramp_n + 1)) if ramp_n else np.zeros(0)
    for start, end in ranges:
        first = max(0, int(np.floor(start * sr)))
        last = min(n, int(np.ceil(end * sr)))
        if last <= first:
            continue
        gain[first:last] = 0.0
        before = ramp[::-1][max(0, ramp_n - first):]                      # 1 -> 0, ending at `first`
        gain[first - len(before): first] = np.minimum(gain[first - len(before): first], before)
        after = ramp[: max(0, n - last)]                                   # 0 -> 1, starting at `last`
        gain[last: last + len(after)] = np.minimum(gain[last: last + len(after)], after)
    if out.ndim == 1:
        out *= gain.astype(np.float32)
    else:
        out *= gain.astype(np.float32).reshape((n,) + (1,) * (out.ndim - 1))
    return out
