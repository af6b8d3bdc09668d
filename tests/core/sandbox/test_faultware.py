"""Every fault mode, seen from an httpx client with a fixed seed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from meterai.provider import peruri
from meterai.provider.peruri import Endpoint
from meterai.sandbox import tamper
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def _rule(endpoint: str, fault: str, **extra: Any) -> dict[str, Any]:
    return {"seed": 7, "rules": [{"endpoint": endpoint, "fault": fault, **extra}]}


def _uploaded(api: ApiClient, tmp_path: Path) -> str:
    up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
    return str(up["id"])


def test_drop_before_commit_loses_nothing(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    api.faults(_rule("stampv2", "drop_before_commit", count=1))
    with pytest.raises(DROPPED):
        api.buy(idfile)
    assert api.account()["spent"] == 0
    assert api.buy(idfile).json()["statusCode"] == "00"  # count=1: the next call passes


def test_drop_after_commit_spends_the_stamp(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    api.faults(_rule("stampv2", "drop_after_commit", count=1))
    with pytest.raises(DROPPED):
        api.buy(idfile, "LOST-1")
    (serial,) = api.account()["serials"]
    assert (serial["nodoc"], serial["status"]) == ("LOST-1", "NOTSTAMP")
    listed = api.http.get(f"/chanel/sale/stamp/ext/{api.user_id}", headers=api.auth).json()
    assert [d["nodoc"] for d in listed["result"]["data"]] == ["LOST-1"]  # recovery can find it


def test_drop_after_commit_on_stamping_then_retry(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    sn = api.buy(idfile).json()["result"]["sn"]
    api.faults(_rule("docSigningZ", "drop_after_commit", count=1))
    with pytest.raises(DROPPED):
        api.stamp(idfile, sn)
    assert api.account()["serials"][0]["status"] == "STAMP"
    assert api.stamp(idfile, sn, retry=True).json()["status"] == "True"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_http_errors_with_retry_after(api: ApiClient, status: int) -> None:
    api.faults(_rule("jenisdoc", "http_error", status=status, retry_after=7, count=2))
    for _ in range(2):
        r = api.http.get("/jenisdoc", headers=api.auth)
        assert (r.status_code, r.headers["retry-after"]) == (status, "7")
    assert api.http.get("/jenisdoc", headers=api.auth).status_code == 200


def test_queue_mode_for_k_calls(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    api.faults(_rule("stampv2", "queue", calls=3, retry_after=7200))
    positions = []
    for _ in range(3):
        r = api.buy(idfile)
        assert (r.status_code, r.headers["retry-after"]) == (503, "7200")
        positions.append(r.json()["queuePosition"])
    assert positions == [3, 2, 1]
    assert api.buy(idfile).status_code == 200
    assert api.account()["spent"] == 1


def test_queue_mode_for_t_seconds_answers_503_with_a_position(api: ApiClient) -> None:
    api.faults(_rule("saldopos", "queue", seconds=30, retry_after=1))
    first = api.http.get("/function/saldopos", headers=api.auth)
    assert first.status_code == 503 and first.json()["queuePosition"] >= 1
    assert api.http.get("/function/saldopos", headers=api.auth).status_code == 503


def test_malformed_json(api: ApiClient) -> None:
    api.faults(_rule("jenisdoc", "malformed_json"))
    r = api.http.get("/jenisdoc", headers=api.auth)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_truncated_json_after_the_effect(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    api.faults(_rule("stampv2", "truncated_json"))
    r = api.buy(idfile)
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert r.text.startswith('{"statusCode":"00"')
    assert api.account()["spent"] == 1


def test_rewrite_json_changes_one_value_after_the_effect(api: ApiClient, tmp_path: Path) -> None:
    idfile = _uploaded(api, tmp_path)
    api.faults(_rule("stampv2", "rewrite_json", path="result.sn", value="../../x"))
    answer = api.buy(idfile).json()
    assert answer["statusCode"] == "00" and answer["result"]["sn"] == "../../x"
    assert answer["result"]["filenameQR"].endswith(".png")
    assert api.account()["spent"] == 1


def test_hang_until_the_client_gives_up(api: ApiClient) -> None:
    api.faults(_rule("saldopos", "hang"))
    with pytest.raises(httpx.ReadTimeout):
        api.http.get("/function/saldopos", headers=api.auth, timeout=0.5)


def test_hang_for_seconds_then_drop(api: ApiClient) -> None:
    api.faults(_rule("saldopos", "hang", seconds=0.3))
    started = time.monotonic()
    with pytest.raises(DROPPED):
        api.http.get("/function/saldopos", headers=api.auth, timeout=5)
    assert time.monotonic() - started >= 0.3


def test_latency(api: ApiClient) -> None:
    api.faults(_rule("jenisdoc", "latency", seconds=0.3))
    started = time.monotonic()
    assert api.http.get("/jenisdoc", headers=api.auth).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_bandwidth_both_ways(api: ApiClient, tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "img.pdf", image_bytes=100_000).read_bytes()
    api.faults(_rule("uploaddoc2", "bandwidth", bytes_per_second=200_000))
    started = time.monotonic()
    up = api.upload(data)
    assert time.monotonic() - started >= 0.8 * len(data) / 200_000
    sn = api.buy(up["id"]).json()["result"]["sn"]
    url = api.stamp(up["id"], sn).json()["urlFile"]
    api.faults(_rule("getfile", "bandwidth", bytes_per_second=200_000))
    started = time.monotonic()
    body = api.download(url).content
    assert time.monotonic() - started >= 0.8 * len(body) / 200_000


@pytest.mark.parametrize("fault", ["append_revision", "append_junk"])
def test_a_tampering_fault_alters_the_stamped_result_after_signing(
    fault: str, api: ApiClient, tmp_path: Path
) -> None:
    """The stamp is made and signed as usual; only the bytes served are altered."""
    original = make_pdf(tmp_path / "doc.pdf")
    _sn, clean = api.full_stamp(original)
    api.faults(_rule("getfile", fault, count=1))
    _sn, served = api.full_stamp(original, nodoc="NO-2")
    assert served.startswith(clean[: len(original.read_bytes())])
    if fault == "append_junk":
        assert served.endswith(tamper.JUNK)
    else:
        assert served.count(b"%%EOF") == clean.count(b"%%EOF") + 1


def test_a_tampering_fault_only_applies_to_the_download(api: ApiClient) -> None:
    response = api.http.put("/_sandbox/faults", json=_rule("stampv2", "append_revision"))
    assert response.status_code == 400
    assert "getfile" in response.text


@pytest.mark.parametrize("endpoint", peruri.ENDPOINTS, ids=lambda e: e.name)
def test_every_provider_call_is_faulted_by_its_name(api: ApiClient, endpoint: Endpoint) -> None:
    """One table gives the sandbox its routes and the fault rules their names: a rule
    naming a call reaches exactly that call's path, placeholders and all."""
    api.faults(_rule(endpoint.name, "http_error", status=503, count=1))
    placeholders = {k: "X" for k in ("sn", "name", "user_id") if f"{{{k}}}" in endpoint.path}
    path = endpoint.path_for(**placeholders)
    faulted = api.http.request(endpoint.method, path, headers=api.auth)
    assert faulted.status_code == 503
    again = api.http.request(endpoint.method, path, headers=api.auth)
    assert again.status_code != 503
    assert api.http.get("/_sandbox/faults").json()["fired"][0]["endpoint"] == endpoint.name


def test_slow_signing_goes_on_after_the_caller_gave_up(api: ApiClient, tmp_path: Path) -> None:
    """A loaded provider keeps signing a call its caller stopped waiting for: the serial
    number reads NOTSTAMP meanwhile and STAMP once the signature is made."""
    idfile = _uploaded(api, tmp_path)
    sn = api.buy(idfile).json()["result"]["sn"]
    api.faults(_rule("docSigningZ", "slow_signing", seconds=1.5))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        api.http.post(
            peruri.STAMP.path, json=api.stamp_body(idfile, sn), headers=api.auth, timeout=0.3
        )
    assert api.account()["serials"][0]["status"] == "NOTSTAMP"
    while api.account()["serials"][0]["status"] != "STAMP":
        assert time.monotonic() - started < 30, "the signing never finished"
        time.sleep(0.1)
    assert time.monotonic() - started >= 1.5
