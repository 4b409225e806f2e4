"""Metadata and outcomes from CSV or JSON, joined to stored calls by call id.

Columns (any order; unknown columns go to the call's metadata):
- `call_id` (also accepted: `id`, `contact_id`);
- call fields: agent_id (or agent), team, queue, reason, channel, started_at, language;
- outcome fields: csat, nps, fcr, repeat_contact, repeat_window_days, escalated, handle_time,
  refund, churned, survey_comment. Booleans accept yes/no, true/false, y/n, 1/0; an empty cell
  means "not known".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from heard.errors import IngestError
from heard.ingest.base import IngestOptions, OutcomeRecord, Parsed
from heard.model import Call, Outcome

ID_COLUMNS = ("call_id", "id", "contact_id")
ALIASES = {"agent": "agent_id", "contact_id": "call_id", "id": "call_id", "csat_score": "csat", "nps_score": "nps",
           "comment": "survey_comment"}
CALL_FIELDS = ("agent_id", "team", "queue", "reason", "channel", "started_at", "language")
OUTCOME_FIELDS = tuple(Outcome.model_fields)
TRUE = {"yes", "y", "true", "t", "1"}
FALSE = {"no", "n", "false", "f", "0"}


def _value(name: str, raw: Any) -> Any:
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
        if Outcome.model_fields.get(name) is not None and "bool" in str(Outcome.model_fields[name].annotation):
            if raw.lower() in TRUE:
                return True
            if raw.lower() in FALSE:
                return False
            raise ValueError(f"{name}: expected yes/no, got {raw!r}")
    return raw


def record(row: dict[str, Any], path: Path, line: int | None) -> OutcomeRecord | IngestError:
    norm = {ALIASES.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in row.items() if k is not None}
    call_id = norm.pop("call_id", None)
    if call_id is None or str(call_id).strip() == "":
        return IngestError("row has no call_id", path=str(path), line=line,
                           hint="Add a call_id column that matches the ids of imported calls.")
    call_id = str(call_id).strip()
    try:
        values = {k: _value(k, v) for k, v in norm.items()}
        outcome_data = {k: values.pop(k) for k in OUTCOME_FIELDS if k in values}
        outcome = Outcome.model_validate({k: v for k, v in outcome_data.items() if v is not None}) \
            if any(v is not None for v in outcome_data.values()) else None
        fields = {k: values.pop(k) for k in CALL_FIELDS if k in values and values[k] is not None}
        for k in CALL_FIELDS:
            values.pop(k, None)
        # Validate the call fields by building a throwaway call with them.
        Call.model_validate({"id": call_id, "turns": [{"speaker": "agent", "text": "x"}], **fields})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        return IngestError(f"{name}: {err['msg']}", path=str(path), line=line, call_id=call_id,
                           hint="Fix the value in that row.")
    except ValueError as exc:
        return IngestError(str(exc), path=str(path), line=line, call_id=call_id, hint="Fix the value in that row.")
    metadata = {k: v for k, v in values.items() if v is not None}
    return OutcomeRecord(call_id=call_id, fields=fields, outcome=outcome, metadata=metadata, line=line)


class OutcomesCsv:
    """CSV of metadata and outcomes, joined to stored calls by call_id."""

    name = "outcomes-csv"
    kind = "text"

    def matches(self, content: Any, path: Path) -> bool:
        header = str(content).lstrip("\ufeff").split("\n", 1)[0].lower()
        cols = [c.strip() for c in header.split(",")]
        return path.suffix.lower() in (".csv", ".tsv", "") and any(c in cols for c in ID_COLUMNS) and len(cols) > 1

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        reader = csv.DictReader(io.StringIO(str(content).lstrip("\ufeff")))
        for row in reader:
            if None in row:
                yield IngestError("row has more cells than the header", path=str(path), line=reader.line_num,
                                  hint="Quote cells that contain commas.")
                continue
            yield record(row, path, reader.line_num)


class OutcomesJson:
    """JSON list of metadata and outcomes, joined to stored calls by call_id."""

    name = "outcomes-json"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        if isinstance(content, dict):
            content = content.get("outcomes", content.get("calls"))
        return isinstance(content, list) and bool(content) and all(
            isinstance(r, dict) and any(c in r for c in ID_COLUMNS) and "turns" not in r for r in content[:5])

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        rows = content.get("outcomes", content.get("calls")) if isinstance(content, dict) else content
        for index, row in enumerate(rows or []):
            if not isinstance(row, dict):
                yield IngestError(f"item {index} should be an object", path=str(path))
                continue
            yield record(row, path, None)
