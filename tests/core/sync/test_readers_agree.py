"""Issue 13, 3: no stamp is bought for a document the provider then refuses to read.

The files here were accepted by pre-flight (pypdf alone read them cleanly) and then
refused by the provider's stricter reader at the stamping call, after the serial
number was paid for. Now pre-flight rewrites them, and the sandbox ledger shows one
serial number bought and stamped per document, none left NOTSTAMP.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import Paths, load_settings
from meterai.sync.runner import SyncRunner
from tests.support import pdfs
from tests.support.sandbox import FAST, Admin


@pytest.mark.parametrize(
    "make", [pdfs.make_truncated_xref, pdfs.make_without_size, pdfs.make_offset_off]
)
def test_nothing_is_bought_for_a_file_the_provider_cannot_read(
    make: Callable[[Path], Path], client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    source = make(tmp_path / "flawed.pdf")
    box = Outbox.open(client_paths)
    try:
        accepted = queue_file(box, client_paths, source, IntakeOptions(doc_type="3"))
    finally:
        box.close()
    assert accepted.applied[0] == "repair"
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    box = Outbox.open(client_paths)
    try:
        (row,) = box.requests()
    finally:
        box.close()
    assert row.state is State.DONE, row.last_error
    (serial,) = admin.serials()
    assert (serial["sn"], serial["status"], serial["stamp_count"]) == (row.sn, "STAMP", 1)
