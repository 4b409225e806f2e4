"""Read files of calls (and metadata/outcomes) in the formats contact centers have.

    >>> from heard.ingest import read_path
    >>> results = read_path("call.json")          # doctest: +SKIP
    >>> calls = [r for r in results if isinstance(r, Call)]  # doctest: +SKIP

`read_path` never raises for a bad file: it returns IngestError items beside the good calls, so a
batch goes on. Formats are auto-detected; `format=` forces one (names in `FORMATS`).
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from heard.errors import HeardError, IngestError
from heard.ingest.amazon import ContactLens, TranscribeCallAnalytics, TranscribeStandard
from heard.ingest.amazon_more import BedrockDataAutomationAudio, PostCallAnalytics
from heard.ingest.audio import AUDIO_SUFFIXES, require_audio
from heard.ingest.base import (
    MALFORMED,
    Format,
    IngestOptions,
    OutcomeRecord,
    Parsed,
    RawTurn,
    build_call,
    file_too_big,
    malformed,
    size_limit,
)
from heard.ingest.captions import Srt, WebVtt
from heard.ingest.heard_json import HeardJson, HeardJsonl
from heard.ingest.outcomes import OutcomesCsv, OutcomesJson
from heard.ingest.text import PlainText
from heard.ingest.vendors import AssemblyAI, Deepgram, GoogleSpeech
from heard.model import Call

# Order matters: the first format whose test matches wins.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        HeardJson(), HeardJsonl(), TranscribeCallAnalytics(), ContactLens(), TranscribeStandard(),
        BedrockDataAutomationAudio(), PostCallAnalytics(), Deepgram(), AssemblyAI(), GoogleSpeech(), OutcomesJson(),
        WebVtt(), Srt(), OutcomesCsv(), PlainText(),
    )
}
SUFFIXES = {".json", ".jsonl", ".ndjson", ".txt", ".vtt", ".srt", ".csv", ".tsv"} | AUDIO_SUFFIXES

__all__ = [
    "FORMATS",
    "Call",
    "IngestError",
    "IngestOptions",
    "OutcomeRecord",
    "Parsed",
    "RawTurn",
    "build_call",
    "detect",
    "expand_paths",
    "read_bytes",
    "read_path",
]


def expand_paths(patterns: Iterable[str | Path]) -> Iterator[Path]:
    """Files, folders (recursively, known suffixes) and globs, each file once, in a stable order."""
    seen: set[Path] = set()
    for pattern in patterns:
        text = str(pattern)
        matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))] if any(c in text for c in "*?[") \
            else [Path(text)]
        for match in matches:
            if match.is_dir():
                found = sorted(p for p in match.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            else:
                found = [match]
            for p in found:
                if p not in seen:
                    seen.add(p)
                    yield p


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(f"not UTF-8 text (byte {exc.start})", path=str(path), line=line,
                          hint="Save the file as UTF-8.") from None


def detect(text: str, path: Path) -> tuple[Format, object]:
    """The format of a file's text, and its content decoded for that format."""
    stripped = text.lstrip()
    json_error: IngestError | None = None
    if stripped[:1] in "{[" and path.suffix.lower() not in (".jsonl", ".ndjson"):
        try:
            content = json.loads(text)
        except ValueError as exc:
            json_error = IngestError(f"invalid JSON: {exc}", path=str(path), line=getattr(exc, "lineno", None),
                                     hint="Check the file is complete and not truncated.")
        else:
            for fmt in FORMATS.values():
                if fmt.kind == "json" and fmt.matches(content, path):
                    return fmt, content
            raise IngestError("JSON in no format heard knows", path=str(path),
                              hint=f"Pass --format (one of: {', '.join(FORMATS)}); see docs/formats.md.")
        # "[00:01] Agent: ..." also starts with a bracket: only a .json file or a "{" must be JSON.
        if path.suffix.lower() == ".json" or stripped.startswith("{"):
            if FORMATS["heard-jsonl"].matches(text, path):
                return FORMATS["heard-jsonl"], text
            raise json_error
    for fmt in FORMATS.values():
        if fmt.kind == "text" and fmt.matches(text, path):
            return fmt, text
    raise IngestError("not a transcript heard recognises", path=str(path),
                      hint=f"Pass --format (one of: {', '.join(FORMATS)}); see docs/formats.md.")


def read_bytes(data: bytes, path: Path, *, format: str | None = None,
               options: IngestOptions | None = None) -> list[Parsed]:
    """Parse bytes as if read from `path`. Never raises IngestError: it is returned in the list."""
    options = options or IngestOptions()
    too_big = file_too_big(len(data), path, options)
    if too_big is not None:
        return [too_big]
    try:
        text = _decode(data, path)
        if format is None:
            fmt, content = detect(text, path)
        else:
            if format not in FORMATS:
                raise IngestError(f"unknown format {format!r}", path=str(path),
                                  hint=f"Use one of: {', '.join(FORMATS)}.")
            fmt = FORMATS[format]
            content = text
            if fmt.kind == "json":
                try:
                    content = json.loads(text)
                except ValueError as exc:
                    raise IngestError(f"invalid JSON: {exc}", path=str(path), line=getattr(exc, "lineno", None),
                                      hint="Check the file is complete and not truncated.") from None
                if not fmt.matches(content, path):
                    raise IngestError(f"does not look like {format}", path=str(path),
                                      hint="Check the file, or leave out --format to auto-detect.")
    except IngestError as exc:
        return [exc]
    except RecursionError:
        return [IngestError("nested too deeply to read", path=str(path), hint="Check the file is a transcript.")]
    results: list[Parsed] = []
    try:
        for item in fmt.parse(content, path, options):
            results.append(item)
    except IngestError as exc:
        results.append(exc)
    except MALFORMED as exc:
        # A parser met a shape it does not expect: keep what it read so far and say where it stopped.
        results.append(malformed(exc, path, fmt.name))
    except RecursionError:
        results.append(IngestError("nested too deeply to read", path=str(path), hint="Check the file is a transcript."))
    return results


def read_audio(path: Path, options: IngestOptions,
               progress: Callable[[float, float], None] | None = None) -> Call | IngestError:
    """One recording as a Call, or the reason it could not be read (never raises for a bad recording)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return IngestError(f"cannot read: {exc.strerror or exc}", path=str(path),
                           hint="Check the path exists and is readable.")
    too_big = file_too_big(size, path, options, setting="audio.max_file_mb")
    if too_big is not None:
        return too_big
    try:
        require_audio()   # before the audio modules are imported, so a missing extra is a message, not a traceback
        from heard.ingest.audio.pipeline import read_recording

        return read_recording(path, options.audio, progress=progress, max_seconds=options.max_call_seconds)
    except IngestError as exc:
        return exc
    except HeardError as exc:
        return IngestError(exc.message, path=str(path), hint=exc.hint)
    except (RuntimeError, ValueError, TypeError, OSError) as exc:   # soundfile's LibsndfileError is a RuntimeError
        return IngestError(f"not a recording heard can read: {exc}", path=str(path),
                           hint="Use WAV, FLAC, MP3 or OGG audio (8 kHz or more, mono or stereo).")


def read_path(path: str | Path, *, format: str | None = None, options: IngestOptions | None = None,
              progress: Callable[[float, float], None] | None = None) -> list[Parsed]:
    """Parse one file into Calls, OutcomeRecords and IngestErrors (never raises for bad content).

    A recording (.wav .flac .mp3 .ogg .opus) is transcribed and measured (needs `heard[audio]`);
    `progress(seconds_done, seconds_total)` is called as it goes."""
    path = Path(path)
    options = options or IngestOptions()
    if path.suffix.lower() in AUDIO_SUFFIXES and format in (None, "audio"):
        return [read_audio(path, options, progress)]
    limit = options.max_file_bytes
    try:
        # The size is checked before a byte is read, and reading stops one byte past the limit: a file that
        # grew since, or a device or pipe that reports no size, is refused without being held in memory.
        size = path.stat().st_size
        too_big = file_too_big(size, path, options)
        if too_big is not None:
            return [too_big]
        with path.open("rb") as file:
            data = file.read(size + 1)
            if len(data) > size:
                data += file.read(limit + 1 - len(data))
        if len(data) > limit:
            return [size_limit(len(data), path, options, at_least=True)]
    except OSError as exc:
        return [IngestError(f"cannot read: {exc.strerror or exc}", path=str(path),
                            hint="Check the path exists and is readable.")]
    return read_bytes(data, path, format=format, options=options)
