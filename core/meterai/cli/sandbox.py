"""``meterai sandbox``: run the local provider, manage its test accounts, read its ledger.

``--data-dir`` after ``sandbox <command>`` names the sandbox's own folder; without
it the sandbox lives in ``sandbox/`` under the app's data dir (the global
``--data-dir`` moves that too).
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from meterai.cli.context import CliContext
from meterai.errors import UsageError
from meterai.i18n import N_, _

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "sandbox", help=_("run the local test provider (no account, no internet needed)")
    )
    sub = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND")
    sub.required = True

    serve = sub.add_parser("serve", help=_("serve the provider API on 127.0.0.1"))
    _data_dir_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help=_("only 127.0.0.1 is allowed"))
    serve.add_argument("--port", type=int, default=0, help=_("port to listen on (0: any free)"))
    serve.add_argument("--faults", help=_("JSON file with fault-injection rules"))
    serve.add_argument("--http", action="store_true", help=_("plain HTTP instead of HTTPS"))
    serve.add_argument(
        "--stop-when-stdin-closes",
        action="store_true",
        help=_("stop when standard input closes (how a parent app ends its child)"),
    )
    serve.add_argument(
        "--token-lifetime", type=float, default=24 * 3600.0, help=_("token lifetime in seconds")
    )
    serve.add_argument(
        "--retention",
        type=float,
        default=72 * 3600.0,
        help=_("seconds a stamped result stays downloadable"),
    )
    serve.add_argument(
        "--signing-processes",
        type=_processes,
        default=0,
        metavar="N",
        help=_("sign stamps in N worker processes (0: on the server's own threads)"),
    )
    serve.set_defaults(func=serve_handler)

    account = sub.add_parser("account", help=_("manage sandbox test accounts"))
    account_sub = account.add_subparsers(dest="account_command", metavar="COMMAND")
    account_sub.required = True
    add = account_sub.add_parser("add", help=_("create a test account with a stamp balance"))
    add.add_argument("user", help=_("user name"))
    add.add_argument("--balance", type=int, required=True, help=_("number of stamps"))
    add.add_argument("--password", help=_("password (asked for when omitted)"))
    _data_dir_option(add)
    add.set_defaults(func=account_add_handler)

    ledger = sub.add_parser("ledger", help=_("show every serial number the sandbox issued"))
    ledger.add_argument("--json", action="store_true", help=_("print the ledger as JSON"))
    _data_dir_option(ledger)
    ledger.set_defaults(func=ledger_handler)


def _processes(text: str) -> int:
    """A count of signing processes: a whole number from 0 (sign on threads) upwards."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise UsageError(
            N_("--signing-processes takes a number of processes from 0, not '{value}'."),
            value=text,
        )
    return count


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", dest="sandbox_data_dir", help=_("the sandbox's own data folder")
    )


def _sandbox_dir(args: argparse.Namespace, ctx: CliContext) -> Path:
    chosen = getattr(args, "sandbox_data_dir", None)
    return Path(chosen).expanduser().resolve() if chosen else ctx.paths.sandbox_dir


def serve_handler(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.sandbox.server import SandboxServer, load_fault_file

    plan = load_fault_file(args.faults) if args.faults else None
    server = SandboxServer(
        _sandbox_dir(args, ctx),
        host=args.host,
        port=args.port,
        tls=not args.http,
        faults=plan,
        token_lifetime=args.token_lifetime,
        retention=args.retention,
        signing_processes=args.signing_processes,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    if args.stop_when_stdin_closes:
        _stop_at_end_of(sys.stdin.fileno(), stop)
    base_url = server.start()
    try:
        # A fixed, untranslated line: scripts and tests wait for it and parse it.
        _in_utf8(ctx.out)
        ctx.print(f"sandbox ready: {base_url} ca: {server.ca_file}")
        ctx.out.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    ctx.warn(_("Sandbox stopped."))
    return 0


def _stop_at_end_of(fd: int, stop: threading.Event) -> None:
    """Set ``stop`` once ``fd`` reaches its end: the parent that holds the pipe's other
    end has closed it or died, however it died (SIGKILL included), on every OS."""

    def watch() -> None:
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch, name="meterai-parent-watch", daemon=True).start()


def account_add_handler(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.sandbox.ledger import Ledger
    from meterai.sandbox.server import DATABASE_NAME

    if args.balance < 0:
        raise UsageError(detail=_("the balance cannot be negative"))
    password = args.password
    if password is None:
        password = getpass.getpass(_("Password for {user}: ").format(user=args.user))
    if not password:
        raise UsageError(detail=_("the password cannot be empty"))
    ledger = Ledger(_sandbox_dir(args, ctx) / DATABASE_NAME)
    try:
        account = ledger.add_account(args.user, password, args.balance)
    finally:
        ledger.close()
    ctx.print(
        _("Sandbox account {user} created with {balance} stamps.").format(
            user=account.user, balance=account.balance
        )
    )
    return 0


def ledger_handler(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.sandbox.ledger import Ledger
    from meterai.sandbox.server import DATABASE_NAME

    ledger = Ledger(_sandbox_dir(args, ctx) / DATABASE_NAME)
    try:
        snapshot = ledger.snapshot()
    finally:
        ledger.close()
    if args.json:
        ctx.print(json.dumps(snapshot, indent=2))
        return 0
    for account in snapshot["accounts"]:
        ctx.print(
            _("{user}: {balance} stamps left, {spent} spent").format(
                user=account["user"], balance=account["balance"], spent=account["spent"]
            )
        )
        for serial in account["serials"]:
            ctx.print(
                f"  {serial['sn']}  {serial['status']:<8}  x{serial['stamp_count']}  "
                f"{serial['nodoc'] or ''}  {serial['namafile'] or ''}"
            )
    return 0


def _in_utf8(out: object) -> None:
    """The ready line is read by a program (the app, a script) as UTF-8. Piped on Windows
    it would be in the ANSI code page (cp1252), where a CA path under a user folder named
    outside it (``Đặng``) came out as ``?`` and the app's sandbox never started."""
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(encoding="utf-8")
