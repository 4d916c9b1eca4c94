"""The heartbeat history in the main window, installed by one call from the composition root.

`install_history(window, store)` records every host's heartbeat and state transitions into `store`, adds
the VM panel's "Heartbeat" tab, "View > Heartbeat timeline" (Ctrl+Shift+H) and "View > Heartbeat events"
(Ctrl+Shift+E), desktop notifications (system tray) for lost and regained heartbeats, and "VM > Mute
heartbeat alerts". Every read of a VM's key-value pools (the Key-Value Pairs tab's reads and refreshes) is
handed to the store as a snapshot, which keeps it when the pools changed, and the tab gets its History… view.
The store closes with the hosts controller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hvgui.domain.kvp import VmKvp
from hvgui.domain.kvp_history import KvpSnapshot
from hvgui.domain.vm import VmKey
from hvgui.history import HistoryReader, HistoryStore, KvpRecord, StoreStatus
from hvgui.ui.history.event_log import EVENT_LOG_SHORTCUT, EventEntry, EventLogDock
from hvgui.ui.history.feed import HistoryFeed
from hvgui.ui.history.fleet_window import FleetHeartbeatWindow
from hvgui.ui.history.heartbeat_tab import HeartbeatTab
from hvgui.ui.history.notifier import AlertNotifier
from hvgui.ui.history.queries import HistoryQueries
from hvgui.ui.history.settings import HistorySettings
from hvgui.ui.history.timeline import TimelineRow
from hvgui.ui.host_names import computer_name_from_key
from hvgui.ui.resources import app_icon
from hvgui.ui.text import one_line

if TYPE_CHECKING:
    from hvgui.ui.main_window import MainWindow
    from hvgui.ui.preferences import Preferences

log = logging.getLogger(__name__)

TIMELINE_SHORTCUT = "Ctrl+Shift+H"
HISTORY_FILE = "history.sqlite"
#: The demo's hosts are not the admin's: their history goes to a file of its own.
DEMO_HISTORY_FILE = "demo-history.sqlite"
#: Seconds a question to the history waits for the rows recorded before it to reach the file: they are
#: written within milliseconds, unless another program holds the file (then the answer does without them).
CATCH_UP_TIMEOUT = 2.0


def default_history_path(preferences: Preferences, *, demo: bool = False) -> Path:
    """The history file: the settings' `history/path`, else `history.sqlite` in the platform data directory."""
    chosen = HistorySettings(preferences.settings).path
    if chosen is not None and not demo:
        return chosen
    import platformdirs

    return platformdirs.user_data_path("hvgui", "hvgui") / (DEMO_HISTORY_FILE if demo else HISTORY_FILE)


def open_history_store(preferences: Preferences, *, demo: bool = False) -> HistoryStore:
    """The admin's history store (the demo's with `demo`), with the retention of the settings (default 7 days)."""
    settings = HistorySettings(preferences.settings)
    return HistoryStore(default_history_path(preferences, demo=demo), retention_days=settings.retention_days)


class HistoryUi(QObject):
    """Owns the feed, the queries, the tab, the timeline window, the event log and the notifier."""

    def __init__(self, window: MainWindow, store: HistoryStore, *, tray: QSystemTrayIcon | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.settings = HistorySettings(window.preferences.settings)
        self.feed = HistoryFeed(store, self)
        store.on_status = self.feed.report_store_status
        self.feed.attach(window.controller)
        reader = HistoryReader(store.path, generation=lambda: store.generation)
        self.queries = HistoryQueries(reader, self, catch_up=lambda: store.flush(CATCH_UP_TIMEOUT))

        self.heartbeat_tab = HeartbeatTab(self.queries, self.feed)
        window.vm_panel.addTab(self.heartbeat_tab, "Heartbeat")
        self.heartbeat_tab.show_vm(window.vm_panel.vm())
        self._install_kvp_history()

        self.event_dock = EventLogDock(window, menu_entries=self._event_menu)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.event_dock)
        self.event_dock.hide()
        self.notifier = AlertNotifier(
            self.settings, self.event_dock.model, host_label=self.host_label, tray=tray, parent=self
        )
        self.feed.alerted.connect(self.notifier.on_alerts)
        # Without a tray (or with notifications off) the status bar says it too.
        self.notifier.notified.connect(lambda title, text: window.statusBar().showMessage(f"{title}: {text}", 15_000))
        self.feed.storeStatusChanged.connect(self._store_status)
        if not store.status.ok:
            self._store_status(store.status)

        self.timeline: FleetHeartbeatWindow | None = None
        self.timeline_action = QAction("Heartbeat &timeline", window)
        self.timeline_action.setObjectName("heartbeatTimelineAction")
        self.timeline_action.setShortcut(QKeySequence(TIMELINE_SHORTCUT))
        self.timeline_action.setToolTip(f"Every VM's heartbeat over the last hour, day or week ({TIMELINE_SHORTCUT})")
        self.timeline_action.triggered.connect(lambda _checked=False: self.show_timeline())
        self.events_action = self.event_dock.toggleViewAction()
        self.events_action.setText("Heartbeat &events")
        self.events_action.setObjectName("heartbeatEventsAction")
        self.events_action.setShortcut(QKeySequence(EVENT_LOG_SHORTCUT))
        self.mute_action = QAction("&Mute heartbeat alerts", window)
        self.mute_action.setObjectName("muteHeartbeatAlertsAction")
        self.mute_action.setCheckable(True)
        self.mute_action.setToolTip("No desktop notification when the selected VMs lose or regain their heartbeat")
        self.mute_action.triggered.connect(self._mute_selected)
        for action in (self.timeline_action, self.events_action):
            window.addAction(action)
        view_menu = _menu(window, "&View")
        if view_menu is not None:
            view_menu.addSeparator()
            view_menu.addAction(self.timeline_action)
            view_menu.addAction(self.events_action)
        vm_menu = getattr(window, "vm_menu", None)
        if isinstance(vm_menu, QMenu):
            vm_menu.addSeparator()
            vm_menu.addAction(self.mute_action)
            vm_menu.aboutToShow.connect(self._update_mute_action)
        window.controller.add_close_hook(self.aclose)

    # ---- key-value pair snapshots -------------------------------------------------------------

    def _install_kvp_history(self) -> None:
        kvp_tab = self.window.vm_panel.kvp
        controllers = [kvp_tab.controller, getattr(getattr(self.window, "kvp_actions", None), "controller", None)]
        for controller in {id(c): c for c in controllers if c is not None}.values():
            controller.add_read_listener(self.record_kvp)
        kvp_tab.attach_history(self.queries)

    def record_kvp(self, key: VmKey, kvp: VmKvp) -> None:
        """Queue the pools just read (returns at once; the writer keeps them only when they changed)."""
        self.store.record_kvp([KvpRecord(key.host, key.vm_id, kvp.name, KvpSnapshot.from_kvp(kvp, time.time()))])

    # ---- labels --------------------------------------------------------------------------------

    def host_label(self, key: str) -> str:
        status = self.window.host_model.status(key)
        return status.label if status is not None else computer_name_from_key(key)

    # ---- the timeline --------------------------------------------------------------------------

    def show_timeline(self) -> FleetHeartbeatWindow:
        if self.timeline is None:
            self.timeline = FleetHeartbeatWindow(self.queries, self.feed, self.window, host_label=self.host_label)
            self.timeline.vmActivated.connect(self._reveal_vm)
            self.timeline.view.menu_entries = self._timeline_menu
        self.timeline.show_and_raise()
        return self.timeline

    def _reveal_vm(self, key: VmKey) -> None:
        self.window.select_vm(key)
        self.window.raise_()
        self.window.activateWindow()

    # ---- muting --------------------------------------------------------------------------------

    def _mute_entries(self, host: str, vm: VmKey | None, name: str) -> list[tuple[str, bool, object]]:
        entries = []
        if vm is not None:
            muted = vm in self.settings.muted_vms()
            entries.append(
                (
                    f"Mute alerts for \u201c{one_line(name)}\u201d",
                    muted,
                    lambda: self.settings.set_vm_muted(vm, not muted),
                )
            )
        if host:
            muted_host = host in self.settings.muted_hosts()
            entries.append(
                (
                    f"Mute alerts for every VM on {one_line(self.host_label(host))}",
                    muted_host,
                    lambda: self.settings.set_host_muted(host, not muted_host),
                )
            )
        return entries

    def _event_menu(self, entry: EventEntry):  # type: ignore[no-untyped-def]
        return self._mute_entries(entry.host, entry.vm, entry.vm_name)

    def _timeline_menu(self, row: TimelineRow):  # type: ignore[no-untyped-def]
        vm = None if row.vm is None else VmKey(row.vm.host, row.vm.vm_id)
        return self._mute_entries(row.host, vm, "" if row.vm is None else row.vm.name)

    def _update_mute_action(self) -> None:
        vms = self.window.selected_vms()
        self.mute_action.setEnabled(bool(vms))
        muted = self.settings.muted_vms()
        self.mute_action.setChecked(bool(vms) and all(vm.key in muted for vm in vms))

    def _mute_selected(self, checked: bool) -> None:
        for vm in self.window.selected_vms():
            self.settings.set_vm_muted(vm.key, checked)

    # ---- the store -----------------------------------------------------------------------------

    def _store_status(self, status: StoreStatus) -> None:
        if status.ok:
            return
        self.window.statusBar().showMessage(status.message, 30_000)
        entry = EventEntry(self.window_time(), "", "", None, "", status.message)
        self.event_dock.model.add([entry])

    @staticmethod
    def window_time() -> float:
        return time.time()

    async def aclose(self) -> None:
        """Stop the reader, write what is queued and close the file (off the Qt thread)."""
        self.queries.close()
        final = await asyncio.to_thread(self.store.close)
        if final.pending or final.lost:
            log.error("heartbeat history: %d changes not written, %d lost", final.pending, final.lost)


def _menu(window: MainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.text() == title and action.menu() is not None:
            return action.menu()  # type: ignore[return-value]
    return None


def install_history(window: MainWindow, store: HistoryStore) -> HistoryUi:
    """Wire the heartbeat history into `window` (see the module docstring); a tray icon when there is a tray."""
    tray = None
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray = QSystemTrayIcon(app_icon(), window)
        tray.setToolTip("hvgui")
        tray.show()
    return HistoryUi(window, store, tray=tray)
