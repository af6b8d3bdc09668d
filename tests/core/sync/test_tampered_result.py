"""A provider (or anything on the path) that alters the stamped file after signing it.

Issue 13: the engine's check before ``done`` is ``verify_stamped``, which looked only at
the signature's integrity and trust, so a result with a revision appended was marked
done. Through the real runner and the real sandbox over HTTPS, with the sandbox's
fault injection altering the download: the request stops in needs_attention with the
verification's reason, and the ledger shows one serial number, stamped once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai import i18n
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from tests.support.sandbox import Admin, drain, queue_documents


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("append_revision", "failed verification: Something was added after the stamp: content"),
        ("append_junk", "failed verification: The file goes on after its end"),
    ],
)
def test_a_result_altered_after_signing_is_never_done_nor_bought_again(
    fault: str, reason: str, client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    admin.faults({"rules": [{"endpoint": "getfile", "fault": fault}]})
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths)
    drain(client_paths)  # a second run neither finishes it nor buys again

    box = Outbox.open(client_paths)
    row = box.get(request_id)
    journal = {entry.to_state for entry in box.journal(request_id)}
    box.close()
    assert row.state == State.NEEDS_ATTENTION
    assert State.DONE not in journal and State.VERIFIED not in journal
    before = i18n.current_language()
    i18n.set_language("en")
    try:
        assert reason in row.reason()
    finally:
        i18n.set_language(before)
    (serial,) = admin.serials()
    assert serial["sn"] == row.sn
    assert serial["stamp_count"] == 1
    assert not list((tmp_path / "docs" / "out").glob("*.pdf"))
