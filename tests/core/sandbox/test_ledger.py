"""The sandbox's books: one transaction per call, never a stamp sold without balance,
never a used serial number moved, and everything kept across a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai.sandbox.ledger import AccountExists, Ledger

FIELDS = {"namadoc": "Surat Pernyataan", "nodoc": "SP-1", "namafile": "mdk-x_a.pdf"}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    books = Ledger(tmp_path / "sandbox" / "ledger.sqlite3")
    yield books
    books.close()


def test_an_account_logs_in_with_its_password_only(ledger: Ledger) -> None:
    account = ledger.add_account("kasir", "rahasia", balance=3)
    assert ledger.check_password("kasir", "rahasia") == account
    assert ledger.check_password("kasir", "salah") is None
    with pytest.raises(AccountExists):
        ledger.add_account("kasir", "lain", balance=1)


def test_the_balance_is_spent_once_per_serial_number_and_then_refused(ledger: Ledger) -> None:
    account = ledger.add_account("kasir", "pw", balance=2)
    bought = [ledger.buy_serial(account.id, FIELDS, sn_only=False) for _ in range(3)]
    assert bought[0] and bought[1] and bought[0] != bought[1] and bought[2] is None
    assert ledger.notstamp_count(account.id) == 2
    assert [s["seq"] for s in ledger.serials(account.id)] == [1, 2]


def test_racing_purchases_never_sell_more_than_the_balance(ledger: Ledger) -> None:
    account = ledger.add_account("kasir", "pw", balance=10)
    results: list[str | None] = []

    def buy() -> None:
        for _ in range(5):
            results.append(ledger.buy_serial(account.id, FIELDS, sn_only=False))

    threads = [threading.Thread(target=buy) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sold = [sn for sn in results if sn]
    assert len(sold) == len(set(sold)) == 10 and results.count(None) == 10


def test_only_an_unused_serial_number_is_reassigned(ledger: Ledger) -> None:
    account = ledger.add_account("kasir", "pw", balance=2)
    sn = ledger.buy_serial(account.id, FIELDS, sn_only=True)
    assert sn is not None
    moved = {**FIELDS, "nodoc": "SP-2", "namafile": "mdk-y_b.pdf"}
    assert ledger.reassign(account.id, sn, moved) == ""
    assert ledger.serial(account.id, sn)["nodoc"] == "SP-2"  # type: ignore[index]
    ledger.record_stamp(account.id, sn, "file-1", "final_file-1.pdf", retention=60, now=1000.0)
    assert ledger.reassign(account.id, sn, FIELDS) == "SN sudah digunakan"
    assert ledger.reassign(account.id, "NOPE", FIELDS) == "SN tidak ditemukan"


def test_a_result_is_kept_for_its_retention_then_forgotten(ledger: Ledger) -> None:
    account = ledger.add_account("kasir", "pw", balance=1)
    sn = ledger.buy_serial(account.id, FIELDS, sn_only=False)
    assert sn is not None
    ledger.record_stamp(account.id, sn, "file-1", "final_file-1.pdf", retention=60, now=1000.0)
    assert ledger.expire_results(now=1059.0) == []
    assert ledger.result(account.id, "final_file-1.pdf") is not None
    assert ledger.expire_results(now=1060.0) == ["final_file-1.pdf"]
    assert ledger.result(account.id, "final_file-1.pdf") is None
    assert ledger.serial(account.id, sn)["status"] == "STAMP"  # type: ignore[index]


def test_the_books_survive_a_restart_and_a_reset_forgets_them(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    books = Ledger(path)
    account = books.add_account("kasir", "pw", balance=5)
    sn = books.buy_serial(account.id, FIELDS, sn_only=False)
    secret = books.token_secret()
    books.close()
    books = Ledger(path)
    try:
        assert books.serial(account.id, sn or "") is not None
        assert books.token_secret() == secret
        books.reset()
        assert books.account(account.id) is None and books.token_secret() != secret
    finally:
        books.close()
