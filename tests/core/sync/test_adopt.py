"""Issue 13: no paid serial number is ever stuck, and no document is bought twice by accident.

Against the real sandbox over HTTPS: the stamping call refuses the document after its
serial number was bought (the ``refuse_document`` fault answers as the signing adapter
does when its reader cannot read the upload), and the ledger says how many stamps were
bought and which document each one was stamped on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.cli.main import run
from meterai.outbox import Outbox
from meterai.sandbox import SandboxServer
from meterai.settings import Paths
from tests.support.sandbox import Admin, assert_stamped_once_on, drain, queue_documents


def _cli(paths: Paths, *args: str) -> int:
    return run(["--data-dir", str(paths.data_dir), "--lang", "en", *args])


def test_recover_adopt_takes_a_foreign_unused_serial_number_only_when_asked(
    client_paths: Paths,
    admin: Admin,
    provider: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    portal = admin.buy_at_the_portal()
    assert _cli(client_paths, "recover") == 0
    assert "--adopt" in capsys.readouterr().out, "recover names the way, and adopts nothing"
    box = Outbox.open(client_paths)
    try:
        assert box.orphans() == []
    finally:
        box.close()

    assert _cli(client_paths, "recover", "--adopt", portal.lower()) == 0
    assert portal in capsys.readouterr().out
    assert _cli(client_paths, "recover", "--adopt", portal) == 3, "already known"
    assert _cli(client_paths, "recover", "--adopt", "../../x") == 3
    assert _cli(client_paths, "recover", "--adopt", "Z" * 22) == 3, "not of this account"
    assert "22" in capsys.readouterr().err

    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths, 2)
    assert_stamped_once_on(client_paths, admin, provider, request_id, portal)
    assert _cli(client_paths, "recover", "--adopt", portal) == 3, "held by a request now"
