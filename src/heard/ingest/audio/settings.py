"""How recordings are read: the `[ingest.audio]` section of heard.toml. No audio library is imported here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AudioSettings(BaseModel):
    """Audio import settings (`heard --set ingest.audio.agent_channel=1 import calls/`)."""

    model_config = ConfigDict(extra="forbid")

    agent_channel: Literal[0, 1] = Field(
        default=0, description="stereo recordings: the channel the agent is on (0 = left); the other is the customer")
    model_dir: str | None = Field(
        default=None, description="a faster-whisper model folder of your own; default: Whisper base from the "
                                  "pinned PyPI wheels, checked by sha256")
    compute_type: str = Field(default="int8", description="CTranslate2 compute type: int8, int8_float32, float32")
    beam_size: int = Field(default=1, ge=1, le=10)
    cpu_threads: int = Field(default=2, ge=1)
    batch_size: int = Field(default=8, ge=1, le=64, description="stretches of speech decoded together")
    language: str | None = Field(default="en", description="None: Whisper detects it")
    chunk_seconds: float = Field(default=120.0, ge=30, le=1800,
                                 description="the recording is processed this many seconds at a time")
    min_silence: float = Field(default=0.3, ge=0.05, description="a gap this long ends a stretch of speech")
    max_file_mb: float = Field(default=2048.0, gt=0, description="refuse recordings larger than this")
    redacted_dir: str | None = Field(
        default=None, description="where the PII-muted copy is written when redaction is on (default: beside the "
                                  "recording, as <name>.redacted.wav)")
