"""Content-addressed copies of queued documents: ``docs/<sha256>.pdf``, read-only.

Once a request is queued, what gets stamped must not change when the user moves
or edits the original, and the stamped result must start with exactly these bytes.
Naming the copy by its hash makes both checkable at any time, and makes adding the
same document twice cost nothing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from meterai import system
from meterai.fsutil import AtomicFile, atomic_writer, sweep_temp_files

READ_ONLY = 0o444
HASHERS = 4
"""Hashes made at once: a batch copies as many files in side by side (``intake.STORERS``),
each hashed beside its fsync."""
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
        """Copy ``path`` in under the name of its hash.

        If a copy with the same hash is already there it is verified and kept; a
        damaged one is replaced by the fresh copy. ``sync_dir=False`` leaves the
        folder's fsync to a caller that stores a batch (it must fsync the folder before
        it commits anything that names these copies).
        """
        with atomic_writer(
            self.folder / "incoming.pdf", mode=READ_ONLY, sync_dir=sync_dir
        ) as staged:
            sha256, size = self._copy_in(path, staged)
            dest = staged.dest = self.path_for(sha256)
            if self.check(sha256):
                staged.discard()
        return StoredDocument(sha256=sha256, path=dest, size=size)

    def check(self, sha256: str) -> bool:
        """True if the copy exists and still has the hash it is named by."""
        path = self.path_for(sha256)
        try:
            return sha256_file(path) == sha256
        except FileNotFoundError:
            return False

    def sweep(self) -> int:
        """Remove temp files a crash left mid-copy; returns how many."""
        return sweep_temp_files(self.folder)

    def _copy_in(self, src: Path, staged: AtomicFile) -> tuple[str, int]:
        """Copy in the kernel, then hash the copy while it is flushed to disk.

        Hashing the stored copy rather than the source names the file by exactly the
        bytes it holds. Hashing and fsync both release the GIL, so on a large file they
        overlap and the whole costs about a ``cp`` plus ``fsync`` (see bench_queue).
        """
        shutil.copyfile(system.long_path(src), staged.temp)  # the user's file: any length
        hashing = _hasher().submit(sha256_file, staged.temp)
        staged.sync()  # Windows flushes only a writable handle: the writer's is one
        size = os.fstat(staged.file.fileno()).st_size
        return hashing.result(), size


def sha256_file(path: Path) -> str:
    """The name a document goes by: in the store, and as the user gave it (duplicates)."""
    with system.long_path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@functools.cache
def _hasher() -> ThreadPoolExecutor:
    """A few threads, kept for the process: a batch of 200 files should not start 200,
    and a batch copying several files in at once should not hash them one at a time."""
    return ThreadPoolExecutor(max_workers=HASHERS, thread_name_prefix="meterai-hash")
