"""Stamps signed in worker processes: the same stamps and refusals as on the server's
threads, several at once, and a lost worker costs one retry, never a stamp."""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer, pki
from meterai.sandbox.stamping import Stamper, StampOrder
from meterai.specimen import specimen_png
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_encrypted, make_pdf
from tests.support.verifying import check_with_pyhanko

pytestmark = pytest.mark.slow  # two worker processes import pyHanko at start


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("pooled"), signing_processes=2) as server:
        yield server


@pytest.fixture
def api(pooled: SandboxServer) -> Iterator[ApiClient]:
    client = ApiClient(pooled, timeout=60)
    assert client.http.post("/_sandbox/reset").status_code == 200
    client.login()
    yield client
    client.close()


def _workers(server: SandboxServer) -> tuple[int, ...]:
    assert server.stamper is not None
    return server.stamper.workers()


def test_stamps_signed_side_by_side_in_workers_validate(
    api: ApiClient, pooled: SandboxServer, tmp_path: Path
) -> None:
    pdfs = [make_pdf(tmp_path / f"doc-{i}.pdf", pages=2) for i in range(4)]
    with ThreadPoolExecutor(4) as threads:
        stamps = list(
            threads.map(lambda i: api.full_stamp(pdfs[i], nodoc=f"NO-{i}", page=2), range(4))
        )
    workers = _workers(pooled)
    assert len(workers) == 2 and os.getpid() not in workers
    for pdf, (sn, stamped) in zip(pdfs, stamps, strict=True):
        assert stamped.startswith(pdf.read_bytes())
        report = check_with_pyhanko(stamped, pooled.ca_file)
        assert report.bottom_line and report.reason == f"[{sn}] CASN 2024"
        assert report.page_index == 1
    serials = api.account()["serials"]
    assert sorted(s["stamp_count"] for s in serials) == [1, 1, 1, 1]


def test_a_worker_refuses_with_the_adapters_code(api: ApiClient, tmp_path: Path) -> None:
    up = api.upload(make_encrypted(tmp_path / "locked.pdf").read_bytes())
    sn = api.buy(up["id"]).json()["result"]["sn"]
    answer = api.stamp(up["id"], sn).json()
    assert (answer["status"], answer["errorCode"]) == ("False", "82")
    assert api.account()["serials"][0]["status"] == "NOTSTAMP"


def test_a_lost_worker_fails_one_stamp_as_92_and_the_retry_signs(
    api: ApiClient, pooled: SandboxServer, tmp_path: Path
) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    sn = api.buy(up["id"]).json()["result"]["sn"]
    deadline = time.monotonic() + 60
    while len(_workers(pooled)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in _workers(pooled):
        os.kill(pid, signal.SIGKILL)
    lost = api.stamp(up["id"], sn).json()
    assert (lost["status"], lost["errorCode"]) == ("False", "92")
    assert api.account()["serials"][0]["status"] == "NOTSTAMP"
    retried = api.stamp(up["id"], sn, retry=True).json()
    assert retried["status"] == "True", retried
    stamped = api.download(retried["urlFile"]).content
    assert check_with_pyhanko(stamped, pooled.ca_file).bottom_line


def test_workers_that_cannot_start_leave_the_signing_to_threads(tmp_path: Path) -> None:
    """A worker that cannot load the key must not leave every stamp waiting on it."""
    material = pki.ensure(tmp_path / "ca")
    stamper = Stamper(material, processes=1)
    material.signer_key.rename(tmp_path / "gone.pem")  # loaded already by the server side
    try:
        stamper.start(timeout=60)
        assert stamper.workers() == ()
        order = StampOrder(
            make_pdf(tmp_path / "a.pdf").read_bytes(), "A" * 22, 1, (400, 50, 480, 130), "", ""
        )
        signed = stamper.stamp(order)
        assert isinstance(signed, bytes)
        assert check_with_pyhanko(signed, material.ca_file).bottom_line
    finally:
        stamper.close()


def test_the_purchase_answers_with_the_specimen_a_worker_drew(
    api: ApiClient, tmp_path: Path
) -> None:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    result = api.buy(up["id"]).json()["result"]
    assert base64.b64decode(result["image"]) == specimen_png(300, result["sn"])
