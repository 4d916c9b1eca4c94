"""`HistoryFeed`: the window's hosts in, history rows and heartbeat alerts out.

It listens to the `HostsController` signals (Qt thread), lets the `HeartbeatRecorder` compare only the VMs
each diff names, queues the rows on the store (which writes them on its own thread), and re-emits them for
the live views and the alerts. The store's status (locked, full, damaged file) comes back as a signal too.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory
from hvgui.history import HeartbeatRecorder, HistoryStore, StoreStatus, Transition
from hvgui.history.alerts import Alert, AlertTracker


class HistoryFeed(QObject):
    #: Rows just recorded (a list of `Transition`), baselines included. (`object`, not `list`: a `list`
    #: signal copies every element into a QVariant and back, on every heartbeat change.)
    recorded = Signal(object)
    #: Heartbeat alerts raised by those rows (a list of `Alert`).
    alerted = Signal(object)
    #: The store's status changed (`StoreStatus`); emitted on the Qt thread.
    storeStatusChanged = Signal(object)

    def __init__(self, store: HistoryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.recorder = HeartbeatRecorder(self._record)
        self.tracker = AlertTracker()
        self._controller: QObject | None = None

    def attach(self, controller: QObject) -> None:
        """Follow a `HostsController` (its `hostStatusChanged` and `inventoryChanged` signals)."""
        self._controller = controller
        controller.hostStatusChanged.connect(self.on_host_status)  # type: ignore[attr-defined]
        controller.inventoryChanged.connect(self.on_inventory)  # type: ignore[attr-defined]

    def on_host_status(self, status: HostStatus) -> None:
        self.recorder.host_status_changed(status)
        if status.state is HostState.Connected and self.recorder.is_baseline_due(status.key):
            # Reconnected, and the host's VMs are as they were (a session publishes no empty diff): the
            # baseline comes from the inventory it holds, so the next change counts as a change.
            inventory = self._inventory_of(status.key)
            if inventory is not None:
                self.recorder.inventory_changed(inventory, InventoryDiff(inventory.host))

    def _inventory_of(self, key: str) -> Inventory | None:
        controller = self._controller
        if controller is None or not controller.has_host(key):  # type: ignore[attr-defined]
            return None
        return controller.inventory(key)  # type: ignore[attr-defined]

    def on_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.recorder.inventory_changed(inventory, diff)

    def report_store_status(self, status: StoreStatus) -> None:
        """Called by the store on its writer thread: the signal carries it to the Qt thread."""
        with contextlib.suppress(RuntimeError):  # closing: the feed is gone
            self.storeStatusChanged.emit(status)

    def _record(self, rows: list[Transition]) -> None:
        self.store.record(rows)
        self.recorded.emit(rows)
        alerts: list[Alert] = self.tracker.feed(rows)
        if alerts:
            self.alerted.emit(alerts)
