"""The values that cross the outbox's boundary, read back as they were written."""

from __future__ import annotations

import json

from meterai.outbox import NewRequest, Outbox
from meterai.outbox.rows import TAG_PATTERN, RequestRow, purchase_tag
from meterai.settings import Paths

SHA = "ab" * 32


def test_a_purchase_tag_names_the_install_and_is_never_repeated() -> None:
    """The provider's serial-number list is matched back to requests by this tag."""
    tags = {purchase_tag("0123456789ab") for _ in range(1000)}
    assert len(tags) == 1000
    assert all(TAG_PATTERN.fullmatch(t) and t.startswith("mdk-0123456789ab-") for t in tags)


def test_a_queued_request_reads_back_as_queued_and_as_json(paths: Paths) -> None:
    box = Outbox.open(paths)
    try:
        box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="cv.pdf")
        new = NewRequest(SHA, "cv.pdf", "3", 0, (400.0, 40.0, 472.0, 112.0), nodoc="SP-1/2026")
        row = box.enqueue(new)
        assert box.get(row.id) == row
        assert (row.rect, row.nodoc, row.original_sha256) == (new.rect, "SP-1/2026", SHA)
        assert TAG_PATTERN.fullmatch(row.numbering_tag or "")
        body = json.loads(json.dumps(row.as_json()))
        assert (body["id"], body["state"], body["file"]) == (row.id, "queued", "cv.pdf")
        raw = box.backend.conn.execute("SELECT * FROM requests WHERE id = ?", [row.id]).fetchone()
        assert RequestRow.from_row(dict(zip(raw.keys(), raw, strict=True))) == row
    finally:
        box.close()
