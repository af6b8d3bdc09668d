"""``Outbox.open``: every entry point opens through it, so a damaged file is refused here."""

from __future__ import annotations

import pytest

from meterai.errors import StoreCorrupt
from meterai.outbox import Outbox
from meterai.settings import Paths


def test_garbage_database_is_refused_untouched(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    paths.database.write_bytes(b"this is not sqlite" * 100)
    before = paths.database.read_bytes()
    with pytest.raises(StoreCorrupt):
        Outbox.open(paths)
    assert paths.database.read_bytes() == before
