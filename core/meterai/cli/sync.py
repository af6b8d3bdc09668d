"""``meterai sync``, ``retry`` and ``recover``: drive the outbox through the provider."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meterai import disk, doctypes, system
from meterai.balance import low_balance
from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_PENDING
from meterai.errors import MeteraiError
from meterai.i18n import N_, _
from meterai.kiosk.ledger import Unaccounted, unaccounted
from meterai.outbox.rows import heard_from_provider
from meterai.outbox.states import ACTIVE, State, state_label
from meterai.outbox.store import RequestRow
from meterai.settings import Paths
from meterai.sync.events import (
    BytesMoved,
    Connectivity,
    Deadline,
    Event,
    NeedsAttention,
    StateChanged,
    Subscriber,
    Waiting,
)
from meterai.sync.runner import SyncRunner

if TYPE_CHECKING:
    from meterai.sync.engine import ReconcileReport

if TYPE_CHECKING:
    from rich.progress import TaskID

    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    sync = sub.add_parser(
        "sync",
        help=_("send queued requests to the provider and collect results"),
        epilog=_(
            "Exit status of --once: 0 every request is done (or nothing was due), "
            "1 a request needs attention, 4 requests are still waiting (a backoff, the "
            "provider's queue, or nothing moved before the printed deadline): run it again "
            "later."
        ),
    )
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument(
        "--once",
        action="store_true",
        help=_(
            "stop when nothing is due, or when nothing moves before the printed deadline (default)"
        ),
    )
    mode.add_argument("--watch", action="store_true", help=_("keep running and syncing"))
    sync.add_argument(
        "--json",
        action="store_true",
        help=_("one JSON object per event, on a line of its own (JSON Lines), instead of words"),
    )
    sync.add_argument(
        "--concurrency",
        type=int,
        default=2,
        metavar="K",
        help=_("requests in flight at once (1 to 8)"),
    )
    sync.set_defaults(func=run_sync)

    retry = sub.add_parser("retry", help=_("send a request that needs attention again"))
    retry.add_argument("id", type=int, help=_("request id"))
    retry.add_argument(
        "--type",
        dest="doc_type",
        metavar="CODE",
        help=_(
            "confirm or change the document type of a request held because the provider "
            "gave its code another meaning (meterai types lists the codes)"
        ),
    )
    retry.set_defaults(func=run_retry)

    recover = sub.add_parser(
        "recover", help=_("reconcile with the provider: serial numbers bought but not used")
    )
    recover.add_argument(
        "--restore",
        action="store_true",
        help=_("rebuild a missing, empty or damaged outbox from the newest good backup"),
    )
    recover.add_argument(
        "--json", action="store_true", help=_("machine-readable output (one JSON object)")
    )
    recover.set_defaults(func=run_recover)
    register_adopt(recover)


def register_adopt(recover: argparse.ArgumentParser) -> None:
    recover.add_argument(
        "--adopt",
        metavar="SN",
        help=_(
            "take an unused serial number of the account that this app did not buy "
            "(another counter's, the portal's) for the next document; only if nobody else "
            "will use it"
        ),
    )


class Quarters:
    """Progress worth reporting: each request's transfer at 0, 25, 50, 75 and 100%, not
    every chunk (a log, a pipe or a script reading JSON lines wants five, not thousands)."""

    def __init__(self) -> None:
        self._last: dict[int, int] = {}

    def passed(self, event: BytesMoved) -> int | None:
        """The quarter this transfer has just reached, or None if it is still in the last one."""
        if not event.total:
            return None
        percent = int(100 * event.done / event.total) // 25 * 25
        if self._last.get(event.request_id) == percent:
            return None
        self._last[event.request_id] = percent
        return percent


class LinePrinter:
    """Plain progress lines: readable in a log file, a kiosk's terminal, or a pipe."""

    def __init__(self, ctx: CliContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._quarters = Quarters()

    def __call__(self, event: Event) -> None:
        line = self._line(event)
        if line:
            with self._lock:
                self.ctx.print(line)

    def _line(self, event: Event) -> str | None:
        if isinstance(event, StateChanged):
            row = event.row
            sn = f" {row.sn}" if row.sn else ""
            return f"[{row.id}] {state_label(row.state)}{sn}  {row.file_name}"
        if isinstance(event, Waiting):
            when = datetime.fromtimestamp(event.until).strftime("%H:%M:%S")
            heard = heard_from_provider(event.queue_position, event.provider_message)
            queue = f" ({heard.text()})" if heard else ""
            return _("[{id}] waiting until {when}: {reason}{queue}").format(
                id=event.request_id, when=when, reason=event.reason, queue=queue
            )
        if isinstance(event, NeedsAttention):
            return _("[{id}] needs attention: {message}").format(
                id=event.row.id, message=event.message
            )
        if isinstance(event, Deadline):
            when = datetime.fromtimestamp(event.until).strftime("%H:%M:%S")
            return _("will stop at {when} if nothing moves").format(when=when)
        if isinstance(event, Connectivity):
            if event.online:
                return _("provider reachable")
            return event.detail or _("provider unreachable")
        if isinstance(event, BytesMoved):
            percent = self._quarters.passed(event)
            if percent is not None:
                return _(_TRANSFERS[event.phase]).format(id=event.request_id, percent=percent)
        return None


# A transfer's progress line, whole, so that word order is the translator's.
_TRANSFERS = {
    "upload": N_("[{id}] upload {percent}%"),
    "download": N_("[{id}] download {percent}%"),
}


class JsonPrinter:
    """``sync --json``: one JSON line per event, as it happens, for a script or a kiosk's
    dashboard. Progress is sent in quarters, as the plain lines are."""

    def __init__(self, ctx: CliContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._quarters = Quarters()

    def __call__(self, event: Event) -> None:
        body = self._body(event)
        if body is not None:
            with self._lock:
                self.ctx.emit(body)

    def _body(self, event: Event) -> dict[str, Any] | None:
        if isinstance(event, BytesMoved):
            if self._quarters.passed(event) is None:
                return None
            moved = {"phase": event.phase, "done": event.done, "total": event.total}
            return {"event": "progress", "id": event.request_id, **moved}
        if isinstance(event, StateChanged):
            return {"event": "state_changed", "from": event.from_state, **_row_json(event.row)}
        if isinstance(event, Waiting):
            return {
                "event": "waiting",
                "id": event.request_id,
                "until": event.until,
                "reason": event.reason,
                "queue_position": event.queue_position,
                "provider_message": event.provider_message,
            }
        if isinstance(event, NeedsAttention):
            return {"event": "needs_attention", "message": event.message, **_row_json(event.row)}
        if isinstance(event, Deadline):
            return {"event": "deadline", "until": event.until}
        if isinstance(event, Connectivity):
            return {"event": "connectivity", "online": event.online, "detail": event.detail}
        return None


def _row_json(row: RequestRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": str(row.state),
        "state_label": state_label(row.state),
        "sn": row.sn,
        "file": row.file_name,
    }


class BarPrinter:
    """Per-request progress bars for a person at a terminal (rich redraws them in place)."""

    def __init__(self, ctx: CliContext) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        self._lines = LinePrinter(ctx)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            console=Console(file=ctx.out),
            transient=False,
        )
        self._tasks: dict[int, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> BarPrinter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StateChanged):
                task = self._task(event.row.id, event.row.file_name)
                self.progress.update(
                    task,
                    description=f"[{event.row.id}] "
                    f"{state_label(event.row.state)}  {event.row.file_name}",
                )
            elif isinstance(event, BytesMoved):
                task = self._task(event.request_id, "")
                self.progress.update(task, completed=event.done, total=event.total)
            else:
                line = self._lines._line(event)
                if line:
                    self.progress.console.print(line)

    def _task(self, request_id: int, name: str) -> TaskID:
        if request_id not in self._tasks:
            self._tasks[request_id] = self.progress.add_task(f"[{request_id}] {name}", total=None)
        return self._tasks[request_id]


def run_sync(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.json:
        return _run_sync(args, ctx, JsonPrinter(ctx))
    if ctx.out.isatty():
        with BarPrinter(ctx) as bars:
            return _run_sync(args, ctx, bars)
    return _run_sync(args, ctx, LinePrinter(ctx))


def _run_sync(args: argparse.Namespace, ctx: CliContext, printer: Subscriber) -> int:
    with disk.mapped(ctx.paths.data_dir, needed=lambda: room_for_results(ctx.paths)):
        return _drain(args, ctx, printer)


# A stamped copy is the document plus the provider's signature: a CMS blob with its
# certificate chain and timestamp (the sandbox's are about 15 kB) and the QR image.
SIGNATURE_ALLOWANCE = 64 * 1024


def room_for_results(paths: Paths) -> int:
    """What the stamped copies of the requests still to finish will take in the data folder."""
    from meterai.documents import DocumentStore
    from meterai.outbox.store import Outbox

    try:
        box = Outbox.open_read_only(paths)
    except (MeteraiError, OSError):
        return 0
    try:
        store = DocumentStore(paths.data_dir)
        pending = [r for r in box.requests() if r.state in ACTIVE]
        documents = disk.size_of(store.path_for(r.doc_sha256) for r in pending)
    finally:
        box.close()
    return documents + SIGNATURE_ALLOWANCE * len(pending)


def _drain(args: argparse.Namespace, ctx: CliContext, printer: Subscriber) -> int:
    if not args.watch:
        moved, finished = threading.Event(), threading.Event()
        runner = SyncRunner(
            ctx.paths,
            ctx.settings,
            concurrency=args.concurrency,
            events=_noting_the_first_move(printer, moved),
        )
        runner.open()
        warming = threading.Thread(
            target=_keep_what_the_start_built, args=(moved, finished), name="meterai-warm"
        )
        warming.start()
        try:
            summary = runner.run_once()
        finally:
            finished.set()
            moved.set()
            warming.join()
            runner.close()
        _warn_if_low(ctx, runner.balance)
        return _once_status(ctx, summary.done, summary.attention, as_json=args.json)
    runner = SyncRunner(ctx.paths, ctx.settings, concurrency=args.concurrency, events=printer)
    stop = threading.Event()
    for stop_signal in system.STOP_SIGNALS:
        signal.signal(stop_signal, lambda *_: stop.set())
    runner.start()
    try:
        while not stop.wait(1.0) and not ctx.output_closed:
            pass  # a --json reader that went away stops the watch: nobody sees it
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
    print(_("Stopped; the outbox is intact."), file=sys.stderr)
    return EXIT_OK


def _noting_the_first_move(printer: Subscriber, moved: threading.Event) -> Subscriber:
    def events(event: Event) -> None:
        if isinstance(event, StateChanged):
            moved.set()
        printer(event)

    return events


def _keep_what_the_start_built(moved: threading.Event, finished: threading.Event) -> None:
    """Take what the start built (modules, classes, connections; the checker's too, which
    every stamp needs) out of the cyclic garbage collector's sight: it lives until the
    process exits. Each full collection walked all of it (some 80,000 objects, 50-90 ms)
    while documents were verified, and so did the exit (about 0.2 s of every
    ``sync --once``, paid by every counter that starts one).

    It runs beside the drain, not before it: the checker's imports (pyHanko, with
    aiohttp behind it) took 0.3-0.9 s, and the first uploads, which wait on the
    provider's round trips, need none of it. It waits for the first move, too: until
    then the start (imports, connections, the first claims) is all the CPU does, and
    at three counters on two cores the checker's 0.25 CPU-s of each held the others'
    first uploads back; after it, the workers wait on the provider (a stamp to check
    comes three round trips later). A run that moves nothing never loads it. Objects
    the drain makes meanwhile are frozen too and kept until the exit: a few requests'
    worth, once."""
    import gc

    moved.wait()
    if finished.is_set():
        return  # the run is over: nothing is left to check
    from meterai.verify import load_checker

    load_checker()
    gc.freeze()


def _once_status(ctx: CliContext, done: int, attention: int, *, as_json: bool = False) -> int:
    """1 when a person must act, else 4 while work is left for a later run, else 0;
    said in words, or as the last JSON line (``summary``) with the same exit code."""
    box = ctx.outbox()
    needs_attention = box.count(states=[State.NEEDS_ATTENTION])
    waiting = box.count(states=ACTIVE)
    code = EXIT_FAILED if needs_attention else EXIT_PENDING if waiting else EXIT_OK
    if as_json:
        ctx.emit(
            {
                "event": "summary",
                "done": done,
                "attention": attention,
                "needs_attention": needs_attention,
                "waiting": waiting,
                "exit_code": code,
            }
        )
        return code
    ctx.print(_("{done} done, {attention} need attention").format(done=done, attention=attention))
    if code == EXIT_PENDING:
        ctx.print(_("Requests are still waiting; run sync again later."))
    return code


def _warn_if_low(ctx: CliContext, balance: int | None) -> None:
    warning = low_balance(balance, ctx.settings)
    if warning is not None:
        ctx.warn(warning.message().text())


def run_retry(args: argparse.Namespace, ctx: CliContext) -> int:
    if getattr(args, "doc_type", None):
        return run_confirm_type(args, ctx)
    row = ctx.outbox().retry(args.id)
    ctx.print(_("queued again {id} {file}").format(id=row.id, file=row.file_name))
    return EXIT_OK


def run_confirm_type(args: argparse.Namespace, ctx: CliContext) -> int:
    """The type is checked against the list the user sees now (the provider's, once
    fetched), and stored with that list's name for it: the meaning being confirmed."""
    from meterai.intake import UnknownDocType

    box = ctx.outbox()
    types, _from_provider = doctypes.cached_types(box)
    chosen = doctypes.find(types, args.doc_type)
    if chosen is None:
        raise UnknownDocType(kode=args.doc_type, known=", ".join(t.kode for t in types))
    row = box.confirm_doc_type(args.id, chosen.kode, chosen.nama)
    ctx.print(
        _("queued again {id} {file} as type {code} ({name})").format(
            id=row.id, file=row.file_name, code=chosen.kode, name=chosen.nama
        )
    )
    return EXIT_OK


def run_adopt(args: argparse.Namespace, ctx: CliContext) -> int:
    runner = SyncRunner(ctx.paths, ctx.settings)
    runner.open()
    try:
        sn = runner.adopt(args.adopt)
    finally:
        runner.close()
    if args.json:
        ctx.emit({"adopted": sn})
        return EXIT_OK
    ctx.print(_("adopted {sn}: the next document will use it instead of buying").format(sn=sn))
    return EXIT_OK


def run_recover(args: argparse.Namespace, ctx: CliContext) -> int:
    if getattr(args, "adopt", None):
        return run_adopt(args, ctx)
    if getattr(args, "restore", False):
        from meterai.cli.restore import run_restore

        return run_restore(args, ctx)
    runner = SyncRunner(ctx.paths, ctx.settings)
    runner.open()
    try:
        report = runner.reconcile()
        charged = runner.charged_serials()
    finally:
        runner.close()
    box = ctx.outbox()
    foreign = [u for u in unaccounted(charged, box) if not u.unused_known]
    if args.json:
        ctx.emit(_recovered_json(report, box.orphans(), foreign))
        return EXIT_OK
    for sn in report.adopted:
        ctx.print(_("recovered {sn}: attached to the request that bought it").format(sn=sn))
    for sn in box.orphans():
        ctx.print(
            _("unused {sn}: will be given to the next request instead of buying").format(sn=sn)
        )
    for sn in report.stamped_unknown:
        ctx.print(
            _("stamped {sn}: bought by this app but not in the outbox (restored backup?)").format(
                sn=sn
            )
        )
    for item in foreign:
        if item.sn not in report.stamped_unknown:
            ctx.print(
                _("charged {sn}: the provider billed it, no request here holds it").format(
                    sn=item.sn
                )
            )
    if any(not item.stamped for item in foreign):
        ctx.print(
            _(
                "An unused serial number listed as charged can be used here with "
                "meterai recover --adopt SN, if no other counter will use it."
            )
        )
    if not (report.adopted or box.orphans() or report.stamped_unknown or foreign):
        ctx.print(_("Nothing to recover: every serial number is accounted for."))
    return EXIT_OK


def _recovered_json(
    report: ReconcileReport, unused: list[str], foreign: list[Unaccounted]
) -> dict[str, Any]:
    """``recover --json``: the serial numbers each line of the words names, by kind."""
    charged = [
        {"sn": item.sn, "stamped": item.stamped}
        for item in foreign
        if item.sn not in report.stamped_unknown
    ]
    return {
        "recovered": list(report.adopted),
        "unused": list(unused),
        "stamped_unknown": list(report.stamped_unknown),
        "charged_unaccounted": charged,
        "nothing_to_recover": not (report.adopted or unused or report.stamped_unknown or foreign),
    }
