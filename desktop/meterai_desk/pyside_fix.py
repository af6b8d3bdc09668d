"""A workaround for a reference-counting regression in PySide6 6.12.0 on CPython < 3.12.

PySide6 6.12.0 drops one reference to ``None`` every time Qt calls a Python override
that returns ``None`` (every event handler: ``changeEvent``, ``paintEvent``...), and
to ``True``/``False``/``None`` in a few other paths. On Python 3.11 those objects are
reference-counted, so a long session (or a long test run) drives the count to zero
and the interpreter aborts ("none_dealloc", "bool_dealloc"), mid-session or at exit.
6.11.3 does not have it, but QtPdf ships as PySide6-Pdf only from 6.12 on.

Python 3.12 made these singletons immortal (PEP 683); this does the same for them
here: their reference count gets a cushion of 2**40, which no session can use up
(at a thousand lost references a second it would last 35 years). Remove it once a
PySide6 release fixes the regression; ``tests/desktop/test_pyside_fix.py`` reports
when the bug is gone.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

CUSHION = 1 << 40
_SINGLETONS = (None, True, False)
_applied = False


def needed() -> bool:
    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.")


def apply() -> None:
    """Give ``None``, ``True`` and ``False`` their cushion, once per process."""
    global _applied
    if _applied or not needed():
        return
    for obj in _SINGLETONS:
        ctypes.c_ssize_t.from_address(id(obj)).value += CUSHION
    _applied = True
