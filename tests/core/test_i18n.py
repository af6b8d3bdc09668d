"""The Indonesian catalogue is complete and consistent (Electrum's ``tests/test_i18n.py``).

Indonesian is the default language: a msgid without a translation is English shown
to someone who chose Indonesian, and a placeholder that differs between msgid and
msgstr is a ``KeyError`` (or a silently missing value) at the moment an error is shown.
"""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest

from meterai import i18n
from meterai.i18n import translations
from tests.support.catalogue import (
    CORE,
    DESKTOP,
    PLURAL_RULE,
    entries,
    marked,
    missing,
    placeholders,
    po_files,
)

# Marked texts pybabel cannot extract (``_()`` inside an f-string, Python 3.11); each is
# translated by hand in core.po. Fix the source (hoist the call out of the f-string) and
# delete the line here.
KNOWN_BABEL_BLIND = {"next try"}  # core/meterai/cli/status.py, in run_status


def test_extraction_finds_the_core_strings() -> None:
    found = marked(CORE)
    assert len(found) > 150
    assert "The outbox is empty." in found
    assert "pre-flight PDF files and queue them for stamping" in found  # argparse help


def test_every_core_string_has_an_indonesian_translation() -> None:
    gaps = missing(marked(CORE), entries())
    assert not gaps, f"{len(gaps)} core strings lack Indonesian in any .po:\n" + "\n".join(gaps)


def test_every_desktop_string_has_an_indonesian_translation() -> None:
    """The GUI's strings belong in desktop.po (written by the desktop engineer)."""
    gaps = missing(marked(DESKTOP), entries())
    assert not gaps, (
        f"desktop/meterai_desk: {len(gaps)} strings lack Indonesian "
        "(add them to core/meterai/locale/id/LC_MESSAGES/desktop.po):\n" + "\n".join(gaps)
    )


def test_pybabel_can_extract_every_marked_string() -> None:
    blind = {
        key: m.locations
        for root in (CORE, DESKTOP)
        for key, m in marked(root).items()
        if not m.babel_sees_it
    }
    new = {k: v for k, v in blind.items() if k not in KNOWN_BABEL_BLIND}
    assert not new, f"_() inside an f-string, invisible to pybabel extract: {new}"


def _placeholder_mismatches() -> list[str]:
    problems = []
    for key, found in sorted(entries().items()):
        for entry in found:
            ids = (entry.msgid,) if isinstance(entry.msgid, str) else entry.msgid
            strs = (entry.msgstr,) if isinstance(entry.msgstr, str) else entry.msgstr
            wanted = set().union(*(placeholders(i) for i in ids))
            for text in strs:
                try:
                    got = placeholders(text)
                except ValueError as exc:
                    problems.append(f"{entry.po}: {key!r}: msgstr is not a format string ({exc})")
                    continue
                if got != wanted:
                    problems.append(f"{entry.po}: {key!r}: msgid has {wanted}, msgstr {got}")
    return problems


def test_placeholders_are_identical_in_msgid_and_msgstr() -> None:
    problems = _placeholder_mismatches()
    assert not problems, "\n".join(problems)


def test_a_msgid_translated_twice_has_one_text() -> None:
    """All .po files merge into one catalogue: two texts for one msgid means one is lost."""
    conflicts = [
        f"{key!r}: " + "; ".join(f"{e.po} says {e.msgstr!r}" for e in found)
        for key, found in sorted(entries().items())
        if len({e.msgstr for e in found}) > 1
    ]
    assert not conflicts, "\n".join(conflicts)


@pytest.mark.parametrize("po", [p.name for p in po_files()])
def test_no_entry_outlives_the_string_it_translates(po: str) -> None:
    """A msgid the code no longer marks is a translator's wasted work and hides a rename.
    Once held to two files only; nine stale entries had gathered in the others."""
    marked_anywhere = set(marked(CORE)) | set(marked(DESKTOP))
    stale = sorted(
        key
        for key, found in entries().items()
        if key not in marked_anywhere and any(e.po == po for e in found)
    )
    assert stale == []


@pytest.mark.parametrize("po", po_files(), ids=lambda p: p.name)
def test_every_po_file_declares_the_indonesian_plural_rule(po: Path) -> None:
    text = po.read_text("utf-8")
    assert f'"Plural-Forms: {PLURAL_RULE}\\n"' in text


def test_the_merged_catalogue_carries_the_plural_rule() -> None:
    """Babel has no rule for ``id`` and defaults to two forms (n != 1); ours has one.

    With the default, ``ngettext`` asks for msgstr[1], which an nplurals=1 catalogue
    does not have, and every plural message falls back to English for n != 1.
    """
    assert translations("id").info().get("plural-forms") == PLURAL_RULE


def test_the_core_catalogue_translates_at_run_time() -> None:
    assert translations("id").gettext("The outbox is empty.") == "Kotak keluar kosong."
    assert translations("en").gettext("The outbox is empty.") == "The outbox is empty."


# The loader itself, past the process-wide memo: threads left by earlier GUI tests may
# fill the memo at any moment, and these tests are about what is on disk.
load = translations.__wrapped__


@pytest.fixture
def fresh_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of its own."""
    monkeypatch.setenv(i18n.CACHE_DIR_ENV, str(tmp_path))
    return tmp_path


def test_the_compiled_catalogue_is_kept_and_read_back(fresh_catalogue: Path) -> None:
    text = load("id").gettext("The outbox is empty.")
    (kept,) = fresh_catalogue.glob("meterai_id_*.mo")
    assert kept.name == f"meterai_id_{i18n.catalogue_key('id')}.mo"
    # Read back from the file: a catalogue that needed Babel again would show up here.
    with patch("meterai.i18n._compile", side_effect=AssertionError("compiled again")):
        assert load("id").gettext("The outbox is empty.") == text != "The outbox is empty."


def test_a_damaged_or_stale_catalogue_is_compiled_again(fresh_catalogue: Path) -> None:
    stale = fresh_catalogue / "meterai_id_0000000000000000.mo"
    stale.write_bytes(b"old")
    kept = fresh_catalogue / f"meterai_id_{i18n.catalogue_key('id')}.mo"
    kept.write_bytes(b"\xde\x12\x04\x95 cut short")
    assert load("id").gettext("The outbox is empty.") != "The outbox is empty."
    assert kept.read_bytes()[:4] == b"\xde\x12\x04\x95" and len(kept.read_bytes()) > 1000
    assert not stale.exists()
