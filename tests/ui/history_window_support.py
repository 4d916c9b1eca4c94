"""A main window with the heartbeat history installed on a store in a temporary directory."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import diff_inventory
from hvgui.domain.vm import Inventory, Vm
from hvgui.history import HistoryStore
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.history import HistoryUi, install_history
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences


def history_window(qtbot, path: Path, **session_options) -> tuple[MainWindow, HistoryUi]:
    controller = HostsController(SessionManager(**session_options))
    window = MainWindow(controller, preferences=Preferences())
    qtbot.addWidget(window)
    history = install_history(window, HistoryStore(path))
    window.show()
    return window, history


def publish(window: MainWindow, key: str, vms: Iterable[Vm], old: Inventory | None = None) -> Inventory:
    """What a session publishes: the new inventory and its diff against the old one."""
    inventory = Inventory(host=key, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(old, inventory))
    return inventory


def connected(key: str, label: str) -> HostStatus:
    return HostStatus(key=key, label=label, state=HostState.Connected)


def close(history: HistoryUi) -> None:
    history.queries.close()
    history.store.close()
