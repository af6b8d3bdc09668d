"""The secret that guards the sandbox's admin API (``/_sandbox/...``).

Loopback alone is no guard: any local process (another user's, a browser page's
fetch to 127.0.0.1) could create an account with any balance, read the ledger or
reset it. The starter of a sandbox writes a random secret into the sandbox's own
folder, readable by its owner only (0600), and every admin call must carry it in
``ADMIN_HEADER``. Whoever can read that folder could already open the ledger file
directly, so the secret adds no exposure of its own.

The secret is made once per folder and then reused: the GUI's sandbox child and the
sandbox inside ``meterai sync`` share the folder and may run at the same time, and a
fresh secret per start would lock one of them (and its tests) out of its own API.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from pathlib import Path

ADMIN_HEADER = "X-Sandbox-Secret"
SECRET_FILE = "admin-secret"
_OWNER_ONLY = 0o600


def ensure_secret(folder: Path) -> str:
    """The folder's admin secret, created (owner-only) if the folder has none yet."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE
    existing = _read(path)
    if existing:
        _owner_only(path)
        return existing
    _publish(path, secrets.token_urlsafe(32))
    return read_secret(folder)


def read_secret(folder: Path) -> str:
    """The secret a running sandbox in ``folder`` expects; ``FileNotFoundError`` if none."""
    secret = _read(folder / SECRET_FILE)
    if not secret:
        raise FileNotFoundError(folder / SECRET_FILE)
    return secret


def headers_for(folder: Path) -> dict[str, str]:
    """The header an admin client sends: the one place that knows how the secret travels."""
    return {ADMIN_HEADER: read_secret(folder)}


def matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response times do not leak the secret byte by byte."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _read(path: Path) -> str:
    try:
        return path.read_text("ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def _publish(path: Path, secret: str) -> None:
    """Write to a private temp file, then link it into place: two starters racing on a
    new folder both end up with the first one's secret, never a torn or public file."""
    tmp = path.with_name(f".{SECRET_FILE}-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _owner_only(path: Path) -> None:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, _OWNER_ONLY)
