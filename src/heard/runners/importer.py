"""Import files of calls and outcomes into a store: the library function behind `heard import`.

Transcripts are stored first, then metadata/outcome rows are joined to calls by id, so one batch
can hold both. Calls are stored `batch_size` at a time, each batch in one transaction (Store.add_calls),
so a killed import leaves whole calls or nothing; a bad file or call is reported and the import goes on.
A writer thread stores one batch while the next is read. A file's progress callback runs once its calls are
stored, so it may wait for the batch to fill; a batch that has waited over a second is written at the end of
the next file, so progress keeps moving.
When `[redaction]` is on, PII is replaced by typed placeholders before a call is stored (and, for a
recording, the same time ranges are muted in a copy of the audio); the original text is never stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from heard.errors import IngestError, StoreError
from heard.ingest import expand_paths, read_path
from heard.ingest.base import IngestOptions, OutcomeRecord
from heard.model import Call
from heard.redact import RedactionSettings, redact_call
from heard.store import Applied, Store, Written

BATCH_CALLS = 500       # calls per transaction: past a few hundred, larger batches barely go faster
BATCH_TURNS = 50_000    # and at most this many turns, so a batch of long calls stays small in memory
BATCH_WAIT = 1.0        # seconds a batch may hold back a file's progress before it is written anyway


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
    batch_size: int = BATCH_CALLS,
) -> ImportReport:
    """Read every file under `paths` and store what is valid; never raises for bad input."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    report = ImportReport()
    pending: list[tuple[OutcomeRecord, Path]] = []
    files = list(expand_paths(paths))
    if not files:
        report.failed += 1
        report.problems.append(Problem(", ".join(map(str, paths)) or "<no paths>",
                                       "no files found. Check the path, or quote a glob so the shell leaves it."))
    with _Batches(store, replace, report, batch_size, progress) as batches:
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
                            report.problems.append(Problem(f"{path}, call {item.id}", f"not stored: redaction "
                                                           f"failed ({exc}); nothing of this call was kept"))
                            continue
                    batches.add(item, path)
            batches.file_done(path)
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


@dataclass
class _Written:
    """A batch handed to the writer thread, and the files whose progress waits on it."""

    calls: list[tuple[Call, Path]]
    results: Future[list[Written | StoreError]]
    files_done: list[Path]


class _Batches:
    """Calls gathered into batches, each stored by a writer thread while the next batch is read.

    Reading and validating is Python work and storing is mostly waiting on the database, so on two cores the two
    overlap. One batch at most is being written; its outcomes are counted here, in order, before the next is sent.
    """

    def __init__(self, store: Store, replace: bool, report: ImportReport, size: int,
                 progress: Callable[[Path], None] | None) -> None:
        self.store, self.replace, self.report, self.size, self.progress = store, replace, report, size, progress
        self.calls: list[tuple[Call, Path]] = []
        self.turns = 0
        self.since = time.monotonic()
        self.files_done: list[Path] = []
        self.writing: _Written | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heard-import")

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                self.write()
                self.collect()
        finally:
            self.writer.shutdown()

    def add(self, call: Call, path: Path) -> None:
        if not self.calls:
            self.since = time.monotonic()
        self.calls.append((call, path))
        self.turns += len(call.turns)
        if len(self.calls) >= self.size or self.turns >= BATCH_TURNS:
            self.write()

    def file_done(self, path: Path) -> None:
        if self.calls:
            self.files_done.append(path)
            if time.monotonic() - self.since > BATCH_WAIT:
                self.write()
        elif self.writing:
            self.writing.files_done.append(path)  # its last calls are in the batch being written
        elif self.progress:
            self.progress(path)

    def write(self) -> None:
        """Send the gathered calls to the writer, once the batch before them is stored and counted."""
        self.collect()
        if self.calls:
            results = self.writer.submit(self.store.add_calls, [call for call, _ in self.calls],
                                         source_path=[str(path) for _, path in self.calls], replace=self.replace)
            self.writing = _Written(self.calls, results, self.files_done)
            self.calls, self.turns, self.files_done = [], 0, []

    def collect(self) -> None:
        """Wait for the batch being written; count each call's outcome, then report the files it finished."""
        if self.writing is None:
            return
        done, self.writing = self.writing, None
        for (call, path), result in zip(done.calls, done.results.result(), strict=True):
            _count(self.report, call, path, result)
        if self.progress:
            for path in done.files_done:
                self.progress(path)


def _count(report: ImportReport, call: Call, path: Path, result: Written | StoreError) -> None:
    if isinstance(result, StoreError):  # ConflictError included: the id is stored with other content
        report.failed += 1
        report.problems.append(Problem(f"{path}, call {call.id}", str(result)))
        return
    report.call_ids.append(call.id)
    if result is Written.ADDED:
        report.added += 1
    elif result is Written.REPLACED:
        report.replaced += 1
    else:
        report.skipped += 1
