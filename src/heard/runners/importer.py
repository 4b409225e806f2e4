"""Import files of calls and outcomes into a store: the library function behind `heard import`.

Transcripts are stored first, then metadata/outcome rows are joined to calls by id, so one batch
can hold both. Each call is its own transaction; a bad file or call is reported and the batch goes on.
When `[redaction]` is on, PII is replaced by typed placeholders before a call is stored (and, for a
recording, the same time ranges are muted in a copy of the audio); the original text is never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from heard.errors import IngestError, StoreError
from heard.ingest import expand_paths, read_path
from heard.ingest.base import IngestOptions, OutcomeRecord
from heard.model import Call
from heard.redact import RedactionSettings, redact_call
from heard.store import Applied, Store, Written


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportReport:
    files: int = 0
    added: int = 0
    skipped: int = 0
    replaced: int = 0
    outcomes_updated: int = 0
    outcomes_unchanged: int = 0
    outcomes_missing: int = 0
    failed: int = 0
    problems: list[Problem] = field(default_factory=list)
    call_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("problems", "call_ids")} | {
            "problems": [str(p) for p in self.problems]}


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    options: IngestOptions | None = None,
    replace: bool = False,
    progress: Callable[[Path], None] | None = None,
    redaction: RedactionSettings | None = None,
    audio_progress: Callable[[float, float], None] | None = None,
) -> ImportReport:
    """Read every file under `paths` and store what is valid; never raises for bad input."""
    report = ImportReport()
    pending: list[tuple[OutcomeRecord, Path]] = []
    files = list(expand_paths(paths))
    if not files:
        report.failed += 1
        report.problems.append(Problem(", ".join(map(str, paths)) or "<no paths>",
                                       "no files found. Check the path, or quote a glob so the shell leaves it."))
    for path in files:
        report.files += 1
        for item in read_path(path, format=format, options=options, progress=audio_progress):
            if isinstance(item, IngestError):
                report.failed += 1
                report.problems.append(Problem(item.where, item.message + (f" {item.hint}" if item.hint else "")))
            elif isinstance(item, OutcomeRecord):
                pending.append((item, path))
            else:
                if redaction is not None and redaction.enabled:
                    try:
                        item = _redacted(item, path, redaction, options)
                    except (OSError, RuntimeError, ValueError) as exc:
                        report.failed += 1
                        report.problems.append(Problem(f"{path}, call {item.id}", f"not stored: redaction failed "
                                                       f"({exc}); nothing of this call was kept"))
                        continue
                _store_call(store, item, path, replace, report)
        if progress:
            progress(path)
    for record, path in pending:
        try:
            applied = store.apply_outcome(record)
        except StoreError as exc:
            report.failed += 1
            report.problems.append(Problem(f"{path}, line {record.line}", str(exc)))
            continue
        if applied is Applied.MISSING:
            report.outcomes_missing += 1
            where = f"{path}, line {record.line}" if record.line else str(path)
            report.problems.append(Problem(where, f"no stored call with id {record.call_id!r}; import its "
                                                  "transcript first (outcome rows are kept only for stored calls)"))
        elif applied is Applied.UPDATED:
            report.outcomes_updated += 1
        else:
            report.outcomes_unchanged += 1
    return report


def _redacted(call: Call, path: Path, settings: RedactionSettings, options: IngestOptions | None) -> Call:
    """The call with PII replaced and a redaction report in its metadata; a recording's copy muted to match."""
    clean, found = redact_call(call, settings)
    metadata = dict(clean.metadata)
    metadata["redaction"] = {"counts": found.counts, "items": [i.model_dump(mode="json") for i in found.items]}
    update: dict[str, object] = {"metadata": metadata}
    if clean.audio is not None:
        from heard.ingest.audio.redacted import write_muted_copy

        folder = Path(options.audio.redacted_dir) if options and options.audio.redacted_dir else path.parent
        copy = write_muted_copy(path, found.time_ranges(), folder / f"{path.stem}.redacted.wav")
        update["audio"] = clean.audio.model_copy(update={"redacted_copy": copy.name})
    return clean.model_copy(update=update)


def _store_call(store: Store, call: Call, path: Path, replace: bool, report: ImportReport) -> None:
    try:
        written = store.add_call(call, source_path=str(path), replace=replace)
    except StoreError as exc:  # ConflictError included: the id is stored with other content
        report.failed += 1
        report.problems.append(Problem(f"{path}, call {call.id}", str(exc)))
        return
    report.call_ids.append(call.id)
    if written is Written.ADDED:
        report.added += 1
    elif written is Written.REPLACED:
        report.replaced += 1
    else:
        report.skipped += 1
