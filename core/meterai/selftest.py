"""The self-test of an installed copy: one stamp, end to end, in a throw-away folder.

``meterai self-test`` and ``meterai-desk --self-test`` run it so that a user, a support
desk and CI can tell that this copy works: it generates a document, adds it through
the same intake as ``meterai add`` (pre-flight, fixes, the outbox), starts the embedded
sandbox, syncs it with the real runner (upload, serial number, stamp, download, the
engine's own verification), verifies the saved result again as ``meterai verify``
does, and removes the folder.

Nothing of the user's is touched: the data folder is a new temporary one, the profile
is that folder's default (the embedded sandbox), and the sandbox's public test
account is given to the runner directly, so the keyring is never asked. Each step
prints one line; the first failure names its step and stops the test. A failed run
keeps its folder (the log is in it) and says where.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from meterai import doctypes
from meterai.errors import MeteraiError
from meterai.i18n import N_, _
from meterai.outbox.states import State
from meterai.settings import Paths, Settings, resolve_paths

if TYPE_CHECKING:
    from meterai.outbox.store import Outbox, RequestRow
    from meterai.sync.runner import SyncRunner

Say = Callable[[str], None]
StampedCheck = Callable[[Path], str]
"""An extra check of the stamped file (the GUI renders it with Qt); returns a detail."""

_TEST_TEXT = "Meterai Desk self-test"
# Where the stamp goes on the A4 test page, and where its line of text is, in PDF
# points (origin bottom-left).
STAMP_RECT = (420.0, 80.0, 500.0, 160.0)
TEXT_RECT = (72.0, 756.0, 300.0, 776.0)


class StepFailed(Exception):
    """A step that did not do its job; the message says what it found, translated."""


@dataclass
class _Run:
    say: Say
    folder: Path
    paths: Paths
    document: Path | None = None
    request_id: int | None = None
    output: Path | None = None
    runner: SyncRunner | None = None


def run_self_test(say: Say, *, extra: Sequence[tuple[str, StampedCheck]] = ()) -> bool:
    """Run every step, printing one line each through ``say``; True when all passed."""
    folder = Path(tempfile.mkdtemp(prefix="meterai-self-test-"))
    run = _Run(say=say, folder=folder, paths=resolve_paths(folder / "data"))
    steps: list[tuple[str, Callable[[_Run], str]]] = [
        (N_("generate"), _generate),
        (N_("pre-flight and add"), _add),
        (N_("start the sandbox"), _start_sandbox),
        (N_("sync"), _sync),
        (N_("verify"), _verify),
    ]
    steps += [(name, _stamped_check(check)) for name, check in extra]
    for name, step in steps:
        if not _step(run, name, step):
            _stop_sandbox(run)
            say(
                _("Self-test failed at step: {step}. Its folder is kept: {folder}").format(
                    step=_(name), folder=folder
                )
            )
            return False
    return _step(run, N_("clean up"), _clean_up)


def _step(run: _Run, name: str, step: Callable[[_Run], str]) -> bool:
    try:
        detail = step(run)
    except StepFailed as exc:
        run.say(_("FAILED  {step}: {detail}").format(step=_(name), detail=exc))
        return False
    except MeteraiError as exc:
        run.say(_("FAILED  {step}: {detail}").format(step=_(name), detail=exc.user_message()))
        return False
    except Exception as exc:  # the report of an installed copy: a line, not a traceback
        detail = f"{type(exc).__name__}: {exc}"
        run.say(_("FAILED  {step}: {detail}").format(step=_(name), detail=detail))
        return False
    run.say(_("ok      {step}: {detail}").format(step=_(name), detail=detail))
    return True


def _generate(run: _Run) -> str:
    run.document = make_test_pdf(run.folder / "self-test.pdf")
    size = run.document.stat().st_size
    return _("a one-page A4 document, {size} bytes").format(size=size)


def make_test_pdf(path: Path) -> Path:
    """A one-page A4 PDF with a line of text and a box where the stamp will go."""
    import pikepdf

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    x1, y1, x2, y2 = STAMP_RECT
    content = (
        f"BT /F1 20 Tf 72 760 Td ({_TEST_TEXT}) Tj ET\n"
        f"0.6 G 1 w {x1 - 4} {y1 - 4} {x2 - x1 + 8} {y2 - y1 + 8} re S\n"
    ).encode("latin-1")
    pdf.pages.append(
        pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=[0, 0, 595, 842],
                Contents=pdf.make_stream(content),
                Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            )
        )
    )
    pdf.save(path, min_version="1.7")
    return path


def _add(run: _Run) -> str:
    from meterai.intake import IntakeOptions, queue_file
    from meterai.placement import Rect

    assert run.document is not None
    options = IntakeOptions(
        doc_type=doctypes.BUILT_IN[0].kode,
        page=1,
        rect=Rect(*STAMP_RECT),
        out_dir=str(run.folder / "out"),
    )
    with _outbox(run.paths) as box:
        accepted = queue_file(box, run.paths, run.document, options)
    run.request_id = accepted.request.id
    return _("queued as request {id}").format(id=run.request_id)


def _start_sandbox(run: _Run) -> str:
    from meterai.credentials import SANDBOX_PASSWORD, SANDBOX_USER
    from meterai.sync.runner import SyncRunner

    run.runner = SyncRunner(
        run.paths,
        Settings(),  # a new folder's default profile: the embedded sandbox
        concurrency=1,
        events=_SyncLines(run.say),
        credentials=lambda: (SANDBOX_USER, SANDBOX_PASSWORD),
    )
    run.runner.open()
    return _("the embedded sandbox is serving on 127.0.0.1")


def _sync(run: _Run) -> str:
    assert run.runner is not None
    try:
        run.runner.run_once()
    finally:
        _stop_sandbox(run)
    return _finished(run)


def _stop_sandbox(run: _Run) -> None:
    if run.runner is not None:
        run.runner.close()
        run.runner = None


def _finished(run: _Run) -> str:
    row = _request(run)
    if row.state != State.DONE or not row.output_path:
        raise StepFailed(
            _("the request ended as {state}: {reason}").format(
                state=row.state, reason=row.reason() or "-"
            )
        )
    run.output = Path(row.output_path)
    return _("stamped with serial number {sn}").format(sn=row.sn)


_SYNC_STAGES = {
    State.UPLOADED: N_("upload"),
    State.NUMBERED: N_("serial number"),
    State.STAMPED: N_("stamp"),
    State.DOWNLOADED: N_("download"),
}


class _SyncLines:
    """One line as the request reaches each stage of the sync (events come from workers)."""

    def __init__(self, say: Say) -> None:
        self._say = say
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        from meterai.sync.events import StateChanged

        if not isinstance(event, StateChanged):
            return
        stage = _SYNC_STAGES.get(event.row.state)
        if stage is None:
            return
        detail = event.row.sn if event.row.state == State.NUMBERED else event.row.file_name
        with self._lock:
            self._say(
                _("ok      {step}: {detail}").format(
                    step=_("sync: {stage}").format(stage=_(stage)), detail=detail
                )
            )


def _verify(run: _Run) -> str:
    """As ``meterai verify`` does for the embedded sandbox: its signing CA as the root."""
    from meterai.sandbox.pki import material_in
    from meterai.verify import Expectation, load_trust_roots, verify_stamped

    assert run.output is not None
    row = _request(run)
    ca_file = material_in(run.paths.sandbox_dir / "ca").ca_file
    report = verify_stamped(
        run.output,
        load_trust_roots([ca_file]),
        Expectation(
            original=run.paths.docs_dir / f"{row.doc_sha256}.pdf",
            page_index=row.page_index,
            rect=row.rect,
            serial_number=row.sn,
        ),
    )
    if not report.ok:
        raise StepFailed(report.summary())
    return _("the signature is valid and carries {sn}").format(sn=row.sn)


def _stamped_check(check: StampedCheck) -> Callable[[_Run], str]:
    def step(run: _Run) -> str:
        assert run.output is not None
        return check(run.output)

    return step


def _clean_up(run: _Run) -> str:
    shutil.rmtree(run.folder)
    if run.folder.exists():
        raise StepFailed(_("{folder} could not be removed").format(folder=run.folder))
    return _("removed {folder}").format(folder=run.folder)


def _request(run: _Run) -> RequestRow:
    assert run.request_id is not None
    with _outbox(run.paths) as box:
        return box.get(run.request_id)


@contextmanager
def _outbox(paths: Paths) -> Iterator[Outbox]:
    from meterai.outbox.store import Outbox

    box = Outbox.open(paths)
    try:
        yield box
    finally:
        box.close()
