"""``meterai recover --restore``: rebuild a lost or damaged outbox from the newest good backup.

Each generation, newest first, is copied beside the outbox and checked in full
(``integrity_check``, a schema this version knows, the requests table); one that
fails is reported and the next one tried. The file it replaces is never deleted:
the outbox and its ``-wal``/``-shm`` are renamed aside together (an old log left
beside the restored file would be replayed into it). Requests bought or stamped
after the backup was taken are repaired by the engine's reconciliation at the start
of the next sync: their purchase tags, carried by the provider's serial numbers, are
matched again, so nothing is bought twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from meterai import system
from meterai.errors import StoreError, StoreLocked
from meterai.fsutil import atomic_copy, fsync_dir, temp_prefix
from meterai.i18n import N_
from meterai.outbox.backup import Generation, generations
from meterai.outbox.migrations import LATEST
from meterai.outbox.store import Outbox
from meterai.settings import Paths


class NothingToRestore(StoreError):
    code = "outbox_sound"
    template = N_(
        "The outbox {path} is sound: nothing was restored. A restore replaces only a "
        "missing, empty or damaged outbox."
    )


class NoUsableBackup(StoreError):
    code = "no_usable_backup"
    template = N_(
        "No usable backup of the outbox was found in {folder} ({tried} tried). The "
        "outbox {path} was left as it is. To start a new, empty outbox instead, move "
        "{docs} and {stamped} elsewhere: the serial numbers this installation bought "
        "are found again at the next sync."
    )


@dataclass(frozen=True)
class Restored:
    source: Generation
    skipped: tuple[tuple[Path, str], ...]
    kept_aside: tuple[Path, ...]
    requests: int
    unlisted_documents: tuple[Path, ...]


def restore_newest_backup(paths: Paths) -> Restored:
    """Replace a missing, empty or damaged outbox with the newest backup that passes."""
    _refuse_if_sound(paths)
    candidates = generations(paths.backups_dir)
    skipped: list[tuple[Path, str]] = []
    for generation in candidates:
        staged = paths.data_dir / f"{temp_prefix()}restore.sqlite3"
        try:
            atomic_copy(generation.path, staged)
            _check_restorable(staged)
        except (OSError, sqlite3.Error, ValueError) as exc:
            system.remove(staged)
            skipped.append((generation.path, str(exc)))
            continue
        kept = _move_aside(paths.database)
        system.replace(staged, paths.database)
        fsync_dir(paths.data_dir)
        requests, unlisted = _survey(paths)
        return Restored(generation, tuple(skipped), kept, requests, unlisted)
    raise NoUsableBackup(
        folder=str(paths.backups_dir),
        tried=len(candidates),
        path=str(paths.database),
        docs=str(paths.docs_dir),
        stamped=str(paths.stamped_dir),
    )


def _refuse_if_sound(paths: Paths) -> None:
    """Only a missing, empty, unreadable or schema-less outbox is replaced. Read-only, so
    a damaged file is not touched by the look."""
    try:
        if paths.database.stat().st_size == 0:
            return
    except FileNotFoundError:
        return
    try:
        conn = sqlite3.connect(paths.database.absolute().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise StoreLocked(path=str(paths.database)) from exc
        return
    except sqlite3.Error:
        return
    finally:
        conn.close()
    if verdict == ["ok"] and version >= 1:
        raise NothingToRestore(path=str(paths.database))


def _check_restorable(copy: Path) -> None:
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            raise ValueError(f"integrity check: {verdict[0]}")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if not 1 <= version <= LATEST:
            raise ValueError(f"schema version {version}, this version knows 1 to {LATEST}")
        conn.execute("SELECT count(*) FROM requests").fetchone()
    finally:
        conn.close()


def _move_aside(database: Path) -> tuple[Path, ...]:
    """Rename the outbox and its log files to ``outbox.damaged-<time>.sqlite3[-wal|-shm]``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{database}{suffix}")
        if not source.exists():
            continue
        target = database.with_name(f"{database.stem}.damaged-{stamp}{database.suffix}{suffix}")
        system.replace(source, target)
        moved.append(target)
    fsync_dir(database.parent)
    return tuple(moved)


def _survey(paths: Paths) -> tuple[int, tuple[Path, ...]]:
    """How many requests came back, and the stored documents no request refers to: those
    were queued after the backup was taken, and must be added again."""
    box = Outbox.open(paths)
    try:
        known = box.known_documents()
        count = box.count()
    finally:
        box.close()
    unlisted = tuple(
        sorted(p for p in paths.docs_dir.glob("*.pdf") if p.stem not in known)
        if paths.docs_dir.is_dir()
        else ()
    )
    return count, unlisted
