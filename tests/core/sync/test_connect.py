"""The embedded sandbox as a child process (the GUI's), started from an installed bundle.

In a PyInstaller bundle ``sys.executable`` is the GUI program itself, which does not
take ``-m``: the child must be the bundle's own ``meterai`` program beside it.
"""

from __future__ import annotations

import os
import shlex
import ssl
import sys
from pathlib import Path

import httpx
import pytest

from meterai.sandbox.ledger import DEFAULT_PASSWORD, DEFAULT_USER
from meterai.settings import Settings, resolve_paths
from meterai.sync import connect
from meterai.sync.connect import EmbeddedSandbox


def _bundle(folder: Path) -> Path:
    """A stand-in for the bundle: ``meterai-desk`` and a ``meterai`` that runs the CLI."""
    folder.mkdir()
    cli = folder / "meterai"
    python = shlex.quote(sys.executable)
    cli.write_text(f'#!/bin/sh\nexec {python} -m meterai.cli.main "$@"\n')
    cli.chmod(0o755)
    (folder / "meterai-desk").write_text("#!/bin/sh\nexit 2\n")
    return folder / "meterai-desk"


@pytest.mark.skipif(os.name != "posix", reason="the stand-in programs are shell scripts")
def test_a_bundle_starts_its_own_meterai_as_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the bundle ran ``meterai-desk -m meterai.cli.main``: no sandbox, ever."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(_bundle(tmp_path / "bundle")))
    assert connect.cli_command() == [str(tmp_path / "bundle" / "meterai")]

    sandbox = EmbeddedSandbox(resolve_paths(tmp_path / "data"), child=True)
    try:
        profile = sandbox.start(Settings().profile)
        url = profile.base_urls["backendservice"]
        answer = httpx.post(
            f"{url}/api/users/login",
            json={"user": DEFAULT_USER, "password": DEFAULT_PASSWORD},
            verify=ssl.create_default_context(cafile=profile.tls_ca_file),
        )
        assert answer.json()["statusCode"] == "00"
        assert answer.json()["token"]
    finally:
        sandbox.stop()


def test_a_data_folder_outside_the_windows_code_page_still_starts_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped, the child wrote its ready line in the ANSI code page, as Python on Windows
    does (cp1252 here): the CA path under a user folder named outside it came back as
    ``?`` (or the child died of UnicodeEncodeError) and the sandbox never started."""
    monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
    sandbox = EmbeddedSandbox(resolve_paths(tmp_path / "Đặng Thị Hoa" / "data"), child=True)
    try:
        profile = sandbox.start(Settings().profile)
        assert profile.tls_ca_file is not None and "Đặng Thị Hoa" in profile.tls_ca_file
        assert Path(profile.tls_ca_file).is_file()
    finally:
        sandbox.stop()
