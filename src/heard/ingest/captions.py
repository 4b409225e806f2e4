"""WebVTT and SRT captions with speakers as `<v Name>` voice tags or `Name:` prefixes.

Each cue becomes a turn. A cue without a speaker continues with the previous cue's speaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heard.errors import IngestError
from heard.ingest.base import IngestOptions, Parsed, RawTurn, build_call, turn_limit

_T = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
TIMING = re.compile(rf"^\s*{_T}\s*-->\s*{_T}")
VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
TAG = re.compile(r"</?[^>]+>")
PREFIX = re.compile(r"^\s*(?:-\s*)?([A-Za-z][\w.'-]*(?: [A-Za-z][\w.'-]*){0,2})\s*:\s+(.*)$")


def _clock(groups: tuple[str | None, ...]) -> float:
    h, m, s, ms = groups
    return int(h or 0) * 3600 + int(m or 0) * 60 + int(s or 0) + int((ms or "0").ljust(3, "0")) / 1000


def _cues(text: str, path: Path) -> Iterator[tuple[int, float, float, list[str]] | IngestError]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = TIMING.match(lines[i])
        if not match:
            i += 1
            continue
        number = i + 1
        start, end = _clock(match.groups()[:4]), _clock(match.groups()[4:])
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        if not body:
            yield IngestError("cue has a time but no text", path=str(path), line=number,
                              hint="Remove the empty cue or give it text.")
            continue
        yield number, start, end, body


class _Captions:
    name = "captions"
    kind = "text"

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        turns: list[RawTurn] = []
        speaker: str | None = None
        for cue in _cues(str(content), path):
            if isinstance(cue, IngestError):
                yield cue
                return
            number, start, end, body = cue
            if len(turns) == options.max_turns:   # stop here rather than read a huge call into memory
                yield turn_limit(path, options, call_id=path.stem, line=number)
                return
            joined = " ".join(body)
            voice = VOICE.search(joined)
            text = TAG.sub("", joined).strip()
            if voice:
                speaker = voice.group(1).strip()
            else:
                prefix = PREFIX.match(text)
                if prefix:
                    speaker, text = prefix.group(1), prefix.group(2)
            if speaker is None:
                yield IngestError("cue has no speaker", path=str(path), line=number,
                                  hint="Tag speakers with <v Name> or start cue text with 'Name: '.")
                return
            turns.append(RawTurn(label=speaker, text=text, start=start, end=end, line=number))
        yield build_call(turns, call_id=path.stem, path=path, options=options, source_format=self.name)


class WebVtt(_Captions):
    """WebVTT captions with <v Name> voice tags or 'Name:' prefixes."""

    name = "webvtt"

    def matches(self, content: Any, path: Path) -> bool:
        return str(content).lstrip("\ufeff").startswith("WEBVTT")


class Srt(_Captions):
    """SRT subtitles with 'Name:' prefixes."""

    name = "srt"

    def matches(self, content: Any, path: Path) -> bool:
        head = [ln for ln in str(content).lstrip("\ufeff").splitlines()[:3] if ln.strip()]
        return len(head) >= 2 and head[0].strip().isdigit() and bool(TIMING.match(head[1])) and "," in head[1]
