"""heard's exceptions. The library raises these; only the CLI and HTTP layers turn them into messages.

    HeardError
    ├── IngestError        a file could not be read as calls (carries file, line, turn and a hint)
    ├── StoreError         the database refused or is not reachable
    │   └── ConflictError  a call id is already stored with different content
    ├── ConfigError        a config file or --set override is invalid
    └── AnalysisError      an analyser could not run on a call
"""

from __future__ import annotations


class HeardError(Exception):
    """Base class: every error heard raises on purpose has a message a person can act on."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class IngestError(HeardError):
    """A file (or one call in it) could not be turned into a valid Call."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        turn: int | None = None,
        call_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.turn = turn
        self.call_id = call_id

    @property
    def where(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.call_id is not None:
            parts.append(f"call {self.call_id}")
        if self.turn is not None:
            parts.append(f"turn {self.turn}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


class StoreError(HeardError):
    """The store could not be opened or written."""


class ConflictError(StoreError):
    """A call id is already stored with different content."""


class ConfigError(HeardError):
    """Configuration is invalid."""


class AnalysisError(HeardError):
    """An analyser failed on a call."""
