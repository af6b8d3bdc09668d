"""Every message of meterai.documents is translated, with the same placeholders."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from babel.messages.pofile import read_po

import meterai.documents
from meterai.i18n import LOCALE_DIR

PACKAGE = Path(meterai.documents.__file__).parent
CATALOGUE = LOCALE_DIR / "id" / "LC_MESSAGES" / "documents.po"


def marked_messages() -> set[str]:
    found = set()
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
            ):
                found.add(ast.literal_eval(node.args[0]))
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="id") if m.id}


def test_header_declares_one_plural_form() -> None:
    assert "Plural-Forms: nplurals=1; plural=0;" in CATALOGUE.read_text(encoding="utf-8")


def test_every_message_is_translated() -> None:
    translated = catalogue()
    missing = [m for m in marked_messages() if not translated.get(m)]
    assert missing == []


def test_placeholders_match() -> None:
    for msgid, msgstr in catalogue().items():
        assert placeholders(msgid) == placeholders(msgstr), msgid


def test_no_stale_entries() -> None:
    assert set(catalogue()) <= marked_messages()
