"""Start the GUI: language, data dir, the task runner, the sync bridge, the main window."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QMessageBox

from meterai import i18n
from meterai.errors import MeteraiError
from meterai.logs import setup_logging
from meterai.settings import load_settings, resolve_paths
from meterai_desk import qtranslator
from meterai_desk.icons import app_icon
from meterai_desk.main_window import MainWindow
from meterai_desk.quit_signals import QuitOnSignals
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner, share_the_gil_fairly


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="meterai-desk")
    parser.add_argument("--data-dir")
    parser.add_argument("--lang", choices=i18n.LANGUAGES)
    parser.add_argument("--no-sync", action="store_true", help="do not start the sync engine")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="stamp and verify a generated document in a temporary folder, then exit",
    )
    return parser.parse_args(argv)


def self_test(args: argparse.Namespace) -> int:
    """No window, no data dir, no settings read: the offscreen platform unless one is set."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Meterai Desk")
    i18n.set_language(args.lang or i18n.language_from_environment())
    from meterai_desk import self_test as check

    return check.run()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return self_test(args)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Meterai Desk")
    app.setWindowIcon(app_icon())
    paths = resolve_paths(args.data_dir)
    # The rotating log file in the data dir, tokens and passwords redacted on the handler.
    setup_logging(paths)
    try:
        settings = load_settings(paths)
    except MeteraiError as exc:
        QMessageBox.critical(None, "Meterai Desk", exc.user_message())
        return 1
    i18n.set_language(args.lang or settings.language or i18n.language_from_environment())
    qtranslator.install()
    share_the_gil_fairly()
    tasks = TaskRunner(paths)
    bridge = None if args.no_sync else SyncBridge(paths, settings, tasks)
    window = MainWindow(paths, tasks, bridge, settings)

    def quit_cleanly() -> None:
        window.quit_now()  # stops the runner and the sandbox child, even from the tray
        app.quit()

    signals = QuitOnSignals(quit_cleanly, app)
    window.show()
    try:
        return int(app.exec())
    finally:
        signals.uninstall()


if __name__ == "__main__":
    sys.exit(main())
