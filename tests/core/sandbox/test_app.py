"""Every provider call over real HTTPS, with the provider's codes for each refusal."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from meterai.provider.peruri import SERIAL_FORMAT
from meterai.sandbox import SandboxServer
from tests.support import pdfs
from tests.support.api_client import ApiClient
from tests.support.clock import ManualClock
from tests.support.pdfs import make_encrypted, make_pdf, make_signed

DAY = 24 * 3600.0
RETENTION = 72 * 3600.0  # the provider keeps a stamped file about 72 hours


def test_login_ok_and_refused(api: ApiClient) -> None:
    assert api.token.count(".") == 2  # a JWT
    assert api.user_id
    assert api.login("demo", "wrong")["statusCode"] == "02"
    assert api.login("demo", "")["statusCode"] == "90"


def test_every_call_answers_01_without_a_valid_token(api: ApiClient) -> None:
    api.token = "not-a-token"
    h = api.auth
    assert api.http.get("/jenisdoc", headers=h).json()["statusCode"] == "01"
    assert api.http.post("/function/saldopos", headers=h).json()["status"] == "01"
    assert api.upload(b"%PDF-1.7\n")["statusCode"] == "01"
    assert api.buy("x").json()["statusCode"] == "01"
    assert api.http.post("/stamping/update-data/X", json={}, headers=h).json()["statusCode"] == "01"
    stamped = api.stamp("x", "SN")
    assert stamped.status_code == 200
    assert (stamped.json()["status"], stamped.json()["errorCode"]) == ("False", "01")
    assert api.http.get("/getfile3/final_x.pdf", headers=h).json()["statusCode"] == "01"
    assert api.http.get("/api/chanel/stamp/ext", headers=h).json()["statusCode"] == "01"
    assert api.http.get("/chanel/sale/stamp/ext/u", headers=h).json()["statusCode"] == "01"


def test_token_expires(timed: SandboxServer, clock: ManualClock) -> None:
    api = ApiClient(timed)
    try:
        api.login()
        clock.advance(DAY - 1)
        assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "00"
        clock.advance(1)
        assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "01"
        api.login()
        assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "00"
    finally:
        api.close()


def test_a_token_in_use_is_refused_after_a_reset(api: ApiClient) -> None:
    """The sandbox keeps the tokens it has checked once; a reset still ends every one."""
    assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "00"
    assert api.http.post("/_sandbox/reset").status_code == 200
    assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "01"
    api.login()
    assert api.http.get("/jenisdoc", headers=api.auth).json()["statusCode"] == "00"


def test_types_and_balance(api: ApiClient) -> None:
    types = api.http.get("/jenisdoc", headers=api.auth).json()
    assert {"2", "3", "4a", "4b"} <= {t["kode"] for t in types["result"]}
    assert set(types["result"][0]) == {"id", "kode", "nama"}
    for method in ("GET", "POST"):
        body = api.http.request(method, "/function/saldopos", headers=api.auth).json()
        assert body["status"] == "00"
        assert body["result"] == {"saldo": 1000, "notstamp": 0}


def test_upload_rules(api: ApiClient, tmp_path: Path) -> None:
    ok = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    assert ok["statusCode"] == "00" and ok["id"] and ok["name"] == f"doc_{ok['id']}.pdf"
    assert api.upload(b"not a pdf")["statusCode"] == "90"
    big = make_pdf(tmp_path / "big.pdf", image_bytes=3_200_000).read_bytes()
    assert api.upload(big)["statusCode"] == "90"


def test_balance_is_spent_at_stampv2_not_at_stamping(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    bought = api.buy(up["id"]).json()
    assert bought["statusCode"] == "00"
    assert set(bought["result"]) == {"sn", "filenameQR", "image"}
    saldo = api.http.post("/function/saldopos", headers=api.auth).json()["result"]
    assert saldo == {"saldo": 999, "notstamp": 1}
    assert api.stamp(up["id"], bought["result"]["sn"]).json()["status"] == "True"
    saldo = api.http.post("/function/saldopos", headers=api.auth).json()["result"]
    assert saldo == {"saldo": 999, "notstamp": 0}


def test_stampv2_refusals(api: ApiClient, tmp_path: Path) -> None:
    missing = api.http.post("/chanel/stampv2", json={"isUpload": True}, headers=api.auth).json()
    assert missing["statusCode"] == "90" and "err" in missing["result"]
    assert api.buy("no-such-file").json()["statusCode"] == "90"
    assert api.buy("x", namadoc="zz").json()["statusCode"] == "90"
    assert api.account()["spent"] == 0


def test_no_balance(api: ApiClient, tmp_path: Path) -> None:
    created = api.http.post(
        "/_sandbox/accounts", json={"user": "poor", "password": "p", "balance": 1}
    )
    assert created.status_code == 200
    api.login("poor", "p")
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    assert api.buy(up["id"], "A").json()["statusCode"] == "00"
    refused = api.buy(up["id"], "B").json()
    assert refused["result"]["err"] == "Saldo Tidak Cukup"
    assert api.account("poor")["spent"] == 1


def test_reassign_only_while_notstamp(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    sn = api.buy(up["id"], "OLD").json()["result"]["sn"]
    body = {"nodoc": "NEW", "namadoc": "4a", "namafile": "new.pdf"}
    ok = api.http.post(f"/stamping/update-data/{sn}", json=body, headers=api.auth).json()
    assert ok["statusCode"] == "00"
    serial = api.account()["serials"][0]
    assert (serial["nodoc"], serial["namafile"], serial["reassign_count"]) == ("NEW", "new.pdf", 1)
    assert api.stamp(up["id"], sn).json()["status"] == "True"
    late = api.http.post(f"/stamping/update-data/{sn}", json=body, headers=api.auth).json()
    assert late["statusCode"] == "90"
    bad = api.http.post(f"/stamping/update-data/{sn}", json={"nodoc": "x"}, headers=api.auth)
    assert bad.json()["statusCode"] == "90"


def _stamp_code(api: ApiClient, pdf: Path) -> tuple[int, str, str]:
    up = api.upload(pdf.read_bytes())
    sn = api.buy(up["id"]).json()["result"]["sn"]
    response = api.stamp(up["id"], sn)
    body = response.json()
    return response.status_code, body["status"], body["errorCode"]


def test_stamping_refusals_are_http_200(api: ApiClient, tmp_path: Path) -> None:
    assert _stamp_code(api, make_encrypted(tmp_path / "e.pdf")) == (200, "False", "82")
    assert _stamp_code(api, make_signed(tmp_path / "c.pdf", certify=True)) == (200, "False", "83")
    assert _stamp_code(api, make_signed(tmp_path / "t.pdf", tamper=True)) == (200, "False", "81")
    changed = make_signed(tmp_path / "m.pdf", modify_after=True)
    assert _stamp_code(api, changed) == (200, "False", "80")
    assert _stamp_code(api, make_signed(tmp_path / "ok.pdf")) == (200, "True", "00")


def test_an_upload_a_strict_reader_cannot_read_is_refused_like_the_adapter(
    api: ApiClient, tmp_path: Path
) -> None:
    """The adapter (iText) reads strictly; the sandbox reads at least as strictly.

    Escaped: an object offset a few bytes off was signed, because pyHanko read the
    upload in lenient mode; pypdf in strict mode logs a repair for it."""
    for make in (pdfs.make_offset_off, pdfs.make_without_size, pdfs.make_unreadable_box):
        up = api.upload(make(tmp_path / f"{make.__name__}.pdf").read_bytes())
        sn = api.buy(up["id"]).json()["result"]["sn"]
        body = api.stamp(up["id"], sn).json()
        assert (body["status"], body["errorCode"]) == ("False", "90"), make.__name__
        assert body["errorMessage"].startswith("PDF tidak dapat dibaca")
    assert {s["status"] for s in api.account()["serials"]} == {"NOTSTAMP"}


def test_stamping_input_errors(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    sn = api.buy(up["id"]).json()["result"]["sn"]
    body = api.stamp_body(up["id"], sn)
    del body["visLLX"]
    r = api.http.post("/keystamp/adapter/docSigningZ", json=body, headers=api.auth)
    assert (r.status_code, r.json()["errorCode"]) == (200, "90")
    r = api.stamp(up["id"], sn, profileName="other")
    assert r.json()["errorCode"] == "91"
    assert api.stamp(up["id"], sn, box=(100, 100, 50, 150)).json()["errorCode"] == "90"
    assert api.stamp(up["id"], "UNKNOWNSN").json()["errorCode"] == "90"
    assert api.account()["serials"][0]["status"] == "NOTSTAMP"


def test_retry_with_same_sn_and_retry_flag(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    sn = api.buy(up["id"]).json()["result"]["sn"]
    assert api.stamp(up["id"], sn).json()["status"] == "True"
    assert api.stamp(up["id"], sn).json()["errorCode"] == "90"  # no retryFlag: SN used
    again = api.stamp(up["id"], sn, retry=True).json()
    assert again["status"] == "True"
    other = api.upload(make_pdf(tmp_path / "b.pdf").read_bytes())
    assert api.stamp(other["id"], sn, retry=True).json()["errorCode"] == "90"
    (serial,) = api.account()["serials"]
    assert serial["stamp_count"] == 2 and serial["stamped_idfile"] == up["id"]
    assert api.account()["spent"] == 1  # retries never buy a second SN


def test_old_pdf_is_rewritten_as_17(api: ApiClient, tmp_path: Path) -> None:
    old = make_pdf(tmp_path / "old.pdf", version="1.4")
    _, stamped = api.full_stamp(old)
    assert stamped.startswith(b"%PDF-1.7")
    assert not stamped.startswith(old.read_bytes())
    with pikepdf.open(tmp_path / "old.pdf") as src:
        assert src.pdf_version == "1.4"


def test_serial_numbers_have_the_format_seen_in_the_field(api: ApiClient, tmp_path: Path) -> None:
    """22 characters of A-Z and 0-9, the format the client checks every answer against."""
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    for _ in range(20):
        sn = api.buy(up["id"]).json()["result"]["sn"]
        assert SERIAL_FORMAT.fullmatch(sn), sn


def test_sn_status_and_list(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    first = api.buy(up["id"], "A").json()["result"]["sn"]
    second = api.buy(up["id"], "B").json()["result"]["sn"]
    api.stamp(up["id"], first)
    status = api.http.get("/api/chanel/stamp/ext", params={"filter": first}, headers=api.auth)
    result = status.json()["result"]
    assert result["total"] == 1 and result["data"][0]["status"] == "STAMP"
    assert set(result["data"][0]) >= {"status", "file", "tglupdate"}
    listed = api.http.get(f"/chanel/sale/stamp/ext/{api.user_id}", headers=api.auth).json()
    by_sn = {d["sn"]: d for d in listed["result"]["data"]}
    assert by_sn[first]["status"] == "STAMP" and by_sn[second]["status"] == "NOTSTAMP"
    assert by_sn[second]["nodoc"] == "B"
    assert by_sn[first]["file"] == f"final_{up['id']}.pdf" and by_sn[second]["file"] == ""
    assert result["data"][0]["file"] == f"final_{up['id']}.pdf"
    wrong = api.http.get("/chanel/sale/stamp/ext/someone-else", headers=api.auth).json()
    assert wrong["statusCode"] == "90"


def test_results_expire_after_retention(
    timed: SandboxServer, clock: ManualClock, tmp_path: Path
) -> None:
    api = ApiClient(timed)
    try:
        api.login()
        up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
        sn = api.buy(up["id"]).json()["result"]["sn"]
        api.login()
        url = api.stamp(up["id"], sn).json()["urlFile"]
        clock.advance(RETENTION - 1)
        api.login()  # the day-long token has run out meanwhile
        assert api.download(url).status_code == 200
        clock.advance(1)
        api.login()
        assert api.download(url).status_code == 404
    finally:
        api.close()


def test_ledger_is_the_ground_truth(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    sn = api.buy(up["id"], "NODOC-7").json()["result"]["sn"]
    api.stamp(up["id"], sn)
    account = api.account()
    assert (account["granted"], account["balance"], account["spent"]) == (1000, 999, 1)
    (serial,) = account["serials"]
    assert serial["sn"] == sn and serial["idfile"] == up["id"]
    assert (serial["nodoc"], serial["namafile"], serial["status"]) == (
        "NODOC-7",
        "NODOC-7.pdf",
        "STAMP",
    )
    assert serial["created_at"] <= serial["stamped_at"] and serial["stamp_count"] == 1
