"""Plain transcripts: `Agent: ...` / `Customer: ...` lines.

Optional timestamps before or after the name: `[01:05]`, `[00:01:05]`, or a range `[01:05-01:12]`.
Header lines `# key: value` before the first turn set call fields (id, agent_id, team, queue,
reason, channel, started_at, language); other keys go to metadata. A line without a speaker
prefix continues the previous turn. Speaker names are mapped by `ingest.agent_names` /
`ingest.customer_names`, then by the heuristic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heard.errors import IngestError
from heard.ingest.base import IngestOptions, Parsed, RawTurn, build_call, turn_limit

_TS = r"\d+:\d{2}(?::\d{2})?(?:\.\d+)?"


def _stamp(n: str) -> str:
    return rf"\[(?P<{n}>{_TS})(?:\s*[-–]\s*(?P<{n}e>{_TS}))?\]"


LINE = re.compile(
    r"^\s*(?:" + _stamp("a") + r"\s*)?"
    r"(?P<name>[A-Za-z][\w.'-]*(?: [A-Za-z][\w.'-]*){0,2})\s*"
    r"(?:" + _stamp("b") + r"\s*)?:\s*(?P<text>.*)$"
)
HEADER = re.compile(r"^#\s*(?P<key>[\w-]+)\s*:\s*(?P<value>.*)$")
CALL_FIELDS = {"id", "agent_id", "team", "queue", "reason", "channel", "started_at", "language"}


def parse_clock(stamp: str) -> float:
    parts = [float(p) for p in stamp.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


class PlainText:
    """Plain 'Agent: ...' / 'Customer: ...' lines with optional [mm:ss] timestamps."""

    name = "text"
    kind = "text"

    def matches(self, content: Any, path: Path) -> bool:
        lines = [ln for ln in str(content).splitlines() if ln.strip() and not ln.startswith("#")][:20]
        return bool(lines) and sum(1 for ln in lines if LINE.match(ln)) >= max(1, len(lines) // 2)

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        fields: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        turns: list[RawTurn] = []
        for number, line in enumerate(str(content).splitlines(), start=1):
            if not line.strip():
                continue
            header = HEADER.match(line)
            if header and not turns:
                key, value = header["key"].lower().replace("-", "_"), header["value"].strip()
                (fields if key in CALL_FIELDS else metadata)[key] = value
                continue
            if line.lstrip().startswith("#"):
                continue
            match = LINE.match(line)
            if match is None:
                if not turns:
                    yield IngestError(
                        f"expected 'Speaker: text', got {line.strip()[:60]!r}", path=str(path), line=number,
                        hint="Start each turn with a speaker name and a colon, e.g. 'Agent: Hello'.")
                    return
                turns[-1].text += " " + line.strip()
                continue
            if len(turns) == options.max_turns:   # stop here rather than read a huge call into memory
                yield turn_limit(path, options, call_id=str(fields.get("id", path.stem)), line=number)
                return
            start_s = match["a"] or match["b"]
            end_s = match["ae"] or match["be"]
            turns.append(RawTurn(
                label=match["name"].strip(), text=match["text"].strip(),
                start=parse_clock(start_s) if start_s else None,
                end=parse_clock(end_s) if end_s else None, line=number,
            ))
        call_id = str(fields.pop("id", path.stem))
        if metadata:
            fields["metadata"] = metadata
        yield build_call(turns, call_id=call_id, path=path, options=options, source_format=self.name, **fields)
