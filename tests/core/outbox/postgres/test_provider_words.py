"""The shared outbox keeps the provider's queue position and words as SQLite does (v2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.intake import IntakeOptions, queue_file
from meterai.messages import Message
from meterai.outbox import Outbox
from meterai.outbox.postgres.address import ENV_VAR
from meterai.settings import resolve_paths
from tests.support.pdfs import make_pdf

BUSY = "Antrian sedang penuh, silakan coba kembali nanti"


def test_a_backed_off_request_keeps_its_queue_position_and_provider_words(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, pg_url)
    paths = resolve_paths(tmp_path)
    box = Outbox.open(paths)
    try:
        assert box.backend.location.startswith("postgresql://")
        accepted = queue_file(box, paths, make_pdf(tmp_path / "a.pdf"), IntakeOptions("3"))
        request_id = accepted.request.id
        box.record_failure(
            request_id,
            Message("busy"),
            next_attempt_at=1.0,
            queue_position=41,
            provider_message=BUSY,
        )
        row = box.get(request_id)
    finally:
        box.close()
    assert (row.queue_position, row.provider_message, row.attempts) == (41, BUSY, 1)
