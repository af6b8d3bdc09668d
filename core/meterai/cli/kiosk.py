"""``meterai kiosk``: watch customer folders, stamp what is dropped, keep going through outages."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from meterai import system
from meterai.balance import LowBalance
from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.cli.sync import LinePrinter
from meterai.errors import UsageError
from meterai.i18n import N_, _
from meterai.kiosk import (
    Duplicate,
    FolderDefaults,
    FolderInvalid,
    Kiosk,
    KioskConfig,
    KioskEvent,
    Rejected,
    Taken,
)
from meterai.kiosk.service import default_rejected
from meterai.kiosk.settle import SettleRules
from meterai.kiosk.setup import DEFAULT_CONCURRENCY, DEFAULT_SETTLE, check_layout
from meterai.messages import Message

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "kiosk", help=_("watch customer folders and stamp every PDF dropped into them")
    )
    parser.add_argument(
        "--inbox", required=True, metavar="DIR", help=_("one subfolder per customer")
    )
    parser.add_argument(
        "--outbox", required=True, metavar="DIR", help=_("stamped files go to DIR/<customer>/")
    )
    parser.add_argument(
        "--rejected",
        metavar="DIR",
        help=_("refused files go to DIR/<customer>/ (default: 'rejected' beside the inbox)"),
    )
    parser.add_argument(
        "--type",
        dest="doc_type",
        metavar="KODE",
        help=_("document type for folders whose kiosk.json names none"),
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="K",
        help=_("requests in flight at once (1 to 8)"),
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=DEFAULT_SETTLE,
        metavar="SECONDS",
        help=_("how long a file must stay unchanged before it is taken"),
    )
    parser.set_defaults(func=run)


class KioskPrinter:
    """One line per file decision, beside the sync engine's lines."""

    def __init__(self, ctx: CliContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()

    def __call__(self, event: KioskEvent | LowBalance) -> None:
        text = self._line(event)
        with self._lock:
            if isinstance(event, LowBalance | Rejected | FolderInvalid | Duplicate):
                self.ctx.warn(text)
            else:
                self.ctx.print(text)

    @staticmethod
    def _line(event: KioskEvent | LowBalance) -> str:
        if isinstance(event, Taken):
            return _("[{id}] taken from {customer}: {file}").format(
                id=event.request.id, customer=event.customer, file=event.file
            )
        if isinstance(event, Duplicate):
            return _(
                "{customer}/{file}: already received as request {id}; not bought again"
            ).format(customer=event.customer, file=event.file, id=event.existing.id)
        if isinstance(event, Rejected):
            return _("{customer}/{file} refused: {reason}").format(
                customer=event.customer, file=event.file, reason=event.reason
            )
        if isinstance(event, FolderInvalid):
            return _("{customer}: {message}").format(customer=event.customer, message=event.message)
        return event.message().text()


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    if not 0 < args.settle <= 600:
        raise UsageError(_("--settle takes a number of seconds from 0 to 600."))
    config = _config(args)
    kiosk = Kiosk(
        ctx.paths,
        ctx.settings,
        config,
        listener=KioskPrinter(ctx),
        sync_events=LinePrinter(ctx),
    )
    stop = threading.Event()
    for stop_signal in system.STOP_SIGNALS:
        signal.signal(stop_signal, lambda *_: stop.set())
    ctx.print(
        _("Watching {inbox}; stamped files go to {outbox}. Stop with Ctrl+C.").format(
            inbox=config.inbox, outbox=config.outbox
        )
    )
    with contextlib.suppress(KeyboardInterrupt):
        kiosk.run(stop)
    print(_("Stopped; the outbox is intact."), file=sys.stderr)
    return EXIT_OK


def _config(args: argparse.Namespace) -> KioskConfig:
    inbox, outbox, rejected = checked_folders(args)
    return KioskConfig(
        inbox=inbox,
        outbox=outbox,
        rejected=rejected,
        defaults=FolderDefaults(doc_type=args.doc_type),
        concurrency=args.concurrency,
        rules=SettleRules(settle=args.settle, grace=min(0.3, args.settle)),
    )


def checked_folders(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Inbox, outbox and rejected folder, checked as the GUI's kiosk dialog checks them and
    before anything starts: an outbox inside the inbox would make the kiosk take its own
    results as new documents and buy a stamp for each."""
    for option in ("inbox", "outbox", "rejected"):
        value = getattr(args, option)
        if value is not None and not value.strip():
            # Path("") is the working folder: an unset variable in a script would watch it.
            raise UsageError(
                N_("{option} needs a folder, not an empty text."), option=f"--{option}"
            )
    inbox = _absolute(args.inbox)
    outbox = _absolute(args.outbox)
    rejected = _absolute(args.rejected) if args.rejected is not None else None
    problems = check_layout(inbox, outbox, rejected)
    if problems:
        raise UsageError(detail=Message.joined([p.message for p in problems], "\n"))
    return inbox, outbox, rejected if rejected is not None else default_rejected(inbox)


def _absolute(folder: str) -> Path:
    return Path(folder).expanduser().resolve()
