"""Plain functions the GUI runs on worker threads (never on the GUI thread).

Each is Qt-free and does the disk or PDF work for one user action, so the widgets
only ever receive finished values; the CLI has the same operations in ``core``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.errors import MeteraiError
from meterai.outbox.states import ACTIVE, State

if TYPE_CHECKING:
    # pikepdf and pypdf are imported by ``inspect`` on a worker, the first time a file is
    # added, so opening the window does not wait for them.
    from meterai.balance import LowBalance
    from meterai.documents import Fix, PreflightReport
    from meterai.outbox.store import Outbox
    from meterai.placement import PageGeometry
    from meterai.settings import Settings


@dataclass(frozen=True)
class Inspection:
    """What the add dialog needs about one file: the verdict and a preview to place on.

    ``preview`` is the bytes the stamp will land on (the fixed copy when fixes ran),
    read into memory so the GUI renders it without touching the disk.
    """

    path: Path
    original: PreflightReport
    report: PreflightReport
    applied: tuple[Fix, ...]
    preview: bytes | None
    pages: tuple[PageGeometry, ...]
    geometry_error: MeteraiError | None = None


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Dropped files and folders to the PDFs they hold (folders searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf"))
        elif path.is_file():
            found.append(path)
    return list(dict.fromkeys(found))


def inspect(path: Path, target: str, allow: Collection[Fix] | None = None) -> Inspection:
    """Intake's verdict on ``path`` (``intake.examine``: pre-flight and the allowed fixes,
    into a temporary copy) and the pages the stamp will land on.

    The same fixes run again in ``intake.prepare`` on confirm and give the same pages
    (fitting to A4 included), so a stamp placed on the preview lands where it was put.
    """
    from meterai.documents import AUTOMATIC_FIXES
    from meterai.intake import examine
    from meterai.placement import page_count, page_geometry

    allow = AUTOMATIC_FIXES if allow is None else allow
    with tempfile.TemporaryDirectory(prefix="meterai-desk-") as work:
        seen = examine(path, target, allow, lambda: Path(work))
        verdict = (path, seen.original, seen.report, seen.applied)
        if seen.report.page_count is None:
            return Inspection(*verdict, None, ())
        fixed = seen.document
        try:
            pages = tuple(page_geometry(fixed, i) for i in range(page_count(fixed)))
        except MeteraiError as exc:
            return Inspection(*verdict, None, (), exc)
        return Inspection(*verdict, fixed.read_bytes(), pages)


@dataclass(frozen=True)
class Tally:
    """The numbers the status bar shows."""

    pending: int
    attention: int
    done_today: int


def tally(box: Outbox, now: dt.datetime | None = None) -> Tally:
    midnight = (now or dt.datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return Tally(
        pending=box.count(states=ACTIVE),
        attention=box.count(states=[State.NEEDS_ATTENTION]),
        done_today=box.done_since(midnight.timestamp()),
    )


def balance_warning(balance: int, settings: Settings) -> LowBalance | None:
    """The CLI's low-balance rule (``meterai.balance``), imported here on a worker."""
    from meterai.balance import low_balance

    return low_balance(balance, settings)
