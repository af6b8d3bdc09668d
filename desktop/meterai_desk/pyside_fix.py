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

The count is written through ``_ctypes`` itself: the ``ctypes`` package around it costs
some 3.5 ms of every GUI start (its Python layer builds dozens of types), for one field.
"""

from __future__ import annotations

import sys
from _ctypes import _SimpleCData

import PySide6

CUSHION = 1 << 40


class _RefCount(_SimpleCData):  # type: ignore[type-arg]  # generic only in the stubs
    """A ``Py_ssize_t``, as ``ctypes.c_ssize_t`` is: ``long long`` on 64-bit builds."""

    _type_ = "q" if sys.maxsize > 2**32 else "i"


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
        _RefCount.from_address(id(obj)).value += CUSHION
    _applied = True
