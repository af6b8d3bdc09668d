"""The provider's 48-hour re-stamp window, worded (the CLI's own tests: cli/test_status.py)."""

from __future__ import annotations

from meterai.provider.peruri import RESTAMP_WINDOW
from meterai.restamp import restamp_note


def test_before_the_window_ends_it_says_until_when() -> None:
    note = restamp_note(deadline=1_000_000.0, now=1_000_000.0 - 60)
    assert note.id.startswith("retry the stamp by {when}")
    assert "48" in note.text("en") and "48" in note.text("id")
    assert note.text("en") != note.text("id")


def test_after_the_window_it_says_it_closed_and_what_to_do() -> None:
    note = restamp_note(deadline=1_000_000.0, now=1_000_000.0 + 1)
    assert "closed at" in note.text("en")
    assert "meterai evidence" in note.text("id")


def test_the_window_is_the_reported_48_hours() -> None:
    assert RESTAMP_WINDOW == 48 * 3600
