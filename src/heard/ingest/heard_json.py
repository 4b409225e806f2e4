"""heard's own format: one call per .json file (or a JSON array of calls), or one call per line of .jsonl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from heard.errors import IngestError
from heard.ingest.base import IngestOptions, Parsed, first_too_late, pydantic_to_ingest, too_many_turns
from heard.model import Call, SpeakerMapping


def _is_call(obj: Any) -> bool:
    return isinstance(obj, dict) and "turns" in obj and "id" in obj


def _one(obj: Any, path: Path, options: IngestOptions, line: int | None, fmt: str) -> Parsed:
    call_id = str(obj.get("id")) if isinstance(obj, dict) and obj.get("id") is not None else None
    if not isinstance(obj, dict):
        return IngestError(f"expected a call object, got {type(obj).__name__}", path=str(path), line=line,
                           hint="Each call is a JSON object with 'id' and 'turns'; see `heard schema`.")
    data = dict(obj)
    turns = data.get("turns")
    if isinstance(turns, list):
        # Before validation builds a model per turn, so an oversized call costs no more than its JSON.
        many = too_many_turns(len(turns), path, options, call_id=call_id, line=line)
        if many is not None:
            return many
        if options.repair_timestamps:
            data["turns"] = turns = _repaired(turns)
        late = first_too_late((_times(t) for t in turns), path, options, call_id=call_id, line=line)
        if late is not None:
            return late
    try:
        call = Call.model_validate(data)
    except ValidationError as exc:
        return pydantic_to_ingest(exc, path, call_id=call_id, line=line)
    if call.speaker_mapping is None:
        roles = {t.speaker_id or t.speaker.value: t.speaker for t in call.turns}
        call.speaker_mapping = SpeakerMapping(method="explicit", roles=roles)
    if call.source_format is None:
        call.source_format = fmt
    return call


def _times(turn: Any) -> tuple[Any, Any]:
    return (turn.get("start"), turn.get("end")) if isinstance(turn, dict) else (None, None)


def _repaired(turns: list[Any]) -> list[Any]:
    fixed = []
    for t in turns:
        timed = isinstance(t, dict) and all(isinstance(t.get(k), int | float) for k in ("start", "end"))
        if timed and t["start"] > t["end"]:
            t = {**t, "start": t["end"], "end": t["start"]}
        fixed.append(t)

    def key(t: Any) -> float:
        start = t.get("start") if isinstance(t, dict) else None
        return float(start) if isinstance(start, int | float) else 0.0
    return sorted(fixed, key=key)


class HeardJson:
    """heard's own JSON: one call per file, or a JSON array of calls."""

    name = "heard-json"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        if isinstance(content, list):
            return bool(content) and all(_is_call(c) for c in content[:5])
        return _is_call(content)

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        items = content if isinstance(content, list) else [content]
        for item in items:
            yield _one(item, path, options, None, self.name)


class HeardJsonl:
    """heard's own JSONL: one call per line."""

    name = "heard-jsonl"
    kind = "text"

    def matches(self, content: Any, path: Path) -> bool:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return True
        first = next((ln for ln in str(content).splitlines() if ln.strip()), "")
        try:
            return _is_call(json.loads(first)) and len(str(content).strip().splitlines()) > 1
        except ValueError:
            return False

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        for number, line in enumerate(str(content).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield IngestError(f"invalid JSON: {exc}", path=str(path), line=number,
                                  hint="Each line must be one complete call object.")
                continue
            yield _one(obj, path, options, number, self.name)

