"""A thin test client speaking the provider API to the sandbox, the way the adapter will."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from meterai.sandbox import SandboxServer

DEFAULT_BOX = (420.0, 60.0, 520.0, 160.0)


class ApiClient:
    def __init__(self, server: SandboxServer, **kwargs: Any) -> None:
        # The admin secret rides along on every call: the sandbox ignores it elsewhere.
        self._speak_through(server.admin_client(**kwargs))

    @classmethod
    def over(cls, http: httpx.Client) -> ApiClient:
        """A client speaking through ``http``: a sandbox in another process (the benches)."""
        api = cls.__new__(cls)
        api._speak_through(http)
        return api

    def _speak_through(self, http: httpx.Client) -> None:
        self.http = http
        self.token = ""
        self.user_id = ""

    def close(self) -> None:
        self.http.close()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def login(self, user: str = "demo", password: str = "demo") -> dict[str, Any]:
        body: dict[str, Any] = self.http.post(
            "/api/users/login", json={"user": user, "password": password}
        ).json()
        if body["statusCode"] == "00":
            self.token = body["token"]
            self.user_id = body["result"]["data"]["login"]["user"]["id"]
        return body

    def upload(self, data: bytes, name: str = "doc.pdf") -> dict[str, Any]:
        return self.http.post(
            "/uploaddoc2",
            files={"file": (name, data, "application/pdf")},
            data={"token": self.token},
        ).json()

    def buy(self, idfile: str, nodoc: str = "NO-1", **extra: Any) -> httpx.Response:
        body = {
            "isUpload": True,
            "idfile": idfile,
            "namadoc": "4b",
            "namafile": f"{nodoc}.pdf",
            "nilaidoc": "10000",
            "namejidentitas": "KTP",
            "noidentitas": "3170000000000001",
            "namedipungut": "Applicant",
            "snOnly": False,
            "nodoc": nodoc,
            "tgldoc": "2024-06-01",
            **extra,
        }
        return self.http.post("/chanel/stampv2", json=body, headers=self.auth)

    def stamp_body(
        self,
        idfile: str,
        sn: str,
        *,
        page: int = 1,
        box: tuple[float, ...] = DEFAULT_BOX,
        retry: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "certificatelevel": "NOT_CERTIFIED",
            "src": f"/sharefolder/doc_{idfile}.pdf",
            "dest": f"/sharefolder/final_{idfile}.pdf",
            "refToken": sn,
            "spesimenPath": f"/sharefolder/{sn}.png",
            "profileName": "emeteraicertificateSigner",
            "reason": "CASN 2024",
            "location": "Jakarta",
            "visLLX": box[0],
            "visLLY": box[1],
            "visURX": box[2],
            "visURY": box[3],
            "visSignaturePage": page,
            "retryFlag": "1" if retry else "0",
            "onPrem": False,
            "docId": idfile,
            **extra,
        }

    def stamp(self, idfile: str, sn: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(
            "/keystamp/adapter/docSigningZ",
            json=self.stamp_body(idfile, sn, **kwargs),
            headers=self.auth,
        )

    def download(self, url: str) -> httpx.Response:
        return self.http.get(url, headers=self.auth)

    def full_stamp(self, pdf: Path, nodoc: str = "NO-1", **kwargs: Any) -> tuple[str, bytes]:
        """Upload, buy and stamp; returns the SN and the stamped bytes."""
        up = self.upload(pdf.read_bytes(), pdf.name)
        sn = self.buy(up["id"], nodoc).json()["result"]["sn"]
        result = self.stamp(up["id"], sn, **kwargs).json()
        assert result["status"] == "True", result
        return sn, self.download(result["urlFile"]).content

    def ledger(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get("/_sandbox/ledger").json()
        return body

    def account(self, user: str = "demo") -> dict[str, Any]:
        return next(a for a in self.ledger()["accounts"] if a["user"] == user)

    def faults(self, config: dict[str, Any]) -> dict[str, Any]:
        response = self.http.put("/_sandbox/faults", json=config)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
