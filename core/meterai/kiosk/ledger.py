"""The operator's daily ledger: every stamp of a day, what it cost, and what the provider says.

The distributor invoices the serial numbers the account was charged for, so the
ledger is built from done requests (one serial number each) and set against the
provider's own list: a serial number charged but in no request, or one of the
ledger's that the provider does not show as stamped, is what an operator must be
able to point at when the invoice and the ledger disagree.

One account may have several counters on one shared database: the ledger is then the
whole account's day, each stamp under the counter that took the request in, with
totals per counter and per customer. On the embedded SQLite outbox there is one
counter, this one, and the same ledger has one counter in it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from meterai.errors import MeteraiError
from meterai.settings import Paths, Settings

if TYPE_CHECKING:  # the engine loads only when the provider is asked (kiosk panel: never)
    from meterai.outbox.store import Outbox

STAMP_PRICE = 10_000  # rupiah, the face value of one e-Meterai (UU 10/2020)

K = TypeVar("K", str, tuple[str, str])


# What the provider's serial-number list says of a line's serial number.
STAMPED, NOT_STAMPED, NOT_LISTED = "stamped", "not_stamped", "not_listed"


@dataclass(frozen=True)
class LedgerLine:
    customer: str
    file: str
    doc_type: str
    sn: str
    at: dt.datetime
    cost: int
    request_id: int
    counter: str = ""
    """The counter that took the request in: it served the customer and is paid for it."""
    provider: str | None = None
    """``STAMPED``, ``NOT_STAMPED`` or ``NOT_LISTED`` (the provider's list); ``None``: not asked."""


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

    @property
    def disputed(self) -> tuple[LedgerLine, ...]:
        """Stamps of the ledger the provider's list does not show as stamped."""
        return tuple(line for line in self.lines if line.provider not in (None, STAMPED))

    @property
    def reconciled(self) -> bool | None:
        """Whether the provider's list and the ledger agree; ``None`` when it was not asked."""
        if self.unaccounted is None:
            return None
        return not self.disputed and not self.unaccounted

    def by_counter(self) -> list[tuple[str, int, int]]:
        """(counter, stamps, cost) for each counter of the account, by name."""
        return _totals(self.lines, lambda line: line.counter)

    def by_customer(self) -> list[tuple[str, str, int, int]]:
        """(counter, customer, stamps, cost): a customer's name is only unique at its counter."""
        return [
            (counter, customer, n, cost)
            for (counter, customer), n, cost in _totals(
                self.lines, lambda line: (line.counter, line.customer)
            )
        ]


def _totals(
    lines: Iterable[LedgerLine], key: Callable[[LedgerLine], K]
) -> list[tuple[K, int, int]]:
    totals: dict[K, list[int]] = {}
    for line in lines:
        entry = totals.setdefault(key(line), [0, 0])
        entry[0] += 1
        entry[1] += line.cost
    return [(k, n, cost) for k, (n, cost) in sorted(totals.items())]


def day_lines(
    outbox: Outbox,
    day: dt.date,
    here: str,
    charged: Iterable[tuple[str, bool]] | None = None,
    asked_at: float | None = None,
) -> tuple[LedgerLine, ...]:
    """Done requests whose stamp was put on ``day`` (local time), in stamping order, across
    every counter of the outbox. ``here`` names the counter of an outbox that has only one
    (SQLite); ``charged`` is the provider's list, to set each line against, as it was at
    ``asked_at``: a stamp recorded after that is not judged by it (it is not checked yet)."""
    start = dt.datetime.combine(day, dt.time.min).timestamp()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min).timestamp()
    status = None if charged is None else dict(charged)
    return tuple(
        LedgerLine(
            customer=row.customer or "",
            file=row.file_name,
            doc_type=row.doc_type,
            sn=row.sn,
            at=dt.datetime.fromtimestamp(at),
            cost=STAMP_PRICE,
            request_id=row.id,
            counter=counter or here,
            provider=None
            if status is None or (asked_at is not None and at > asked_at)
            else _on_list(status, row.sn),
        )
        for row, at, counter in outbox.stamped_between(start, end)
        if row.sn
    )


def _on_list(status: dict[str, bool], sn: str) -> str:
    if sn not in status:
        return NOT_LISTED
    return STAMPED if status[sn] else NOT_STAMPED


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
    """One row per stamp, then the totals: the whole day, each counter, the balance, and
    what the provider charged that no request holds. The first six columns are the ones
    the single-counter report always had, so operators' spreadsheets keep working."""
    rows: list[list[str]] = [
        ["customer", "file", "doc_type", "sn", "time", "cost", "counter", "provider"]
    ]
    rows += [
        [
            line.customer,
            line.file,
            line.doc_type,
            line.sn,
            line.at.isoformat(timespec="seconds"),
            str(line.cost),
            line.counter,
            line.provider or "",
        ]
        for line in ledger.lines
    ]
    rows.append(["TOTAL", str(len(ledger.lines)), "", "", "", str(ledger.total), "", ""])
    for counter, count, cost in ledger.by_counter():
        rows.append(["COUNTER", str(count), "", "", "", str(cost), counter, ""])
    balance = unknown if ledger.balance is None else str(ledger.balance)
    rows.append(["BALANCE", balance, "", "", "", "", "", ""])
    for extra in ledger.unaccounted or ():
        state, said = ("STAMP", STAMPED) if extra.stamped else ("NOTSTAMP", NOT_STAMPED)
        rows.append(["UNACCOUNTED", "", "", extra.sn, state, "", "", said])
    return rows


@dataclass(frozen=True)
class ProviderView:
    balance: int | None
    charged: tuple[tuple[str, bool], ...] | None
    cached_at: float | None = None  # the balance is the running kiosk's last probe
    asked_at: float | None = None  # when the list was asked for (None: just now)


def ask_provider(paths: Paths, settings: Settings, outbox: Outbox) -> ProviderView:
    """The balance and the account's serial numbers, or what is known without them.

    While a kiosk or ``sync --watch`` holds the data folder, its last probed balance is
    used (asking again would start a second embedded sandbox on the same files).
    """
    from meterai.balance import cached_balance, record_balance
    from meterai.sync.runner import SyncBusy, SyncRunner

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
        asked_at = time.time()
        charged = tuple(runner.charged_serials())
        return ProviderView(balance, charged, asked_at=asked_at)
    except (MeteraiError, OSError):
        return ProviderView(None, None)
    finally:
        runner.close()


def build_ledger(outbox: Outbox, day: dt.date, view: ProviderView, here: str) -> DayLedger:
    """The account's day as this outbox knows it (every counter's, on a shared database),
    set against the provider's list when ``view`` has it; ``here`` names this counter."""
    extra = None if view.charged is None else unaccounted(view.charged, outbox)
    lines = day_lines(outbox, day, here, view.charged, view.asked_at)
    return DayLedger(day, lines, view.balance, extra)


def todays_ledger(
    outbox: Outbox,
    paths: Paths,
    balance: int | None,
    charged: Sequence[tuple[str, bool]] | None,
    asked_at: float | None,
) -> DayLedger:
    """The kiosk panel's day: what the running kiosk last learnt of the balance and of the
    provider's list (it asks, not the panel), set against the outbox as it is now."""
    from meterai.outbox.postgres.counter import counter_name

    listed = None if charged is None else tuple(charged)
    view = ProviderView(balance, listed, asked_at=asked_at)
    return build_ledger(outbox, dt.date.today(), view, counter_name(paths))
