"""Start the GUI: language, data dir, the task runner, the sync bridge, the main window."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from meterai import i18n
from meterai.errors import MeteraiError
from meterai.i18n import _
from meterai.logs import setup_logging
from meterai.outbox.postgres.address import pinned
from meterai.settings import Paths, Settings, load_settings, resolve_paths
from meterai_desk import qtranslator
from meterai_desk.icons import app_icon
from meterai_desk.single_instance import SingleInstance, hand_over


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="meterai-desk")
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="PDF files (or folders) to stamp: each opens the add dialog, in the running "
        "window if there is one",
    )
    parser.add_argument("--data-dir")
    parser.add_argument("--lang", choices=i18n.LANGUAGES)
    parser.add_argument("--no-sync", action="store_true", help="do not start the sync engine")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="stamp and verify a generated document in a temporary folder, then exit",
    )
    return parser.parse_args(argv)


def the_application() -> QApplication:
    """The one QApplication: made here, or already made by whoever runs ``main`` (a test)."""
    existing = QApplication.instance()
    if existing is None:
        return QApplication(sys.argv[:1])
    assert isinstance(existing, QApplication), "a QCoreApplication cannot show windows"
    return existing


def self_test(args: argparse.Namespace) -> int:
    """No window, no data dir, no settings read: the offscreen platform unless one is set."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = the_application()
    app.setApplicationName("Meterai Desk")
    i18n.set_language(args.lang or i18n.language_from_environment())
    from meterai_desk import self_test as check

    return check.run()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return self_test(args)
    app = the_application()
    app.setApplicationName("Meterai Desk")
    paths = resolve_paths(args.data_dir)
    # The rotating log file in the data dir, tokens and passwords redacted on the handler.
    setup_logging(paths)
    files = [f.absolute() for f in args.files]  # the first process may run elsewhere
    instance = SingleInstance(paths.data_dir)
    if not instance.claim():
        return give_files_to_the_first(instance.name, files, paths, args.lang)
    try:
        with pinned(paths):  # a new database setting takes effect at the next start
            return run_window(app, args, paths, instance, files)
    finally:
        instance.release()


def run_window(
    app: QApplication,
    args: argparse.Namespace,
    paths: Paths,
    instance: SingleInstance,
    files: list[Path],
) -> int:
    # Imported only now: a later launch that hands its files over exits without them.
    from meterai.account import first_start
    from meterai_desk.main_window import MainWindow
    from meterai_desk.quit_signals import QuitOnSignals
    from meterai_desk.sync_bridge import SyncBridge
    from meterai_desk.tasks import TaskRunner, share_the_gil_fairly

    app.setWindowIcon(app_icon())
    first = first_start(paths)  # before the window makes the outbox
    try:
        settings = load_settings(paths)
    except MeteraiError as exc:
        QMessageBox.critical(None, "Meterai Desk", exc.user_message())
        return 1
    choose_language(args.lang, settings)
    share_the_gil_fairly()
    tasks = TaskRunner(paths)
    bridge = None if args.no_sync else SyncBridge(paths, settings, tasks)
    window = MainWindow(paths, tasks, bridge, settings)
    instance.received.connect(window.open_files)

    def quit_cleanly() -> None:
        window.quit_now()  # stops the runner and the sandbox child, even from the tray
        app.quit()

    signals = QuitOnSignals(quit_cleanly, app)
    window.show()
    if files:
        window.add_files(files)
    if first:
        window.account.welcome()  # opened last, so it is answered first
    try:
        return int(app.exec())
    finally:
        signals.uninstall()


def choose_language(lang: str | None, settings: Settings) -> None:
    i18n.set_language(lang or settings.language or i18n.language_from_environment())
    qtranslator.install()


def give_files_to_the_first(name: str, files: list[Path], paths: Paths, lang: str | None) -> int:
    """A window already runs on this data folder: it takes the files and comes forward."""
    if hand_over(name, files):
        return 0
    try:
        settings = load_settings(paths)
    except MeteraiError:
        settings = Settings()
    choose_language(lang, settings)
    QMessageBox.critical(
        None,
        "Meterai Desk",
        _(
            "Meterai Desk is already running but does not answer. Wait a moment and try "
            "again; if it still does not answer, end it (your outbox is kept) and start "
            "it again."
        ),
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
