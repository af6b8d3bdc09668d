"""A customer folder's kiosk.json, against the real sandbox: a bad one stops that folder only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from meterai.kiosk.taking import FolderInvalid
from tests.support.kiosk import Running, pdf_bytes, slow_write
from tests.support.sandbox import Admin


def test_a_folder_with_invalid_settings_queues_nothing_and_says_why(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    folder = kiosk.inbox / "pt-maju"
    folder.mkdir(parents=True)
    (folder / "kiosk.json").write_text('{"type": "3", "pgae": 2}', "utf-8")
    slow_write(folder / "kontrak.pdf", pdf_bytes(tmp_path, "kontrak"))
    note = kiosk.rejected / "pt-maju" / "kiosk.json.txt"
    # The event, not the note: the note is written first, so it can exist before the event.
    kiosk.wait_until(lambda: any(isinstance(e, FolderInvalid) for e in kiosk.events))
    text = note.read_text("utf-8")
    assert "pgae" in text
    assert "tidak valid" in text and "not valid" in text  # Indonesian, then English
    assert [type(e) for e in kiosk.events] == [FolderInvalid]
    kiosk.wait_until(lambda: True)
    assert kiosk.rows() == [] and (folder / "kontrak.pdf").exists()

    # Fixed by the operator: the waiting file is taken and the note goes away.
    (folder / "kiosk.json").write_text('{"type": "2", "page": 1, "rect": [400, 40, 480, 120]}')
    (row,) = kiosk.wait_done(1)
    assert (row.doc_type, row.page_index, row.rect) == ("2", 0, (400.0, 40.0, 480.0, 120.0))
    assert not note.exists()


def test_an_unknown_type_in_the_folder_settings_is_named(
    running_kiosk: Callable[..., Running], tmp_path: Path
) -> None:
    kiosk = running_kiosk(doc_type=None)
    (kiosk.inbox / "a").mkdir(parents=True)
    (kiosk.inbox / "a" / "kiosk.json").write_text('{"type": "99"}')
    (kiosk.inbox / "b").mkdir(parents=True)  # no settings and no --type
    slow_write(kiosk.inbox / "a" / "x.pdf", pdf_bytes(tmp_path, "x"))
    slow_write(kiosk.inbox / "b" / "y.pdf", pdf_bytes(tmp_path, "y"))
    kiosk.wait_until(lambda: sum(isinstance(e, FolderInvalid) for e in kiosk.events) == 2)
    assert "“99”" in (kiosk.rejected / "a" / "kiosk.json.txt").read_text("utf-8")
    assert "--type" in (kiosk.rejected / "b" / "kiosk.json.txt").read_text("utf-8")
    assert kiosk.rows() == []
