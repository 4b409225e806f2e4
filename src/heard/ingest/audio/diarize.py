"""Who spoke when, in a mono recording of two people: clustering voices on the CPU, offline, with no model.

Stereo recordings need none of this (each party has a channel). For mono ones:

1. each voice-activity segment is cut at its own short pauses (where a speaker change nearly always
   falls), and long pieces into windows of about 1.5 s;
2. each window is described by its voice: the means and spreads of MFCCs (the shape of the spectrum,
   from log-mel energies over 200-3800 Hz, so 8 kHz telephone audio and 16 kHz audio read alike) and
   its median pitch;
3. the windows long enough to trust are standardised and clustered (Ward linkage, then k-means from
   those centres), every window goes to the nearest centre, a short doubtful window between two of the
   same label takes that label, and runs of one label become turns.

The confidence is the silhouette of the clustering mapped to 0.5 (no telling the voices apart) .. 1
(two clearly different voices). When the clusters do not separate, everything is one speaker.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]
from scipy.fft import dct  # type: ignore[import-untyped]
from scipy.spatial.distance import cdist, pdist, squareform  # type: ignore[import-untyped]

from heard.ingest.audio.signal import frame_db, pitch_hz

METHOD = "spectral+pitch clustering"
WINDOW = 1.5             # seconds of speech described at a time
MIN_PAUSE = 0.15         # a pause this long inside a segment may be a change of speaker
MIN_CLUSTERED = 0.5      # shorter windows are assigned to a voice but do not shape the voices
MAX_LINKED = 2500        # more windows than this: Ward linkage on an even sample of them
TURN_PAUSE = 1.0         # one speaker's windows closer than this are one turn
PITCH_WEIGHT = 2.0       # standardised pitch is scaled by this: it weighs as much as four spectral features
MIN_SHARE = 0.05         # a "voice" with less of the speech than this is a few odd windows, not a speaker
# silhouette -> confidence: at or under _SIL_NONE the voices cannot be told apart (0.5, one speaker);
# at or over _SIL_CLEAR they are clearly two (1.0). Tuned on synthetic calls: one TTS voice forced into two
# clusters scores 0.12-0.30; flite slt against flite rms 0.41-0.42, slt or kal against espeak-ng 0.48-0.58.
# Real voices are untested.
_SIL_NONE, _SIL_CLEAR = 0.33, 0.45
_BANDS, _CEPS = 24, 13

Features = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Diarization:
    """Turns as (start, end, "spk_0" | "spk_1"), in order; labels numbered by first appearance."""

    turns: list[tuple[float, float, str]]
    confidence: float        # 0.5: could not tell the voices apart; 1: clearly two voices
    method: str = METHOD

    @property
    def speakers(self) -> list[str]:
        return sorted({label for _, _, label in self.turns})


def _pieces(x: npt.NDArray[np.float64], sr: int,
            segments: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The segments cut at their own pauses (>= MIN_PAUSE), then into windows of about WINDOW seconds."""
    step = 0.01
    levels = frame_db(x, sr, hop=step, win=step)
    floor = float(np.percentile(levels, 5)) if len(levels) else -120.0
    duration = len(x) / sr
    out: list[tuple[float, float]] = []
    for start, end in segments:
        start, end = max(0.0, float(start)), min(duration, float(end))
        if end - start < 0.05:
            continue
        first, last = int(start / step), max(int(start / step) + 1, int(np.ceil(end / step)))
        inside = levels[first:last]
        threshold = max(floor + 8.0, float(np.percentile(inside, 90)) - 30.0)
        quiet = inside < threshold
        cuts = [start]
        # the middle of each pause of MIN_PAUSE or more is a cut
        edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
        for q_start, q_end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if (q_end - q_start) * step >= MIN_PAUSE and q_start > 0 and q_end < len(quiet):
                cuts.append(start + (q_start + q_end) / 2 * step)
        cuts.append(end)
        for a, b in itertools.pairwise(cuts):
            count = max(1, round((b - a) / WINDOW))
            bounds = np.linspace(a, b, count + 1)
            out.extend((float(p), float(q)) for p, q in itertools.pairwise(bounds))
    return out


def _mel_filters(sr: int, size: int) -> Features:
    """Triangular mel filters over 200-3800 Hz (or up to 0.48 sr), shape (_BANDS, size // 2 + 1)."""
    def mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    top = min(3800.0, 0.48 * sr)
    edges = hz(np.linspace(mel(np.array(200.0)), mel(np.array(top)), _BANDS + 2))
    freqs = np.fft.rfftfreq(size, 1.0 / sr)
    filters = np.zeros((_BANDS, len(freqs)))
    for band in range(_BANDS):
        low, mid, high = edges[band], edges[band + 1], edges[band + 2]
        rising = (freqs - low) / (mid - low)
        falling = (high - freqs) / (high - mid)
        filters[band] = np.maximum(0.0, np.minimum(rising, falling))
    return filters


def _describe(x: npt.NDArray[np.float64], sr: int, pieces: Sequence[tuple[float, float]]) -> Features:
    """One row per piece: MFCC 1-12 means and spreads over its voiced frames, then log2 median pitch (NaN)."""
    win, hop = round(0.025 * sr), round(0.01 * sr)
    size = 1 << int(np.ceil(np.log2(win)))
    filters = _mel_filters(sr, size)
    taper = np.hanning(win)
    rows = np.full((len(pieces), 2 * (_CEPS - 1) + 1), np.nan)
    for row, (start, end) in enumerate(pieces):
        span = x[int(start * sr): int(end * sr)]
        if len(span) < win:
            continue
        frames = np.lib.stride_tricks.sliding_window_view(span, win)[::hop] * taper
        power = np.abs(np.fft.rfft(frames, size)) ** 2
        energy = power.sum(axis=1)
        voiced = energy >= energy.max() * 1e-3 if energy.max() > 0 else energy > 0
        if voiced.sum() < 3:
            continue
        logmel = np.log(power[voiced] @ filters.T + 1e-10)
        ceps = dct(logmel, type=2, norm="ortho", axis=1)[:, 1:_CEPS]
        rows[row, : _CEPS - 1] = ceps.mean(axis=0)
        rows[row, _CEPS - 1: 2 * (_CEPS - 1)] = ceps.std(axis=0)
        pitch = pitch_hz(x, sr, start, end)
        if pitch is not None:
            rows[row, -1] = np.log2(pitch)
    return rows


def _standardise(rows: Features) -> Features:
    """Columns to zero mean and unit spread (over the described rows); missing pitch takes the median."""
    out = rows.copy()
    pitch = out[:, -1]
    known = np.isfinite(pitch)
    pitch[~known] = float(np.median(pitch[known])) if known.any() else 0.0
    mean = out.mean(axis=0)
    spread = out.std(axis=0)
    spread[spread < 1e-9] = 1.0
    out = (out - mean) / spread
    out[:, -1] *= PITCH_WEIGHT
    return out


def _cluster(points: Features, speakers: int) -> npt.NDArray[np.float64]:
    """Centres of `speakers` clusters: Ward linkage (on an even sample when many), then k-means."""
    sample = points if len(points) <= MAX_LINKED else points[np.linspace(0, len(points) - 1, MAX_LINKED).astype(int)]
    labels = fcluster(linkage(sample, method="ward"), t=speakers, criterion="maxclust") - 1
    centres = np.array([sample[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    for _ in range(20):
        nearest = cdist(points, centres).argmin(axis=1)
        moved = np.array([points[nearest == k].mean(axis=0) if (nearest == k).any() else centres[k]
                          for k in range(len(centres))])
        if np.allclose(moved, centres):
            break
        centres = moved
    return np.asarray(centres, dtype=np.float64)


def _silhouette(points: Features, labels: npt.NDArray[np.int64]) -> float:
    """Mean silhouette (on an even sample of 2000 points when more)."""
    if len(points) > 2000:
        keep = np.linspace(0, len(points) - 1, 2000).astype(int)
        points, labels = points[keep], labels[keep]
    groups = np.unique(labels)
    if len(groups) < 2:
        return 0.0
    distances = squareform(pdist(points))
    scores = np.zeros(len(points))
    for index in range(len(points)):
        own = labels == labels[index]
        if own.sum() <= 1:
            continue
        a = distances[index, own].sum() / (own.sum() - 1)
        b = min(distances[index, labels == g].mean() for g in groups if g != labels[index])
        scores[index] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(scores.mean())


def _smooth(labels: npt.NDArray[np.int64], pieces: Sequence[tuple[float, float]],
            margin: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """A doubtful window close between two windows of one other label takes that label.

    Doubtful: its two distances to the voices differ by under 25% (a window under 1 s) or 10% (longer), so a
    clearly heard short reply ("Okay, thanks.") between two of the agent's lines keeps its own speaker.
    """
    out = labels.copy()
    for index in range(1, len(out) - 1):
        before, after = out[index - 1], labels[index + 1]
        if before == after != out[index]:
            start, end = pieces[index]
            close = start - pieces[index - 1][1] < TURN_PAUSE and pieces[index + 1][0] - end < TURN_PAUSE
            if close and margin[index] < (0.25 if end - start < 1.0 else 0.1):
                out[index] = before
    return out


def _turns(pieces: Sequence[tuple[float, float]], labels: Sequence[int]) -> list[tuple[float, float, str]]:
    """Runs of one label (with pauses under TURN_PAUSE) as turns, labels renumbered by first appearance."""
    names: dict[int, str] = {}
    turns: list[tuple[float, float, str]] = []
    for (start, end), label in zip(pieces, labels, strict=True):
        name = names.setdefault(int(label), f"spk_{len(names)}")
        if turns and turns[-1][2] == name and start - turns[-1][1] < TURN_PAUSE:
            turns[-1] = (turns[-1][0], end, name)
        else:
            turns.append((start, end, name))
    return [(round(s, 3), round(e, 3), n) for s, e, n in turns]


def diarize(x: npt.ArrayLike, sr: int, segments: Sequence[tuple[float, float]], *,
            speakers: int = 2) -> Diarization:
    """Split a mono recording's voice-activity `segments` between `speakers` voices (default two).

    More than two voices are clustered the same way, but only two have been measured. Too little speech to
    cluster (under about 6 windows of 0.5 s or more) gives one speaker at confidence 0.5.
    """
    data = np.asarray(x, dtype=np.float64)
    if data.ndim == 2:
        data = data.mean(axis=1)
    data = np.nan_to_num(data.reshape(-1))
    ordered = sorted((float(s), float(e)) for s, e in segments if e > s)
    pieces = _pieces(data, sr, ordered) if sr > 0 and len(data) else []
    if not pieces:
        return Diarization([], 0.5)
    rows = _describe(data, sr, pieces)
    described = np.isfinite(rows[:, 0])
    lengths = np.array([e - s for s, e in pieces])
    trusted = described & (lengths >= MIN_CLUSTERED)
    if speakers < 2 or trusted.sum() < 2 * speakers + 2:
        return Diarization(_turns(pieces, [0] * len(pieces)), 0.5)
    points = np.zeros_like(rows)
    points[described] = _standardise(rows[described])
    shaping = trusted.copy()
    for _ in range(2):
        centres = _cluster(points[shaping], speakers)
        labels = cdist(points, centres).argmin(axis=1)
        shares = np.array([lengths[shaping & (labels == k)].sum() for k in range(len(centres))])
        shares = shares / max(shares.sum(), 1e-9)
        if shares.min() >= MIN_SHARE:
            break
        # a handful of odd windows (a cough, a burst of overlap) made a "voice" of their own: set them
        # aside and cluster the rest again; if that happens twice there is one voice
        odd = shaping & np.isin(labels, np.flatnonzero(shares < MIN_SHARE))
        if (shaping & ~odd).sum() < 2 * speakers + 2:
            break
        shaping &= ~odd
    distances = cdist(points, centres)
    labels = distances.argmin(axis=1)
    silhouette = _silhouette(points[shaping], labels[shaping])
    confidence = 0.5 + 0.5 * float(np.clip((silhouette - _SIL_NONE) / (_SIL_CLEAR - _SIL_NONE), 0.0, 1.0))
    if confidence <= 0.5 or shares.min() < MIN_SHARE or len(np.unique(labels[shaping])) < 2:
        return Diarization(_turns(pieces, [0] * len(pieces)), 0.5)
    # windows too short or silent to describe follow their neighbour (or the first voice)
    ordered_d = np.sort(distances, axis=1)
    margin = (ordered_d[:, 1] - ordered_d[:, 0]) / np.maximum(ordered_d[:, 1] + ordered_d[:, 0], 1e-9)
    for index in np.flatnonzero(~described):
        labels[index] = labels[index - 1] if index else labels[min(index + 1, len(labels) - 1)]
        margin[index] = 0.0
    labels = _smooth(labels, pieces, margin)
    return Diarization(_turns(pieces, labels.tolist()), round(confidence, 3))
