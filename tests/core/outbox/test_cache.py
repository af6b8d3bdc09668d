"""What the provider said last, kept in the outbox for when it cannot be asked."""

from __future__ import annotations

from meterai.outbox import Outbox
from meterai.settings import Paths
from tests.support.clock import ManualClock


def test_the_last_answer_is_kept_across_a_restart(paths: Paths) -> None:
    box = Outbox.open(paths)
    assert box.cache_get("jenisdoc") is None
    box.cache_put("jenisdoc", [{"kode": "3", "nama": "Surat Pernyataan"}])
    box.close()
    box = Outbox.open(paths)
    try:
        assert box.cache_get("jenisdoc") == [{"kode": "3", "nama": "Surat Pernyataan"}]
    finally:
        box.close()


def test_a_newer_answer_replaces_the_older_with_its_time(paths: Paths) -> None:
    clock = ManualClock(1000.0)
    box = Outbox.open(paths, clock=clock)
    try:
        box.cache_put("jenisdoc", ["old"])
        clock.advance(60)
        box.cache_put("jenisdoc", ["new"])
        assert box.cache_get("jenisdoc") == ["new"]
        row = box.backend.conn.execute(
            "SELECT fetched_at FROM provider_cache WHERE key = 'jenisdoc'"
        ).fetchone()
        assert row[0] == 1060.0
    finally:
        box.close()
