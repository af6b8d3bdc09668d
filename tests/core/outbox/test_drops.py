"""The kiosk's index of dropped bytes, for requests queued before the outbox kept them."""

from __future__ import annotations

from pathlib import Path

from meterai.outbox.drops import DropIndex


def test_dropped_bytes_lead_back_to_their_request_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "kiosk" / "kiosk.sqlite3"
    index = DropIndex(path)
    index.remember("ab" * 32, 7)
    index.close()
    reopened = DropIndex(path)
    try:
        assert reopened.request_for("ab" * 32) == 7
        assert reopened.request_for("cd" * 32) is None
    finally:
        reopened.close()


def test_the_first_request_for_the_same_bytes_is_kept(tmp_path: Path) -> None:
    """Remembered after each commit; a later copy of the same bytes must not re-point it."""
    index = DropIndex(tmp_path / "kiosk.sqlite3")
    try:
        index.remember("ab" * 32, 7)
        index.remember("ab" * 32, 9)
        assert index.request_for("ab" * 32) == 7
    finally:
        index.close()
