"""Each data folder is one counter on a shared database, under a name kept in the folder."""

from __future__ import annotations

from meterai.outbox.postgres.counter import counter_name
from meterai.settings import Paths


def test_the_name_is_made_once_and_kept(paths: Paths) -> None:
    first = counter_name(paths)
    assert first and first == counter_name(paths)
    assert (paths.data_dir / "counter-name").read_text("utf-8").strip() == first


def test_an_operators_name_is_used_made_safe_and_short(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    (paths.data_dir / "counter-name").write_text("Loket 2 / lantai 1 ✓" + "x" * 60)
    name = counter_name(paths)
    assert name.startswith("Loket-2-lantai-1-x") and len(name) == 40


def test_an_empty_name_file_gets_a_new_name(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    (paths.data_dir / "counter-name").write_text("  \n")
    assert counter_name(paths).strip()
