"""Start the GUI: language, data dir, the task runner, the sync bridge, the main window.

What the first paint does not need waits for it (``first_paint``): the log file's
handler and the single-instance server. ``tests/desktop/test_startup_imports.py`` keeps
their modules off the path to the first paint.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication

from meterai import i18n
from meterai.errors import MeteraiError
from meterai.i18n import _
from meterai.outbox.postgres.address import pinned
from meterai.settings import Paths, Settings, load_settings, resolve_paths
from meterai_desk import qtranslator
from meterai_desk.first_paint import HeldRecords, after_first_paint
from meterai_desk.single_instance import SingleInstance


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


def setup_logging(paths: Paths) -> logging.Handler | None:
    """The rotating log file in the data dir, tokens and passwords redacted on the handler."""
    from meterai.logs import setup_logging as log_to_file

    return log_to_file(paths)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return self_test(args)
    app = the_application()
    app.setApplicationName("Meterai Desk")
    paths = resolve_paths(args.data_dir)
    held = HeldRecords()  # until the log file is set up, after the first paint
    files = [f.absolute() for f in args.files]  # the first process may run elsewhere
    instance = SingleInstance(paths.data_dir)
    try:
        if not instance.claim(listen=False):
            start_logging(paths, held)
            return give_files_to_the_first(instance.name, files, paths, args.lang)
        with pinned(paths):  # a new database setting takes effect at the next start
            return run_window(app, args, paths, instance, files, held)
    finally:
        start_logging(paths, held)  # a start that failed before its first paint
        instance.release()


def start_logging(paths: Paths, held: HeldRecords) -> None:
    """The log file, with what was logged before it; once."""
    if not held.handed:
        held.hand_to(setup_logging(paths))


def run_window(
    app: QApplication,
    args: argparse.Namespace,
    paths: Paths,
    instance: SingleInstance,
    files: list[Path],
    held: HeldRecords,
) -> int:
    # Imported only now: a later launch that hands its files over exits without them.
    from meterai.account import first_start
    from meterai_desk.main_window import MainWindow
    from meterai_desk.quit_signals import QuitOnSignals
    from meterai_desk.sync_bridge import SyncBridge
    from meterai_desk.tasks import TaskRunner, share_the_gil_fairly

    first = first_start(paths)  # before the window makes the outbox
    try:
        settings = load_settings(paths)
    except MeteraiError as exc:
        say_it_failed(exc.user_message())
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
    after_first_paint(window, lambda: after_the_window_shows(paths, instance, held))
    if files:
        window.add_files(files)
    if first:
        window.account.welcome()  # opened last, so it is answered first
    try:
        return int(app.exec())
    finally:
        signals.uninstall()


def after_the_window_shows(paths: Paths, instance: SingleInstance, held: HeldRecords) -> None:
    """The log file and the server later launches hand their files to: not needed to paint.

    A later launch that comes before the server listens finds the lock taken and retries
    (``hand_over`` waits up to 10 s for the first process to listen). The application's
    icon (for the dialogs; the main window sets its own) waits too: loading the SVG one
    takes 10-18 ms.
    """
    from meterai_desk.icons import app_icon

    QApplication.setWindowIcon(app_icon())
    start_logging(paths, held)
    instance.listen()


def say_it_failed(text: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, "Meterai Desk", text)


def choose_language(lang: str | None, settings: Settings) -> None:
    i18n.set_language(lang or settings.language or i18n.language_from_environment())
    qtranslator.install()


def give_files_to_the_first(name: str, files: list[Path], paths: Paths, lang: str | None) -> int:
    """A window already runs on this data folder: it takes the files and comes forward."""
    from meterai_desk.single_instance import hand_over

    if hand_over(name, files):
        return 0
    try:
        settings = load_settings(paths)
    except MeteraiError:
        settings = Settings()
    choose_language(lang, settings)
    say_it_failed(
        _(
            "Meterai Desk is already running but does not answer. Wait a moment and try "
            "again; if it still does not answer, end it (your outbox is kept) and start "
            "it again."
        )
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
