"""A batch's files are read in worker processes (one per core) while the batch copies in:
real files, real forks, a real worker killed mid-batch."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from meterai import intake, intake_workers
from meterai.cli.errors import EXIT_INTERRUPTED
from meterai.errors import PdfRejected
from meterai.intake import Accepted, IntakeOptions, prepare, queue_files
from meterai.outbox import Outbox, State
from meterai.overlap import StampCoversContent
from meterai.placement import Rect
from meterai.settings import Paths, resolve_paths
from tests.support.cli import LOCALE_VARS, METERAI
from tests.support.content import Things, make_page
from tests.support.pdfs import make_encrypted, make_pdf

forks = pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="batches read in worker processes only on Linux with two cores or more",
)


def reads_noted(monkeypatch: pytest.MonkeyPatch, log: Path, *, kill: str | None = None) -> None:
    """``intake.examine`` notes which process read which file in ``log``; a worker process
    asked to read ``kill`` dies there (SIGKILL), as one the kernel kills for memory would.
    Patched before the batch forks its workers, so they run it too."""
    real, parent = intake.examine, os.getpid()

    def examine(path: Path, *args: object, **kwargs: object) -> intake.Examined:
        with log.open("a") as fh:
            fh.write(f"{os.getpid()} {path.name}\n")
        if path.name == kill and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(intake, "examine", examine)


def readers_of(log: Path) -> dict[str, set[int]]:
    seen: dict[str, set[int]] = {}
    for line in log.read_text().splitlines():
        pid, name = line.split(" ", 1)
        seen.setdefault(name, set()).add(int(pid))
    return seen


@forks
def test_a_batch_is_read_in_worker_processes_and_queued_here_in_order(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [make_pdf(tmp_path / f"d{i}.pdf", pages=i % 3 + 1) for i in range(6)]
    log = tmp_path / "reads.log"
    reads_noted(monkeypatch, log)
    box = Outbox.open(paths)
    try:
        results = queue_files(box, paths, [(f, IntakeOptions("3")) for f in files])
        assert [type(r) for r in results] == [Accepted] * 6
        rows = box.requests()
        assert [(r.file_name, r.state) for r in rows] == [(f.name, State.QUEUED) for f in files]
    finally:
        box.close()
    readers = set().union(*readers_of(log).values())
    assert os.getpid() not in readers
    # One per core; under load the first may have read them all before the second ran.
    assert 1 <= len(readers) <= intake_workers.reader_count(6) == min(os.cpu_count() or 1, 6)
    assert multiprocessing.active_children() == []


@forks
def test_refusals_read_in_a_worker_say_what_they_say_here(paths: Paths, tmp_path: Path) -> None:
    """A refusal crosses back from the worker whole: its words in both languages, its
    findings (the kiosk's bilingual notes read them), its kind."""
    locked = make_encrypted(tmp_path / "locked.pdf")
    hidden = make_page(tmp_path / "hidden.pdf", Things(text=[Rect(500, 50, 546, 95)]))
    strict = IntakeOptions("3", strict_placement=True)
    items = [(locked, strict), (hidden, strict), (make_pdf(tmp_path / "ok.pdf"), strict)]
    box = Outbox.open(paths)
    try:
        worker_locked, worker_hidden, accepted = queue_files(box, paths, items)
    finally:
        box.close()
    assert isinstance(accepted, Accepted)
    for refusal, (path, options) in zip((worker_locked, worker_hidden), items[:2], strict=True):
        with pytest.raises((PdfRejected, StampCoversContent)) as here:
            prepare(paths, path, options)
        assert type(refusal) is type(here.value)
        for lang in ("id", "en"):
            assert refusal.message().text(lang) == here.value.message().text(lang)  # type: ignore[union-attr]
        assert refusal.findings == here.value.findings  # type: ignore[union-attr]
        assert refusal.findings


@forks
def test_a_worker_killed_mid_batch_loses_no_file(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: nothing (the batch read on a thread). A worker the kernel kills takes the
    pool with it; what it and the others had not answered is read again here, so every
    file is still queued, once, in order, and no worker or fixed copy is left behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    files = [make_pdf(tmp_path / f"old{i}.pdf", version="1.4") for i in range(7)]  # fixed
    log = tmp_path / "reads.log"
    reads_noted(monkeypatch, log, kill="old3.pdf")
    box = Outbox.open(paths)
    try:
        results = queue_files(box, paths, [(f, IntakeOptions("3")) for f in files])
        assert [type(r) for r in results] == [Accepted] * 7
        assert all(r.applied for r in results if isinstance(r, Accepted))
        assert [r.file_name for r in box.requests()] == [f.name for f in files]
    finally:
        box.close()
    killed, here = readers_of(log)["old3.pdf"] - {os.getpid()}, os.getpid()
    assert len(killed) == 1 and here in readers_of(log)["old3.pdf"]  # read again here
    assert multiprocessing.active_children() == []
    assert list(scratch.iterdir()) == []


def test_one_file_is_read_on_a_thread_without_forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """A single file (the GUI's and the kiosk's ``queue_file`` never batch) gains nothing
    from a worker that must fork first."""
    assert intake_workers.reader_count(1) == 0
    monkeypatch.setattr(sys, "platform", "win32")
    assert intake_workers.reader_count(50) == 0


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _ctrl_c_as_in_a_terminal() -> None:
    """Give the child the Ctrl+C a terminal's foreground job has. A non-interactive shell
    starts background jobs with SIGINT ignored, the child inherits that, and Python then
    never turns Ctrl+C into KeyboardInterrupt: this test failed under a CI run started in
    the background (the batch finished, exit 0), with nothing wrong in the CLI."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@forks
def test_ctrl_c_mid_batch_is_one_message_and_queues_nothing(tmp_path: Path) -> None:
    """Ctrl+C reaches the whole process group, workers included. Before: each worker
    printed a KeyboardInterrupt traceback beside the CLI's one message."""
    files = [make_pdf(tmp_path / f"scan{i}.pdf", image_bytes=2_000_000) for i in range(60)]
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env.update(HOME=str(tmp_path / "home"), LANG="C.UTF-8")
    args = [str(METERAI), "--lang", "en", "--data-dir", str(data), "add", "--type", "3"]
    child = subprocess.Popen(
        [*args, *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    with child:
        deadline = time.monotonic() + 60
        while not _children(child.pid) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(child.pid, signal.SIGINT)
        _out, err = child.communicate(timeout=60)
    assert child.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and err.count("Interrupted") == 1, err
    box = Outbox.open(resolve_paths(data))
    try:
        assert box.requests() == []
    finally:
        box.close()
