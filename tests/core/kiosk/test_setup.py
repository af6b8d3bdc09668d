"""Kiosk mode's remembered choice and its checks (the GUI dialog's core)."""

from __future__ import annotations

from pathlib import Path

from meterai.kiosk.setup import KioskChoice, KioskSetup, check_choice, remember, remembered
from meterai.settings import Paths, Settings, load_settings, save_settings


def _setup(tmp_path: Path) -> KioskSetup:
    result = check_choice(
        KioskChoice(str(tmp_path / "in"), str(tmp_path / "out"), "3", 6, 40, settle=7.5)
    )
    assert isinstance(result, KioskSetup), result
    return result


def test_a_choice_survives_a_restart_and_sets_the_cli_threshold(
    paths: Paths, tmp_path: Path
) -> None:
    settings = Settings(extra={"other": 1})
    remember(settings, _setup(tmp_path))
    save_settings(paths, settings)
    loaded = load_settings(paths)
    assert remembered(loaded) == KioskChoice(
        str(tmp_path / "in"), str(tmp_path / "out"), "3", 6, 40, settle=7.5
    )
    assert loaded.extra["low_balance"] == 40  # what `meterai kiosk` and `report` read
    assert loaded.extra["other"] == 1


def test_a_damaged_section_reads_as_empty_answers() -> None:
    settings = Settings(
        extra={"kiosk": {"inbox": 7, "type": ["3"], "concurrency": 99, "settle": "2"}}
    )
    assert remembered(settings) == KioskChoice("", "", "", 4, 20)
    assert remembered(Settings(extra={"kiosk": "nonsense"})) == KioskChoice()


def test_a_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = check_choice(KioskChoice(str(tmp_path / "file" / "in"), str(tmp_path / "out"), None))
    assert isinstance(result, tuple)
    assert [p.field for p in result] == ["inbox", "inbox"]  # the inbox, and rejected/ beside it
    assert (
        result[0]
        .message.english()
        .startswith(f"The folder {tmp_path / 'file' / 'in'} cannot be created: ")
    )


def test_every_answer_problem_is_reported_at_once() -> None:
    result = check_choice(KioskChoice(" ", "", "", 9, -1, settle=0.1))
    assert isinstance(result, tuple)
    assert [p.field for p in result] == [
        "inbox",
        "outbox",
        "doc_type",
        "concurrency",
        "settle",
        "low_balance",
    ]
    assert result[3].message.english() == "Documents at once: a number from 1 to 8."
    assert result[4].message.english() == "Wait for a file: from 0.5 to 600 seconds."
    # Numbers are worded for the reader: a decimal comma in Indonesian.
    assert result[4].message.text("id") == "Waktu tunggu berkas: dari 0,5 sampai 600 detik."


def test_an_inbox_named_rejected_would_receive_its_own_refusals(tmp_path: Path) -> None:
    result = check_choice(KioskChoice(str(tmp_path / "rejected"), str(tmp_path / "out"), "3"))
    assert isinstance(result, tuple)
    assert [p.field for p in result] == ["inbox"]
