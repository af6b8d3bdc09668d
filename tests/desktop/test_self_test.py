"""Issue 15 item 3: ``meterai-desk --self-test`` runs offscreen, opens no window, exits 0.

The GUI program as a child process, on Qt's offscreen platform: the core self-test's
steps and the Qt render of the stamped result, with the user's data folder and keyring
watched as for the CLI's self-test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import self_test_env, untouched


@pytest.mark.slow
def test_meterai_desk_self_test_runs_offscreen_and_exits_0(tmp_path: Path) -> None:
    env = self_test_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "meterai_desk.app", "--self-test", "--lang", "en"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(line.startswith("ok") for line in lines), done.stdout
    assert any(line.startswith("ok      verify:") for line in lines), done.stdout
    assert any(line.startswith("ok      render with Qt: page 1 rendered") for line in lines)
    assert lines[-1].startswith("ok      clean up:")
    assert "Traceback" not in done.stderr
    untouched(tmp_path)


def test_the_render_check_refuses_a_blank_page(qapp: object, tmp_path: Path) -> None:
    import pikepdf

    from meterai.selftest import StepFailed, make_test_pdf
    from meterai_desk.self_test import render_stamped

    assert "600" in render_stamped(make_test_pdf(tmp_path / "page.pdf"))
    blank = pikepdf.new()
    blank.add_blank_page(page_size=(595, 842))
    blank.save(tmp_path / "blank.pdf")
    with pytest.raises(StepFailed):
        render_stamped(tmp_path / "blank.pdf")
