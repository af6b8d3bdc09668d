"""What the code marks for translation, and what the Indonesian ``.po`` files say about it.

Shared by the i18n and meta tests. Message ids are found the way a translator's
``.pot`` would be made (Babel's extractor), plus one AST pass for the calls Babel
cannot see: on Python 3.11 an f-string is a single token, so ``_()`` inside one is
invisible to ``pybabel extract`` although it is translated at run time.
"""

from __future__ import annotations

import ast
import importlib.util
import string
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import meterai
from meterai import i18n

CORE = Path(meterai.__file__).parent
# Found without importing the package: the desktop package imports Qt, and tests/core never does.
_desktop_spec = importlib.util.find_spec("meterai_desk")
assert _desktop_spec is not None and _desktop_spec.submodule_search_locations
DESKTOP = Path(next(iter(_desktop_spec.submodule_search_locations)))
REPO = CORE.parent.parent
PO_DIR = i18n.LOCALE_DIR / "id" / "LC_MESSAGES"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLURAL_RULE = "nplurals=1; plural=0;"

Msgid = str | tuple[str, ...]


@dataclass(frozen=True)
class Marked:
    """A message id and where the code marks it (``path:line``, relative to the repository)."""

    msgid: Msgid
    locations: tuple[str, ...]
    babel_sees_it: bool

    @property
    def key(self) -> str:
        return self.msgid if isinstance(self.msgid, str) else self.msgid[0]


@cache
def marked(root: Path) -> dict[str, Marked]:
    """Every message id marked under ``root``, keyed by its (singular) text."""
    found: dict[str, tuple[Msgid, list[str], bool]] = {}
    prefix = root.relative_to(REPO)
    for filename, lineno, msgid, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        key = msgid if isinstance(msgid, str) else msgid[0]
        found.setdefault(key, (msgid, [], True))[1].append(f"{prefix / filename}:{lineno}")
    for path in sorted(root.rglob("*.py")):
        for lineno, text in _calls_inside_fstrings(path):
            entry = found.setdefault(text, (text, [], False))
            location = f"{path.relative_to(REPO)}:{lineno}"
            if location not in entry[1]:
                entry[1].append(location)
    return {k: Marked(m, tuple(locs), seen) for k, (m, locs, seen) in found.items()}


def _calls_inside_fstrings(path: Path) -> list[tuple[int, str]]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.JoinedStr):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id in ("_", "N_")
                and inner.args
                and isinstance(inner.args[0], ast.Constant)
                and isinstance(inner.args[0].value, str)
            ):
                calls.append((inner.lineno, inner.args[0].value))
    return calls


@dataclass(frozen=True)
class Entry:
    po: str
    msgid: Msgid
    msgstr: str | tuple[str, ...]

    @property
    def key(self) -> str:
        return self.msgid if isinstance(self.msgid, str) else self.msgid[0]

    @property
    def translated(self) -> bool:
        if isinstance(self.msgstr, str):
            return bool(self.msgstr)
        return bool(self.msgstr) and all(self.msgstr)


def po_files() -> list[Path]:
    return sorted(PO_DIR.glob("*.po"))


def entries() -> dict[str, list[Entry]]:
    """Every translated entry of every Indonesian ``.po``, keyed by (singular) msgid."""
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for po in po_files():
        with po.open("rb") as fh:
            catalogue = read_po(fh, locale="id")
        for message in catalogue:
            if not message.id:
                continue
            msgstr = message.string if isinstance(message.string, str) else tuple(message.string)
            entry = Entry(po.name, message.id, msgstr)
            if entry.translated:
                by_key[entry.key].append(entry)
    return dict(by_key)


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names in ``text`` (``{}`` counts as the empty name)."""
    return {
        field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None
    }


def missing(found: dict[str, Marked], catalogue: dict[str, list[Entry]]) -> list[str]:
    """``msgid (path:line)`` for each marked text that no ``.po`` translates."""
    return [
        f"{key!r} ({', '.join(m.locations)})"
        for key, m in sorted(found.items())
        if key not in catalogue
    ]
