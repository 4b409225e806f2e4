"""A recording in, a Call out: voice activity, words, speakers and the signal's own facts.

Stereo: one party per channel (`[ingest.audio] agent_channel`, default left = agent), so who spoke when
is exact and needs no guessing. Mono: voice activity, then two-speaker diarisation on the CPU, then the
same agent/customer heuristic as text files, with both confidences reported.

The recording is read `chunk_seconds` at a time. A stretch of speech still going at the end of a window
is not cut: the next window starts where it began, so memory stays bounded by the window, not the call.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from heard.errors import IngestError
from heard.ingest.audio import require_audio
from heard.ingest.audio.io import Reader, Recording, Samples, probe, sha256_of, to_16k
from heard.ingest.audio.settings import AudioSettings
from heard.ingest.audio.signal import loudness_db, pitch_hz, raised_flags, speaking_rate
from heard.ingest.audio.stt import Recognised, SpeechToText, engine
from heard.ingest.audio.vad import MAX_SPEECH_SECONDS, speech_spans
from heard.ingest.speakers import LabelledText, guess_roles
from heard.model import AudioInfo, AudioSegment, Call, Role, SpeakerMapping, Turn, Word

Progress = Callable[[float, float], None]   # (seconds done, seconds in all)
CLIP_PAD = 0.15   # seconds of context either side of a stretch given to Whisper
STEREO_LABELS = ("ch_0", "ch_1")


@dataclass
class _Stretch:
    """One stretch of speech on one channel, with the words heard in it."""

    channel: int
    start: float
    end: float
    loudness: float | None = None
    pitch: float | None = None
    words: list[Recognised] = field(default_factory=list)


def read_recording(path: str | Path, settings: AudioSettings | None = None, *, call_id: str | None = None,
                   stt: SpeechToText | None = None, progress: Progress | None = None,
                   max_seconds: float | None = None) -> Call:
    """Transcribe and measure one recording. Raises HeardError (or soundfile's error) if it cannot be read, or
    IngestError if it is longer than `max_seconds`."""
    require_audio()
    settings = settings or AudioSettings()
    path = Path(path)
    recording = probe(path)
    if max_seconds is not None and recording.duration > max_seconds:
        raise IngestError(f"recording is {recording.duration:,.0f} s long, over the limit of {max_seconds:,.0f} s "
                          "(ingest.max_call_seconds)", path=str(path),
                          hint="Split it, or raise ingest.max_call_seconds.")
    stt = stt or engine(settings)
    stereo = recording.channels >= 2
    order: tuple[int, ...] = (settings.agent_channel, 1 - settings.agent_channel) if stereo else (0,)
    stretches = _stretches(recording, order, settings, stt, progress)
    if stereo:
        roles = {0: Role.AGENT, 1: Role.CUSTOMER}
        labelled = [(s, roles[s.channel], STEREO_LABELS[order[s.channel]]) for s in stretches]
        mapping = SpeakerMapping(method="config", roles={STEREO_LABELS[order[0]]: Role.AGENT,
                                                         STEREO_LABELS[order[1]]: Role.CUSTOMER},
                                 reason=f"stereo: agent on channel {settings.agent_channel} "
                                        "(ingest.audio.agent_channel)")
        diarization = confidence = None
    else:
        labelled, mapping, diarization, confidence = _diarised(recording, stretches)
    segments = _segments(labelled)
    turns = [Turn(speaker=role, speaker_id=label, start=round(s.start, 3), end=round(s.end, 3),
                  text=" ".join(w.text for w in s.words), words=_words(s))
             for s, role, label in labelled if s.words]
    if not turns:
        raise IngestError("no speech was recognised in the recording", path=str(path),
                          hint="Check it is a call recording with audible speech (and not silent or music).")
    info = AudioInfo(file=path.name, sha256=sha256_of(path), sample_rate=recording.sample_rate,
                     channels=recording.channels, duration=round(recording.duration, 3),
                     layout="stereo" if stereo else "mono", transcript_source=stt.name, segments=segments,
                     diarization=diarization, diarization_confidence=confidence)
    return Call(id=call_id or path.stem, turns=turns, speaker_mapping=mapping, source_format="audio",
                language=settings.language or "en", audio=info)


def _stretches(recording: Recording, order: Sequence[int], settings: AudioSettings, stt: SpeechToText,
               progress: Progress | None) -> list[_Stretch]:
    """Every stretch of speech on each channel (indexed by role order), with loudness, pitch and words."""
    rate = recording.sample_rate
    window = int(settings.chunk_seconds * rate)
    found: list[_Stretch] = []
    start = 0
    with Reader(recording) as reader:
        while start < recording.frames:
            samples = reader.read(start, window)
            offset = start / rate
            last = start + window >= recording.frames
            # A stretch that ends near the window's end may go on after a short pause the window cannot see:
            # leave it to the next window, which starts where it began.
            cut = offset + samples.shape[0] / rate - (0.0 if last else 0.5 + settings.min_silence)
            next_start = start + samples.shape[0]
            for index, channel in enumerate(order):
                native = samples[:, channel]
                channel16k = to_16k(native, rate)
                spans = speech_spans(channel16k, native, rate, min_silence=settings.min_silence)
                done = [(s, e) for s, e in spans if offset + e < cut or last]
                pending = [s for s, e in spans if not (offset + e < cut or last)]
                if pending:
                    next_start = min(next_start, start + int(pending[0] * rate))
                words = stt.words(channel16k, _clips(done, samples.shape[0] / rate))
                for s, e in done:
                    found.append(_Stretch(channel=index, start=offset + s, end=offset + e,
                                          loudness=loudness_db(native, rate, s, e), pitch=pitch_hz(native, rate, s, e)))
                _assign(found[len(found) - len(done):], words, offset)
            if next_start <= start:   # cannot happen (a stretch is at most 25 s, a window at least 30 s); be safe
                next_start = start + window
            start = next_start
            if progress:
                progress(min(start / rate, recording.duration), recording.duration)
    found.sort(key=lambda s: (s.start, s.channel))
    return found


def _clips(spans: Sequence[tuple[float, float]], length: float) -> list[tuple[float, float]]:
    """Whisper's clips: the stretches padded a little, neighbours joined while the clip stays under 30 s."""
    clips: list[tuple[float, float]] = []
    for s, e in spans:
        s, e = max(0.0, s - CLIP_PAD), min(length, e + CLIP_PAD)
        if clips and s - clips[-1][1] < 1.0 and e - clips[-1][0] <= MAX_SPEECH_SECONDS + 3:
            clips[-1] = (clips[-1][0], e)
        else:
            clips.append((s, e))
    return clips


def _assign(stretches: list[_Stretch], words: list[Recognised], offset: float) -> None:
    """Give each word to the stretch its middle falls in (or the nearest one), times made absolute."""
    if not stretches:
        return
    starts = [s.start for s in stretches]
    for word in words:
        middle = offset + (word.start + word.end) / 2
        k = max(0, bisect.bisect_right(starts, middle) - 1)
        candidates = [c for c in (k, k + 1) if c < len(stretches)]
        best = min(candidates, key=lambda c: _distance(stretches[c], middle))
        stretches[best].words.append(Recognised(word.text, offset + word.start, offset + word.end, word.confidence))


def _distance(stretch: _Stretch, t: float) -> float:
    return 0.0 if stretch.start <= t <= stretch.end else min(abs(t - stretch.start), abs(t - stretch.end))


def _words(stretch: _Stretch) -> list[Word]:
    """The stretch's words with times kept inside it and in order (Whisper's word edges are approximate)."""
    out: list[Word] = []
    cursor = stretch.start
    for w in stretch.words:
        start = min(max(w.start, cursor), stretch.end)
        end = min(max(w.end, start), stretch.end)
        out.append(Word(text=w.text, start=round(start, 3), end=round(end, 3), confidence=round(w.confidence, 3)))
        cursor = start
    return out


def _segments(labelled: Sequence[tuple[_Stretch, Role, str]]) -> list[AudioSegment]:
    """The voice-activity record: every stretch with its level, pitch and pace; the customer's raised ones marked."""
    raised = iter(raised_flags([(s.start, s.end, s.loudness, s.pitch) for s, role, _ in labelled
                                if role is Role.CUSTOMER]))
    return [AudioSegment(speaker=role, start=round(s.start, 3), end=round(s.end, 3),
                         loudness_db=None if s.loudness is None else round(s.loudness, 2),
                         pitch_hz=None if s.pitch is None else round(s.pitch, 1),
                         words_per_minute=_rate(s), raised=next(raised) if role is Role.CUSTOMER else False)
            for s, role, _ in labelled]


def _rate(stretch: _Stretch) -> float | None:
    rate = speaking_rate(len(stretch.words), stretch.start, stretch.end) if stretch.words else None
    return None if rate is None else round(rate, 1)


def _diarised(recording: Recording, stretches: list[_Stretch]
              ) -> tuple[list[tuple[_Stretch, Role, str]], SpeakerMapping, str, float]:
    """Mono: split the stretches between two voices, then guess which voice is the agent from what each said."""
    from heard.ingest.audio.diarize import diarize

    with Reader(recording) as reader:
        mono: Samples = reader.read(0, recording.frames)[:, 0]
    rate = recording.sample_rate
    result = diarize(mono, rate, [(s.start, s.end) for s in stretches])
    pieces: list[tuple[_Stretch, str]] = []
    for start, end, label in result.turns:
        piece = _Stretch(channel=0, start=start, end=end, loudness=loudness_db(mono, rate, start, end),
                         pitch=pitch_hz(mono, rate, start, end))
        pieces.append((piece, label))
    every_word = sorted((w for s in stretches for w in s.words), key=lambda w: w.start)
    _assign([p for p, _ in pieces], every_word, 0.0)
    guessed = guess_roles([LabelledText(label, " ".join(w.text for w in p.words)) for p, label in pieces if p.words])
    roles = dict(guessed.roles)
    for _, label in pieces:
        roles.setdefault(label, Role.CUSTOMER if Role.AGENT in roles.values() else Role.AGENT)
    mapping = SpeakerMapping(method="heuristic", roles=roles, confidence=guessed.confidence,
                             reason=f"mono: {result.method}, confidence {result.confidence:.2f}; {guessed.reason}")
    del mono
    return ([(p, roles[label], label) for p, label in pieces], mapping, result.method,
            round(float(np.clip(result.confidence, 0.0, 1.0)), 3))
