"""One gettext catalogue for the core and the GUI, Indonesian by default.

Message ids are English. The Indonesian catalogue is kept as ``.po`` files (one per
area, all in the ``meterai`` domain) and compiled with Babel on first use, so no
binary ``.mo`` ever needs to be committed or built before the app runs. The compiled
catalogue is kept in the user's cache folder under a name derived from the ``.po``
contents: compiling costs about 40 ms, which every start would otherwise pay.
"""

from __future__ import annotations

import gettext
import io
import os
import threading
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALE_DIR = Path(__file__).with_name("locale")
CACHE_DIR_ENV = "METERAI_CACHE_DIR"

_lock = threading.Lock()
_current = DEFAULT_LANGUAGE
_listeners: list[Callable[[str], None]] = []


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Every ``.po`` of ``lang`` as one translations object, compiled at most once."""
    if lang == "en":
        return gettext.NullTranslations()
    compiled = cache_dir() / f"meterai_{lang}_{catalogue_key(lang)}.mo"
    try:
        with compiled.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except Exception:  # missing or damaged (it is only ever written whole): compile again
        pass
    data = _compile(lang)
    _keep(compiled, data)
    return gettext.GNUTranslations(io.BytesIO(data))


def cache_dir() -> Path:
    """Where compiled catalogues (ours and Qt's) live; ``METERAI_CACHE_DIR`` moves it."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    from meterai import system

    return system.user_dirs().cache


@cache
def catalogue_key(lang: str) -> str:
    """Changes whenever any ``.po`` of ``lang`` does: it names the compiled files.

    Read once per process (our catalogue and Qt's are both named by it at start-up).

    Two CRC-32s (of the names and of the contents) rather than a cryptographic hash: the
    key only tells our own catalogue's versions apart, and ``hashlib`` would add about
    3 ms to every start just to be imported.
    """
    names, contents = 0, 0
    for po in _po_files(lang):
        names = zlib.crc32(po.name.encode("utf-8") + b"\0", names)
        contents = zlib.crc32(po.read_bytes(), contents)
    return f"{names:08x}{contents:08x}"


def _po_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


def _keep(path: Path, data: bytes) -> None:
    """Best effort: without a writable cache folder the next start compiles again."""
    from meterai.errors import DiskError
    from meterai.fsutil import atomic_write_bytes

    try:
        atomic_write_bytes(path, data)
        prefix = path.name.rsplit("_", 1)[0] + "_"
        for old in path.parent.glob(f"{prefix}*.mo"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, DiskError):  # DiskError: Windows, another start holds the file
        pass


def _compile(lang: str) -> bytes:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged = Catalog(locale=lang, domain="meterai")
    # Babel has no plural rule for Indonesian and would fall back to English's two forms.
    merged.mime_headers = [("Plural-Forms", "nplurals=1; plural=0;")]
    for po in _po_files(lang):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string:
                    merged.add(message.id, message.string, context=message.context)
    buf = io.BytesIO()
    write_mo(buf, merged)
    return buf.getvalue()


def language_from_environment() -> str:
    """English only when the environment asks for it; Indonesian otherwise."""
    explicit = os.environ.get("METERAI_LANG")
    if explicit in LANGUAGES:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    import locale  # only when no variable says: not worth 2 ms on every start

    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "en" if code.lower().startswith("en") else DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Switch the process language at run time and tell listeners (the GUI re-applies texts)."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGUAGES}")
    with _lock:
        _current = lang
        listeners = list(_listeners)
    for listener in listeners:
        listener(lang)


def current_language() -> str:
    return _current


def on_language_change(listener: Callable[[str], None]) -> None:
    with _lock:
        _listeners.append(listener)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translated later, when it is shown."""
    return message


def warm_number_formats() -> None:
    """Load Babel and both languages' CLDR data now, off the GUI thread.

    The first ``format_number`` costs about 90 ms (import plus locale data): done lazily on
    the GUI thread, it froze the window when the first balance arrived mid-sync.
    """
    for lang in LANGUAGES:
        format_number(0, lang)


def format_number(value: float, lang: str | None = None) -> str:
    """``1.500`` in Indonesian, ``1,500`` in English (Babel's CLDR data)."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, format="#,##0.#", locale=lang or _current))
