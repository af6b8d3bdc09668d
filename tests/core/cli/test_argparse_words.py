"""argparse's own words go through our catalogue (issue 18 item 8): before, ``--lang id``
still said "invalid int value" and "the following arguments are required"."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.cli.argparse_words import ARGPARSE_STRINGS
from meterai.i18n import translations
from tests.support.cli import EXIT_USAGE, meterai


def _indonesian(msgid: str) -> str:
    return translations("id").gettext(msgid)


def test_every_argparse_string_has_an_indonesian_text() -> None:
    assert [s for s in ARGPARSE_STRINGS if _indonesian(s) == s] == []


@pytest.mark.parametrize(
    ("args", "msgid", "values"),
    [
        (["show", "one"], "invalid %(type)s value: %(value)r", {"type": "int", "value": "one"}),
        (["show"], "the following arguments are required: %s", "id"),
    ],
)
def test_a_usage_mistake_reads_in_the_chosen_language(
    tmp_path: Path, args: list[str], msgid: str, values: object
) -> None:
    data, home = tmp_path / "data", tmp_path / "home"
    indonesian = meterai("--lang", "id", "--data-dir", data, *args, home=home)
    english = meterai("--lang", "en", "--data-dir", data, *args, home=home)
    assert (indonesian.code, english.code) == (EXIT_USAGE, EXIT_USAGE)
    assert _indonesian(msgid) % values in indonesian.err
    assert msgid % values in english.err
    assert msgid % values not in indonesian.err
