"""Reading recordings a window at a time, at their own rate, and bringing channels to 16 kHz."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from heard.ingest.audio.signal import resample

Samples = npt.NDArray[np.float32]
TARGET_RATE = 16000


@dataclass(frozen=True)
class Recording:
    """What a recording's header says."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def probe(path: Path) -> Recording:
    """The recording's rate, channels and length, read from its header (raises soundfile's error if unreadable)."""
    info = sf.info(str(path))
    frames = int(info.frames)
    if frames <= 0 or frames > 10**12:   # some MP3 headers give no length: count by reading once
        frames = sum(len(block) for block in sf.blocks(str(path), blocksize=1 << 16, dtype="float32"))
    return Recording(path=path, sample_rate=int(info.samplerate), channels=int(info.channels), frames=frames,
                     format=str(info.format))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Reader:
    """Reads any window of a recording, so a long call is never held in memory whole.

        with Reader(recording) as reader:
            samples = reader.read(start_frame, frames)   # shape (n, channels), float32
    """

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self._file = sf.SoundFile(str(recording.path))

    def read(self, start: int, frames: int) -> Samples:
        self._file.seek(start)
        data = self._file.read(frames, dtype="float32", always_2d=True)
        return np.ascontiguousarray(data, dtype=np.float32)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def to_16k(channel: Samples, rate: int) -> Samples:
    """One channel resampled to 16 kHz (what the speech models expect)."""
    if rate == TARGET_RATE:
        return np.ascontiguousarray(channel, dtype=np.float32)
    return resample(channel, rate, TARGET_RATE).astype(np.float32)
