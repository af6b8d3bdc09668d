"""The kiosk panel: counters per customer, recent events in words, the low-balance banner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.balance import LowBalance
from meterai.kiosk.ledger import DayLedger, LedgerLine, Unaccounted
from meterai.kiosk.setup import KioskSetup
from meterai_desk import qtranslator
from meterai_desk.kiosk.notes import KioskNote
from meterai_desk.kiosk.panel import KioskPanel


def _panel(qtbot: QtBot, tmp_path: Path) -> KioskPanel:
    qtranslator.install()  # how a language switch reaches widgets (as LanguageChange)
    panel = KioskPanel()
    qtbot.addWidget(panel)
    panel.set_setup(
        KioskSetup(tmp_path / "in", tmp_path / "out", tmp_path / "rejected", "3", 4, 20)
    )
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _events(panel: KioskPanel) -> list[str]:
    return [panel.events.item(i).text() for i in range(panel.events.count())]


@pytest.mark.usefixtures("in_english")
def test_counts_each_customer_once_per_request(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot, tmp_path)
    panel.add(KioskNote("taken", "ani", "a.pdf", request_id=1))
    panel.add(KioskNote("taken", "ani", "a.pdf", request_id=1))  # resumed after a restart
    panel.add(KioskNote("taken", "ani", "b.pdf", request_id=2))
    panel.add(KioskNote("done", "ani", "a.pdf", request_id=1))
    panel.add(KioskNote("duplicate", "ani", "a (2).pdf", request_id=1))
    panel.add(KioskNote("rejected", "budi", "x.pdf", "Not a PDF."))

    assert panel.count("ani") == (2, 1, 0, 1)
    assert panel.count("budi") == (0, 0, 1, 0)
    table = panel.customers
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["ani", "budi"]
    assert [table.item(0, c).text() for c in range(1, 5)] == ["2", "1", "0", "1"]
    newest = _events(panel)[0]
    assert newest.endswith("budi: x.pdf refused. Not a PDF.")


@pytest.mark.usefixtures("in_english")
def test_a_folder_with_bad_settings_is_marked_until_a_file_is_taken_from_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = _panel(qtbot, tmp_path)
    panel.add(KioskNote("folder", "siti", detail="The folder settings are not valid."))
    item = panel.customers.item(0, 0)
    assert item.text() == "⚠ siti" and item.toolTip() == "The folder settings are not valid."
    panel.add(KioskNote("taken", "siti", "a.pdf", request_id=7))
    assert panel.customers.item(0, 0).text() == "siti"


def test_events_are_reworded_when_the_language_changes(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot, tmp_path)
    assert _events(panel) == ["Belum ada: menunggu berkas pertama."]
    panel.add(KioskNote("done", "ani", "a.pdf", request_id=1))
    assert _events(panel)[0].endswith("ani: a.pdf sudah bermeterai; ada di kotak keluar.")
    assert panel.leave.text() == "Keluar dari mode kios"

    i18n.set_language("en")
    qtbot.waitUntil(lambda: panel.leave.text() == "Leave kiosk mode")
    assert _events(panel)[0].endswith("ani: a.pdf stamped; it is in the outbox.")
    header = panel.customers.horizontalHeaderItem(4).text()
    assert header == "Received before"


@pytest.mark.usefixtures("in_english")
def test_the_low_balance_warning_stands_above_everything(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot, tmp_path)
    assert not panel.low_balance.isVisible()
    panel.set_low_balance(LowBalance(balance=7, threshold=20))
    assert panel.low_balance.isVisible()
    assert "Low balance: 7 stamps left" in panel.low_balance.text()
    i18n.set_language("id")  # reworded on a language switch, the numbers kept
    qtbot.waitUntil(lambda: "Low balance" not in panel.low_balance.text())
    assert "7" in panel.low_balance.text() and "20" in panel.low_balance.text()
    panel.set_low_balance(None)
    assert not panel.low_balance.isVisible()


@pytest.mark.usefixtures("in_english")
def test_the_panel_shows_where_files_go(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot, tmp_path)
    assert panel.inbox.text() == str(tmp_path / "in")
    assert panel.rejected.text() == str(tmp_path / "rejected")
    panel.set_state("on")
    assert "Kiosk mode is on" in panel.state.text()


def _line(n: int, counter: str, provider: str | None) -> LedgerLine:
    at = dt.datetime(2026, 12, 1, 9, n)
    return LedgerLine("ani", f"{n}.pdf", "3", f"SN{n:020d}", at, 10_000, n, counter, provider)


@pytest.mark.usefixtures("in_english")
def test_the_days_ledger_shows_each_counter_and_whether_the_provider_agrees(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = _panel(qtbot, tmp_path)
    assert not panel.today.isVisible()  # nothing read yet: nothing claimed
    lines = (_line(1, "loket-1", "stamped"), _line(2, "loket-2", "stamped"))
    panel.set_ledger(DayLedger(dt.date(2026, 12, 1), (*lines, _line(3, "loket-1", None)), 7, ()))
    table = panel.counters
    assert [[table.item(r, c).text() for c in range(3)] for r in range(2)] == [
        ["loket-1", "2", "Rp20.000"],
        ["loket-2", "1", "Rp10.000"],
    ]
    assert panel.today.isVisible() and "Rp30.000" in panel.today.text()
    assert panel.reconciled.text().startswith("✓")

    extra = Unaccounted("PORTAL00000000000000001", stamped=False, unused_known=False)
    disputed = DayLedger(
        dt.date(2026, 12, 1), (*lines, _line(3, "loket-1", "not_listed")), 7, (extra,)
    )
    panel.set_ledger(disputed)
    assert panel.reconciled.text() == (
        "⚠ The provider's list disagrees: 1 not shown as stamped, 1 charged but in no "
        "request (meterai report lists them)."
    )
