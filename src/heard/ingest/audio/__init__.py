"""Recordings in, analysed calls out: offline speech-to-text, voice activity, acoustics, diarisation.

Everything here is optional: `pip install 'heard[audio]'`. `require_audio()` says so clearly when the
extra is missing; nothing else in heard imports these modules unless a recording is read.

    >>> from heard.ingest.audio.pipeline import read_recording   # doctest: +SKIP
    >>> call = read_recording("call-0001.wav")           # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util

from heard.errors import HeardError

AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus"})
INSTALL = "pip install 'heard[audio]'"
_NEEDED = ("numpy", "scipy", "soundfile", "faster_whisper", "ctranslate2")


class AudioUnavailable(HeardError):
    """The audio extra is not installed."""


def require_audio() -> None:
    """Raise a clear error naming the install command when the audio extra is missing."""
    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise AudioUnavailable(f"reading recordings needs the audio extra (missing: {', '.join(missing)})",
                               hint=f"Install it with: {INSTALL}")
