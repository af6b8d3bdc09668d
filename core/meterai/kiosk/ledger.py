"""The operator's daily ledger: every stamp of a day, what it cost, and what the provider says.

The distributor invoices the serial numbers the account was charged for, so the
ledger is built from done requests (one serial number each) and set against the
provider's own list: a serial number charged but in no request is what an operator
must be able to point at when the invoice and the ledger disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from meterai.balance import cached_balance, record_balance
from meterai.errors import MeteraiError
from meterai.outbox.states import State
from meterai.outbox.store import Outbox, RequestRow
from meterai.settings import Paths, Settings
from meterai.sync.runner import SyncBusy, SyncRunner

STAMP_PRICE = 10_000  # rupiah, the face value of one e-Meterai (UU 10/2020)


@dataclass(frozen=True)
class LedgerLine:
    customer: str
    file: str
    doc_type: str
    sn: str
    at: dt.datetime
    cost: int
    request_id: int


@dataclass(frozen=True)
class Unaccounted:
    """A serial number the provider charged that no request of this outbox holds."""

    sn: str
    stamped: bool
    unused_known: bool  # recorded as an orphan: the next request reuses it


@dataclass(frozen=True)
class DayLedger:
    day: dt.date
    lines: tuple[LedgerLine, ...]
    balance: int | None
    unaccounted: tuple[Unaccounted, ...] | None  # None: the provider could not be asked

    @property
    def total(self) -> int:
        return sum(line.cost for line in self.lines)

    def by_customer(self) -> list[tuple[str, int, int]]:
        totals: dict[str, list[int]] = {}
        for line in self.lines:
            entry = totals.setdefault(line.customer, [0, 0])
            entry[0] += 1
            entry[1] += line.cost
        return [(c, n, cost) for c, (n, cost) in sorted(totals.items())]


def day_lines(outbox: Outbox, day: dt.date) -> tuple[LedgerLine, ...]:
    """Done requests whose stamp was put on ``day`` (local time), in stamping order."""
    lines = []
    for row in outbox.requests(states=[State.DONE]):
        at = _stamped_at(outbox, row)
        if at.date() == day and row.sn:
            lines.append(
                LedgerLine(
                    customer=row.customer or "",
                    file=row.file_name,
                    doc_type=row.doc_type,
                    sn=row.sn,
                    at=at,
                    cost=STAMP_PRICE,
                    request_id=row.id,
                )
            )
    return tuple(sorted(lines, key=lambda line: (line.at, line.request_id)))


def _stamped_at(outbox: Outbox, row: RequestRow) -> dt.datetime:
    """When the provider stamped it: the invoice's date, not when the file was exported."""
    when = outbox.entered_at(row.id, State.STAMPED) or row.updated_at
    return dt.datetime.fromtimestamp(when)


def unaccounted(charged: Iterable[tuple[str, bool]], outbox: Outbox) -> tuple[Unaccounted, ...]:
    """``charged`` is the provider's list (serial number, stamped?); any not held by a
    request is listed, whoever bought it: this app (a lost answer, an orphan), another
    install on the same account, or the provider's own portal."""
    held = {r.sn for r in outbox.requests() if r.sn}
    orphans = set(outbox.orphans())
    return tuple(
        Unaccounted(sn, stamped, sn in orphans) for sn, stamped in sorted(charged) if sn not in held
    )


def rupiah(amount: int) -> str:
    """``Rp10.000``: the dot groups thousands in Indonesian, on invoices in either language."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def csv_rows(ledger: DayLedger, unknown: str) -> Sequence[Sequence[str]]:
    rows: list[list[str]] = [["customer", "file", "doc_type", "sn", "time", "cost"]]
    rows += [
        [
            line.customer,
            line.file,
            line.doc_type,
            line.sn,
            line.at.isoformat(timespec="seconds"),
            str(line.cost),
        ]
        for line in ledger.lines
    ]
    rows.append(["TOTAL", str(len(ledger.lines)), "", "", "", str(ledger.total)])
    balance = unknown if ledger.balance is None else str(ledger.balance)
    rows.append(["BALANCE", balance, "", "", "", ""])
    for extra in ledger.unaccounted or ():
        rows.append(["UNACCOUNTED", "", "", extra.sn, "STAMP" if extra.stamped else "NOTSTAMP", ""])
    return rows


@dataclass(frozen=True)
class ProviderView:
    balance: int | None
    charged: tuple[tuple[str, bool], ...] | None
    cached_at: float | None = None  # the balance is the running kiosk's last probe


def ask_provider(paths: Paths, settings: Settings, outbox: Outbox) -> ProviderView:
    """The balance and the account's serial numbers, or what is known without them.

    While a kiosk or ``sync --watch`` holds the data folder, its last probed balance is
    used (asking again would start a second embedded sandbox on the same files).
    """
    runner = SyncRunner(paths, settings)
    try:
        runner.open()
    except SyncBusy:
        runner.close()
        cached = cached_balance(outbox)
        return ProviderView(cached.saldo if cached else None, None, cached.at if cached else None)
    except (MeteraiError, OSError):
        runner.close()
        return ProviderView(None, None)
    try:
        balance = runner.current_balance()
        record_balance(outbox, balance)
        charged = tuple(runner.charged_serials())
        return ProviderView(balance, charged)
    except (MeteraiError, OSError):
        return ProviderView(None, None)
    finally:
        runner.close()


def build_ledger(outbox: Outbox, day: dt.date, view: ProviderView) -> DayLedger:
    extra = None if view.charged is None else unaccounted(view.charged, outbox)
    return DayLedger(day, day_lines(outbox, day), view.balance, extra)
