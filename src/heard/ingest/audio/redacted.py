"""The redacted copy of a recording: the time ranges where PII was said, muted, read and written a block at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from heard.ingest.audio.signal import mute

BLOCK_SECONDS = 60


def write_muted_copy(source: Path, ranges: Sequence[tuple[float, float]], target: Path) -> Path:
    """Write `source` to `target` (16-bit WAV) with `ranges` (seconds) silenced; returns `target`.

    Written to a temporary name first and renamed, so a failure never leaves half a file under the real name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with sf.SoundFile(str(source)) as reader:
        rate, channels = reader.samplerate, reader.channels
        block = BLOCK_SECONDS * rate
        with sf.SoundFile(str(partial), "w", samplerate=rate, channels=channels, subtype="PCM_16",
                          format="WAV") as writer:
            offset = 0.0
            while True:
                samples = reader.read(block, dtype="float32", always_2d=True)
                if not len(samples):
                    break
                end = offset + len(samples) / rate
                # Unclipped, so a range that runs across a block edge has no fade at that edge.
                local = [(s - offset, e - offset) for s, e in ranges if e > offset and s < end]
                writer.write(mute(samples, rate, local) if local else samples)
                offset = end
    partial.replace(target)
    return target
