"""``meterai report``: the day's stamps with customer, cost and totals, for the operator's books.

On a shared database it is the whole account's day, every counter's, with totals per
counter and per customer, set against the provider's list of serial numbers."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meterai.balance import low_balance
from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.errors import UsageError
from meterai.fsutil import atomic_write_bytes
from meterai.i18n import _
from meterai.kiosk.ledger import (
    DayLedger,
    ProviderView,
    ask_provider,
    build_ledger,
    csv_rows,
    rupiah,
)
from meterai.outbox.postgres.counter import counter_name as this_counter

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "report", help=_("the day's stamps: customer, file, serial number, cost and totals")
    )
    parser.add_argument("--day", metavar="YYYY-MM-DD", help=_("the day to report (default: today)"))
    parser.add_argument(
        "--format", choices=("csv", "pdf"), default="csv", help=_("csv (default) or pdf")
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=_("where to write it (csv default: standard output; pdf: meterai-report-DAY.pdf)"),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=_("the ledger as one JSON object (to standard output, or --out FILE)"),
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help=_("do not ask the provider for the balance and its serial numbers"),
    )
    parser.set_defaults(func=run)


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(_("--day takes a date as YYYY-MM-DD.")) from exc


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    day = _day(args.day)
    outbox = ctx.outbox()
    view = (
        ProviderView(None, None) if args.offline else ask_provider(ctx.paths, ctx.settings, outbox)
    )
    ledger = build_ledger(outbox, day, view, this_counter(ctx.paths))
    if args.json:
        _write_json(ledger, args.out, ctx)
    elif args.format == "csv":
        _write_csv(ledger, args.out, ctx)
    else:
        dest = Path(args.out or f"meterai-report-{day.isoformat()}.pdf")
        _write_pdf(ledger, dest)
        ctx.print(_("Report written to {path}").format(path=dest))
    _warnings(ledger, ctx)
    return EXIT_OK


def _write_csv(ledger: DayLedger, out: str | None, ctx: CliContext) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(csv_rows(ledger, _("unknown")))
    if out:
        atomic_write_bytes(Path(out), buf.getvalue().encode("utf-8"))
    else:
        ctx.write(buf.getvalue())


def _write_json(ledger: DayLedger, out: str | None, ctx: CliContext) -> None:
    text = json.dumps(ledger_json(ledger), ensure_ascii=False, indent=2) + "\n"
    if out:
        atomic_write_bytes(Path(out), text.encode("utf-8"))
    else:
        ctx.write(text)


def ledger_json(ledger: DayLedger) -> dict[str, Any]:
    """``report --json``: every figure of the CSV and the PDF, as numbers (rupiah, not
    "Rp10.000"); ``unaccounted`` and ``reconciled`` are null when the provider was not asked."""
    lines = [{**asdict(line), "at": line.at.isoformat()} for line in ledger.lines]
    unaccounted = None if ledger.unaccounted is None else [asdict(u) for u in ledger.unaccounted]
    return {
        "day": ledger.day.isoformat(),
        "lines": lines,
        "count": len(ledger.lines),
        "total": ledger.total,
        "by_counter": [
            {"counter": counter, "count": count, "amount": amount}
            for counter, count, amount in ledger.by_counter()
        ],
        "by_customer": [
            {"counter": counter, "customer": customer, "count": count, "amount": amount}
            for counter, customer, count, amount in ledger.by_customer()
        ],
        "balance": ledger.balance,
        "reconciled": ledger.reconciled,
        "disputed": [line.request_id for line in ledger.disputed],
        "unaccounted": unaccounted,
    }


def _write_pdf(ledger: DayLedger, dest: Path) -> None:
    from meterai.kiosk.report_pdf import write_table_pdf  # fpdf2 loads for --format pdf only

    header = [
        _("No"),
        _("Customer"),
        _("File"),
        _("Type"),
        _("Serial number"),
        _("Time"),
        _("Cost"),
    ]
    rows = [
        [
            str(n),
            line.customer,
            line.file,
            line.doc_type,
            line.sn,
            line.at.strftime("%H:%M:%S"),
            rupiah(line.cost),
        ]
        for n, line in enumerate(ledger.lines, start=1)
    ]
    balance = _("unknown") if ledger.balance is None else str(ledger.balance)
    footer = [
        _("Total: {count} stamps, {amount}").format(
            count=len(ledger.lines), amount=rupiah(ledger.total)
        ),
        *(
            _("Counter {counter}: {count} stamps, {amount}").format(
                counter=counter, count=count, amount=rupiah(amount)
            )
            for counter, count, amount in ledger.by_counter()
        ),
        *(
            _("{counter} / {customer}: {count} stamps, {amount}").format(
                counter=counter, customer=customer or "-", count=count, amount=rupiah(amount)
            )
            for counter, customer, count, amount in ledger.by_customer()
        ),
        _("Balance at the provider: {balance} stamps").format(balance=balance),
    ]
    footer.append(_reconciliation(ledger))
    if ledger.unaccounted:
        footer.append(
            _("Charged by the provider but in no request: {serials}").format(
                serials=", ".join(u.sn for u in ledger.unaccounted)
            )
        )
    title = _("Meterai Desk: stamps of {day}").format(day=ledger.day.isoformat())
    # The number, serial number, time and cost never wrap; customer, file and type may.
    write_table_pdf(dest, title, header, rows, footer, whole=(0, 4, 5, 6))


def _reconciliation(ledger: DayLedger) -> str:
    """One sentence: does the provider's serial-number list agree with the ledger?"""
    if ledger.reconciled is None:
        return _("Not checked against the provider's list of serial numbers.")
    if ledger.reconciled:
        return _("The provider's list of serial numbers agrees: {count} stamped.").format(
            count=len(ledger.lines)
        )
    return _(
        "The provider's list of serial numbers disagrees: {disputed} stamps of the ledger "
        "not shown as stamped, {extra} charged but in no request."
    ).format(disputed=len(ledger.disputed), extra=len(ledger.unaccounted or ()))


def _warnings(ledger: DayLedger, ctx: CliContext) -> None:
    warning = low_balance(ledger.balance, ctx.settings)
    if warning is not None:
        ctx.warn(warning.message().text())
    if ledger.balance is None:
        ctx.warn(_("The provider could not be asked: the balance is unknown."))
    for extra in ledger.unaccounted or ():
        ctx.warn(
            _("{sn}: charged by the provider but in no request of this outbox").format(sn=extra.sn)
        )
    for line in ledger.disputed:
        ctx.warn(
            _(
                "{sn} (request {id}, counter {counter}): done here, but the provider's list "
                "does not show it as stamped"
            ).format(sn=line.sn, id=line.request_id, counter=line.counter)
        )
