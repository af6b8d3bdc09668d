"""Content-addressed copies of queued documents: ``docs/<sha256>.pdf``, read-only.

Once a request is queued, what gets stamped must not change when the user moves
or edits the original, and the stamped result must start with exactly these bytes.
Naming the copy by its hash makes both checkable at any time, and makes adding the
same document twice cost nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from meterai.fsutil import fsync_dir, read_chunks, sweep_temp_files, temp_prefix

READ_ONLY = 0o444
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    path: Path
    size: int


class DocumentStore:
    """The ``docs`` folder under ``root`` (the data dir)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "docs"

    def path_for(self, sha256: str) -> Path:
        """Where the copy with this hash lives; anything but a sha256 is a bug (no traversal)."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
        return self.folder / f"{sha256}.pdf"

    def put(self, path: Path, *, sync_dir: bool = True) -> StoredDocument:
        """Copy ``path`` in, hashing while copying so a large file is read only once.

        If a copy with the same hash is already there it is verified and kept; a
        damaged one is replaced by the fresh copy. ``sync_dir=False`` leaves the
        folder's fsync to a caller that stores a batch (it must fsync the folder before
        it commits anything that names these copies).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp, sha256, size = self._copy_to_temp(path)
        try:
            dest = self.path_for(sha256)
            if not self.check(sha256):
                os.chmod(tmp, READ_ONLY)
                _make_writable(dest)
                os.replace(tmp, dest)
                if sync_dir:
                    fsync_dir(self.folder)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredDocument(sha256=sha256, path=dest, size=size)

    def check(self, sha256: str) -> bool:
        """True if the copy exists and still has the hash it is named by."""
        path = self.path_for(sha256)
        try:
            return _hash_file(path) == sha256
        except FileNotFoundError:
            return False

    def sweep(self) -> int:
        """Remove temp files a crash left mid-copy; returns how many."""
        return sweep_temp_files(self.folder)

    def _copy_to_temp(self, src: Path) -> tuple[Path, str, int]:
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(prefix=temp_prefix(), dir=self.folder)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out, src.open("rb") as fh:
                for chunk in read_chunks(fh):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), size


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in read_chunks(fh):
            digest.update(chunk)
    return digest.hexdigest()


def _make_writable(path: Path) -> None:
    """Windows refuses to replace a read-only file; POSIX does not care."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
