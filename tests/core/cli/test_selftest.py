"""Issue 15 item 3: ``meterai self-test`` as a command: a failing step named, exit 1, words.

Run as the installed command runs, in a child process, with a home, a data folder and
a keyring of its own that the test watches: the self-test must leave the first two
untouched and never ask the third.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import run_module, self_test_env, untouched


@pytest.mark.slow
def test_a_failing_step_is_named_and_exits_1_without_a_traceback(tmp_path: Path) -> None:
    """A bundle that left a component out (here pyHanko, which signs and verifies)."""
    shadow = tmp_path / "shadow" / "pyhanko"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("pyhanko left out of this bundle")\n')
    env = self_test_env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "shadow"), env["PYTHONPATH"]])

    done = run_module(["--lang", "en", "self-test"], env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "pyhanko left out of this bundle" in failed[0], done.stdout
    step = failed[0].removeprefix("FAILED").split(":")[0].strip()
    assert f"Self-test failed at step: {step}." in done.stdout
    assert "clean up" not in done.stdout
    untouched(tmp_path)


@pytest.mark.slow
def test_self_test_speaks_indonesian_by_default(tmp_path: Path) -> None:
    done = run_module(["self-test"], self_test_env(tmp_path, METERAI_LANG="id"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok      membuat dokumen:" in done.stdout
    assert "ok      verifikasi: tanda tangannya sah" in done.stdout
