"""Issue 15 item 3: ``meterai self-test`` stamps and verifies a document on its own.

Run as the installed command runs, in a child process, with a home, a data folder and
a keyring of its own that the test watches: the self-test must leave the first two
untouched and never ask the third.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_module, self_test_env, untouched


@pytest.mark.slow
def test_self_test_stamps_verifies_and_cleans_up_without_touching_the_user(
    tmp_path: Path,
) -> None:
    done = run_module(["--lang", "en", "self-test"], self_test_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    steps = [line.split(":")[0].removeprefix("ok").strip() for line in lines]
    assert steps == [
        "generate",
        "pre-flight and add",
        "start the sandbox",
        "sync",  # upload
        "sync",  # serial number
        "sync",  # stamp
        "sync",  # download
        "sync",  # the request is done
        "verify",
        "clean up",
    ], done.stdout
    assert all(line.startswith("ok") for line in lines), done.stdout
    assert "the signature is valid" in done.stdout
    folder = Path(lines[-1].split("removed ", 1)[1])
    assert folder.name.startswith("meterai-self-test-") and not folder.exists()
    assert "Traceback" not in done.stderr
    untouched(tmp_path)
