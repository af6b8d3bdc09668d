"""``meterai report`` after a kiosk run: each stamp with its customer and cost, the balance."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pikepdf

from tests.support.cli import run_in_process
from tests.support.kiosk import Running, pdf_bytes, slow_write
from tests.support.sandbox import Admin


def test_the_report_lists_each_stamp_with_customer_cost_and_balance(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    for i, customer in enumerate(("budi", "budi", "siti")):
        slow_write(kiosk.inbox / customer / f"r-{i}.pdf", pdf_bytes(tmp_path, f"r-{i}"))
    rows = kiosk.wait_done(3)
    kiosk.shut_down()  # the report asks the provider itself once the sync lock is free

    code, out, err = run_in_process(kiosk.paths, "report")
    assert code == 0, err
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][:6] == ["customer", "file", "doc_type", "sn", "time", "cost"]
    body = table[1:4]
    assert sorted((r[0], r[1], r[3]) for r in body) == sorted(
        (r.customer, r.file_name, r.sn) for r in rows
    )
    assert all(r[5] == "10000" for r in body)
    assert table[4][:2] == ["TOTAL", "3"] and table[4][5] == "30000"
    assert table[6][0] == "BALANCE" and table[6][1] == str(admin.account()["balance"])

    code, out, err = run_in_process(kiosk.paths, "report", "--json")
    assert code == 0, err
    ledger = json.loads(out)  # the same figures as numbers, for a script (issue 18 item 7)
    balance = admin.account()["balance"]
    assert (ledger["count"], ledger["total"], ledger["balance"]) == (3, 30000, balance)
    assert sorted(line["sn"] for line in ledger["lines"]) == sorted(r.sn for r in rows)
    assert {(c["customer"], c["count"]) for c in ledger["by_customer"]} == {
        ("budi", 2),
        ("siti", 1),
    }
    assert (ledger["reconciled"], ledger["unaccounted"]) == (True, [])

    pdf_path = tmp_path / "day.pdf"
    args = ("report", "--format", "pdf", "--out", str(pdf_path))
    code, out, err = run_in_process(kiosk.paths, *args)
    assert code == 0, err
    with pikepdf.open(pdf_path) as pdf:
        text = pdf.pages[0].Contents.read_bytes().decode("latin-1")
    assert "Rp30.000" in text and all(r.sn in text for r in rows)
