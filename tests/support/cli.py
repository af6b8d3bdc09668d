"""The `meterai` CLI as a caller meets it: a real process (or main in-process), code and words."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from meterai.cli.context import CliContext
from meterai.cli.main import run
from meterai.settings import Paths

METERAI = Path(sys.executable).with_name("meterai")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3
LOCALE_VARS = ("METERAI_LANG", "METERAI_HOME", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def meterai(*args: str | Path, home: Path, lang_env: str = "C.UTF-8") -> Result:
    """Run the console script with a neutral locale: Indonesian unless asked otherwise."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(HOME=str(home), LANG=lang_env)
    done = subprocess.run(
        [str(METERAI), *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def with_reader_gone(home: Path, *args: str | Path) -> Result:
    """``meterai ARGS | head -0``: standard output is a pipe whose reader has already left
    (``out`` is therefore always empty)."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(HOME=str(home), LANG="C.UTF-8")
    child = subprocess.Popen(
        [str(METERAI), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    with child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        try:
            _out, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()  # a hang fails the test instead of holding it forever
            raise
        return Result(child.returncode, "", err.decode())


def status_json(data: Path, home: Path) -> list[dict[str, object]]:
    result = meterai("--data-dir", data, "status", "--json", home=home)
    assert result.code == EXIT_OK, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return rows


REPO = Path(__file__).resolve().parents[2]


def self_test_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A child's environment: the user's data folder and keyring are ones the test watches."""
    env = dict(os.environ)
    env.update(
        HOME=str(tmp_path / "home"),
        METERAI_HOME=str(tmp_path / "user-data"),
        PYTHON_KEYRING_BACKEND="tests.support.keyring_spy.SpyKeyring",
        KEYRING_SPY_LOG=str(tmp_path / "keyring-uses.log"),
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
        **extra,
    )
    return env


def untouched(tmp_path: Path) -> None:
    assert not (tmp_path / "user-data").exists(), "the user's data folder was created"
    assert not (tmp_path / "keyring-uses.log").exists(), (tmp_path / "keyring-uses.log").read_text()


def run_in_process(paths: Paths, *args: str) -> tuple[int, str, str]:
    """``meterai --lang en --data-dir ... ARGS`` in this process: exit code, stdout, stderr
    (errors that leave through main's boundary go to the real stderr: use capsys)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["--lang", "en", "--data-dir", str(paths.data_dir), *args],
        lambda _d: CliContext(paths=paths, out=out, err=err),
    )
    return code, out.getvalue(), err.getvalue()


def queue_good(data: Path, home: Path, good: Path) -> int:
    """``meterai add`` one good PDF as type 3; the new request's id."""
    result = meterai("--lang", "en", "--data-dir", data, "add", good, "--type", "3", home=home)
    assert result.code == EXIT_OK, result.err
    word, request_id, file = result.out.split(maxsplit=2)
    assert (word, file.strip()) == ("queued", str(good))
    return int(request_id)


def run_module(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m meterai.cli.main`` in a child with ``env``: the self-test's own process."""
    return subprocess.run(
        [sys.executable, "-m", "meterai.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
