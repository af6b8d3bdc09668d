"""The day ledger on the embedded SQLite outbox: one counter, this one, set against the
provider's own list of serial numbers (a real sandbox over HTTPS, a real outbox file)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from meterai.kiosk.ledger import (
    NOT_LISTED,
    STAMPED,
    ProviderView,
    ask_provider,
    build_ledger,
)
from meterai.outbox import Outbox, State
from meterai.settings import Paths, load_settings
from tests.support.cli import run_in_process
from tests.support.sandbox import Admin, drain, queue_documents

HERE = "loket-9"


def _stamp_for(paths: Paths, folder: Path, **customers: int) -> list[int]:
    paths.data_dir.joinpath("counter-name").write_text(HERE + "\n")
    ids = []
    for customer, count in customers.items():
        ids += queue_documents(paths, count, folder / customer, customer=customer)
    drain(paths)
    return ids


def _csv(out: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out)))


def test_the_report_names_this_counter_and_agrees_with_the_providers_list(
    kiosk_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    _stamp_for(kiosk_paths, tmp_path, budi=2, siti=1)

    code, out, err = run_in_process(kiosk_paths, "report")

    assert code == 0, err
    table = _csv(out)
    assert table[0] == ["customer", "file", "doc_type", "sn", "time", "cost", "counter", "provider"]
    lines = table[1:4]
    assert sorted(r[0] for r in lines) == ["budi", "budi", "siti"]
    assert {r[6] for r in lines} == {HERE}
    assert {r[7] for r in lines} == {STAMPED}
    assert {r[3] for r in lines} == {s["sn"] for s in admin.serials()}
    assert table[4] == ["TOTAL", "3", "", "", "", "30000", "", ""]
    assert table[5] == ["COUNTER", "3", "", "", "", "30000", HERE, ""]
    assert not [r for r in table if r[0] == "UNACCOUNTED"]
    assert "provider" not in err  # nothing to warn about: the two lists agree


def test_a_disagreement_with_the_provider_is_shown_both_ways(
    kiosk_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """A serial number charged at the portal (in no request), and a done request whose
    serial number the provider does not list: the operator sees both, by number."""
    first, _second = _stamp_for(kiosk_paths, tmp_path, budi=2)
    portal = admin.buy_at_the_portal()
    box = Outbox.open(kiosk_paths)
    try:
        box.backend.run(
            "UPDATE requests SET sn = ? WHERE id = ?", ["NOTSOLD000000000000001", first]
        )
        ledger = build_ledger(
            box, dt.date.today(), ask_provider(kiosk_paths, load_settings(kiosk_paths), box), HERE
        )
    finally:
        box.close()

    assert ledger.reconciled is False
    assert [(line.request_id, line.provider) for line in ledger.disputed] == [(first, NOT_LISTED)]
    assert [u.sn for u in ledger.unaccounted or ()] == sorted(
        {portal, *(s["sn"] for s in admin.serials())} - {line.sn for line in ledger.lines}
    )
    code, _out, err = run_in_process(kiosk_paths, "report")
    assert code == 0
    assert "NOTSOLD000000000000001 (request" in err and f"{portal}: charged" in err


def test_the_day_is_the_day_of_stamping_and_offline_nothing_is_judged(
    kiosk_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    yesterday, *today = _stamp_for(kiosk_paths, tmp_path, budi=3)
    box = Outbox.open(kiosk_paths)
    try:
        box.backend.run(
            "UPDATE journal SET at = at - 86400 WHERE request_id = ? AND to_state = ?",
            [yesterday, str(State.STAMPED)],
        )
        now = build_ledger(box, dt.date.today(), ProviderView(None, None), HERE)
        before = build_ledger(
            box, dt.date.today() - dt.timedelta(days=1), ProviderView(None, None), HERE
        )
    finally:
        box.close()

    assert sorted(line.request_id for line in now.lines) == today
    assert [line.request_id for line in before.lines] == [yesterday]
    assert now.reconciled is None and {line.provider for line in now.lines} == {None}
    assert now.by_counter() == [(HERE, 2, 20000)]
