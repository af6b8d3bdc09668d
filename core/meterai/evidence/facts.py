"""What a helpdesk or a refund claim needs about one request, read from the outbox and
the log files: the request, its journal, its stamped file and its own log lines.

Peruri's helpdesk and the distributors ask for the invoice, the serial number, the
time and the error: all of it is here, gathered once, so the summary PDF, the zip and
the GUI's dialog show the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from meterai.logs import LOG_NAME
from meterai.outbox.store import JournalEntry, Outbox, RequestRow
from meterai.provider.redact import redact
from meterai.settings import Paths

# A log record starts with its time ("2026-12-01 19:53:30,123 INFO ..."); the lines
# after it up to the next record (a traceback) belong to it.
_RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
FAILED_PREFIX = "attempt failed"


@dataclass(frozen=True)
class Evidence:
    request: RequestRow
    journal: tuple[JournalEntry, ...]
    stamped: Path | None
    """The stamped file, when one exists on this computer."""
    log_lines: tuple[str, ...]
    """This request's log records, secrets redacted, oldest first."""

    @property
    def failures(self) -> tuple[JournalEntry, ...]:
        """The attempts that failed, each with its time and what the provider answered."""
        return tuple(e for e in self.journal if (e.detail or "").startswith(FAILED_PREFIX))


def gather(outbox: Outbox, paths: Paths, request_id: int) -> Evidence:
    """Everything the bundle holds about ``request_id`` (``RequestNotFound`` if none)."""
    row = outbox.get(request_id)
    journal = tuple(outbox.journal(request_id))
    return Evidence(
        request=row,
        journal=journal,
        stamped=stamped_file(row),
        log_lines=tuple(request_log_lines(paths.logs_dir, row)),
    )


def stamped_file(row: RequestRow) -> Path | None:
    """The exported copy if it is still there, else the stored one."""
    for name in (row.output_path, row.stamped_path):
        if name and Path(name).is_file():
            return Path(name)
    return None


def markers(row: RequestRow) -> re.Pattern[str]:
    """What names this request in a log line: its id, serial number, file id or tag."""
    names = [rf"\brequest {row.id}\b"]
    names += [re.escape(v) for v in (row.sn, row.provider_file_id, row.numbering_tag) if v]
    return re.compile("|".join(names))


def request_log_lines(logs_dir: Path, row: RequestRow) -> Iterator[str]:
    """The records of ``row`` in the rotated log files, oldest file first, redacted again
    (a line written by an older version, or by a handler without the filter, may not be)."""
    wanted = markers(row)
    for path in log_files(logs_dir):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # a log that cannot be read leaves its lines out, not the bundle
        for record in records(text.splitlines()):
            if wanted.search(record[0]):
                yield from (redact(line) for line in record)


def log_files(logs_dir: Path) -> list[Path]:
    """``meterai.log.5`` ... ``meterai.log.1``, ``meterai.log``: the oldest first."""
    rotated = sorted(
        logs_dir.glob(f"{LOG_NAME}.*"),
        key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0,
        reverse=True,
    )
    return [p for p in [*rotated, logs_dir / LOG_NAME] if p.is_file()]


def records(lines: Iterable[str]) -> Iterator[list[str]]:
    """Log lines grouped by record: a record's first line and its continuation lines."""
    record: list[str] = []
    for line in lines:
        if _RECORD_START.match(line) and record:
            yield record
            record = []
        record.append(line)
    if record:
        yield record
