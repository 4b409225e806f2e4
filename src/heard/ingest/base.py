"""What every input format shares: options, raw turns, and turning them into a validated Call."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heard.errors import IngestError
from heard.ingest.audio.settings import AudioSettings
from heard.ingest.speakers import LabelledText, configured_role, guess_roles
from heard.model import Call, OutcomeRecord, Role, SpeakerMapping, Turn, Word

# What a parser's code raises when vendor JSON has the right top-level shape but wrong insides.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)

DEFAULT_AGENT_NAMES = ("agent", "rep", "representative", "advisor", "adviser", "support", "csr", "associate")
DEFAULT_CUSTOMER_NAMES = ("customer", "caller", "client", "user", "member", "guest")


class IngestOptions(BaseModel):
    """How to read input files. All of it can be set in heard.toml under [ingest]."""

    model_config = ConfigDict(extra="forbid")

    speaker_roles: dict[str, Role] = Field(
        default_factory=dict, description="source speaker label -> role, e.g. {spk_0 = 'agent'}"
    )
    agent_names: list[str] = Field(default_factory=lambda: list(DEFAULT_AGENT_NAMES))
    customer_names: list[str] = Field(default_factory=lambda: list(DEFAULT_CUSTOMER_NAMES))
    repair_timestamps: bool = Field(
        default=False, description="swap start/end given backwards and sort turns by start instead of failing"
    )
    max_file_mb: float = Field(default=64.0, gt=0, description="refuse files larger than this, before reading them")
    max_turns: int = Field(default=5000, gt=0, description="refuse a call with more turns than this")
    max_call_seconds: float = Field(default=21600.0, gt=0,
                                    description="refuse a call with a turn that ends (or starts) later than this")
    audio: AudioSettings = Field(default_factory=AudioSettings, description="how recordings are read")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)


MB = 1024 * 1024


def how_to_raise(setting: str, value: float | int) -> str:
    """The two ways to raise an ingest limit, with a value that would let this input in."""
    return (f"heard --set ingest.{setting}={value} import ..., or {setting} = {value} under [ingest] in heard.toml")


def size_text(size: int) -> str:
    """A byte count for a person: '63.2 MB', '12 KB', '95 bytes'."""
    if size >= MB:
        return f"{size / MB:,.1f} MB"
    return f"{size / 1024:,.0f} KB" if size >= 1024 else f"{size} bytes"


def size_limit(size: int, path: Path, options: IngestOptions, *, at_least: bool = False,
               setting: str = "max_file_mb") -> IngestError:
    """The error for a file over `ingest.<setting>` (max_file_mb, or audio.max_file_mb for recordings);
    `at_least` when reading stopped past the limit."""
    limit = _limit_mb(options, setting)
    return IngestError(f"file is {'more than ' if at_least else ''}{size_text(size)}, over the limit of "
                       f"{limit:g} MB (ingest.{setting})", path=str(path),
                       hint=f"Split it, or raise the limit: {how_to_raise(setting, math.ceil(size / MB))}.")


def file_too_big(size: int, path: Path, options: IngestOptions, *, setting: str = "max_file_mb") -> IngestError | None:
    """The error for a file of `size` bytes when that is over `ingest.<setting>`, else None."""
    return size_limit(size, path, options, setting=setting) if size > int(_limit_mb(options, setting) * MB) else None


def _limit_mb(options: IngestOptions, setting: str) -> float:
    """The value of a dotted size setting under [ingest] ("max_file_mb", "audio.max_file_mb")."""
    value: Any = options
    for part in setting.split("."):
        value = getattr(value, part)
    return float(value)


def turn_limit(path: Path, options: IngestOptions, *, count: int | None = None, call_id: str | None = None,
               line: int | None = None) -> IngestError:
    """The error for a call over ingest.max_turns; `count` None when the parser stopped reading at the limit."""
    said = f"more than {options.max_turns:,}" if count is None else f"{count:,}"
    wanted = 2 * options.max_turns if count is None else count
    return IngestError(f"call has {said} turns, over the limit of {options.max_turns:,} (ingest.max_turns)",
                       path=str(path), line=line, call_id=call_id,
                       hint=f"Split the call, or raise the limit: {how_to_raise('max_turns', wanted)}.")


def too_many_turns(count: int, path: Path, options: IngestOptions, *, call_id: str | None = None,
                   line: int | None = None) -> IngestError | None:
    """The error for a call of `count` turns when that is over ingest.max_turns, else None."""
    return turn_limit(path, options, count=count, call_id=call_id, line=line) if count > options.max_turns else None


def too_long(turn: int, start: Any, end: Any, path: Path, options: IngestOptions, *, call_id: str | None = None,
             line: int | None = None) -> IngestError | None:
    """The error for a turn that ends (or, without an end, starts) after ingest.max_call_seconds, else None.

    Times that are not numbers are left for validation to report."""
    limit = options.max_call_seconds
    for verb, value in (("ends", end), ("starts", start)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            continue
        if value <= limit:
            return None
        return IngestError(
            f"{verb} at {value:,.1f} s ({value / 3600:,.1f} h), over the limit of {limit:,g} s "
            f"(ingest.max_call_seconds)", path=str(path), line=line, call_id=call_id, turn=turn,
            hint="Check the times are in seconds, not milliseconds. If the call is really that long, raise the "
                 f"limit: {how_to_raise('max_call_seconds', math.ceil(value))}.")
    return None


def first_too_late(times: Iterable[tuple[Any, Any]], path: Path, options: IngestOptions, *,
                   call_id: str | None = None, line: int | None = None,
                   turn_lines: Mapping[int, int] | None = None) -> IngestError | None:
    """The error for the first turn, given as (start, end), that goes past ingest.max_call_seconds, else None."""
    for index, (start, end) in enumerate(times):
        late = too_long(index, start, end, path, options, call_id=call_id, line=(turn_lines or {}).get(index, line))
        if late is not None:
            return late
    return None


@dataclass
class RawTurn:
    """A turn as a parser found it, before speaker mapping and validation."""

    label: str
    text: str
    start: float | None = None
    end: float | None = None
    words: list[Word] | None = None
    role: Role | None = None
    line: int | None = None


Parsed = Call | OutcomeRecord | IngestError


class Format(Protocol):
    """An input format: a name, a test on the decoded content, and a parser."""

    name: str
    kind: str  # "json" (content is already decoded JSON) or "text"

    def matches(self, content: Any, path: Path) -> bool: ...

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]: ...


def seconds(value: Any, *, unit: float = 1.0) -> float | None:
    """A number of seconds from a number, numeric string or '1.23s' string; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds, got {value!r}")
    if isinstance(value, str):
        value = value.strip().removesuffix("s")
    return float(value) * unit


def pydantic_to_ingest(
    error: ValidationError, path: Path, *, call_id: str | None = None, line: int | None = None,
    turn_lines: Mapping[int, int] | None = None,
) -> IngestError:
    """Turn pydantic's error into one that names the turn and says how to fix it."""
    first = error.errors()[0]
    loc = list(first["loc"])
    turn: int | None = None
    if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int):
        turn = loc[1]
        if turn_lines and turn in turn_lines:
            line = turn_lines[turn]
    field_path = ".".join(str(p) for p in loc) or "call"
    message = first["msg"].removeprefix("Value error, ")
    hint = {
        "missing": "Add the field.",
        "extra_forbidden": "Remove the field or move it under 'metadata'.",
        "string_too_short": "Give it a value.",
        "too_short": "A call needs at least one turn with text.",
    }.get(first["type"])
    if "'start' is after 'end'" in message:
        hint = "Fix the timestamps or pass --repair-timestamps."
    elif "order of their start" in message:
        hint = "Sort the turns by start time or pass --repair-timestamps."
    more = f" (and {len(error.errors()) - 1} more problem(s))" if len(error.errors()) > 1 else ""
    return IngestError(f"{field_path}: {message}{more}", path=str(path), line=line, turn=turn,
                       call_id=call_id, hint=hint)


def build_call(
    raw_turns: Iterable[RawTurn],
    *,
    call_id: str,
    path: Path,
    options: IngestOptions,
    source_format: str,
    line: int | None = None,
    **call_fields: Any,
) -> Call | IngestError:
    """Map speakers, repair if asked, validate: a Call, or an IngestError that says where."""
    turns = [t for t in raw_turns if t.text and t.text.strip()]
    if not turns:
        return IngestError("no turns with text", path=str(path), line=line, call_id=call_id,
                           hint="Check the file holds a transcript in the expected format.")
    many = too_many_turns(len(turns), path, options, call_id=call_id, line=line)
    if many is not None:
        return many
    if options.repair_timestamps:
        for t in turns:
            if t.start is not None and t.end is not None and t.start > t.end:
                t.start, t.end = t.end, t.start
        turns.sort(key=lambda t: (t.start is None, t.start or 0.0))
    late = first_too_late(((t.start, t.end) for t in turns), path, options, call_id=call_id, line=line,
                          turn_lines={i: t.line for i, t in enumerate(turns) if t.line is not None})
    if late is not None:
        return late
    mapping = map_speakers(turns, options)
    try:
        call = Call(
            id=call_id,
            turns=[
                Turn(
                    speaker=t.role or mapping.roles.get(t.label, Role.OTHER),
                    speaker_id=t.label,
                    start=t.start,
                    end=t.end,
                    text=t.text.strip(),
                    words=t.words,
                )
                for t in turns
            ],
            speaker_mapping=mapping,
            source_format=source_format,
            **call_fields,
        )
    except ValidationError as exc:
        lines = {i: t.line for i, t in enumerate(turns) if t.line is not None}
        return pydantic_to_ingest(exc, path, call_id=call_id, line=line, turn_lines=lines)
    return call


def map_speakers(turns: list[RawTurn], options: IngestOptions) -> SpeakerMapping:
    """Explicit roles win, then configuration, then the heuristic for whatever is left."""
    roles: dict[str, Role] = {}
    method = "explicit"
    unresolved: list[RawTurn] = []
    for t in turns:
        if t.role is not None:
            roles.setdefault(t.label, t.role)
            continue
        configured = configured_role(t.label, options.speaker_roles, options.agent_names, options.customer_names)
        if configured is not None:
            roles.setdefault(t.label, configured)
            method = "config" if method == "explicit" else method
        else:
            unresolved.append(t)
    leftover = [t for t in unresolved if t.label not in roles]
    if not leftover:
        return SpeakerMapping(method="explicit" if method == "explicit" else "config", roles=roles, confidence=1.0)
    guess = guess_roles([LabelledText(t.label, t.text) for t in leftover])
    taken = set(roles.values())
    for label, role in guess.roles.items():
        # A label the heuristic calls agent when the source already named an agent is the other party.
        if role in taken and role is not Role.OTHER:
            role = Role.CUSTOMER if role is Role.AGENT else Role.AGENT
            if role in taken:
                role = Role.OTHER
        roles[label] = role
    return SpeakerMapping(method="heuristic", roles=roles, confidence=guess.confidence, reason=guess.reason)


def malformed(exc: Exception, path: Path, vendor: str) -> IngestError:
    return IngestError(f"malformed {vendor} JSON ({type(exc).__name__}: {exc})", path=str(path),
                       hint=f"Check the file is unmodified {vendor} output, or pass --format.")


def require(obj: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str = "") -> Any:
    """obj[key] when it exists and has the right type, else an IngestError naming the key."""
    if not isinstance(obj, dict) or key not in obj:
        raise IngestError(f"missing '{where}{key}'", path=str(path),
                          hint="Is this the right format? Pass --format to choose one.")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise IngestError(f"'{where}{key}' should be {names}, got {type(value).__name__}", path=str(path))
    return value
