"""Every GUI string has an Indonesian translation with the same placeholders (Electrum's test)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from babel.messages.pofile import read_po

import meterai_desk
from meterai.i18n import LOCALE_DIR

PACKAGE = Path(meterai_desk.__file__).parent
CATALOGUE = LOCALE_DIR / "id" / "LC_MESSAGES" / "desktop.po"


def marked_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    # Calls with a variable argument translate a constant marked elsewhere with N_.
    for module in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            constant = bool(node.args) and isinstance(node.args[0], ast.Constant)
            if node.func.id in ("_", "N_") and constant:
                found.add(ast.literal_eval(node.args[0]))
            elif node.func.id == "ngettext" and constant:
                found.add((ast.literal_eval(node.args[0]), ast.literal_eval(node.args[1])))
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalogue(po: Path = CATALOGUE) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    with po.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="id") if m.id}


def whole_domain() -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """Every .po of the one domain: parallel work keeps its new entries in files of its own."""
    found: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for po in sorted(CATALOGUE.parent.glob("*.po")):
        found.update(catalogue(po))
    return found


def test_header_declares_one_plural_form() -> None:
    assert "Plural-Forms: nplurals=1; plural=0;" in CATALOGUE.read_text(encoding="utf-8")


def test_every_gui_string_is_translated() -> None:
    translated = whole_domain()
    missing = sorted(str(m) for m in marked_messages() if not translated.get(m))
    assert missing == []


def test_placeholders_match() -> None:
    for msgid, msgstr in catalogue().items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strs = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        for text in strs:
            assert placeholders(ids[0]) == placeholders(text), msgid


def test_no_stale_entries() -> None:
    assert set(catalogue()) <= marked_messages()
