"""The evidence zip is written whole or not at all, and a refusing disk says so plainly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from meterai.evidence import save_evidence
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox
from meterai.settings import Paths
from tests.support.pdfs import make_pdf


@pytest.fixture
def queued(paths: Paths, tmp_path: Path) -> int:
    box = Outbox.open(paths)
    try:
        pdf = make_pdf(tmp_path / "surat.pdf")
        return queue_file(box, paths, pdf, IntakeOptions(doc_type="3")).request.id
    finally:
        box.close()


def test_a_queued_request_has_evidence_without_a_stamped_file(
    paths: Paths, tmp_path: Path, queued: int
) -> None:
    box = Outbox.open(paths)
    try:
        evidence = save_evidence(box, paths, queued, tmp_path / "out" / "e.zip")
    finally:
        box.close()
    assert evidence.stamped is None and evidence.failures == ()
    with zipfile.ZipFile(tmp_path / "out" / "e.zip") as bundle:
        assert sorted(bundle.namelist()) == ["journal.json", "log.txt", "summary.pdf"]
        assert bundle.read("summary.pdf").startswith(b"%PDF-")
