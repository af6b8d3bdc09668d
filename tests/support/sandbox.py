"""A real sandbox over HTTPS on loopback, its admin, data dirs whose active profile points at it.

Shared by the sync, kiosk, CLI and desktop tests and by ``bench/``: a helper here, not in a
``conftest.py``, so nothing imports a conftest (pytest would register its fixtures twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, RequestRow, State
from meterai.sandbox import SandboxServer
from meterai.settings import (
    SERVICES,
    Paths,
    Profile,
    Settings,
    load_settings,
    resolve_paths,
    save_settings,
)
from meterai.sync.backoff import Backoff
from meterai.sync.engine import EngineConfig
from meterai.sync.runner import RunnerConfig, SyncRunner
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support.pdfs import make_pdf

FAST = RunnerConfig(
    concurrency=4,
    stall_timeout=3.0,
    probe_interval=1.0,
    engine=EngineConfig(
        max_failures=30, backoff=Backoff(0.2, 2.0), reconcile_grace=1.0, stamp_settle=10.0
    ),
)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("provider")) as server:
        yield server


class Admin:
    def __init__(self, server: SandboxServer) -> None:
        self.http = server.admin_client(timeout=30)

    def reset(self) -> None:
        assert self.http.post("/_sandbox/reset").status_code == 200

    def faults(self, config: dict[str, Any]) -> None:
        assert self.http.put("/_sandbox/faults", json=config).status_code == 200

    def serials(self, user: str = "demo") -> list[dict[str, Any]]:
        ledger = self.http.get("/_sandbox/ledger").json()
        (account,) = [a for a in ledger["accounts"] if a["user"] == user]
        return list(account["serials"])

    def account(self, user: str = "demo") -> dict[str, Any]:
        ledger = self.http.get("/_sandbox/ledger").json()
        return next(a for a in ledger["accounts"] if a["user"] == user)

    def buy_at_the_portal(self) -> str:
        """A serial number of the account bought through the provider's API by someone
        else (the portal, another counter): it carries no tag of this install."""
        token = self.http.post("/api/users/login", json={"user": "demo", "password": "demo"})
        bearer = token.json()["token"]
        auth = {"Authorization": f"Bearer {bearer}"}
        up = self.http.post(
            "/uploaddoc2",
            files={"file": ("x.pdf", b"%PDF-1.7\n%%EOF\n")},
            data={"token": bearer},
            headers=auth,
        ).json()
        body = {
            "isUpload": True,
            "idfile": up["id"],
            "namadoc": "3",
            "namafile": "dari-portal.pdf",
            "nilaidoc": "10000",
            "namejidentitas": "",
            "noidentitas": "",
            "namedipungut": "",
            "snOnly": False,
            "nodoc": "PORTAL-1",
            "tgldoc": "2026-11-24",
        }
        answer = self.http.post("/chanel/stampv2", headers=auth, json=body).json()
        return str(answer["result"]["sn"])


@pytest.fixture
def admin(provider: SandboxServer) -> Iterator[Admin]:
    client = Admin(provider)
    client.reset()
    yield client
    client.faults({})
    client.http.close()


@pytest.fixture
def client_paths(tmp_path: Path, provider: SandboxServer) -> Paths:
    """A client's data dir whose active profile is the sandbox."""
    paths = resolve_paths(tmp_path / "client")
    point_at(paths, provider)
    return paths


def point_at(paths: Paths, server: SandboxServer) -> Settings:
    """Make ``server`` the data dir's active profile, as ``meterai profile add/use`` would."""
    settings = Settings()
    settings.profiles["test"] = Profile(
        name="test",
        kind="sandbox",
        base_urls={s: server.base_url for s in SERVICES},
        tls_ca_file=str(server.ca_file),
        sign_ca_files=(str(server.ca_file),),
        user="demo",
    )
    settings.active_profile = "test"
    save_settings(paths, settings)
    return settings


def queue_documents(
    paths: Paths, count: int, folder: Path, *, pages: int = 1, customer: str | None = None
) -> list[int]:
    folder.mkdir(parents=True, exist_ok=True)
    box = Outbox.open(paths)
    try:
        ids = []
        for i in range(count):
            pdf = make_pdf(folder / f"doc-{i}.pdf", pages=pages)
            accepted = queue_file(
                box,
                paths,
                pdf,
                IntakeOptions(doc_type="3", out_dir=str(folder / "out"), customer=customer),
            )
            ids.append(accepted.request.id)
        return ids
    finally:
        box.close()


def drain(paths: Paths, concurrency: int = FAST.concurrency) -> None:
    """One ``sync --once`` of the data dir's own runner, with the fast test timings."""
    SyncRunner(paths, load_settings(paths), concurrency=concurrency, config=FAST).run_once()


def row_of(paths: Paths, request_id: int) -> RequestRow:
    """The request as its own outbox holds it now (opened and closed for this read)."""
    box = Outbox.open(paths)
    try:
        return box.get(request_id)
    finally:
        box.close()


def assert_stamped_once_on(
    paths: Paths, admin: Admin, provider: SandboxServer, request_id: int, sn: str
) -> None:
    """The one purchase is the serial number stamped, once, on this request's document."""
    row = row_of(paths, request_id)
    assert row.state == State.DONE and row.sn == sn, row
    assert admin.account()["spent"] == 1
    (serial,) = admin.serials()
    assert (serial["sn"], serial["status"], serial["stamp_count"]) == (sn, "STAMP", 1)
    assert serial["stamped_idfile"] == row.provider_file_id
    report = verify_stamped(
        Path(row.output_path),
        load_trust_roots([provider.ca_file]),
        Expectation(
            original=paths.docs_dir / f"{row.doc_sha256}.pdf",
            page_index=row.page_index,
            rect=row.rect,
            serial_number=sn,
        ),
    )
    assert report.ok, report.summary()
