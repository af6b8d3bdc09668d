"""Running the sandbox: loopback only, state that survives a restart, plain HTTP for debugging."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.sandbox import NotLoopback, SandboxServer
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_non_loopback_bind_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(NotLoopback) as caught:
        SandboxServer(tmp_path, host=host)
    assert host in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert not (tmp_path / "ca").exists()


def test_state_and_ca_survive_a_restart(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "sb") as first:
        ca = first.ca_file.read_bytes()
        api = ApiClient(first)
        api.login()
        up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
        sn = api.buy(up["id"], "BEFORE").json()["result"]["sn"]
        token = api.token
        api.close()
    with SandboxServer(tmp_path / "sb") as second:
        assert second.ca_file.read_bytes() == ca
        api = ApiClient(second)
        api.token = token  # tokens outlive a restart, as the provider's do
        listed = api.http.get("/api/chanel/stamp/ext", params={"filter": sn}, headers=api.auth)
        assert listed.json()["result"]["data"][0]["status"] == "NOTSTAMP"
        assert api.stamp(up["id"], sn).json()["status"] == "True"
        api.close()


def test_plain_http_for_debugging(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "sb", tls=False) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        import httpx

        assert (
            httpx.post(
                server.base_url + "/api/users/login", json={"user": "demo", "password": "demo"}
            ).json()["statusCode"]
            == "00"
        )
