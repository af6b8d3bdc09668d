"""``meterai status`` on an outbox too big to list: the newest rows, the stuck ones, a count."""

from __future__ import annotations

from pathlib import Path

from meterai.cli.status import SHOWN_AT_MOST
from meterai.outbox import NewRequest, Outbox, State
from meterai.settings import resolve_paths
from tests.support.cli import EXIT_FAILED, meterai

SHA = "ab" * 32
EXTRA = 40


def _outbox_with(data: Path, count: int, stuck: int) -> None:
    box = Outbox.open(resolve_paths(data))
    try:
        box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="x.pdf")
        with box.atomic():
            for i in range(count):
                new = NewRequest(
                    doc_sha256=SHA,
                    file_name=f"doc-{i + 1:04}.pdf",
                    doc_type="3",
                    page_index=0,
                    rect=(400, 40, 472, 112),
                )
                box.enqueue(new)
        box.transition(stuck, State.NEEDS_ATTENTION, detail="refused by the provider")
    finally:
        box.close()


def test_a_big_outbox_lists_the_newest_and_the_stuck_and_counts_the_rest(tmp_path: Path) -> None:
    data, count = tmp_path / "data", SHOWN_AT_MOST + EXTRA
    _outbox_with(data, count, stuck=1)

    result = meterai("--data-dir", data, "--lang", "en", "status", home=tmp_path)

    lines = result.out.splitlines()
    files = [line.split()[-1] for line in lines[1:-1]]
    newest = [f"doc-{i:04}.pdf" for i in range(EXTRA + 1, count + 1)]
    assert "doc-0001.pdf" in lines[1], "the old request that needs attention is listed first"
    assert [f for f in files if f in newest] == newest
    assert len(lines) == 1 + 1 + SHOWN_AT_MOST + 1  # header, the stuck one, the newest, the count
    assert lines[-1].startswith(f"{EXTRA - 1} older requests not shown")
    assert result.code == EXIT_FAILED, "a request needs attention, shown or not"


def test_status_all_lists_every_request(tmp_path: Path) -> None:
    data, count = tmp_path / "data", SHOWN_AT_MOST + EXTRA
    _outbox_with(data, count, stuck=count)

    result = meterai("--data-dir", data, "--lang", "en", "status", "--all", home=tmp_path)

    lines = result.out.splitlines()
    assert len(lines) == 1 + count
    assert "doc-0001.pdf" in lines[1] and f"doc-{count:04}.pdf" in lines[-1]
    assert "not shown" not in result.out
