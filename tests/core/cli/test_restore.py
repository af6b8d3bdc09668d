"""Issue 14's acceptance for a lost outbox, through real ``meterai`` processes and the sandbox.

A 0-byte, a missing and a garbage outbox beside a non-empty ``docs/`` are each refused
with a message in both languages; ``meterai recover --restore`` brings the requests
back from the last good backup, and the next sync buys nothing again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meterai.outbox.backup import generations
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.cli import EXIT_FAILED, EXIT_OK, meterai, status_json
from tests.support.pdfs import make_pdf
from tests.support.sandbox import Admin, admin, point_at, provider

__all__ = ["admin", "provider"]  # fixtures


def _add(paths: Paths, home: Path, *files: Path) -> None:
    out = paths.data_dir.parent / "out"
    result = meterai(
        "--data-dir", paths.data_dir, "add", *files, "--type", "3", "--out", out, home=home
    )
    assert result.code == EXIT_OK, result.err


def _damage(database: Path, how: str) -> None:
    if how == "empty":
        database.write_bytes(b"")
    elif how == "missing":
        database.unlink()
    else:
        database.write_bytes(b"a sync tool's conflict copy, not SQLite\n" * 200)


@pytest.mark.parametrize(
    ("how", "english"), [("empty", "is empty"), ("missing", "is missing"), ("garbage", "damaged")]
)
def test_a_lost_outbox_beside_documents_is_refused_by_every_command(
    how: str, english: str, tmp_path: Path
) -> None:
    paths = resolve_paths(tmp_path / "data")
    home = tmp_path / "home"
    _add(paths, home, make_pdf(tmp_path / "a.pdf"))
    _damage(paths.database, how)
    before = sorted(p.name for p in paths.data_dir.iterdir())

    for command in (("status",), ("add", str(make_pdf(tmp_path / "b.pdf")), "--type", "3")):
        in_english = meterai("--data-dir", paths.data_dir, "--lang", "en", *command, home=home)
        assert in_english.code == EXIT_FAILED
        assert english in in_english.err and "recover --restore" in in_english.err
    # Nothing was re-initialised: no new outbox, no -wal, the damaged bytes as they were.
    assert sorted(p.name for p in paths.data_dir.iterdir()) == before
    if how == "empty":
        assert paths.database.read_bytes() == b""


def test_restore_brings_back_the_requests_and_the_next_sync_buys_nothing(
    tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    paths = resolve_paths(tmp_path / "data")
    point_at(paths, provider)
    home = tmp_path / "home"
    _add(paths, home, make_pdf(tmp_path / "a.pdf"), make_pdf(tmp_path / "b.pdf", pages=2))
    before_sync = {g.path for g in generations(paths.backups_dir)}
    assert before_sync, "meterai add left no backup"

    synced = meterai("--data-dir", paths.data_dir, "sync", "--once", home=home)
    assert synced.code == EXIT_OK, synced.err
    bought = admin.serials()
    assert len(bought) == 2 and all(s["stamp_count"] == 1 for s in bought)
    # The newer backups (taken during and after the sync) are unreadable: the restore
    # must fall back to the one from before the purchases, so reconciliation has work.
    newer = [g.path for g in generations(paths.backups_dir) if g.path not in before_sync]
    assert newer, "the sync left no backup"
    for path in newer:
        path.write_bytes(b"\x00" * 4096)
    paths.database.write_bytes(b"")

    refused = meterai("--data-dir", paths.data_dir, "sync", "--once", home=home)
    assert refused.code == EXIT_FAILED and "recover --restore" in refused.err
    assert admin.serials() == bought

    restored = meterai(
        "--data-dir", paths.data_dir, "--lang", "en", "recover", "--restore", home=home
    )
    assert restored.code == EXIT_OK, restored.err
    assert "Restored 2 requests" in restored.out
    assert restored.err.count("is unusable") == len(newer)
    (aside,) = paths.data_dir.glob("outbox.damaged-*.sqlite3")
    assert aside.read_bytes() == b""
    assert [r["state"] for r in status_json(paths.data_dir, home)] == ["queued", "queued"]

    meterai("--data-dir", paths.data_dir, "sync", "--once", home=home)
    after = admin.serials()
    assert len(after) == len(bought), "a restored request bought a second serial number"
    assert all(s["stamp_count"] == 1 for s in after)
    rows = status_json(paths.data_dir, home)
    assert sorted(str(r["sn"]) for r in rows) == sorted(s["sn"] for s in bought)
    assert [r["state"] for r in rows] == ["done", "done"]  # the results fetched again


def test_restore_json_says_what_came_back(tmp_path: Path) -> None:
    """``recover --restore --json`` (issue 18 item 7): the words' facts, one key each."""
    paths = resolve_paths(tmp_path / "data")
    home = tmp_path / "home"
    _add(paths, home, make_pdf(tmp_path / "a.pdf"))
    paths.database.write_bytes(b"")
    result = meterai("--data-dir", paths.data_dir, "recover", "--restore", "--json", home=home)
    assert result.code == EXIT_OK, result.err
    body = json.loads(result.out)
    assert (body["restored"], body["skipped"], body["not_in_backup"]) == (1, [], [])
    (aside,) = paths.data_dir.glob("outbox.damaged-*.sqlite3")
    assert body["kept_aside"] == [str(aside)]
    assert Path(body["backup"]).parent == paths.backups_dir
