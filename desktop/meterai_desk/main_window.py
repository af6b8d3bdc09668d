"""The main window: composition only (widgets, dialogs and the sync wiring live elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from meterai import i18n
from meterai.i18n import _, warm_number_formats
from meterai.settings import Paths, Settings, save_settings
from meterai_desk import qtranslator
from meterai_desk.account_flow import AccountFlow
from meterai_desk.first_paint import after_first_paint, build_qt_namespace, in_turns
from meterai_desk.icons import app_icon
from meterai_desk.kiosk.mode import KioskMode
from meterai_desk.presenter import SyncPresenter
from meterai_desk.qtranslator import follow_language
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.empty_state import EmptyState
from meterai_desk.widgets.outbox_actions import OutboxActions
from meterai_desk.widgets.outbox_model import OutboxModel
from meterai_desk.widgets.status_panel import StatusPanel
from meterai_desk.widgets.tray import Tray

if TYPE_CHECKING:
    # Only named in signatures: importing them makes PySide build QEvent's types.
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent

    from meterai_desk.add_flow import AddFlow
    from meterai_desk.widgets.outbox_view import OutboxView

# Each language is named in itself, so someone who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
WARM_UP_DELAY_MS = 300


class MainWindow(QMainWindow):
    def __init__(
        self,
        paths: Paths,
        tasks: TaskRunner,
        bridge: SyncBridge | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        qtranslator.install()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.paths, self.tasks, self.bridge = paths, tasks, bridge
        self.settings = settings or Settings()
        self._quitting = False
        self._shut_down = False

        self.outbox_model = OutboxModel(tasks, self)
        self._outbox_view: OutboxView | None = None  # see ``outbox_view``
        self.empty = EmptyState(self)
        self.heading = QLabel(self)
        self.heading.setObjectName("heading")
        self.heading.setStyleSheet("#heading { font-size: 14pt; font-weight: 600; }")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 8, 12, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status = StatusPanel(self.statusBar())
        self._warm_up_after_first_paint()
        self.tray = Tray(self.statusBar(), self.show_normal, self.quit_now, self)
        self._adder: AddFlow | None = None
        self.actions_ = OutboxActions(self.outbox_model, tasks, self._wake, self)
        self.presenter = SyncPresenter(
            tasks, self.outbox_model, self.status, self.tray, bridge, self, self.settings
        )
        self.kiosk = KioskMode(
            self, paths, self.settings, tasks, bridge, self.outbox_model, self.presenter
        )
        self.kiosk.changed.connect(lambda _active: self.retranslate())
        self.kiosk.changed.connect(self._show_customers)
        self.presenter.counted.connect(lambda _tally: self._show_title())
        self.account = AccountFlow(paths, self.settings, tasks, bridge, self)
        self._build_actions()
        self._build_menus()

        self.empty.add.clicked.connect(self.choose_files)
        self.outbox_model.modelReset.connect(self._show_table_or_empty)
        self.outbox_model.rowsInserted.connect(self._show_table_or_empty)
        self.outbox_model.loadFailed.connect(self._show_load_error)
        self.resize(1240, 720)
        follow_language(self, self.retranslate)
        self.outbox_model.reload()  # after the connections above, whenever the rows arrive
        after_first_paint(self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """The window's and the tray's icon; once the first rows are in, the Qt classes they
        need, then the sync.

        The icon is drawn by the desktop (title bar, task bar), not in the window's paint;
        it is an SVG, and the first ``QIcon`` of one loads Qt's SVG icon engine and QtSvg
        (some 4 ms of CPU, 10-18 ms in all) on the GUI thread.

        PySide builds a Qt class, with its enums, the first time it is used: the ``Qt``
        namespace (some 25 ms) and the table's item-view and style-option classes (some
        15 ms) wait for the first paint. Built when the first rows and progress bars
        arrive, with the sync workers holding the GIL, they stalled the GUI thread for
        120-230 ms (test_the_gui_thread_never_stalls*); built here, one per event-loop
        turn, after the outbox's first page (which they would delay) and before the sync
        starts, nothing else wants the GIL.
        """
        self.setWindowIcon(app_icon())
        self.tray.show_icon()
        model = self.outbox_model
        if not model.loading:
            self._warm_up_then_sync()
            return
        done: list[object] = []

        def once(*_: object) -> None:
            for connection in done:
                model.disconnect(connection)  # type: ignore[call-overload]
            self._warm_up_then_sync()

        done += [model.modelReset.connect(once), model.loadFailed.connect(once)]

    def _warm_up_then_sync(self) -> None:
        steps = [build_qt_namespace, self._make_table, self._set_shortcuts, self._start_sync]
        in_turns(self, steps)

    def _make_table(self) -> None:
        self.outbox_view  # noqa: B018 (the property makes it, hidden until rows come)

    def _set_shortcuts(self) -> None:
        """Ctrl+O and Ctrl+Q (or the platform's keys), set once the window is up: nothing
        shows them before a menu opens, and ``QKeySequence.StandardKey`` makes PySide
        build that class and its enums (some 1.5 ms)."""
        from PySide6.QtGui import QKeySequence

        self.add_action.setShortcuts(QKeySequence.StandardKey.Open)
        self.quit_action.setShortcuts(QKeySequence.StandardKey.Quit)

    def _start_sync(self) -> None:
        if self.bridge is not None and not self._shut_down:
            self.bridge.start()

    # --- composition ---------------------------------------------------------------

    @property
    def outbox_view(self) -> OutboxView:
        """The table, made when the outbox first has rows to show (or someone asks for it).

        An empty outbox shows ``empty`` instead, and the first ``QTableView`` of a process
        costs some 15 ms (its classes' enums, its header asking the model for every
        section's data): a window with nothing to list does not make a table at start-up.
        """
        if self._outbox_view is None:
            from meterai_desk.widgets.outbox_view import OutboxView

            view = self._outbox_view = OutboxView(self.outbox_model, self)
            view.show_customers(self.kiosk.active)
            self.stack.addWidget(view)
            self.actions_.attach(view)
        return self._outbox_view

    def _show_customers(self, shown: bool) -> None:
        if self._outbox_view is not None:
            self._outbox_view.show_customers(shown)

    def _warm_up_after_first_paint(self) -> None:
        """Babel's number formats, loaded on a worker before the first balance needs them.

        Not at once: started in ``__init__`` the import slowed the first paint by ~70 ms.
        """
        QTimer.singleShot(WARM_UP_DELAY_MS, lambda: self.tasks.run(warm_number_formats))

    def _build_actions(self) -> None:
        style = self.style()
        self.add_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder), "", self
        )
        self.add_action.setObjectName("addDocuments")
        self.add_action.triggered.connect(self.choose_files)
        self.kiosk_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon), "", self
        )
        self.kiosk_action.setObjectName("kioskMode")
        self.kiosk_action.setEnabled(self.kiosk.available)
        self.kiosk_action.triggered.connect(self.kiosk.toggle)
        self.account_action = QAction(self)
        self.account_action.setObjectName("account")
        self.account_action.triggered.connect(lambda: self.account.edit())
        self.check_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "", self
        )
        self.check_action.setObjectName("checkStamp")
        self.check_action.triggered.connect(self.check_stamp)
        self.quit_action = QAction(self)
        self.quit_action.triggered.connect(self.quit_now)
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        # By name, through Qt's property system: naming ``Qt.ToolButtonStyle`` would make
        # PySide build the whole Qt namespace (94 enums, some 25 ms) before the first paint.
        self.toolbar.setProperty("toolButtonStyle", "ToolButtonTextBesideIcon")
        self.toolbar.addAction(self.add_action)
        self.toolbar.addSeparator()
        for action in self.actions_.all:
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.check_action)
        self.toolbar.addAction(self.kiosk_action)
        self.addToolBar(self.toolbar)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.file_menu.addAction(self.add_action)
        self.file_menu.addAction(self.check_action)
        self.file_menu.addAction(self.kiosk_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.request_menu = bar.addMenu("")
        for action in self.actions_.all:
            self.request_menu.addAction(action)
        self.settings_menu = bar.addMenu("")
        self.settings_menu.addAction(self.account_action)
        self.language_menu = self.settings_menu.addMenu("")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for lang in i18n.LANGUAGES:
            action = QAction(LANGUAGE_NAMES[lang], self, checkable=True)
            action.setChecked(lang == i18n.current_language())
            action.triggered.connect(lambda _checked=False, lang=lang: self.set_language(lang))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[lang] = action

    def retranslate(self) -> None:
        self._show_title()
        self.heading.setText(_("Outbox"))
        self.add_action.setText(_("&Add documents…"))
        self.add_action.setToolTip(_("Choose PDF files to stamp (or drop them on the window)"))
        self.check_action.setText(_("&Check a stamp…"))
        self.check_action.setToolTip(_("See whether a PDF carries a real e-Meterai (offline)"))
        self._retranslate_kiosk()
        self.quit_action.setText(_("&Quit"))
        self.file_menu.setTitle(_("&File"))
        self.request_menu.setTitle(_("&Request"))
        self.settings_menu.setTitle(_("&Settings"))
        self.language_menu.setTitle(_("&Language"))
        self.account_action.setText(_("&Account…"))
        self.actions_.retranslate()
        self.tray.retranslate()
        self.outbox_model.retranslate()

    def _show_title(self) -> None:
        """How many are on their way, in the title: seen in the task bar, and in the
        window list while the window is hidden behind others."""
        title = self.kiosk.window_title()
        pending = self.presenter.tally.pending
        if pending:
            title += " — " + _("{count} on the way").format(count=pending)
        self.setWindowTitle(title)

    def _retranslate_kiosk(self) -> None:
        if self.kiosk.active:
            self.kiosk_action.setText(_("Leave &kiosk mode"))
            tip = _("Stop watching the inbox and sync as usual")
        else:
            self.kiosk_action.setText(_("&Kiosk mode…"))
            tip = _("Stamp every PDF dropped into customer folders (for service counters)")
        if not self.kiosk.available:
            tip = _("Kiosk mode needs syncing, which is off (--no-sync)")
        self.kiosk_action.setToolTip(tip)

    # --- user actions --------------------------------------------------------------

    @property
    def adder(self) -> AddFlow:
        """Made on the first add: its imports (pikepdf and pypdf come later still) need not
        hold up the window."""
        if self._adder is None:
            from meterai_desk.add_flow import AddFlow

            self._adder = AddFlow(self.paths, self.tasks, self)
            self._adder.queued.connect(self._on_queued)
        return self._adder

    def choose_files(self) -> None:
        from meterai_desk.dialogs.files import OpenFilesDialog

        files = OpenFilesDialog.ask(self)
        if files:
            self.add_files(files)

    def check_stamp(self) -> None:
        from meterai_desk.dialogs.check_dialog import CheckDialog

        CheckDialog.ask(self, self.tasks, self.paths, self.settings.profile)

    def add_files(self, files: list[Path]) -> None:
        self.adder.add(files)

    def open_files(self, files: list[Path]) -> None:
        """Files handed over by a later launch ("Open with", a double click): come forward
        (from the tray too) and open the add dialog for each."""
        self.show_normal()
        if files:
            self.add_files(files)

    def set_language(self, lang: str) -> None:
        """Switch now (every window re-applies its texts) and remember it for next time."""
        if lang == i18n.current_language():
            return
        i18n.set_language(lang)
        self.language_actions[lang].setChecked(True)
        self.settings.language = lang
        paths, settings = self.paths, self.settings
        self.tasks.run(lambda: save_settings(paths, settings))

    def _on_queued(self, _accepted: object) -> None:
        self.outbox_model.reload()
        self.presenter.refresh()
        self._wake()

    def _wake(self) -> None:
        if self.bridge is not None:
            self.bridge.wake()

    def _show_load_error(self, exc: BaseException) -> None:
        """A lost or damaged outbox is refused in words, not shown as an empty one."""
        from meterai_desk.errors import show_error  # sqlite3 stays off the start-up path

        show_error(self, exc, str(self.paths.logs_dir))

    def _show_table_or_empty(self) -> None:
        if self.outbox_model.rowCount() > 0:
            self.stack.setCurrentWidget(self.outbox_view)
        else:
            self.stack.setCurrentWidget(self.empty)

    # --- drag and drop -------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.add_files(files)

    # --- closing -------------------------------------------------------------------

    def show_normal(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def quit_now(self) -> None:
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        pending = self.presenter.tally.pending
        syncing = self.bridge is not None and self.bridge.running
        if not self._quitting and pending and syncing:
            from meterai_desk.dialogs.close_dialog import CloseChoice, CloseDialog

            choice = CloseDialog.ask(self, pending, self.tray.available)
            if choice is CloseChoice.STAY:
                event.ignore()
                return
            if choice is CloseChoice.TRAY:
                QApplication.setQuitOnLastWindowClosed(False)
                self.hide()
                self.tray.notify(_("Meterai Desk"), _("Still syncing in the background."))
                event.ignore()
                return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop syncing (the outbox keeps every request for the next start) and the workers."""
        if self._shut_down:
            return
        self._shut_down = True
        self.presenter.stop()
        if self.bridge is not None:
            self.bridge.stop()
        self.tasks.shutdown()
        if self.tray.icon is not None:
            self.tray.icon.hide()
        QApplication.setQuitOnLastWindowClosed(True)
