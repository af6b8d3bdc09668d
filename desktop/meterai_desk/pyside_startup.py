"""Make PySide6's check of every newly imported module cheap (8-11 ms of each start).

PySide6 hooks the import system for ``from __feature__ import snake_case``: for every
module imported after it, it asks ``inspect.getsource(module)`` whether the source
mentions "PySide6". Going through inspect and linecache costs about 0.1 ms a module,
and opening the main window imports about a hundred. Reading the file's bytes gives
the same answer for a module loaded from a ``.py`` file; any other module (built in,
compiled, in a zip) still gets PySide's own check.

Two kinds need no reading at all (reading them was still 3-5 ms of the window's start,
over some 70 files): our core package, which never names Qt (``.importlinter`` keeps
it so), and the standard library, which does not know PySide6.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import ModuleType

Check = Callable[[ModuleType], bool]

# Where the standard library's own modules are (site-packages may sit below it).
_STDLIB = os.path.dirname(os.__file__) + os.sep


def apply() -> bool:
    """Put the quick check in front of PySide's; False if PySide no longer has the hook."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None:
        return False
    if not getattr(original, "_meterai_quick", False):
        feature._mod_uses_pyside = quick_check(original)  # type: ignore[union-attr]
    return True


def quick_check(original: Check) -> Check:
    def _mod_uses_pyside(module: ModuleType) -> bool:
        name = getattr(module, "__name__", "")
        if name == "meterai" or name.startswith("meterai."):
            return False
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        if path.startswith(_STDLIB) and "-packages" not in path:
            return False
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    _mod_uses_pyside._meterai_quick = True  # type: ignore[attr-defined]
    _mod_uses_pyside.__wrapped__ = original  # type: ignore[attr-defined]
    return _mod_uses_pyside
