"""The classification table: every way a call can fail, and what the engine is told."""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
from pathlib import Path

import httpx
import pytest

from meterai.errors import (
    AuthExpired,
    AuthFailed,
    BalanceExhausted,
    ErrorKind,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from meterai.provider import (
    ConnectionStalled,
    MalformedResponse,
    ProviderClient,
    ResultNotFound,
    ServiceBusy,
    ServiceUnreachable,
    SigningParams,
    SigningRetry,
    StampingRejected,
    StampRequestFields,
    UnknownFailure,
)
from meterai.provider.mapping import parse_retry_after
from meterai.provider.peruri import result_name

from .conftest import FakeProvider, ok

NOW = 1_700_000_000.0
SN = "AB12CD34EF56GH78JK90LM"
FIELDS = StampRequestFields(
    idfile="f1", namadoc="4b", namafile="tag-1.pdf", nodoc="tag-1", tgldoc=dt.date(2025, 1, 2)
)
PARAMS = SigningParams(
    file_id="f1",
    sn=SN,
    specimen=f"{SN}.png",
    page=1,
    rect=(400.0, 40.0, 480.0, 120.0),
    reason="Meterai",
    location="Jakarta",
)


def raising(exc_type: type[httpx.TransportError]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)

    return handler


# --- transport errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("exc_type", "expected", "committed"),
    [
        (httpx.ConnectError, ServiceUnreachable, False),
        (httpx.ConnectTimeout, ServiceUnreachable, False),
        (httpx.PoolTimeout, ServiceUnreachable, False),
        (httpx.ReadError, ServiceUnreachable, True),
        (httpx.WriteError, ServiceUnreachable, True),
        (httpx.RemoteProtocolError, ServiceUnreachable, True),
        (httpx.ReadTimeout, ConnectionStalled, True),
        (httpx.WriteTimeout, ConnectionStalled, True),
    ],
)
def test_transport_errors_on_the_paid_call(
    fake: FakeProvider,
    client: ProviderClient,
    exc_type: type[httpx.TransportError],
    expected: type[ProviderError],
    committed: bool,
) -> None:
    fake.route("POST", "/chanel/stampv2")(raising(exc_type))
    with pytest.raises(expected) as info:
        client.request_serial(FIELDS)
    err = info.value
    assert isinstance(err, ProviderUnavailable)
    assert err.kind is ErrorKind.TRANSIENT
    assert err.maybe_committed is committed
    assert isinstance(err.__cause__, exc_type)


def test_read_error_on_a_get_is_never_committed(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("GET", "/jenisdoc")(raising(httpx.ReadError))
    with pytest.raises(ServiceUnreachable) as info:
        client.doc_types()
    assert info.value.maybe_committed is False


# --- HTTP status ----------------------------------------------------------------


def test_500_on_a_post_is_transient_and_maybe_committed(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("POST", "/chanel/stampv2")(lambda r: httpx.Response(500, text="oops"))
    with pytest.raises(ServiceBusy) as info:
        client.request_serial(FIELDS)
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.maybe_committed is True
    assert info.value.http_status == 500
    assert info.value.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_refusals_carry_retry_after_seconds_and_are_not_committed(
    fake: FakeProvider, client: ProviderClient, status: int
) -> None:
    fake.route("POST", "/chanel/stampv2")(
        lambda r: httpx.Response(status, headers={"Retry-After": "120"}, text="busy")
    )
    with pytest.raises(ServiceBusy) as info:
        client.request_serial(FIELDS)
    assert info.value.retry_after == 120
    assert info.value.maybe_committed is False


def test_retry_after_as_http_date(fake: FakeProvider, client: ProviderClient) -> None:
    when = email.utils.formatdate(NOW + 90, usegmt=True)
    fake.route("GET", "/jenisdoc")(lambda r: httpx.Response(429, headers={"Retry-After": when}))
    with pytest.raises(ServiceBusy) as info:
        client.doc_types()
    assert info.value.retry_after == pytest.approx(90)


def test_queue_position_from_body_or_header(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("POST", "/chanel/stampv2")(
        lambda r: httpx.Response(
            503, headers={"Retry-After": "7"}, json={"statusCode": "99", "queuePosition": 12}
        )
    )
    with pytest.raises(ServiceBusy) as info:
        client.request_serial(FIELDS)
    assert (info.value.queue_position, info.value.retry_after) == (12, 7)
    fake.route("POST", "/chanel/stampv2")(
        lambda r: httpx.Response(503, headers={"X-Queue-Position": "3"}, text="queued")
    )
    with pytest.raises(ServiceBusy) as info:
        client.request_serial(FIELDS)
    assert info.value.queue_position == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, lambda: NOW) == (
        pytest.approx(expected) if expected is not None else None
    )


def test_other_4xx_is_unknown(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("GET", "/jenisdoc")(lambda r: httpx.Response(403, json={"message": "forbidden"}))
    with pytest.raises(UnknownFailure) as info:
        client.doc_types()
    assert info.value.kind is ErrorKind.UNKNOWN
    assert info.value.http_status == 403


# --- malformed answers ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"statusCode":"00","result":{"sn":"SN',  # truncated
        b"<html>Gateway</html>",
        b"[]",
        b'{"statusCode":"00","result":{"filenameQR":"x.png"}}',  # no sn
        b'{"result":{"sn":"SN1"}}',  # no status at all
    ],
)
def test_malformed_answer_to_the_paid_call_is_transient_and_ambiguous(
    fake: FakeProvider, client: ProviderClient, body: bytes
) -> None:
    fake.route("POST", "/chanel/stampv2")(lambda r: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse) as info:
        client.request_serial(FIELDS)
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.maybe_committed is True
    assert isinstance(info.value, ProviderUnavailable)


# --- provider codes -------------------------------------------------------------------


def test_serial_success_and_body(fake: FakeProvider, client: ProviderClient) -> None:
    sent: list[dict[str, object]] = []

    @fake.route("POST", "/chanel/stampv2")
    def serial(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return ok(result={"sn": SN, "filenameQR": f"{SN}.png", "image": "aGk="})

    result = client.request_serial(FIELDS)
    assert (result.sn, result.filename_qr) == (SN, f"{SN}.png")
    assert sent[0]["namadoc"] == "4b" and sent[0]["isUpload"] is True
    assert sent[0]["snOnly"] is False and sent[0]["tgldoc"] == "2025-01-02"


@pytest.mark.parametrize(
    "body",
    [
        {"statusCode": "02", "message": "gagal", "result": {"err": "Saldo Tidak Cukup"}},
        {"statusCode": "05", "message": "saldo tidak cukup"},
        # stampv2's own quota code, worded or not (docs/provider-facts.md)
        {"statusCode": "93", "message": "gagal"},
        {"statusCode": 93},
    ],
)
def test_no_balance(fake: FakeProvider, client: ProviderClient, body: dict[str, object]) -> None:
    fake.route("POST", "/chanel/stampv2")(lambda r: httpx.Response(200, json=body))
    with pytest.raises(BalanceExhausted) as info:
        client.request_serial(FIELDS)
    assert info.value.kind is ErrorKind.USER_ACTION
    assert info.value.maybe_committed is False


def test_code_93_on_the_stamping_adapter_is_not_a_balance_refusal(
    fake: FakeProvider, client: ProviderClient
) -> None:
    """93 means "quota insufficient" only on stampv2; on docSigningZ it is a certificate error."""
    fake.route("POST", "/keystamp/adapter/docSigningZ")(
        lambda r: httpx.Response(200, json={"status": "False", "errorCode": "93"})
    )
    with pytest.raises(UnknownFailure) as info:
        client.stamp(PARAMS)
    assert info.value.provider_code == "93"


def test_the_qr_image_key_may_be_capitalised(fake: FakeProvider, client: ProviderClient) -> None:
    sn = "ABCDEFGHIJ0123456789XY"
    body = {"statusCode": "00", "result": {"sn": sn, "filenameQR": "q.png", "Image": "aGk="}}
    fake.route("POST", "/chanel/stampv2")(lambda r: httpx.Response(200, json=body))
    assert client.request_serial(FIELDS).image == "aGk="


def test_other_refusal_of_the_paid_call_is_unknown_and_not_committed(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("POST", "/chanel/stampv2")(
        lambda r: httpx.Response(200, json={"statusCode": "90", "result": {"err": "namadoc"}})
    )
    with pytest.raises(UnknownFailure) as info:
        client.request_serial(FIELDS)
    assert info.value.provider_code == "90"
    assert info.value.maybe_committed is False


@pytest.mark.parametrize(
    ("code", "expected", "kind"),
    [
        ("80", StampingRejected, ErrorKind.USER_ACTION),
        ("81", StampingRejected, ErrorKind.USER_ACTION),
        ("82", StampingRejected, ErrorKind.USER_ACTION),
        ("83", StampingRejected, ErrorKind.USER_ACTION),
        ("90", StampingRejected, ErrorKind.USER_ACTION),
        ("92", SigningRetry, ErrorKind.SIGNING_RETRY),
        ("97", SigningRetry, ErrorKind.SIGNING_RETRY),
        ("70", UnknownFailure, ErrorKind.UNKNOWN),
        ("91", UnknownFailure, ErrorKind.UNKNOWN),
        ("95", UnknownFailure, ErrorKind.UNKNOWN),
        ("", UnknownFailure, ErrorKind.UNKNOWN),
    ],
)
def test_stamping_error_codes_on_http_200(
    fake: FakeProvider,
    client: ProviderClient,
    code: str,
    expected: type[ProviderError],
    kind: ErrorKind,
) -> None:
    fake.route("POST", "/keystamp/adapter/docSigningZ")(
        lambda r: httpx.Response(
            200, json={"status": "False", "errorCode": code, "errorMessage": "gagal"}
        )
    )
    with pytest.raises(expected) as info:
        client.stamp(PARAMS)
    assert info.value.kind is kind
    assert isinstance(info.value, ProviderRejected)


def test_stamping_rejections_have_their_own_messages(
    fake: FakeProvider, client: ProviderClient
) -> None:
    messages = set()
    for code in ("80", "81", "82", "83"):
        fake.route("POST", "/keystamp/adapter/docSigningZ")(
            lambda r, code=code: httpx.Response(
                200, json={"status": "False", "errorCode": code, "errorMessage": "x"}
            )
        )
        with pytest.raises(StampingRejected) as info:
            client.stamp(PARAMS)
        messages.add(str(info.value))
    assert len(messages) == 4


def test_stamp_success_and_body(fake: FakeProvider, client: ProviderClient) -> None:
    sent: list[dict[str, object]] = []

    @fake.route("POST", "/keystamp/adapter/docSigningZ")
    def sign(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "True", "errorCode": "00", "urlFile": "u"})

    retry = SigningParams(**{**PARAMS.__dict__, "retry": True})
    assert client.stamp(retry).url_file == "u"
    body = sent[0]
    assert body["src"] == "/sharefolder/doc_f1.pdf"
    assert body["dest"] == "/sharefolder/final_f1.pdf"
    assert body["refToken"] == SN and body["retryFlag"] == "1"
    assert body["spesimenPath"] == f"/sharefolder/{SN}.png"
    assert (body["visLLX"], body["visURY"], body["visSignaturePage"]) == (400.0, 120.0, 1)


def test_no_balance_from_the_signing_adapter(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("POST", "/keystamp/adapter/docSigningZ")(
        lambda r: httpx.Response(
            200, json={"status": "False", "errorCode": "99", "errorMessage": "Saldo Tidak Cukup"}
        )
    )
    with pytest.raises(BalanceExhausted):
        client.stamp(PARAMS)


# --- auth -------------------------------------------------------------------------------


def test_expired_token_logs_in_again_once_and_succeeds(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("GET", "/jenisdoc")(lambda r: ok(result=[{"id": 1, "kode": "4b", "nama": "x"}]))
    assert client.doc_types()[0].kode == "4b"
    fake.expire_all()
    assert client.doc_types()[0].id == "1"
    assert fake.logins == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"statusCode": "01"}),
        httpx.Response(401, text="unauthorised"),
        httpx.Response(200, json={"status": "False", "errorCode": "01", "statusCode": "01"}),
    ],
)
def test_token_refused_twice_gives_auth_expired_after_one_relogin(
    fake: FakeProvider, client: ProviderClient, answer: httpx.Response
) -> None:
    fake.route("POST", "/keystamp/adapter/docSigningZ")(lambda r: answer)
    with pytest.raises(AuthExpired) as info:
        client.stamp(PARAMS)
    assert info.value.kind is ErrorKind.AUTH
    assert fake.logins == 2


def test_login_refused(fake: FakeProvider, client: ProviderClient) -> None:
    fake.password = "other"
    with pytest.raises(AuthFailed) as info:
        client.balance()
    assert info.value.kind is ErrorKind.AUTH


def test_login_is_sent_without_a_token_and_others_with_it(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("GET", "/jenisdoc")(lambda r: ok(result=[]))
    client.doc_types()
    login, call = fake.seen
    assert "Authorization" not in login.headers
    assert call.headers["Authorization"].startswith("Bearer eyJ")


# --- variants ------------------------------------------------------------------------


def test_balance_accepts_status_and_falls_back_to_get(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("POST", "/function/saldopos")(lambda r: httpx.Response(405))
    fake.route("GET", "/function/saldopos")(
        lambda r: httpx.Response(
            200, json={"status": "00", "result": {"saldo": "7", "notstamp": 1}}
        )
    )
    balance = client.balance()
    assert (balance.saldo, balance.notstamp) == (7, 1)
    client.balance()
    assert [r.method for r in fake.seen if r.url.path == "/function/saldopos"] == [
        "POST",
        "GET",
        "GET",
    ]


def test_sn_status_and_list(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("GET", "/api/chanel/stamp/ext")(
        lambda r: (
            ok(
                result={
                    "total": 1,
                    "data": [{"status": "NOTSTAMP", "file": "a.pdf", "tglupdate": "2025"}],
                }
            )
            if r.url.params["filter"] == SN
            else ok(result={"total": 0, "data": []})
        )
    )
    fake.route("GET", "/chanel/sale/stamp/ext/u-1")(
        lambda r: ok(
            result=[{"serialNumber": SN, "status": "STAMP", "noDoc": "tag-1", "namafile": "f"}]
        )
    )
    status = client.sn_status(SN)
    assert status is not None and status.status == "NOTSTAMP"
    assert client.sn_status("ZZ12CD34EF56GH78JK90LM") is None
    entries = client.sn_list()
    assert entries[0].sn == SN and entries[0].nodoc == "tag-1"


# --- answers out of bounds ------------------------------------------------------------


@pytest.mark.parametrize(
    "sn",
    [
        "../../x",
        "AB12CD34EF56GH78JK90L/",
        "AB12-CD34-EF56-GH78-JK",
        "AB12CD34EF56GH78JK90L",
        "ab12cd34ef56gh78jk90lm",
        "",
    ],
)
def test_a_serial_number_out_of_format_is_refused_as_an_ambiguous_answer(
    fake: FakeProvider, client: ProviderClient, sn: str
) -> None:
    """Refused before anyone stores it; the purchase may have happened, so reconcile."""
    fake.route("POST", "/chanel/stampv2")(
        lambda r: ok(result={"sn": sn, "filenameQR": f"{sn}.png", "image": "aGk="})
    )
    with pytest.raises(MalformedResponse) as info:
        client.request_serial(FIELDS)
    assert info.value.kind is ErrorKind.TRANSIENT
    assert info.value.maybe_committed is True


def test_a_serial_number_list_holding_a_path_is_refused_whole(
    fake: FakeProvider, client: ProviderClient
) -> None:
    """Skipping the bad entry could hide this install's purchase and lead to a second one."""
    fake.route("GET", "/chanel/sale/stamp/ext/u-1")(
        lambda r: ok(
            result=[
                {"sn": SN, "status": "NOTSTAMP", "nodoc": "tag-1"},
                {"sn": "../../x", "status": "STAMP", "nodoc": "tag-2"},
            ]
        )
    )
    with pytest.raises(MalformedResponse, match="serial number"):
        client.sn_list()


@pytest.mark.parametrize("file_id", ["../x", "a/b", "..", "", "a b", "x" * 200])
def test_an_upload_id_that_is_not_a_plain_name_is_refused(
    fake: FakeProvider, client: ProviderClient, file_id: str, tmp_path: Path
) -> None:
    fake.route("POST", "/uploaddoc2")(lambda r: ok(id=file_id, name=f"doc_{file_id}.pdf"))
    document = tmp_path / "d.pdf"
    document.write_bytes(b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(MalformedResponse):
        client.upload(document)


# --- download ----------------------------------------------------------------------


def test_download_404_is_result_not_found(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("GET", "/getfile3/final_f1.pdf")(lambda r: httpx.Response(404, json={}))
    with pytest.raises(ResultNotFound) as info:
        client.download("final_f1.pdf", io.BytesIO())
    assert info.value.kind is ErrorKind.UNKNOWN


def test_download_never_sends_the_token_to_a_foreign_host(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("GET", "/getfile3/final_f1.pdf")(
        lambda r: httpx.Response(200, content=b"%PDF-1.7 data")
    )
    sink = io.BytesIO()
    assert client.download("https://evil.example/x/final_f1.pdf", sink) == 13
    assert fake.seen[-1].url.host == "fileupload.test"
    assert sink.getvalue() == b"%PDF-1.7 data"


def test_download_relogs_and_rewinds(fake: FakeProvider, client: ProviderClient) -> None:
    fake.route("GET", "/getfile3/final_f1.pdf")(
        lambda r: httpx.Response(200, content=b"%PDF-1.7 body")
    )
    sink = io.BytesIO()
    client.download("https://fileupload.test/getfile3/final_f1.pdf", sink)
    fake.expire_all()
    sink = io.BytesIO(b"stale partial")
    sink.seek(0)
    client.download("/getfile3/final_f1.pdf", sink)
    assert sink.getvalue() == b"%PDF-1.7 body"
    assert fake.logins == 2


def test_download_of_something_not_a_pdf_is_malformed(
    fake: FakeProvider, client: ProviderClient
) -> None:
    fake.route("GET", "/getfile3/x.pdf")(lambda r: httpx.Response(200, content=b"<html>"))
    with pytest.raises(MalformedResponse):
        client.download("x.pdf", io.BytesIO())


def test_plain_http_is_refused_except_on_loopback() -> None:
    urls = dict.fromkeys(
        ("backendservice", "stampv2", "fileupload", "stampservice"), "http://example.com"
    )
    with pytest.raises(ValueError, match="https"):
        ProviderClient(urls)
    ProviderClient({k: "http://127.0.0.1:9" for k in urls}).close()


def test_a_result_location_without_a_file_name_is_a_provider_error(
    fake: FakeProvider, client: ProviderClient
) -> None:
    """Escaped bug: a ``urlFile`` naming no file raised a bare ValueError (a bug's class)."""
    with pytest.raises(MalformedResponse) as info:
        client.download("https://elsewhere.example/", io.BytesIO())
    assert info.value.endpoint == "download" and info.value.maybe_committed is False


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("final_abc123.pdf", "final_abc123.pdf"),
        ("doc_abc123.pdf", "final_abc123.pdf"),
        ("/sharefolder/doc_abc123.pdf", "final_abc123.pdf"),
        ("https://fileupload.test/getfile3/final_abc123.pdf?x=1", "final_abc123.pdf"),
        ("abc123", "final_abc123.pdf"),
        ("", ""),
        ("surat lamaran.pdf", ""),
        ("mdk-0123456789ab-0123456789abcdef_d1.pdf", ""),
        ("doc_../x.pdf", ""),
        ("final_.pdf", ""),
    ],
)
def test_the_result_is_named_after_the_file_id_a_serial_record_gives(
    file: str, expected: str
) -> None:
    assert result_name(file) == expected
