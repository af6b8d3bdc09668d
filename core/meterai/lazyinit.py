"""A package whose submodules load without its ``__init__``, until a name it defines is used.

pyHanko's ``pyhanko/sign/__init__.py`` re-exports the signing API. Importing any module
under it (validation, fields, diff analysis: all that checking a stamp needs) first runs
that ``__init__``, which imports every signer, the timestamp client and with it aiohttp,
whose import builds two TLS contexts from the system's CA bundle: 0.25 CPU-seconds in
every process that checks a stamp (each counter's ``sync --once``), for code that never
runs there: our validation context fetches nothing and we never sign.

``defer_init`` registers the package as the import system would, ``__path__`` and all,
but keeps its ``__init__`` for later: the first lookup of a name the package itself
binds (``from pyhanko.sign import PdfSigner``, ``pyhanko.sign.sign_pdf``) runs it then,
in the same module, so every caller still sees the package it expects. Submodules
imported by their dotted name (``import pyhanko.sign.fields``, ``from pyhanko.sign.fields
import ...``) bind themselves on the package as they load and never trigger it; ``from
pyhanko.sign import fields`` asks the package for the name first, and does.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from importlib.machinery import ModuleSpec
from types import ModuleType

_RUNNING = threading.RLock()


def defer_init(package: str) -> bool:
    """Register ``package`` with its ``__init__`` deferred; False if it is already
    imported (nothing to save) or is not a package found on disk."""
    if package in sys.modules:
        return False
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    with _RUNNING:
        if package in sys.modules:
            return False
        module = importlib.util.module_from_spec(spec)
        module.__getattr__ = _InitOnFirstUse(spec, module)  # type: ignore[method-assign]
        sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return True


def is_deferred(package: str) -> bool:
    """Whether ``package``'s ``__init__`` is still waiting for its first use."""
    module = sys.modules.get(package)
    return module is not None and isinstance(vars(module).get("__getattr__"), _InitOnFirstUse)


def _is_probe(name: str) -> bool:
    """A protocol's probe (``inspect.unwrap``'s ``__wrapped__``, asked of every module by
    PySide's import hook; copy's, pickle's), not a name the package binds: answered
    without running it. ``__all__`` is the package's own and runs it."""
    return name.startswith("__") and name.endswith("__") and name != "__all__"


class _InitOnFirstUse:
    """The package's ``__getattr__`` (PEP 562) until its ``__init__`` has run: called only
    for a name the module does not hold yet, it runs the ``__init__`` once and looks again."""

    def __init__(self, spec: ModuleSpec, module: ModuleType) -> None:
        self._spec, self._module = spec, module

    def __call__(self, name: str) -> object:
        namespace = vars(self._module)
        if _is_probe(name):
            raise AttributeError(f"module {self._module.__name__!r} has no attribute {name!r}")
        with _RUNNING:
            if namespace.get("__getattr__") is self:
                del namespace["__getattr__"]
                try:
                    assert self._spec.loader is not None
                    self._spec.loader.exec_module(self._module)
                except BaseException:
                    namespace["__getattr__"] = self  # as a failed import: tried again next time
                    raise
        if name in namespace:
            return namespace[name]
        getter = namespace.get("__getattr__")
        if getter is not None:
            return getter(name)
        raise AttributeError(f"module {self._module.__name__!r} has no attribute {name!r}")
