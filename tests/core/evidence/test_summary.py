"""The summary page reads the same in an Indonesian and an English session: both languages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from meterai import i18n
from meterai.evidence import gather
from meterai.evidence.summary import both, summary_pdf
from meterai.intake import IntakeOptions, queue_file
from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from tests.support.pdfs import make_pdf
from tests.support.rendering import needs_poppler, text


def test_a_label_carries_indonesian_then_english() -> None:
    assert both("Serial number") == "Nomor seri / Serial number"
    assert both("summary.pdf: this page") == "summary.pdf: halaman ini / summary.pdf: this page"


@needs_poppler
@pytest.mark.parametrize("session", i18n.LANGUAGES)
def test_the_page_is_bilingual_whatever_the_session_language(
    session: str, paths: Paths, tmp_path: Path
) -> None:
    i18n.set_language(session)
    box = Outbox.open(paths)
    try:
        row = queue_file(
            box, paths, make_pdf(tmp_path / "a.pdf"), IntakeOptions(doc_type="3")
        ).request
        box.transition(
            row.id,
            State.NEEDS_ATTENTION,
            detail="no quota",
            last_error_msg=Message(
                "The account has no stamps left. Top up the balance, then retry."
            ).to_json(),
        )
        evidence = gather(box, paths, row.id)
    finally:
        box.close()
    page = tmp_path / "s.pdf"
    page.write_bytes(summary_pdf(evidence, time.time()))
    shown = text(page)
    assert "Bukti permintaan meterai 1 / Evidence for stamp request 1" in shown
    assert "Perlu tindakan / Needs attention" in shown
    assert "The account has no stamps left." in shown
    assert "Saldo" in shown  # the last reason in Indonesian too
    assert "tidak ada berkas bermeterai di komputer ini" in shown


@needs_poppler
def test_a_long_journal_still_fits_one_page_with_the_providers_own_words(
    paths: Paths, tmp_path: Path
) -> None:
    busy = Message("The stamping service is busy or failing (HTTP {status}).", {"status": 503})
    box = Outbox.open(paths)
    try:
        request = queue_file(box, paths, make_pdf(tmp_path / "a.pdf"), IntakeOptions(doc_type="3"))
        request_id = request.request.id
        for _ in range(20):
            box.note(request_id, "stamping call")
            box.record_failure(
                request_id,
                busy,
                next_attempt_at=None,
                code="provider_busy",
                queue_position=42,
                provider_message="Antrian sedang penuh",
            )
        evidence = gather(box, paths, request_id)
    finally:
        box.close()
    page = tmp_path / "s.pdf"
    page.write_bytes(summary_pdf(evidence, time.time()))
    shown = text(page)
    assert shown.count("\f") == 1, "one page"
    assert shown.count("attempt failed (provider_busy)") == 20
    assert 'the provider says: "Antrian sedang penuh"' in shown
    assert "urutan antrean 42" in shown and "queue position 42" in shown
