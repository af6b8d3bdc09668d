"""Which counter this data folder is, in a shared database.

Each counter PC (or each data folder, when several run on one PC) has a name of its
own, kept in the folder: it owns the requests taken in there (their results are
exported there) and it signs its claims with it. The first use writes
``<host>-<4 hex>``; an operator may put a friendlier name ("loket-1") in the file.
"""

from __future__ import annotations

import os
import re
import socket

from meterai.fsutil import atomic_write_bytes, make_dirs
from meterai.settings import Paths

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def counter_name(paths: Paths) -> str:
    """The folder's counter name, made and kept on first use."""
    path = paths.data_dir / "counter-name"
    try:
        name = _SAFE.sub("-", path.read_text(encoding="utf-8").strip())[:40]
    except FileNotFoundError:
        name = ""
    if name:
        return name
    host = _SAFE.sub("-", socket.gethostname())[:24] or "counter"
    name = f"{host}-{os.urandom(2).hex()}"
    make_dirs(paths.data_dir)
    atomic_write_bytes(path, (name + "\n").encode())
    return name
