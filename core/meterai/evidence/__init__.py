"""A request's evidence bundle for a refund or helpdesk claim (issue 18, item 2).

``meterai evidence ID --out FILE.zip`` and the GUI's *Simpan bukti* both call
:func:`save_evidence`: one zip with a summary PDF in both languages, the journal as
JSON, the request's log lines with secrets redacted, and the stamped file if any.
"""

from __future__ import annotations

from pathlib import Path

from meterai.evidence.bundle import write_bundle
from meterai.evidence.facts import Evidence, gather
from meterai.outbox.store import Outbox
from meterai.settings import Paths


def save_evidence(outbox: Outbox, paths: Paths, request_id: int, dest: Path) -> Evidence:
    """Gather what is known about ``request_id`` and write it to the zip ``dest``."""
    evidence = gather(outbox, paths, request_id)
    write_bundle(evidence, dest)
    return evidence


__all__ = ["Evidence", "gather", "save_evidence", "write_bundle"]
