"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import (
    EXIT_REJECTED,
    EXIT_USAGE,
    meterai,
)


def test_an_english_locale_gives_english(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    result = meterai(
        "--data-dir", data, "add", pdfs["garbage"], "--type", "3", home=home, lang_env="en_US.UTF-8"
    )
    assert result.code == EXIT_REJECTED
    assert "not a PDF" in result.err


def test_a_usage_error_exits_2_without_a_traceback(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    assert meterai("--data-dir", data, "add", pdfs["good"], home=home).code == EXIT_USAGE
    bad_page = meterai(
        "--data-dir", data, "add", pdfs["good"], "--type", "3", "--page", "x", home=home
    )
    assert bad_page.code == EXIT_USAGE
    assert "--page" in bad_page.err
