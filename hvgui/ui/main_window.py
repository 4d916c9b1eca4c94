"""The main window: hosts on the left (View > Hosts pane, Ctrl+B, collapses them; selecting one narrows the
table to its VMs), the VM table with its filter, the selected VM's panel below it, and the Activity panel
(View > Activity, Ctrl+Shift+A) docked at the bottom. Files dropped on a VM row or on the VM panel are copied
into that VM (`hvgui.ui.copy`). Keyboard use: `hvgui.ui.keyboard`.

The window is a view of the `HostsController`: it connects to the controller's signals, feeds the models
through their `apply` methods and turns menu actions into controller intents. It never awaits anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.connection import ConnectionSettings, HostState, HostStatus
from hvgui.domain.heartbeat import HeartbeatHealth
from hvgui.domain.host_profiles import HostProfile
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory, Vm, VmKey
from hvgui.remoting.secret_store import SecretStore
from hvgui.ui.about_dialog import AboutDialog
from hvgui.ui.activity import ACTIVITY_SHORTCUT, ActivityDock
from hvgui.ui.certificate_dialog import CertificateTrustDialog, review_certificate
from hvgui.ui.confirm import Confirmer, MessageBoxConfirmer
from hvgui.ui.connect_dialog import ConnectDialog
from hvgui.ui.controllers.hosts_controller import HostAlreadyAdded, HostsController
from hvgui.ui.controllers.vm_actions import VmActionsController
from hvgui.ui.copy import install_copy_actions
from hvgui.ui.credentials_dialog import CredentialsDialog
from hvgui.ui.delegates import HeartbeatDelegate
from hvgui.ui.fleet import install_fleet_actions
from hvgui.ui.host_book import HostBook
from hvgui.ui.host_names import computer_name_from_key
from hvgui.ui.hosts_pane import HostsPane
from hvgui.ui.keyboard import install_keyboard
from hvgui.ui.kvp.actions import install_kvp_actions
from hvgui.ui.models.host_list import HostListModel, is_failing, is_loading, rows_stale, vm_count_text
from hvgui.ui.models.vm_filter import VmFilterProxyModel
from hvgui.ui.models.vm_table import Column, VmRole, VmTableModel
from hvgui.ui.power_actions import PowerActions
from hvgui.ui.preferences import Preferences
from hvgui.ui.resources import app_icon, icon
from hvgui.ui.row_table import style_row_table
from hvgui.ui.safe_display import SafeStatusBar, install_tooltip_shaping
from hvgui.ui.saved_hosts import SavedHosts
from hvgui.ui.steady_text import set_steady_text
from hvgui.ui.text import one_line
from hvgui.ui.vm_panel import VmPanel
from hvgui.ui.window_state import WindowState, install_column_chooser

#: Widths that fit a 1280 px window with the hosts pane open; the Name column keeps its width (the last
#: column takes what is left) so that a narrow window scrolls rather than cutting names to "dev…".
_COLUMN_WIDTHS = {
    Column.Host: 110,
    Column.Name: 190,
    Column.State: 85,
    Column.Heartbeat: 200,
    Column.Status: 140,
    Column.Uptime: 90,
    Column.Cpu: 55,
    Column.Memory: 100,
}
#: Width of the hosts pane when the window opens or the pane is shown again.
_HOSTS_PANE_WIDTH = 220

#: Height of the Activity dock when the window opens: its buttons and about four operations.
_ACTIVITY_HEIGHT = 170

#: How long the status bar's counts wait after a host changed something (milliseconds). On a large fleet
#: heartbeats change ten times a second, and counting, measuring and repainting the status bar for each change
#: was a sixth of the window's work while it only watched; nobody reads counts that change faster than this,
#: and every change in between is shown by the one update.
STATUS_BAR_DELAY_MS = 250


#: The heartbeat groups the status bar counts, worst first; "other" (off, paused, disabled) is not news.
_COUNTED_HEALTH = (HeartbeatHealth.Lost, HeartbeatHealth.Attention, HeartbeatHealth.Ok)
_HEALTH_TOOLTIPS = {
    HeartbeatHealth.Lost: "VMs whose guest stopped answering the heartbeat, or reports an error. "
    "Click to show only them; click again or press Esc to show every VM.",
    HeartbeatHealth.Attention: "VMs whose guest has not answered since it started, or reports an application "
    "in a critical state. Click to show only them; click again or press Esc to show every VM.",
    HeartbeatHealth.Ok: "VMs whose guest answers the heartbeat. "
    "Click to show only them; click again or press Esc to show every VM.",
}


def _touches(diff: InventoryDiff, key: VmKey) -> bool:
    """Whether a refresh changed or removed this VM."""
    return key in diff.removed or any(vm.key == key for vm in diff.changed) or any(vm.key == key for vm in diff.added)


class MainWindow(QMainWindow):
    """hvgui's only top-level window."""

    #: Emitted once the window has closed and the application may shut down.
    closed = Signal()

    def __init__(
        self,
        controller: HostsController,
        parent: QWidget | None = None,
        *,
        confirmer: Confirmer | None = None,
        preferences: Preferences | None = None,
        host_book: HostBook | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        #: The admin's stored preferences (tests pass settings of their own).
        self.preferences = preferences if preferences is not None else Preferences()
        #: Runs commands on VMs (services, power, checkpoints); closed with the hosts controller.
        self.vm_actions = VmActionsController(controller, self)
        #: Asks before risky commands; tests may inject their own.
        self.confirmer: Confirmer = confirmer or MessageBoxConfirmer()
        self.setWindowTitle("hvgui")
        self.setWindowIcon(app_icon())
        self.resize(1400, 850)

        self.host_model = HostListModel(self)
        self.vm_model = VmTableModel(self)
        self.proxy = VmFilterProxyModel(self)
        self.proxy.setSourceModel(self.vm_model)
        self._inventory_host: dict[str, str] = {}  # host key -> Inventory.host of that connection
        self._last_refresh: float | None = None
        self._pending_connects: list[ConnectionSettings] = []
        self._dialog: ConnectDialog | None = None

        self.hosts_pane = HostsPane(self.host_model)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("vmFilter")
        self.filter_edit.setPlaceholderText("Filter by name, host, state or heartbeat (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter VMs")
        self.filter_edit.setToolTip("Filter by name, host, state or heartbeat (Ctrl+F); Esc clears the filter")
        self.filter_edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.table = self._make_table()
        self.vm_panel = VmPanel(self.vm_actions, self.confirmer, computer_name=self.computer_name)
        self._build_layout()
        self.activity_dock = self._make_activity_dock()
        self.activity_dock.attach(self.vm_actions)  # every operation on every host, as the runner reports it
        # The dock stays out of the VM table's way until there is something to show: the first operation
        # opens it, unless the admin has closed it since.
        self._activity_closed_by_user = False
        self.activity_dock.hide()
        self.vm_actions.operation_changed.connect(self._reveal_activity)
        self._build_actions()
        self._build_status_bar()
        #: Saved hosts (`hosts.json`, or in memory for the demo and tests) and their passwords in the keyring.
        self.saved_hosts = SavedHosts(self, host_book or HostBook(None), secrets or SecretStore())
        self.saved_hosts.populate_file_menu(self._file_menu, self.quit_action)
        #: Geometry, splitters and the VM table's columns, restored by `restore_window_state` (None: not kept).
        self.window_state: WindowState | None = None
        install_column_chooser(self.table)
        #: F6 between panes, Ctrl+Tab between the panel's tabs, Esc in the filter (`hvgui.ui.keyboard`).
        self.keyboard = install_keyboard(self)

        self.filter_edit.textChanged.connect(self._filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.customContextMenuRequested.connect(self._table_context_menu)
        self.hosts_pane.retryRequested.connect(self.controller.retry)
        self.hosts_pane.removeRequested.connect(self._confirm_remove)
        self.hosts_pane.connectRequested.connect(lambda: self.show_connect_dialog())
        self.hosts_pane.hostSelected.connect(self._host_selected)
        self.hosts_pane.refreshRequested.connect(self.refresh_host)
        self.hosts_pane.copyUriRequested.connect(self.copy_host_uri)
        self.hosts_pane.editCredentialsRequested.connect(self.show_credentials_dialog)
        self.hosts_pane.certificateRequested.connect(self.show_certificate_dialog)
        controller.hostStatusChanged.connect(self._on_host_status)
        controller.inventoryChanged.connect(self._on_inventory)
        controller.hostRemoved.connect(self._on_host_removed)
        controller.operationFailed.connect(self._on_operation_failed)
        self.vm_actions.notice.connect(self._on_notice)
        self.vm_panel.summary.heartbeat_since = self.vm_model.heartbeat_since
        #: How many times the status bar's texts were worked out (tests read it).
        self.status_bar_updates = 0
        self._status_bar_timer = QTimer(self)
        self._status_bar_timer.setSingleShot(True)
        self._status_bar_timer.setInterval(STATUS_BAR_DELAY_MS)
        self._status_bar_timer.timeout.connect(self._update_status_bar)
        self._update_status_bar()
        #: Repaints the uptimes once a second (they are derived from boot times, see `_tick`).
        self.uptime_timer = QTimer(self)
        self.uptime_timer.setInterval(1000)
        self.uptime_timer.timeout.connect(self._tick)
        self.uptime_timer.start()

    # ---- construction --------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("vmTable")
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(Column.Host, Qt.SortOrder.AscendingOrder)
        style_row_table(
            table, row_height=26, selection=QAbstractItemView.SelectionMode.ExtendedSelection, context_menu=True
        )
        table.setItemDelegateForColumn(Column.Heartbeat, HeartbeatDelegate(table))
        # "devbo…-01", not "dev…": the end of a name tells devbox-01 from devbox-02.
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.setAccessibleName("Virtual machines")
        header = table.horizontalHeader()
        for column, width in _COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        return table

    def _build_layout(self) -> None:
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 6, 6, 0)
        centre_layout.setSpacing(6)
        centre_layout.addWidget(self.filter_edit)
        centre_layout.addWidget(self.table, 1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("vmSplitter")
        right.setChildrenCollapsible(False)
        right.addWidget(centre)
        right.addWidget(self.vm_panel)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([440, 360])

        main = QSplitter(Qt.Orientation.Horizontal)
        main.setObjectName("mainSplitter")
        main.addWidget(self.hosts_pane)
        main.addWidget(right)
        main.setCollapsible(0, True)  # dragged to the edge (or View > Hosts pane) the hosts pane folds away
        main.setCollapsible(1, False)
        main.setStretchFactor(0, 0)
        main.setStretchFactor(1, 1)
        main.setSizes([_HOSTS_PANE_WIDTH, 1180])
        self.hosts_pane.setMinimumWidth(150)
        self.main_splitter = main
        self.setCentralWidget(main)

    def _make_activity_dock(self) -> ActivityDock:
        """Operations across hosts, docked at the bottom, low enough to leave the VM table its rows."""
        dock = ActivityDock(self, host_label=self._host_label)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.resizeDocks([dock], [_ACTIVITY_HEIGHT], Qt.Orientation.Vertical)
        return dock

    def _host_label(self, host_key: str) -> str:
        status = self.host_model.status(host_key)
        return status.label if status is not None else ""

    def _build_actions(self) -> None:
        self.connect_action = QAction(icon("connect"), "&Connect to host\u2026", self)
        self.connect_action.setShortcut(QKeySequence("Ctrl+N"))
        self.connect_action.triggered.connect(lambda: self.show_connect_dialog())
        self.quit_action = QAction(icon("quit"), "&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.refresh_action = QAction(icon("retry"), "&Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.setToolTip("Refresh every host now (F5); failed hosts are tried again at once")
        self.refresh_action.triggered.connect(self.refresh_all)
        self.filter_action = QAction("&Filter VMs", self)
        self.filter_action.setShortcut(QKeySequence("Ctrl+F"))
        self.filter_action.triggered.connect(self.focus_filter)
        self.about_action = QAction(icon("about"), "&About hvgui", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)

        file_menu = self.menuBar().addMenu("&File")
        self._file_menu = file_menu
        file_menu.addAction(self.connect_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.refresh_action)
        view_menu.addAction(self.filter_action)
        self.hosts_pane_action = QAction("&Hosts pane", self)
        self.hosts_pane_action.setObjectName("hostsPaneAction")
        self.hosts_pane_action.setCheckable(True)
        self.hosts_pane_action.setChecked(True)
        self.hosts_pane_action.setShortcut(QKeySequence("Ctrl+B"))
        self.hosts_pane_action.setToolTip("Show or collapse the hosts pane (Ctrl+B)")
        self.hosts_pane_action.toggled.connect(self.show_hosts_pane)
        self.main_splitter.splitterMoved.connect(lambda *_: self._sync_hosts_pane_action())
        view_menu.addAction(self.hosts_pane_action)
        self.addAction(self.hosts_pane_action)
        self.activity_action = self.activity_dock.toggleViewAction()
        self.activity_action.setText("&Activity")
        self.activity_action.setObjectName("activityAction")
        self.activity_action.setShortcut(QKeySequence(ACTIVITY_SHORTCUT))
        self.activity_action.setToolTip(f"Show or hide the operations on every host ({ACTIVITY_SHORTCUT})")
        self.activity_action.triggered.connect(self._activity_toggled)
        view_menu.addAction(self.activity_action)
        self.addAction(self.activity_action)
        self.power = PowerActions(
            self.vm_actions,
            self.confirmer,
            self.selected_vms,
            lambda text: self.statusBar().showMessage(text, 20000),
            self,
            preferences=self.preferences,
            computer_name=self.computer_name,
        )
        self.vm_menu = self.menuBar().addMenu("&VM")
        self.vm_menu.setObjectName("vmMenu")
        self.power.populate_menu(self.vm_menu)  # the power commands, then "Copy as PowerShell" for each
        self.vm_menu.addAction(self.power.ask_before_shutdown)
        #: VM > Integration services... (Ctrl+Shift+I) and View > Fleet compliance (Ctrl+Shift+F).
        self.fleet_actions = install_fleet_actions(self, vm_menu=self.vm_menu, view_menu=view_menu)
        self.kvp_actions = install_kvp_actions(self, vm_menu=self.vm_menu)
        #: VM > Copy to VM... (Ctrl+Shift+U) and Copy from VM... (Ctrl+Shift+D), the VM panel's buttons, drops.
        self.copy_actions = install_copy_actions(self)
        self.vm_menu.addSeparator()
        self.copy_actions.populate_menu(self.vm_menu)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.connect_action)
        toolbar.addAction(self.refresh_action)
        toolbar.addSeparator()
        for power_action in self.power.qactions.values():
            toolbar.addAction(power_action)
        self.addAction(self.filter_action)

    def _build_status_bar(self) -> None:
        self.hosts_label = QLabel()
        self.vms_label = QLabel()
        self.refresh_label = QLabel()
        bar = SafeStatusBar(self)
        self.setStatusBar(bar)
        install_tooltip_shaping()
        #: VMs counted by heartbeat health ("3 lost"); a click shows only those VMs, a second click or Esc
        #: shows all again.
        self.health_buttons: dict[HeartbeatHealth, QToolButton] = {}
        for health in _COUNTED_HEALTH:
            button = QToolButton()
            button.setObjectName(f"heartbeatCount{health.name}")
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(_HEALTH_TOOLTIPS[health])
            button.clicked.connect(lambda _checked=False, h=health: self.toggle_health_filter(h))
            button.hide()
            bar.addPermanentWidget(button)
            self.health_buttons[health] = button
        for label in (self.hosts_label, self.vms_label, self.refresh_label):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
        self.clear_health_action = QAction("Show VMs of every heartbeat", self)
        self.clear_health_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.clear_health_action.setEnabled(False)  # Esc means nothing to the window while no count filters
        self.clear_health_action.triggered.connect(lambda: self.set_health_filter(None))
        self.addAction(self.clear_health_action)

    def toggle_health_filter(self, health: HeartbeatHealth) -> None:
        """A click on a count: show only those VMs; a click on the active count shows every VM again."""
        self.set_health_filter(None if self.proxy.health_filter() is health else health)

    def set_health_filter(self, health: HeartbeatHealth | None) -> None:
        self.proxy.set_health_filter(health)
        for group, button in self.health_buttons.items():
            button.setChecked(group is health)
        self.clear_health_action.setEnabled(health is not None)
        self._update_status_bar()

    def _tick(self) -> None:
        """Once a second: the uptimes grow. Only the visible cells of the Uptime column are repainted (they
        read the uptime from the boot time when painted), never a dataChanged for every row."""
        now = time.time()
        self.vm_panel.summary.tick(now)
        if not self.table.isVisible():
            return
        header = self.table.horizontalHeader()
        if header.isSectionHidden(Column.Uptime):
            return
        viewport = self.table.viewport()
        left = header.sectionViewportPosition(Column.Uptime)
        width = header.sectionSize(Column.Uptime)
        if left + width > 0 and left < viewport.width():
            viewport.update(QRect(left, 0, width, viewport.height()))

    # ---- intents from the user -----------------------------------------------------------------

    def refresh_all(self) -> None:
        """Refresh every connected host now and retry every failing one without waiting for its backoff."""
        for status in self.host_model.statuses():
            if is_failing(status):
                self.controller.retry(status.key)
            else:
                self.controller.refresh(status.key)

    def computer_name(self, host_key: str) -> str:
        """The name of a host for `-ComputerName`: as hvgui reached it (see `hvgui.ui.host_names`)."""
        if self.controller.has_host(host_key):
            return self.controller.settings(host_key).host
        return computer_name_from_key(host_key)

    def _activity_toggled(self, shown: bool) -> None:
        self._activity_closed_by_user = not shown
        if shown:  # opened from the keyboard: the keyboard goes with it
            self.activity_dock.raise_()
            self.activity_dock.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _reveal_activity(self, _record: object) -> None:
        """Open the Activity dock for the first operation (without taking the keyboard from the table)."""
        if self._activity_closed_by_user or self.activity_dock.isVisible():
            return
        self.activity_dock.show()
        self.resizeDocks([self.activity_dock], [_ACTIVITY_HEIGHT], Qt.Orientation.Vertical)
        # The table just got shorter: keep the VM the admin acted on in view (once the layout has settled).
        QTimer.singleShot(0, self, self._keep_current_vm_in_view)

    def _keep_current_vm_in_view(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            self.table.scrollTo(current)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def show_about(self) -> None:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_connect_dialog(
        self, settings: ConnectionSettings | None = None, *, profile: HostProfile | None = None
    ) -> ConnectDialog:
        """Open the connect dialog (window-modal, non-blocking); on OK the controller starts connecting."""
        dialog = ConnectDialog(self, settings=settings, profile=profile, existing_keys=self.controller.host_keys())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.saved_hosts.attach(dialog)
        dialog.accepted.connect(lambda: self._connect_from(dialog))
        dialog.finished.connect(self._dialog_finished)
        self._dialog = dialog
        dialog.open()
        return dialog

    def show_credentials_dialog(self, key: str) -> CredentialsDialog | None:
        """Ask for a host's new user name and password (window-modal, non-blocking); on OK it reconnects."""
        if not self.controller.has_host(key):
            return None
        settings = self.controller.settings(key)
        refused = self.controller.status(key).needs_credentials
        dialog = CredentialsDialog(settings.label, settings.username, self, refused=refused)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.controller.update_credentials(key, dialog.username(), dialog.password()))
        dialog.accepted.connect(
            lambda: self.saved_hosts.credentials_changed(key, dialog.username(), dialog.password(), dialog.remember())
        )
        dialog.open()
        return dialog

    def show_certificate_dialog(self, key: str) -> asyncio.Task[CertificateTrustDialog | None]:
        """Read a host's certificate (off the Qt thread) and offer to trust it; see `certificate_dialog`."""
        status = self.host_model.status(key)
        task = asyncio.ensure_future(
            review_certificate(self, self.controller, key, status.error if status is not None else None)
        )
        self._certificate_task = task  # keep a reference until it is done
        return task

    def ask_to_connect(self, settings: Iterable[ConnectionSettings]) -> None:
        """Ask for the password of each host in turn (from `--host`), one dialog after another."""
        self._pending_connects.extend(settings)
        if self._dialog is None:
            self._next_pending_connect()

    def connect_host(self, settings: ConnectionSettings, password: str) -> str | None:
        """Start connecting to a host (needs the running loop); None if the window already has it."""
        try:
            return self.controller.add_host(settings, password)
        except HostAlreadyAdded as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return None

    def _connect_from(self, dialog: ConnectDialog) -> None:
        key = self.connect_host(dialog.settings(), dialog.password())
        self.saved_hosts.connected_from_dialog(dialog, key)

    def _dialog_finished(self, _result: int) -> None:
        self._dialog = None
        self._next_pending_connect()

    def _next_pending_connect(self) -> None:
        if self._pending_connects and self._dialog is None:
            self.show_connect_dialog(self._pending_connects.pop(0))

    def _confirm_remove(self, key: str) -> QMessageBox:
        """Ask before disconnecting (window-modal, non-blocking: the loop keeps serving the other hosts)."""
        status = self.host_model.status(key)
        name = status.label if status else key
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Disconnect",
            f"Disconnect from {name} and remove its VMs from the list?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.controller.remove_host(key))
        box.open()
        return box

    def refresh_host(self, key: str) -> None:
        """Refresh one host now (the hosts pane's menu); a failing host is tried again at once."""
        status = self.host_model.status(key)
        if status is not None and is_failing(status):
            self.controller.retry(key)
        elif self.controller.has_host(key):
            self.controller.refresh(key)

    def copy_host_uri(self, key: str) -> None:
        """Put the host's WS-Management address on the clipboard (user name, never a password)."""
        if self.controller.has_host(key):
            QApplication.clipboard().setText(self.controller.settings(key).url)

    def hosts_pane_shown(self) -> bool:
        return self.main_splitter.sizes()[0] > 0

    def show_hosts_pane(self, shown: bool) -> None:
        """Open the hosts pane at its usual width, or fold it away (the table gets the room)."""
        if shown == self.hosts_pane_shown():
            return
        total = sum(self.main_splitter.sizes())
        pane = min(_HOSTS_PANE_WIDTH, total // 2) if shown else 0
        self.main_splitter.setSizes([pane, total - pane])
        if not shown and self.hosts_pane.isAncestorOf(QApplication.focusWidget()):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self._sync_hosts_pane_action()

    def _sync_hosts_pane_action(self) -> None:
        shown = self.hosts_pane_shown()
        self.hosts_pane.setEnabled(shown)  # a folded pane takes no Tab stop
        self.hosts_pane_action.blockSignals(True)
        self.hosts_pane_action.setChecked(shown)
        self.hosts_pane_action.blockSignals(False)

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_status_bar()

    def _host_selected(self, key: str | None) -> None:
        """Narrow the table to the VMs of the host selected in the hosts pane (None: every host)."""
        self.proxy.set_host(None if key is None else self._inventory_host.get(key, key))
        self._update_status_bar()

    # ---- selection -----------------------------------------------------------------------------

    def selected_vm(self) -> Vm | None:
        """The VM the panel shows: the current row if it is selected, else the first selected row."""
        selection = self.table.selectionModel()
        index = selection.currentIndex()
        rows = selection.selectedRows()
        if rows and not (index.isValid() and selection.isRowSelected(index.row(), index.parent())):
            index = min(rows, key=lambda i: i.row())
        elif not rows and not index.isValid():
            return None
        vm = index.data(VmRole)
        return vm if isinstance(vm, Vm) else None

    def selected_vms(self) -> list[Vm]:
        """Every selected VM in view order, each as the newest inventory reports it."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        vms = [index.data(VmRole) for index in rows]
        return [self.vm_model.vm(vm.key) or vm for vm in vms if isinstance(vm, Vm)]

    def select_vms(self, keys: Iterable[VmKey]) -> int:
        """Select the rows of these VMs (for multi-VM commands); returns how many are now selected."""
        selection = QItemSelection()
        for key in keys:
            row = self.vm_model.row_of(key)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.vm_model.index(row, 0))
            if index.isValid():
                selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)
        return len(self.selected_vms())

    def select_vm(self, key: VmKey) -> bool:
        """Select the row of a VM (clearing the filter if it hides it); False if the VM is not shown."""
        row = self.vm_model.row_of(key)
        if row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.vm_model.index(row, 0))
        if not proxy_index.isValid():
            self.filter_edit.clear()
            proxy_index = self.proxy.mapFromSource(self.vm_model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(proxy_index)
        return True

    def select_showcase_vm(self) -> Vm | None:
        """Select the first running VM with a healthy heartbeat in view order (else the first row)."""
        best = None
        for row in range(self.proxy.rowCount()):
            vm = self.proxy.index(row, 0).data(VmRole)
            if isinstance(vm, Vm) and vm.heartbeat is not None and vm.heartbeat.is_ok:
                best = vm
                break
        if best is None and self.proxy.rowCount():
            best = self.proxy.index(0, 0).data(VmRole)
        if isinstance(best, Vm):
            self.select_vm(best.key)
            return best
        return None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        self.power.update_enabled()
        vm = self.selected_vm()
        if vm is None:
            self.vm_panel.set_vm(None)
            return
        current = self.vm_model.vm(vm.key)  # the newest version of that VM
        self.vm_panel.set_vm(current, self.vm_model.host_label(vm.host))

    def _table_context_menu(self, position: QPoint) -> None:
        """Power commands (and their PowerShell) for the selected VMs; a click outside the selection selects."""
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        if not self.table.selectionModel().isRowSelected(index.row(), index.parent()):
            vm = index.data(VmRole)
            if isinstance(vm, Vm):
                self.select_vm(vm.key)
        menu = QMenu(self)
        menu.setObjectName("vmContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.power.populate_menu(menu)
        menu.addSeparator()
        self.copy_actions.populate_menu(menu)
        menu.addAction(self.fleet_actions.bulk_action)
        menu.addAction(self.kvp_actions.bulk_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    # ---- signals from the controller -----------------------------------------------------------

    def _on_host_status(self, status: HostStatus) -> None:
        self.host_model.apply_status(status)
        self.hosts_pane.show_status(status)
        host = self._inventory_host.get(status.key)
        if host is not None:
            self.vm_model.set_host_label(host, status.label)
            self.vm_model.set_host_stale(host, rows_stale(status))
            self._refresh_panel_if_showing(host)
        self._status_bar_changed()

    def _on_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        key = self._key_for_inventory(inventory)
        if key is not None:
            if self._inventory_host.get(key) != inventory.host:
                # The table is narrowed by the name the host files its VMs under: selecting the host set it
                # by the name known then, so only a new name needs it set again.
                self._inventory_host[key] = inventory.host
                if self.hosts_pane.filtered_key() == key:
                    self.proxy.set_host(inventory.host)
            status = self.host_model.status(key)
            if status is not None:
                self.vm_model.set_host_label(inventory.host, status.label)
                self.vm_model.set_host_stale(inventory.host, rows_stale(status))
        self.vm_model.apply(diff)
        self._last_refresh = inventory.fetched_at or time.time()
        shown = self.vm_panel.vm()
        if shown is not None and shown.host == inventory.host and _touches(diff, shown.key):
            self._show_selected()  # only when the shown VM changed: the panel's tabs are not free to refresh
        if self.table.selectionModel().hasSelection():
            self.power.update_enabled()  # the selection may span hosts: its VMs' states changed
        self._status_bar_changed()

    def _on_host_removed(self, key: str) -> None:
        self.host_model.remove(key)
        self.hosts_pane.drop_banner(key)
        if self.hosts_pane.filtered_key() is None:
            self.proxy.set_host(None)
        host = self._inventory_host.pop(key, None)
        if host is not None:
            leftovers = tuple(vm.key for vm in self.vm_model.vms() if vm.host == host)
            if leftovers:
                self.vm_model.apply(InventoryDiff(host, removed=leftovers))
        self._status_bar_changed()

    def _on_operation_failed(self, _key: str, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def _on_notice(self, message: str) -> None:
        """A command went to a stale or failing host: say so at once, before it waits for the host."""
        self.statusBar().showMessage(one_line(message), 20000)

    def _key_for_inventory(self, inventory: Inventory) -> str | None:
        """The host connection an inventory came from: sessions file their VMs under the connection key."""
        if self.host_model.status(inventory.host) is not None or self.controller.has_host(inventory.host):
            return inventory.host
        for status in self.host_model.statuses():  # a host that files them under its reported name
            if status.host_name and status.host_name == inventory.host:
                return status.key
        return None

    def _refresh_panel_if_showing(self, host: str) -> None:
        shown = self.vm_panel.vm()
        if shown is not None and shown.host == host:
            self._show_selected()

    # ---- status bar ----------------------------------------------------------------------------

    def _status_bar_changed(self) -> None:
        """A host changed what the status bar counts: update it once `STATUS_BAR_DELAY_MS` have passed, for
        this change and every one until then (the timer is not restarted, so a steady stream of changes still
        shows a few times a second). What the admin does (filter, narrow, click a count) updates it at once."""
        if not self._status_bar_timer.isActive():
            self._status_bar_timer.start()

    def flush_status_bar(self) -> None:
        """Show what the hosts changed now instead of at the end of the delay (a no-op when nothing waits), for
        code that reads the status bar right after a change: the screenshot, and tests."""
        if self._status_bar_timer.isActive():
            self._update_status_bar()

    def _update_status_bar(self) -> None:
        self._status_bar_timer.stop()  # this update shows whatever waited
        self.status_bar_updates += 1
        statuses = self.host_model.statuses()
        connected = sum(1 for s in statuses if s.state == HostState.Connected)
        failed = sum(1 for s in statuses if is_failing(s))
        loading = sum(1 for s in statuses if is_loading(s))
        if not statuses:
            hosts = "No hosts"
        else:
            hosts = f"{connected} of {len(statuses)} hosts connected"
            if loading:
                hosts += f" \u00b7 {loading} loading\u2026"
            if failed:
                hosts += f" \u00b7 {failed} failing"
        set_steady_text(self.hosts_label, hosts)
        total = self.vm_model.rowCount()
        shown = self.proxy.rowCount()
        vms = vm_count_text(total)
        if shown != total:
            vms = f"{shown} of {vms} shown"
        set_steady_text(self.vms_label, vms)
        counts = self.vm_model.health_counts()
        active = self.proxy.health_filter()
        for health, button in self.health_buttons.items():
            count = counts[health]
            set_steady_text(button, f"{count:,} {health.value}")
            button.setVisible(count > 0 or health is active)
        if self._last_refresh is None:
            set_steady_text(self.refresh_label, "Last refresh: never")
        else:
            refreshed = time.strftime("%H:%M:%S", time.localtime(self._last_refresh))
            set_steady_text(self.refresh_label, "Last refresh: " + refreshed)

    def status_bar_texts(self) -> tuple[str, str, str]:
        return self.hosts_label.text(), self.vms_label.text(), self.refresh_label.text()

    # ---- closing -------------------------------------------------------------------------------

    def restore_window_state(self, state: WindowState) -> None:
        """Put the window as the admin left it, and keep it that way at close (see `hvgui.ui.window_state`)."""
        self.window_state = state
        state.restore(self)
        QTimer.singleShot(0, self, self._sync_hosts_pane_action)  # the splitters are restored at the show

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted():
            if self.window_state is not None:
                self.window_state.save(self)
            self.closed.emit()

    def row_count_for_host(self, host_key: str) -> int:
        host = self._inventory_host.get(host_key)
        return 0 if host is None else sum(1 for vm in self.vm_model.vms() if vm.host == host)
