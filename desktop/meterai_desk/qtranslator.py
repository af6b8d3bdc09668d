"""Qt's own strings (stock buttons, context menus) through our gettext catalogue.

Qt ships no Indonesian catalogue, so without this a dialog would say "Cancel" in an
otherwise Indonesian window. Frescobaldi subclasses QTranslator in Python for this;
with PySide6 6.12 on Python 3.11 a Python ``translate()`` override loses a reference
to ``None`` on every call from Qt, which brings the interpreter down after enough
lookups (none_dealloc). So the catalogue's translations of Qt's stock strings are
compiled into a real ``.qm`` file with the ``lrelease`` that PySide6 ships, cached per
language and catalogue, and loaded into a plain C++ ``QTranslator``. An installed
bundle ships them compiled (``qm/`` beside this module, made by the PyInstaller spec),
so it needs no ``lrelease``: that tool alone would drag QtQml into the bundle.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTranslator

from meterai import i18n
from meterai.i18n import N_

# The Qt classes whose context these strings are looked up in.
CONTEXTS = (
    "QPlatformTheme",
    "QDialogButtonBox",
    "QMessageBox",
    "QLineEdit",
    "QWidgetTextControl",
    "QFileDialog",
    "QFileSystemModel",
    "QShortcut",
)

# Qt's stock texts that appear in our windows, marked so the catalogue test sees them.
QT_STRINGS = (
    N_("OK"),
    N_("&OK"),
    N_("Cancel"),
    N_("&Cancel"),
    N_("Close"),
    N_("&Close"),
    N_("&Yes"),
    N_("&No"),
    N_("Apply"),
    N_("Save"),
    N_("&Save"),
    N_("Open"),
    N_("&Open"),
    N_("Help"),
    N_("Show Details..."),
    N_("Hide Details..."),
    N_("&Undo"),
    N_("&Redo"),
    N_("Cu&t"),
    N_("&Copy"),
    N_("&Paste"),
    N_("Delete"),
    N_("Select All"),
    N_("&Restore"),
    N_("Look in:"),
    N_("File &name:"),
    N_("Files of type:"),
)


# Where a bundle keeps the .qm files compiled at build time; absent in a source tree.
SHIPPED_DIR = Path(__file__).with_name("qm")

_installed: QTranslator | None = None


def install() -> None:
    """Install Qt's strings for the current language, and again whenever it changes.

    Re-installing makes Qt post ``LanguageChange`` to every widget, which is how each
    window learns to re-apply its texts (see ``follow_language``).
    """
    if QCoreApplication.instance() is None:
        return
    first = _installed is None
    _load(i18n.current_language())
    if first:
        i18n.on_language_change(_load)


def prepare(languages: tuple[str, ...] = i18n.LANGUAGES) -> None:
    """Compile the ``.qm`` files ahead (at start-up, before the window shows)."""
    for lang in languages:
        qm_file(lang)


def qm_file(lang: str) -> Path | None:
    """The compiled catalogue of Qt's strings for ``lang``; None for English."""
    if lang == "en":
        return None
    # Named by the catalogue and the string list, so finding it needs no compiling.
    strings = zlib.crc32(repr(QT_STRINGS).encode("utf-8"))
    name = f"qt_{lang}_{i18n.catalogue_key(lang)}_{strings:08x}.qm"
    shipped = SHIPPED_DIR / name
    if shipped.exists():
        return shipped
    folder = i18n.cache_dir()
    qm = folder / name
    if qm.exists():
        return qm
    import subprocess

    pairs = [(text, i18n.translations(lang).gettext(text)) for text in QT_STRINGS]
    folder.mkdir(parents=True, exist_ok=True)
    ts = qm.with_suffix(".ts")
    ts.write_text(_ts_document(lang, pairs), encoding="utf-8")
    subprocess.run([_lrelease(), "-silent", str(ts), "-qm", str(qm)], check=True)
    ts.unlink(missing_ok=True)
    return qm


def _load(lang: str) -> None:
    global _installed
    app = QCoreApplication.instance()
    if app is None:
        return
    if _installed is not None:
        app.removeTranslator(_installed)
    translator = QTranslator(app)
    qm = qm_file(lang)
    if qm is not None:
        translator.load(str(qm))
    app.installTranslator(translator)
    _installed = translator


def _escape(text: str) -> str:
    """XML text escaping (``xml.sax.saxutils`` would pull in ``urllib`` at start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ts_document(lang: str, pairs: list[tuple[str, str]]) -> str:
    messages = "".join(
        f"<message><source>{_escape(src)}</source><translation>{_escape(dst)}</translation></message>"
        for src, dst in pairs
        if dst != src
    )
    contexts = "".join(f"<context><name>{c}</name>{messages}</context>" for c in CONTEXTS)
    return (
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS>'
        f'<TS version="2.1" language="{lang}">{contexts}</TS>'
    )


def _lrelease() -> str:
    name = "lrelease.exe" if sys.platform == "win32" else "lrelease"
    return str(Path(PySide6.__file__).with_name(name))


class _LanguageFollower(QObject):
    """Calls ``retranslate`` when Qt tells the watched widget its language changed."""

    def __init__(self, widget: QObject, retranslate: Callable[[], None]) -> None:
        super().__init__(widget)
        self._retranslate = retranslate

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        return False


def follow_language(widget: QObject, retranslate: Callable[[], None]) -> None:
    """Apply ``widget``'s texts now and again after every language switch.

    One event filter instead of a ``changeEvent`` override per window: the filter is a
    child of the widget, so it lives and dies with it.
    """
    retranslate()
    widget.installEventFilter(_LanguageFollower(widget, retranslate))
