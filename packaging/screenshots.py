"""Render the main states of the desktop app offscreen, in both languages, into docs/screenshots/.

    .venv/bin/python packaging/screenshots.py [--out docs/screenshots]

Everything is real (widgets, outbox, pre-flight, page rendering); only the live sync
facts of the busy outbox (bytes moving, a provider queue) are fed in as the events the
engine would send, so the picture does not depend on timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "core"), str(ROOT / "desktop")]

from PySide6.QtCore import QCoreApplication, QEventLoop, QPointF, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from tests.support.content import Things, make_page  # noqa: E402
from tests.support.pdfs import make_garbage, make_pdf  # noqa: E402

from meterai import i18n  # noqa: E402
from meterai.account import Provider  # noqa: E402
from meterai.intake import IntakeOptions, queue_file  # noqa: E402
from meterai.kiosk.setup import KioskChoice, KioskSetup, check_choice  # noqa: E402
from meterai.messages import Message  # noqa: E402
from meterai.outbox import Outbox, State  # noqa: E402
from meterai.placement import Rect  # noqa: E402
from meterai.sandbox import SandboxServer  # noqa: E402
from meterai.sandbox.ledger import Ledger  # noqa: E402
from meterai.sandbox.server import DATABASE_NAME  # noqa: E402
from meterai.settings import Paths, Settings, resolve_paths  # noqa: E402
from meterai.sync.events import BytesMoved, Waiting  # noqa: E402
from meterai_desk import qtranslator  # noqa: E402
from meterai_desk.dialogs.account_dialog import AccountDialog  # noqa: E402
from meterai_desk.dialogs.welcome_dialog import WelcomeDialog  # noqa: E402
from meterai_desk.main_window import MainWindow  # noqa: E402
from meterai_desk.sync_bridge import SyncBridge  # noqa: E402
from meterai_desk.tasks import TaskRunner  # noqa: E402

SIZE = (1366, 768)


def settle(ms: int = 300, until: Callable[[], bool] | None = None, limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    while True:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        if until is None or until() or time.monotonic() > deadline:
            return


def shoot(widget: QWidget, out: Path, name: str) -> None:
    settle(200)
    path = out / f"{name}-{i18n.current_language()}.png"
    widget.grab().save(str(path))
    print(path)


def busy_outbox(paths: Paths, work: Path) -> None:
    """A morning at a kiosk: some done, one uploading, one queued by the provider, one stuck."""
    box = Outbox.open(paths)
    names = [
        "surat-pernyataan-cpns.pdf",
        "perjanjian-sewa-ruko.pdf",
        "kuitansi-pelunasan.pdf",
        "akta-jual-beli.pdf",
        "surat-kuasa.pdf",
        "ijazah-legalisir.pdf",
    ]
    rows = []
    for name in names:
        pdf = make_pdf(work / name, pages=2)
        rows.append(queue_file(box, paths, pdf, IntakeOptions(doc_type="3")).request)
    for row, sn in zip(
        rows[:3],
        ("ZX8Q4T0P2M6A1C9D5E3F7B", "KD2J7H4L9N1P3R5T8V0X6Z", "PM5N8B2V4C7X1Z3A6S9D0F"),
        strict=True,
    ):
        box.transition(row.id, State.UPLOADED, provider_file_id="f")
        box.transition(row.id, State.NUMBERING, numbering_tag=f"t{row.id}")
        box.transition(row.id, State.NUMBERED, sn=sn)
        for state in (State.STAMPED, State.DOWNLOADED, State.VERIFIED):
            box.transition(row.id, state)
        box.transition(row.id, State.DONE, output_path=str(work / f"{row.file_name}-emeterai.pdf"))
    box.transition(rows[4].id, State.UPLOADED, provider_file_id="g")
    box.transition(rows[4].id, State.NUMBERING, numbering_tag="t5")
    busy = Message("The stamping service is busy or failing (HTTP 503).")
    box.record_failure(rows[4].id, busy, next_attempt_at=time.time() + 420)
    box.transition(
        rows[5].id,
        State.NEEDS_ATTENTION,
        last_error="The balance is used up.",
        detail="no quota",
    )
    box.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument(
        "--only",
        choices=("all", "account", "checker", "evidence", "overlap"),
        default="all",
        help=(
            "account: 5-welcome, 6-account; checker: check-valid, -edited, -picture; "
            "evidence: evidence-dialog and the summary page it saves; "
            "overlap: overlap-warning, overlap-free-spot"
        ),
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    qtranslator.install()
    with tempfile.TemporaryDirectory(prefix="meterai-shots-") as tmp:
        work = Path(tmp)
        for lang in i18n.LANGUAGES:
            i18n.set_language(lang)
            if args.only == "all":
                shots(work / lang, out)
            if args.only in ("all", "account"):
                account_shots(work / lang / "account", out)
            if args.only in ("all", "checker"):
                checker_shots(work / lang / "checker", out)
            if args.only in ("all", "evidence"):
                evidence_shots(work / lang / "evidence", out)
            if args.only in ("all", "overlap"):
                overlap_shots(work / lang / "overlap", out)
    QCoreApplication.processEvents()
    return 0


def shots(work: Path, out: Path) -> None:
    work.mkdir(parents=True)
    empty_paths = resolve_paths(work / "empty")
    window = MainWindow(empty_paths, TaskRunner(empty_paths))
    window.resize(*SIZE)
    window.show()
    window.status.set_connection("online")
    window.status.set_balance(1000)
    settle(400)
    shoot(window, out, "1-empty")
    dialog_pdf = make_pdf(work / "surat-pernyataan.pdf", pages=2, version="1.4")
    window.add_files([dialog_pdf])
    settle(200, lambda: window.adder.dialog is not None and window.adder.dialog.ready)
    dialog = window.adder.dialog
    assert dialog is not None
    dialog.resize(SIZE[0] - 40, SIZE[1] - 40)
    settle(200)
    dialog.pages.canvas.fit_page()
    canvas = dialog.pages.canvas
    canvas.stamp.setPos(canvas.stamp.pos() + QPointF(-60, -90))
    dialog.form.select_type("3")
    dialog.form.nodoc.setText("470/123/KEC/2026")
    dialog.form.value.setText("1.500.000")
    shoot(dialog, out, "2-place-and-describe")
    dialog.reject()
    window.quit_now()

    paths = resolve_paths(work / "busy")
    busy_outbox(paths, work)
    window = MainWindow(paths, TaskRunner(paths))
    window.resize(*SIZE)
    window.show()
    model = window.outbox_model
    settle(200, lambda: model.rowCount() == 6)
    model.set_progress({4: BytesMoved(4, "upload", 310_000, 520_000)})
    model.set_waiting(
        Waiting(
            5, i18n._("The stamping service is busy or failing (HTTP 503)."), time.time() + 420, 12
        )
    )
    window.status.set_connection("online")
    window.status.set_balance(996)
    window.presenter.refresh()
    window.outbox_view.selectRow(5)
    settle(500)
    shoot(window, out, "3-outbox")
    window.quit_now()
    kiosk_shot(work, out)


LETTER = (
    (72, 760, 14, "SURAT PERNYATAAN"),
    (72, 720, 11, "Yang bertanda tangan di bawah ini:"),
    (90, 698, 11, "Nama                : Budi Santoso"),
    (90, 680, 11, "NIK                   : 3273010101900001"),
    (90, 662, 11, "Tempat/tgl. lahir : Bandung, 1 Januari 1990"),
    (72, 630, 11, "dengan ini menyatakan dengan sesungguhnya bahwa saya tidak pernah"),
    (72, 612, 11, "dipidana dengan pidana penjara berdasarkan putusan pengadilan yang telah"),
    (72, 594, 11, "mempunyai kekuatan hukum tetap, dan tidak menjadi anggota atau pengurus"),
    (72, 576, 11, "partai politik. Demikian pernyataan ini saya buat dengan sebenarnya."),
    (400, 180, 11, "Bandung, 1 Desember 2026"),
    (400, 162, 11, "Yang menyatakan,"),
    (430, 58, 11, "Budi Santoso"),
)


def signed_letter(path: Path) -> Path:
    """A one-page statement signed by hand at the bottom right, where the stamp goes by
    default: the signature drawn in a PDF viewer (an /Ink annotation), the name typed."""
    lines = "".join(f"BT /F1 {size} Tf {x} {y} Td ({text}) Tj ET\n" for x, y, size, text in LETTER)
    signature = Rect(425, 74, 545, 124)
    return make_page(path, Things(extra_content=lines.encode(), ink_annotation=[signature]))


def overlap_shots(work: Path, out: Path) -> None:
    """The add dialog when the stamp would hide the hand signature, then after
    *Find a free spot*."""
    work.mkdir(parents=True)
    paths = resolve_paths(work / "data")
    window = MainWindow(paths, TaskRunner(paths))
    window.resize(*SIZE)
    window.show()
    window.add_files([signed_letter(work / "surat-lamaran.pdf")])
    settle(200, lambda: window.adder.dialog is not None and window.adder.dialog.ready)
    dialog = window.adder.dialog
    assert dialog is not None
    dialog.resize(SIZE[0] - 40, SIZE[1] - 40)
    settle(200, lambda: bool(dialog.overlap.covered))
    dialog.pages.canvas.fit_page()
    settle(100, lambda: dialog.form.doc_type.count() > 0)
    dialog.form.select_type("3")
    shoot(dialog, out, "overlap-warning")
    before = dialog.pages.canvas.placement()
    dialog.overlap.find_free_spot()
    settle(200, lambda: dialog.pages.canvas.placement() != before)
    shoot(dialog, out, "overlap-free-spot")
    dialog.reject()
    window.quit_now()


def low_sandbox_balance(paths: Paths, balance: int) -> None:
    """The embedded sandbox's account nearly spent, so the picture shows the warning."""
    paths.sandbox_dir.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(paths.sandbox_dir / DATABASE_NAME)
    with ledger.atomic() as db:
        db.execute("UPDATE accounts SET balance = ?", (balance,))
    ledger.close()


def kiosk_shot(work: Path, out: Path) -> None:
    """Kiosk mode for real: the embedded sandbox stamps what three customers dropped."""
    paths = resolve_paths(work / "kiosk")
    low_sandbox_balance(paths, 18)
    counter = work / "loket"
    setup = check_choice(KioskChoice(str(counter / "masuk"), str(counter / "keluar"), "3"))
    assert isinstance(setup, KioskSetup), setup
    tasks, settings = TaskRunner(paths), Settings()
    window = MainWindow(paths, tasks, SyncBridge(paths, settings, tasks), settings)
    window.resize(*SIZE)
    window.show()
    window.kiosk.enter(setup)
    panel = window.kiosk.panel
    assert panel is not None
    settle(300, lambda: window.kiosk.running, limit=60)
    drops = [
        ("budi-santoso", "surat-pernyataan.pdf"),
        ("budi-santoso", "surat-kuasa.pdf"),
        ("notaris-agus", "akta-jual-beli.pdf"),
    ]
    (setup.inbox / "sekolah-1").mkdir()
    (setup.inbox / "sekolah-1" / "kiosk.json").write_text('{"type": 3}', encoding="utf-8")
    drops.append(("sekolah-1", "ijazah.pdf"))
    for pages, (customer, name) in enumerate(drops, start=1):  # page counts make them distinct
        (setup.inbox / customer).mkdir(exist_ok=True)
        shutil.copy(make_pdf(work / name, pages=pages), setup.inbox / customer / name)
    make_garbage(setup.inbox / "notaris-agus" / "scan-rusak.pdf")
    settle(
        500, lambda: panel.count("budi-santoso")[1] == 2 and panel.count("notaris-agus")[1] == 1, 90
    )
    settle(500, lambda: panel.low_balance.isVisible(), 30)
    shoot(window, out, "4-kiosk")
    window.quit_now()


class _NoKeyringWrites(keyring.backend.KeyringBackend):
    """The pictures say "will be saved in the system keyring" wherever they are made,
    and nothing reaches the keyring of the machine that makes them."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("screenshots store nothing")

    def delete_password(self, service: str, username: str) -> None:
        return None


def account_shots(work: Path, out: Path) -> None:
    """The first-start welcome, and the account dialog after a real Test connection
    against the sandbox over HTTPS with an account of its own."""
    work.mkdir(parents=True)
    keyring.set_keyring(_NoKeyringWrites())
    welcome = WelcomeDialog()
    welcome.show()
    shoot(welcome, out, "5-welcome")
    welcome.close()
    with SandboxServer(work / "provider") as server:
        with server.admin_client(timeout=30) as admin:
            body = {"user": "loket-sukamaju", "password": "rahasia", "balance": 250}
            assert admin.post("/_sandbox/accounts", json=body).status_code == 200
        paths = resolve_paths(work / "data")
        tasks = TaskRunner(paths)
        dialog = AccountDialog(paths, Settings(), tasks, None, Provider.CUSTOM)
        for edit in dialog.urls.values():
            edit.setText(server.base_url)
        dialog.user.setText("loket-sukamaju")
        dialog.password.setText("rahasia")
        dialog.tls_ca.setText(str(server.ca_file))
        dialog.sign_ca.setText(str(server.ca_file))
        dialog.show()
        dialog.run_test()
        settle(300, lambda: dialog.report is not None, limit=30)
        shoot(dialog, out, "6-account")
        dialog.close()
        tasks.shutdown()


def checker_shots(work: Path, out: Path) -> None:
    """Periksa meterai on a file the sandbox stamped, on the same file with a revision
    appended after the stamp (it names what was added), and on a picture of a stamp."""
    from tests.support.stamps import received_files

    from meterai.settings import Profile
    from meterai_desk.dialogs.check_dialog import CheckDialog

    files = received_files(work / "files")
    paths = resolve_paths(work / "data")
    tasks = TaskRunner(paths)
    profile = Profile("peruri", "peruri", sign_ca_files=(str(files.ca),))
    dialog = CheckDialog(tasks, paths, profile)
    dialog.resize(780, 440)
    dialog.show()
    shots = [("check-valid", files.stamped), ("check-edited", files.revised)]
    shots.append(("check-picture", files.picture))
    for name, path in shots:
        dialog.check_file(path)
        settle(200, lambda: dialog.report is not None or dialog.failure is not None, limit=60)
        shoot(dialog, out, name)
    dialog.close()
    tasks.shutdown()


def evidence_shots(work: Path, out: Path) -> None:
    """Simpan bukti for a request the embedded sandbox stamped after two HTTP 503s, and
    the summary page of the zip it saves (bilingual, so drawn once, in English runs)."""
    import subprocess

    from tests.support.sandbox import drain, point_at, queue_documents

    from meterai.evidence import gather, write_bundle
    from meterai.logs import setup_logging
    from meterai_desk.dialogs.evidence_dialog import EvidenceDialog

    paths = resolve_paths(work / "data")
    with SandboxServer(work / "provider") as server:
        point_at(paths, server)
        handler = setup_logging(paths)
        (request_id,) = queue_documents(paths, 1, work / "docs")
        rule = {"endpoint": "docSigningZ", "fault": "http_error", "status": 503, "count": 2}
        with server.admin_client(timeout=30) as admin:
            admin.put("/_sandbox/faults", json={"rules": [rule]})
        for _ in range(5):
            drain(paths)
        handler.close()
    box = Outbox.open(paths)
    evidence = gather(box, paths, request_id)
    box.close()
    tasks = TaskRunner(paths)
    dialog = EvidenceDialog(tasks, evidence)
    dialog.dest.setText(f"/home/budi/Documents/bukti-meterai-{request_id}.zip")  # not ours
    dialog.resize(640, 400)
    dialog.show()
    shoot(dialog, out, "evidence-dialog")
    dialog.close()
    tasks.shutdown()
    if i18n.current_language() == "en":
        bundle = write_bundle(evidence, work / "bukti.zip")
        import zipfile

        with zipfile.ZipFile(bundle) as opened:
            (work / "summary.pdf").write_bytes(opened.read("summary.pdf"))
        stem = out / "evidence-summary"
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", "-singlefile", str(work / "summary.pdf"), str(stem)],
            check=True,
        )
        print(f"{stem}.png")


if __name__ == "__main__":
    sys.exit(main())
