"""Data dirs with a big outbox (10,000 requests) and an empty one, for the memory and GUI rows."""

from __future__ import annotations

from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import make_pdf
from meterai.documents import DocumentStore
from meterai.outbox import Outbox
from meterai.outbox.store import NewRequest
from meterai.settings import resolve_paths


def make_outbox(data_dir: Path, count: int) -> Path:
    """``count`` queued requests (one shared document), written in one transaction."""
    paths = resolve_paths(data_dir)
    box = Outbox.open(paths)
    try:
        if count:
            pdf = make_pdf(data_dir.parent / f"{data_dir.name}-source.pdf", pages=1)
            stored = DocumentStore(paths.data_dir).put(pdf)
            with box.atomic():
                box.add_document(
                    stored.sha256,
                    size=stored.size,
                    page_count=1,
                    pdf_version="1.7",
                    original_name=pdf.name,
                )
                for i in range(count):
                    box.enqueue(
                        NewRequest(
                            doc_sha256=stored.sha256,
                            file_name=f"surat-pernyataan-{i:05}.pdf",
                            source_path=f"/home/kiosk/inbox/surat-pernyataan-{i:05}.pdf",
                            doc_type="3",
                            page_index=0,
                            rect=(420.0, 60.0, 520.0, 160.0),
                            nodoc=f"SP-{i:05}/2026",
                            tgldoc="2026-01-01",
                            nilaidoc=10000,
                        ),
                        detail="queued by the benchmark",
                    )
        assert box.count() == count
    finally:
        box.close()
    return data_dir
