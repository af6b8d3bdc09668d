"""The whole happy path through ProviderClient against the real sandbox, over HTTPS."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from meterai.credentials import credentials_for
from meterai.errors import BalanceExhausted, ErrorKind
from meterai.provider import (
    ProviderClient,
    ServiceBusy,
    SigningParams,
    StampRequestFields,
    TlsUntrusted,
)
from meterai.sandbox import SandboxServer
from meterai.settings import SERVICES, Profile
from tests.support.clock import ManualClock
from tests.support.pdfs import make_pdf

TOKEN_DAY = 24 * 3600.0  # the sandbox's default token lifetime, as the provider's


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("provider-sandbox")) as server:
        yield server


def _profile(server: SandboxServer) -> Profile:
    return Profile(
        name="sandbox-test",
        kind="sandbox",
        base_urls=dict.fromkeys(SERVICES, server.base_url),
        tls_ca_file=str(server.ca_file),
        sign_ca_files=(str(server.ca_file),),
        user="demo",
    )


def _admin(server: SandboxServer) -> httpx.Client:
    return server.admin_client()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[ProviderClient]:
    with _admin(sandbox) as admin:
        assert admin.post("/_sandbox/reset").status_code == 200
    profile = _profile(sandbox)
    with ProviderClient.from_profile(
        profile, credentials=credentials_for(profile, environ={}, interactive=False)
    ) as c:
        yield c
    with _admin(sandbox) as admin:
        admin.put("/_sandbox/faults", json={})


def _fields(file_id: str, kode: str, tag: str) -> StampRequestFields:
    return StampRequestFields(
        idfile=file_id,
        namadoc=kode,
        namafile=f"{tag}.pdf",
        nodoc=tag,
        tgldoc=dt.date(2025, 1, 2),
    )


def test_happy_path(client: ProviderClient, tmp_path: Path) -> None:
    original = make_pdf(tmp_path / "surat.pdf", pages=2).read_bytes()
    (tmp_path / "surat.pdf").write_bytes(original)

    kodes = [t.kode for t in client.doc_types()]
    assert kodes
    before = client.balance()

    sent: list[int] = []
    upload = client.upload(tmp_path / "surat.pdf", lambda done, total: sent.append(done))
    assert upload.file_id and sent[-1] > len(original)

    serial = client.request_serial(_fields(upload.file_id, kodes[0], "tag-0001"))
    assert serial.sn
    after = client.balance()
    assert after.saldo == before.saldo - 1

    status = client.sn_status(serial.sn)
    assert status is not None and status.status == "NOTSTAMP"
    listed = {e.sn: e for e in client.sn_list()}
    assert listed[serial.sn].nodoc == "tag-0001"
    assert listed[serial.sn].status == "NOTSTAMP"

    params = SigningParams(
        file_id=upload.file_id,
        sn=serial.sn,
        specimen=serial.filename_qr,
        page=2,
        rect=(480.0, 40.0, 560.0, 120.0),
        reason="Meterai elektronik",
        location="Jakarta",
    )
    result = client.stamp(params)
    again = client.stamp(SigningParams(**{**params.__dict__, "retry": True}))
    assert again.url_file

    sink = io.BytesIO()
    size = client.download(result.url_file, sink)
    stamped = sink.getvalue()
    assert size == len(stamped) > len(original)
    assert stamped.startswith(original)  # an incremental update of exactly what we uploaded

    status = client.sn_status(serial.sn)
    assert status is not None and status.status == "STAMP"
    assert client.balance().saldo == before.saldo - 1


def test_orphan_serial_is_reassigned_not_rebought(client: ProviderClient, tmp_path: Path) -> None:
    kode = client.doc_types()[0].kode
    path = make_pdf(tmp_path / "a.pdf")
    upload = client.upload(path)
    serial = client.request_serial(_fields(upload.file_id, kode, "tag-orphan"))
    saldo = client.balance().saldo
    client.reassign_serial(serial.sn, nodoc="tag-next", namadoc=kode, namafile="tag-next.pdf")
    listed = {e.sn: e for e in client.sn_list()}
    assert listed[serial.sn].nodoc == "tag-next"
    assert client.balance().saldo == saldo


def test_queue_mode_gives_position_and_retry_after(
    client: ProviderClient, sandbox: SandboxServer
) -> None:
    with _admin(sandbox) as admin:
        rules = [{"endpoint": "jenisdoc", "fault": "queue", "calls": 1, "retry_after": 7}]
        assert admin.put("/_sandbox/faults", json={"rules": rules}).status_code == 200
    with pytest.raises(ServiceBusy) as info:
        client.doc_types()
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.retry_after == 7
    assert info.value.queue_position is not None
    assert client.doc_types()


def test_balance_exhausted(client: ProviderClient, sandbox: SandboxServer, tmp_path: Path) -> None:
    with _admin(sandbox) as admin:
        created = admin.post(
            "/_sandbox/accounts", json={"user": "poor", "password": "pw", "balance": 0}
        )
        assert created.status_code in (200, 201), created.text
    profile = _profile(sandbox)
    with ProviderClient.from_profile(profile, credentials=lambda: ("poor", "pw")) as poor:
        kode = poor.doc_types()[0].kode
        upload = poor.upload(make_pdf(tmp_path / "p.pdf"))
        with pytest.raises(BalanceExhausted) as info:
            poor.request_serial(_fields(upload.file_id, kode, "tag-poor"))
    assert info.value.kind is ErrorKind.USER_ACTION
    assert info.value.maybe_committed is False


def test_expired_token_is_renewed(tmp_path: Path) -> None:
    """The token's day passes on the sandbox's clock, not in a sleep: the next call gets the
    provider's expired-token answer and the client logs in once more, then succeeds."""
    clock = ManualClock()
    with SandboxServer(tmp_path / "timed", clock=clock) as server:
        profile = _profile(server)
        with ProviderClient.from_profile(profile, credentials=lambda: ("demo", "demo")) as c:
            c.balance()
            clock.advance(TOKEN_DAY - 1)
            c.balance()
            assert c.session.logins == 1
            clock.advance(2)
            c.balance()
            assert c.session.logins == 2


def test_the_public_roots_do_not_trust_the_sandbox(sandbox: SandboxServer) -> None:
    urls = dict.fromkeys(SERVICES, sandbox.base_url)
    with (
        ProviderClient(urls, credentials=lambda: ("demo", "demo")) as c,
        pytest.raises(TlsUntrusted) as info,
    ):
        c.balance()
    assert info.value.maybe_committed is False


@pytest.mark.parametrize(
    ("fault", "committed"),
    [
        ("drop_after_commit", True),
        ("truncated_json", True),
        ("malformed_json", True),
        ("drop_before_commit", None),
    ],
)
def test_lost_answer_to_the_paid_call_is_ambiguous_and_recoverable(
    client: ProviderClient,
    sandbox: SandboxServer,
    tmp_path: Path,
    fault: str,
    committed: bool | None,
) -> None:
    kode = client.doc_types()[0].kode
    upload = client.upload(make_pdf(tmp_path / "d.pdf"))
    with _admin(sandbox) as admin:
        rules = [{"endpoint": "stampv2", "fault": fault, "count": 1}]
        assert admin.put("/_sandbox/faults", json={"rules": rules}).status_code == 200
    with pytest.raises(Exception) as info:
        client.request_serial(_fields(upload.file_id, kode, f"tag-{fault}"))
    err = info.value
    assert getattr(err, "kind", None) is ErrorKind.TRANSIENT
    tagged = [e for e in client.sn_list() if e.nodoc == f"tag-{fault}"]
    if committed:
        assert err.maybe_committed is True  # type: ignore[attr-defined]
        assert len(tagged) == 1 and tagged[0].status == "NOTSTAMP"
    else:
        assert tagged == []
