"""A pseudo-Indonesian catalogue: every translated word comes out between ⟦ and ⟧.

Each ``msgstr``'s literal text is bracketed and its placeholders are left outside the
brackets, so whatever the code puts into a sentence (a state name, a reason, a size) is
checked too. Text left outside every bracket once the values a test passed in are taken
away was not built from the catalogue: English that ``--lang id`` would show.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from meterai import i18n

OPEN, CLOSE = "⟦", "⟧"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[srd]|%[srd]")
# Words the output may show untranslated: option names and metavars (argparse prints them
# as written), the program's name, the choices the user types, units and file kinds.
# Values are data in any language: URLs, file names, hashes, the purchase tag.
_NOT_WORDS = re.compile(
    r"https?://\S+|\S+\.(?:pdf|csv|zip)\b|\b[0-9a-f]{16,}\b|mdk-[0-9a-f-]+"
    r"|(?<![\w-])--?[a-z][a-z0-9-]*|\b[A-Z0-9_.,|\-]{2,}\b|\{[a-z0-9,\-]+\}"
)
ALLOWED = frozenset({"meterai", "id", "en", "pdf", "csv", "sqlite", "postgresql", "zip"})


def bracketed(msgstr: str) -> str:
    """``"Permintaan {id} gagal"`` -> ``"⟦Permintaan ⟧{id}⟦ gagal⟧"`` (blanks stay bare)."""
    out, last = [], 0
    for match in _PLACEHOLDER.finditer(msgstr):
        out.append(_bracket(msgstr[last : match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(_bracket(msgstr[last:]))
    return "".join(out)


def _bracket(literal: str) -> str:
    return f"{OPEN}{literal}{CLOSE}" if literal.strip() else literal


def _pseudo_compile(lang: str) -> bytes:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged = Catalog(locale=lang, domain="meterai")
    merged.mime_headers = [("Plural-Forms", "nplurals=1; plural=0;")]
    for po in sorted((i18n.LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if not (message.id and message.string):
                    continue
                string = message.string
                marked = (
                    bracketed(string)
                    if isinstance(string, str)
                    else tuple(bracketed(s) for s in string)
                )
                merged.add(message.id, marked, context=message.context)
    buf = io.BytesIO()
    write_mo(buf, merged)
    return buf.getvalue()


@contextmanager
def pseudo_indonesian(monkeypatch: pytest.MonkeyPatch, cache: Path) -> Iterator[None]:
    """Indonesian is the pseudo catalogue until the block ends (compiled into ``cache``)."""
    monkeypatch.setenv(i18n.CACHE_DIR_ENV, str(cache))
    monkeypatch.setattr(i18n, "_compile", _pseudo_compile)
    i18n.translations.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()


def outside_brackets(text: str) -> str:
    """``text`` with every bracketed (translated) stretch taken out."""
    return re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", " ", text, flags=re.S)


def foreign_words(text: str, data: Iterable[str] = ()) -> list[str]:
    """Words of ``text`` that no catalogue entry produced, ``data`` (paths, ids) set aside:
    a value with spaces or slashes wherever it stands, a single word only as a whole word."""
    rest = outside_brackets(text)
    single = set(ALLOWED)
    for value in sorted(data, key=len, reverse=True):
        if re.fullmatch(r"[\w-]+", value):
            single.add(value.lower())
        else:
            rest = rest.replace(value, " ")
    rest = _NOT_WORDS.sub(" ", rest)
    words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", rest)
    return [w for w in words if w.lower() not in single]


def sentence_slips(text: str) -> list[str]:
    """A full stop doubled ("..", not an ellipsis) or followed by a semicolon, as read once
    the brackets are gone: two sentences glued by a join made for phrases."""
    plain = text.replace(OPEN, "").replace(CLOSE, "")
    return re.findall(r"(?<!\.)\.\.(?!\.)|\.;", plain)
