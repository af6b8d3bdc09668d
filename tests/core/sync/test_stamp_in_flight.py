"""A stamping call the provider is still signing is not sent again (the flakes lane, item a).

Escaped bug: under load the power-loss test once reported "1 stamped twice". The stamping
call was cut by the client's stall timeout (or the process died during it) while the
sandbox went on signing; the next step asked the serial number's status, heard
NOTSTAMP (the signature was not made yet) and sent the call again with ``retryFlag``,
which signed the same serial number a second time. The ``slow_signing`` fault makes the
provider that slow on purpose, so the race is certain instead of a matter of load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from meterai.sandbox.rules import Rejection
from meterai.sandbox.stamping import StampOrder
from meterai.settings import Paths, load_settings
from meterai.sync.runner import SyncRunner
from tests.support.sandbox import (
    FAST,
    Admin,
    assert_stamped_once_on,
    queue_documents,
    row_of,
)

SIGNING = 3.0
"""Seconds the provider takes to sign: longer than the client waits, shorter than the settle."""


def _slow_signing(admin: Admin) -> None:
    admin.faults(
        {"rules": [{"endpoint": "docSigningZ", "fault": "slow_signing", "seconds": SIGNING}]}
    )


def _sync(paths: Paths, *, stall_timeout: float = FAST.stall_timeout) -> None:
    config = replace(FAST, concurrency=1, stall_timeout=stall_timeout)
    SyncRunner(paths, load_settings(paths), config=config).run_once()


def _provider_quiet(admin: Admin) -> None:
    """Calls the client gave up on may still be signing (each in turn, one lock per serial
    number): judge the ledger only once it has not changed for two signing times."""
    seen: object = None
    since = time.monotonic()
    while time.monotonic() - since < 2 * SIGNING:
        now = [(s["sn"], s["status"], s["stamp_count"]) for s in admin.serials()]
        if now != seen:
            seen, since = now, time.monotonic()
        time.sleep(0.2)


def _signing_started(provider: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once the provider signs: the moment the race needs the client killed in.

    A fixed 0.5 s after the client counted its stamping call was a guess at it: on a
    loaded machine the call had not reached the provider yet, and the test passed
    without testing anything (a kill before the call leaves nothing in flight).
    """
    started = threading.Event()
    stamper = provider.stamper
    assert stamper is not None
    sign = stamper.stamp

    def stamp(order: StampOrder) -> bytes | Rejection:
        started.set()
        return sign(order)

    monkeypatch.setattr(stamper, "stamp", stamp)
    return started


def test_a_stamping_call_cut_by_the_stall_timeout_is_not_sent_again_while_it_signs(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    _slow_signing(admin)
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")

    _sync(client_paths, stall_timeout=1.0)

    _provider_quiet(admin)
    assert_stamped_once_on(
        client_paths, admin, provider, request_id, row_of(client_paths, request_id).sn or ""
    )


def test_a_sync_killed_during_the_stamping_call_and_restarted_at_once_stamps_once(
    client_paths: Paths,
    admin: Admin,
    provider: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _slow_signing(admin)
    signing = _signing_started(provider, monkeypatch)
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    command = [sys.executable, "-m", "meterai.cli.main", "--data-dir", str(client_paths.data_dir)]
    child = subprocess.Popen(
        [*command, "sync", "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while not signing.wait(0.05):  # then the provider signs for SIGNING seconds
            assert child.poll() is None, "sync ended before its stamping call"
            assert time.monotonic() < deadline, "no stamping call within 60 s"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert admin.serials()[0]["status"] == "NOTSTAMP", "the provider finished too soon"

    _sync(client_paths)

    _provider_quiet(admin)
    assert_stamped_once_on(
        client_paths, admin, provider, request_id, row_of(client_paths, request_id).sn or ""
    )
