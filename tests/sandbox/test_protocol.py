"""Acceptance: `meterai sandbox serve` on a fresh data dir, then the whole protocol over HTTPS.

Log in, list document types, read the balance, upload, buy an SN, stamp, download;
the result validates with pyHanko against the CA the server printed, and with pdfsig.
"""

from __future__ import annotations

import re
import selectors
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.pdfs import make_pdf
from tests.support.verifying import check_with_pdfsig, check_with_pyhanko, pdfsig_available

READY = re.compile(r"^sandbox ready: (?P<url>https://127\.0\.0\.1:\d+) ca: (?P<ca>.+)$")


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        raise AssertionError(f"no ready line within {timeout} s")
    return proc.stdout.readline().strip()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, float]]:
    started = time.monotonic()
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meterai.cli.main",
            "--lang",
            "en",
            "sandbox",
            "serve",
            "--data-dir",
            str(tmp_path / "fresh"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            line = _read_line(proc, timeout=5.0)
            ready_after = time.monotonic() - started
            match = READY.match(line)
            assert match, line
            yield match["url"], Path(match["ca"]), ready_after
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
            assert proc.returncode == 0, err


def test_protocol_end_to_end(served: tuple[str, Path, float], tmp_path: Path) -> None:
    base_url, ca_file, ready_after = served
    assert ready_after < 5.0
    document = make_pdf(tmp_path / "lamaran.pdf", pages=2)
    with httpx.Client(base_url=base_url, verify=ssl.create_default_context(cafile=ca_file)) as c:
        login = c.post("/api/users/login", json={"user": "demo", "password": "demo"}).json()
        assert login["statusCode"] == "00"
        auth = {"Authorization": f"Bearer {login['token']}"}

        kinds = c.get("/jenisdoc", headers=auth).json()["result"]
        kode = next(k["kode"] for k in kinds if k["nama"] == "Surat Pernyataan")
        assert c.post("/function/saldopos", headers=auth).json()["result"]["saldo"] == 1000

        upload = c.post(
            "/uploaddoc2",
            data={"token": login["token"]},
            files={"file": (document.name, document.read_bytes(), "application/pdf")},
        )
        idfile = upload.json()["id"]

        bought = c.post(
            "/chanel/stampv2",
            headers=auth,
            json={
                "isUpload": True,
                "idfile": idfile,
                "namadoc": kode,
                "namafile": document.name,
                "nilaidoc": "10000",
                "namejidentitas": "KTP",
                "noidentitas": "3170000000000001",
                "namedipungut": "Budi",
                "snOnly": False,
                "nodoc": "CASN-1",
                "tgldoc": "2024-06-01",
            },
        ).json()
        sn = bought["result"]["sn"]

        stamped = c.post(
            "/keystamp/adapter/docSigningZ",
            headers=auth,
            json={
                "certificatelevel": "NOT_CERTIFIED",
                "src": f"/sharefolder/doc_{idfile}.pdf",
                "dest": f"/sharefolder/final_{idfile}.pdf",
                "refToken": sn,
                "spesimenPath": f"/sharefolder/{sn}.png",
                "profileName": "emeteraicertificateSigner",
                "reason": "Lamaran CASN",
                "location": "Jakarta",
                "visLLX": 480,
                "visLLY": 40,
                "visURX": 560,
                "visURY": 120,
                "visSignaturePage": 2,
                "retryFlag": "0",
                "onPrem": False,
                "docId": idfile,
            },
        )
        assert stamped.status_code == 200 and stamped.json()["status"] == "True"
        result = c.get(stamped.json()["urlFile"], headers=auth)
        assert result.status_code == 200

    out = tmp_path / "lamaran-stamped.pdf"
    out.write_bytes(result.content)
    assert result.content.startswith(document.read_bytes())
    stamp = check_with_pyhanko(result.content, ca_file)
    assert stamp.bottom_line and stamp.reason == f"[{sn}] Lamaran CASN"
    assert stamp.page_index == 1 and stamp.rect == (480.0, 40.0, 560.0, 120.0)
    if not pdfsig_available():
        pytest.skip("pdfsig/certutil not installed: pyHanko validated, pdfsig not run")
    report = check_with_pdfsig(out, ca_file)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
