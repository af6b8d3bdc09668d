"""Taking one complete file: stage it, queue it (or recognise or reject it), move it out.

Restart safety comes from *moving*, not from remembering: a ready file is first
renamed into ``<inbox>/.meterai-kiosk/<customer>/<token>/<name>`` (atomic, same
file system), queued from there, and then moved to ``outbox/<customer>/originals/``.
The token makes the staged path unique per drop, and intake records it as the
request's ``source_path``, so after a crash a staged file whose path a request
already names was queued (finish the move), and any other staged file was not
(queue it). The inbox itself only ever holds files nobody has taken, so a restart
never takes a file twice and never loses one. A rescan sees the whole state on
disk; nothing needs to be remembered in memory across restarts.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from meterai import system
from meterai.errors import InputError, MeteraiError, NotARegularFile, PdfRejected
from meterai.fsutil import (
    atomic_write_bytes,
    copy_no_overwrite,
    fsync_dir,
    open_regular,
    read_chunks,
)
from meterai.i18n import N_
from meterai.intake import queue_file
from meterai.kiosk.folder import SETTINGS_FILE, FolderDefaults, FolderSettingsInvalid
from meterai.messages import Message
from meterai.outbox.drops import DropIndex
from meterai.outbox.states import State
from meterai.outbox.store import Outbox, RequestRow
from meterai.settings import Paths

log = logging.getLogger(__name__)

STAGING = ".meterai-kiosk"
ORIGINALS = "originals"
_TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".swp", "~")


@dataclass(frozen=True)
class Layout:
    inbox: Path
    outbox: Path
    rejected: Path

    @property
    def staging(self) -> Path:
        return self.inbox / STAGING

    def out_dir(self, customer: str) -> Path:
        return self.outbox / customer

    def rejected_dir(self, customer: str) -> Path:
        return self.rejected / customer

    def folder_note(self, customer: str) -> Path:
        return self.rejected_dir(customer) / f"{SETTINGS_FILE}.txt"

    def customer_of(self, path: Path) -> str | None:
        """The customer a dropped file belongs to, or ``None`` for anything not a drop."""
        try:
            rel = path.relative_to(self.inbox)
        except ValueError:
            return None
        if len(rel.parts) != 2 or not is_drop(rel.parts[1]) or rel.parts[0].startswith("."):
            return None
        return rel.parts[0]


def is_special(path: Path) -> bool:
    """A named pipe, device or socket: refused at once, never waited for nor opened."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def is_drop(name: str) -> bool:
    """Files a customer dropped, not the folder's settings or a copy tool's temp file."""
    return not (
        name.startswith(".") or name == SETTINGS_FILE or name.lower().endswith(_TEMP_SUFFIXES)
    )


@dataclass(frozen=True)
class Taken:
    customer: str
    file: str
    request: RequestRow
    resumed: bool = False


@dataclass(frozen=True)
class Duplicate:
    customer: str
    file: str
    existing: RequestRow
    moved_to: Path


@dataclass(frozen=True)
class Rejected:
    customer: str
    file: str
    reason: str
    moved_to: Path


@dataclass(frozen=True)
class FolderInvalid:
    customer: str
    message: str
    note: Path


KioskEvent = Taken | Duplicate | Rejected | FolderInvalid


def stage(layout: Layout, customer: str, path: Path) -> Path | None:
    """Rename a ready file out of the customer's folder; ``None`` if it went meanwhile, or
    if its writer still holds it open (Windows refuses the rename then: a scanner or a
    copy that paused longer than the settle time). The next rescan looks at it again."""
    folder = layout.staging / customer / uuid.uuid4().hex[:16]
    folder.mkdir(parents=True)
    target = folder / path.name
    try:
        os.rename(path, target)
    except OSError as exc:
        folder.rmdir()
        if isinstance(exc, FileNotFoundError):
            return None
        if system.current.in_use(exc):
            log.info("%s is still open in the program writing it; taken later", path.name)
            return None
        raise
    fsync_dir(folder)
    fsync_dir(path.parent)
    return target


def staged_files(layout: Layout) -> list[tuple[str, Path]]:
    """Files a crash left staged: taken from the inbox, maybe queued, not yet moved out."""
    found: list[tuple[str, Path]] = []
    if not layout.staging.is_dir():
        return found
    for customer_dir in sorted(layout.staging.iterdir()):
        if not customer_dir.is_dir():
            continue
        for token in sorted(customer_dir.iterdir()):
            files = [p for p in token.iterdir() if not p.is_dir()] if token.is_dir() else []
            if not files and token.is_dir():
                token.rmdir()
            found += [(customer_dir.name, p) for p in files]
    return found


class Taker:
    """Settles staged files against the outbox; one per kiosk thread (it owns connections)."""

    def __init__(self, outbox: Outbox, paths: Paths, layout: Layout, drops: DropIndex) -> None:
        self.outbox = outbox
        self.paths = paths
        self.layout = layout
        self.drops = drops

    def settle(self, customer: str, staged: Path, defaults: FolderDefaults) -> KioskEvent:
        try:
            sha = sha256_of(staged)
        except NotARegularFile as exc:  # a pipe, device or socket: never read, refused
            return self._reject(customer, staged, reason_of(exc))
        source = str(staged.resolve())
        known = self._known(sha)
        mine = [r for r in known if r.source_path == source]
        if mine:
            self.drops.remember(sha, mine[0].id)
            self._move_original(customer, staged)
            return Taken(customer, staged.name, mine[0], resumed=True)
        if known:
            return self._duplicate(customer, staged, known[0])
        options = defaults.options(customer, self.layout.out_dir(customer))
        try:
            accepted = queue_file(self.outbox, self.paths, staged, options)
        except InputError as exc:
            return self._reject(customer, staged, reason_of(exc))
        self.drops.remember(sha, accepted.request.id)
        self._move_original(customer, staged)
        return Taken(customer, staged.name, accepted.request)

    def _known(self, sha: str) -> list[RequestRow]:
        """Live requests for these bytes: the outbox's own duplicate query (the bytes as
        given or as stored), and the drop index for fixed requests queued before the
        outbox kept the original's hash."""
        rows = self.outbox.find_by_original(sha)
        indexed = self.drops.request_for(sha)
        if indexed is not None and all(r.id != indexed for r in rows):
            rows.append(self.outbox.get(indexed))
        return [r for r in rows if r.state != State.CANCELLED]

    def _duplicate(self, customer: str, staged: Path, existing: RequestRow) -> Duplicate:
        template = N_(
            "Not stamped again: the same document (identical content) was received before "
            "as request {id} ({state}). No stamp was bought for this copy."
        )
        said = Message(template, {"id": existing.id, "state": str(existing.state)})
        if existing.sn:
            said = Message.joined(
                [said, Message(N_("Its serial number: {sn}."), {"sn": existing.sn})], " "
            )
        moved = self._move_rejected(customer, staged, said)
        return Duplicate(customer, staged.name, existing, moved)

    def _reject(self, customer: str, staged: Path, reason: Message) -> Rejected:
        moved = self._move_rejected(customer, staged, reason)
        return Rejected(customer, staged.name, reason.text(), moved)

    def _move_rejected(self, customer: str, staged: Path, reason: Message) -> Path:
        folder = self.layout.rejected_dir(customer)
        moved = move_no_overwrite(staged, folder, staged.name)
        heading = Message(N_("{file} was not stamped."), {"file": staged.name})
        text = note(Message.joined([heading, reason], "\n"))
        atomic_write_bytes(folder / f"{moved.name}.txt", text.encode("utf-8"))
        _drop_token_dir(staged)
        return moved

    def _move_original(self, customer: str, staged: Path) -> None:
        move_no_overwrite(staged, self.layout.out_dir(customer) / ORIGINALS, staged.name)
        _drop_token_dir(staged)

    def folder_invalid(self, customer: str, error: FolderSettingsInvalid) -> FolderInvalid | None:
        """Write the bilingual note once per distinct problem; ``None`` if already written."""
        path = self.layout.folder_note(customer)
        text = note(error.message()).encode("utf-8")
        try:
            if path.read_bytes() == text:
                return None
        except OSError:
            pass
        atomic_write_bytes(path, text)
        return FolderInvalid(customer, error.user_message(), path)

    def folder_valid(self, customer: str) -> None:
        """Settings fixed: the old note would only mislead."""
        self.layout.folder_note(customer).unlink(missing_ok=True)


def move_no_overwrite(src: Path, folder: Path, name: str) -> Path:
    """Move ``src`` into ``folder`` as ``name`` (`` (2)`` etc. if taken), across file systems
    too; a hard link claims the name atomically where the file system allows."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    candidate, n = folder / name, 2
    while True:
        try:
            os.link(src, candidate)
            break
        except FileExistsError:
            candidate, n = folder / f"{stem} ({n}){suffix}", n + 1
        except OSError as exc:
            if not system.cannot_link(exc):
                raise
            if not src.is_file():  # a pipe or a device holds no bytes to carry over
                break
            candidate = copy_no_overwrite(src, folder, name)
            break
    fsync_dir(folder)
    system.remove(src)
    fsync_dir(src.parent)
    return candidate


def _drop_token_dir(staged: Path) -> None:
    with contextlib.suppress(OSError):
        staged.parent.rmdir()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in read_chunks(fh):
            digest.update(chunk)
    return digest.hexdigest()


def reason_of(exc: MeteraiError) -> Message:
    """Why a file was refused. A pre-flight rejection names its findings only: its hint
    about ``--no-fix`` speaks to a user at the command line, not to a kiosk's customer."""
    if isinstance(exc, PdfRejected) and exc.findings:
        reasons = Message.sentences([f.message for f in exc.findings])
        return Message(exc.message_id, {"file": str(exc.params.get("file", "")), "reason": reasons})
    return exc.message()


def note(message: Message) -> str:
    """A text left on disk for people who read either language: the operator and, often,
    the customer it belongs to, long after the process that wrote it chose a language.
    One block per language, Indonesian first, whatever ``--lang`` says."""
    return "\n\n".join(message.in_each_language().values()) + "\n"
