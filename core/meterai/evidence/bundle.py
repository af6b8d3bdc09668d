"""The evidence zip: the summary PDF, the journal as JSON, the log lines, the stamped file.

Written whole or not at all (a temp file in the destination's folder, then renamed),
so a full disk or a pulled USB stick never leaves half a zip that looks complete. A
disk that refuses the write raises its ``DiskError``: a clear message, not a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from meterai import disk
from meterai.errors import DiskError, InputError, ReadOnlyFolder
from meterai.evidence.facts import Evidence
from meterai.evidence.summary import summary_pdf
from meterai.fsutil import atomic_writer
from meterai.i18n import N_
from meterai.provider.redact import redact

SUMMARY = "summary.pdf"
JOURNAL = "journal.json"
LOG = "log.txt"
STAMPED_FOLDER = "stamped"


class EvidenceFolderReadOnly(DiskError):
    """The disk's read-only refusal, worded for a folder the user chose (not the data folder)."""

    code = "evidence_folder_read_only"
    template = N_(
        "The folder {path} is read-only: the evidence was not saved. Choose another folder "
        "(a USB stick may have its write-protect switch on)."
    )


class EvidenceNotSaved(InputError):
    """A path the user typed that cannot take a file (a folder of that name, no such drive)."""

    code = "evidence_not_saved"
    template = N_("The evidence could not be saved as {path}: {detail}")


def write_bundle(evidence: Evidence, dest: Path, *, now: float | None = None) -> Path:
    """Write the zip to ``dest``; returns it. Members are deflated, except the PDFs."""
    made_at = time.time() if now is None else now
    summary = summary_pdf(evidence, made_at)
    journal = journal_json(evidence, made_at)
    log = "".join(f"{line}\n" for line in evidence.log_lines)
    try:
        with (
            disk.mapped(dest.parent),
            atomic_writer(dest) as staged,
            zipfile.ZipFile(staged.file, "w", zipfile.ZIP_DEFLATED) as bundle,
        ):
            bundle.writestr(SUMMARY, summary, zipfile.ZIP_STORED)
            bundle.writestr(JOURNAL, journal)
            bundle.writestr(LOG, log)
            if evidence.stamped is not None:
                name = f"{STAMPED_FOLDER}/{evidence.stamped.name}"
                bundle.write(evidence.stamped, name, zipfile.ZIP_STORED)
    except ReadOnlyFolder as exc:
        raise EvidenceFolderReadOnly(path=str(dest.parent)) from exc
    except DiskError:
        raise
    except OSError as exc:
        raise EvidenceNotSaved(path=str(dest), detail=exc.strerror or str(exc)) from exc
    return dest


def journal_json(evidence: Evidence, made_at: float) -> str:
    """The request and its journal as the outbox holds them, with readable UTC times."""
    body: dict[str, Any] = {
        "made_at": _iso(made_at),
        "request": evidence.request.as_json(),
        "journal": [
            {**entry.as_json(), "at_utc": _iso(entry.at), "detail": redact(entry.detail or "")}
            for entry in evidence.journal
        ],
        "failed_attempts": len(evidence.failures),
        "stamped_file": evidence.stamped.name if evidence.stamped else None,
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")
