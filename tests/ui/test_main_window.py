"""The main window driven through its controller's signals with domain objects built here.

The window only reacts to `HostsController` signals, so emitting them shows exactly what a real session
would make it do; the tests against the emulator (test_window_with_emulator.py) cover the real road.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QApplication

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import HostUnreachable
from hvgui.domain.inventory import InventoryDiff, diff_inventory
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import HeartbeatStatus, Inventory, VmState
from hvgui.remoting import SessionManager
from hvgui.ui.connect_dialog import ConnectDialog
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column

KEY1 = "https://hv01:5986"
KEY2 = "https://hv02:5986"


@pytest.fixture
def window(qtbot) -> MainWindow:
    controller = HostsController(SessionManager())
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    return w


def publish(window: MainWindow, key: str, vms, old: Inventory | None = None) -> Inventory:
    inventory = Inventory(host=key, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(old, inventory))
    return inventory


def connected(key: str, label: str, count: int) -> HostStatus:
    return HostStatus(key=key, label=label, state=HostState.Connected, vm_count=count)


def test_title_icon_menus_and_shortcuts(window) -> None:
    assert window.windowTitle() == "hvgui"
    assert not window.windowIcon().isNull()
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[:3] == ["&File", "&View", "&VM"] and menus[-1] == "&Help"
    assert window.connect_action.shortcut() == QKeySequence("Ctrl+N")
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert window.filter_action.shortcut() == QKeySequence("Ctrl+F")
    power = {action: q.shortcut().toString() for action, q in window.power.qactions.items()}
    assert power == {
        PowerAction.Start: "Ctrl+S",
        PowerAction.ShutDown: "Ctrl+D",
        PowerAction.TurnOff: "Ctrl+T",
        PowerAction.Save: "Ctrl+Shift+S",
        PowerAction.Restart: "Ctrl+R",
        PowerAction.Pause: "Ctrl+P",
        PowerAction.Resume: "Ctrl+Shift+P",
    }
    assert [a.iconText() for a in window.vm_menu.actions()][:7] == [a.label for a in PowerAction]
    # No two window-wide actions share a shortcut, and no key of one view (Del in the Activity table and in the
    # checkpoint tree) is also window-wide (Ctrl+A stays "select all VMs" in the table).
    actions = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    widget_scoped = {Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut}
    shortcuts = [a.shortcut().toString() for a in actions if a.shortcutContext() not in widget_scoped]
    local = {a.shortcut().toString() for a in actions if a.shortcutContext() in widget_scoped}
    assert len(shortcuts) == len(set(shortcuts)), shortcuts
    assert not local & set(shortcuts), local & set(shortcuts)
    assert "Ctrl+A" not in shortcuts
    assert window.status_bar_texts() == ("No hosts", "0 VMs", "Last refresh: never")


def test_hosts_and_vms_appear_with_labels_and_counts(window, vm_factory) -> None:
    vms1 = [vm_factory(host=KEY1, name=f"a{i}") for i in range(3)]
    vms2 = [vm_factory(host=KEY2, name="b0")]
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 3))
    window.controller.hostStatusChanged.emit(connected(KEY2, "HV-TWO", 1))
    publish(window, KEY1, vms1)
    publish(window, KEY2, vms2)
    assert window.host_model.rowCount() == 2
    assert window.vm_model.rowCount() == 4
    hosts_shown = {window.vm_model.index(r, Column.Host).data() for r in range(4)}
    assert hosts_shown == {"HV-ONE", "HV-TWO"}
    window.flush_status_bar()
    hosts, vms, refresh = window.status_bar_texts()
    assert hosts == "2 of 2 hosts connected"
    assert vms == "4 VMs"
    assert refresh.startswith("Last refresh: ") and "never" not in refresh


def test_a_failed_host_shows_a_banner_with_retry_and_the_rest_keeps_working(window, vm_factory) -> None:
    retry_requests = QSignalSpy(window.hosts_pane.retryRequested)
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 1))
    window.controller.hostStatusChanged.emit(connected(KEY2, "HV-TWO", 1))
    good = publish(window, KEY1, [vm_factory(host=KEY1, name="good")])
    publish(window, KEY2, [vm_factory(host=KEY2, name="stale")])
    error = HostUnreachable("Nothing is listening on hv02:5986.", hint="Check them.")
    failed = HostStatus(KEY2, "HV-TWO", HostState.Failed, error=error, next_retry_at=time.monotonic() + 8, vm_count=1)
    window.controller.hostStatusChanged.emit(failed)

    banner = window.hosts_pane.banner(KEY2)
    assert banner is not None and banner.isVisible()
    assert window.hosts_pane.banner(KEY1) is None
    assert banner.title.text() == "HV-TWO is not connected"
    assert not banner.credentials_button.isVisibleTo(banner)
    assert "Nothing is listening" in banner.message.text()
    assert "Check them." in banner.message.text()
    assert banner.countdown.text() in ("Next attempt in 8 s.", "Next attempt in 7 s.")
    banner.retry_button.click()
    assert retry_requests.count() == 1
    assert retry_requests.at(0) == [KEY2]
    # The stale host's rows stay, muted; the other host keeps updating.
    stale_row = next(r for r in range(2) if window.vm_model.vms()[r].host == KEY2)
    assert window.vm_model.index(stale_row, Column.Name).data(Qt.ItemDataRole.ForegroundRole) is not None
    publish(window, KEY1, [replace(good.vms[0], cpu_usage=55)], old=good)
    good_row = 1 - stale_row
    assert window.vm_model.index(good_row, Column.Cpu).data() == "55"
    window.flush_status_bar()
    assert window.status_bar_texts()[0] == "1 of 2 hosts connected \u00b7 1 failing"

    # Reconnecting keeps the banner (no flicker); success drops it and un-mutes the rows.
    window.controller.hostStatusChanged.emit(replace(failed, state=HostState.Connecting, next_retry_at=None))
    assert window.hosts_pane.banner(KEY2) is banner
    assert not banner.retry_button.isEnabled()
    window.controller.hostStatusChanged.emit(connected(KEY2, "HV-TWO", 1))
    assert window.hosts_pane.banner(KEY2) is None
    assert window.vm_model.index(stale_row, Column.Name).data(Qt.ItemDataRole.ForegroundRole) is None


def test_banner_message_is_plain_text(window) -> None:
    error = HostUnreachable("Cannot reach <b>hv02</b>:5986.")
    window.controller.hostStatusChanged.emit(HostStatus(KEY2, "<i>HV</i>", HostState.Failed, error=error))
    banner = window.hosts_pane.banner(KEY2)
    assert banner.message.textFormat() == Qt.TextFormat.PlainText
    assert banner.message.text() == "Cannot reach <b>hv02</b>:5986."
    assert banner.countdown.text() == ""


def test_the_panel_follows_the_selected_vm_live(window, vm_factory) -> None:
    vm = vm_factory(host=KEY1, name='line one\nline two $(x) `y` "z" ✓')
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 1))
    first = publish(window, KEY1, [vm])
    summary = window.vm_panel.summary
    assert summary.shown_vm() is None
    assert window.select_vm(vm.key)
    assert summary.shown_vm() == vm
    assert summary.name.text() == vm.name  # the newline kept (nothing here needs shaping)
    assert summary.name.textFormat() == Qt.TextFormat.PlainText
    assert summary.host.text() == "HV-ONE"
    assert summary.vm_id.text() == vm.vm_id
    assert summary.heartbeat.text() == "OK (Applications Healthy)"
    assert summary.services_model.rowCount() == 6
    assert window.table.model().index(0, Column.Name).data() == 'line one\u23celine two $(x) `y` "z" ✓'

    reset = QSignalSpy(window.vm_model.modelReset)
    lost = replace(vm, heartbeat=HeartbeatStatus.LostCommunication, state=VmState.Running, cpu_usage=0)
    second = publish(window, KEY1, [lost], old=first)
    assert summary.heartbeat.text() == "Lost communication"
    assert summary.cpu.text() == "0 %"
    assert reset.count() == 0
    assert window.selected_vm() == lost  # the selection survived the refresh

    publish(window, KEY1, [], old=second)
    assert summary.shown_vm() is None
    assert window.vm_model.rowCount() == 0


def test_filter_box_with_ctrl_f(qtbot, window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 3))
    publish(
        window,
        KEY1,
        [
            vm_factory(host=KEY1, name="web01"),
            vm_factory(host=KEY1, name="web02"),
            vm_factory(host=KEY1, name="db01", state=VmState.Off, heartbeat=None),
        ],
    )
    window.activateWindow()
    window.table.setFocus()
    window.filter_action.trigger()
    assert QApplication.focusWidget() is window.filter_edit or window.filter_edit.hasFocus()
    qtbot.keyClicks(window.filter_edit, "web")
    assert window.proxy.rowCount() == 2
    assert window.status_bar_texts()[1] == "2 of 3 VMs shown"
    window.filter_edit.clear()
    qtbot.keyClicks(window.filter_edit, "off")
    assert window.proxy.rowCount() == 1


def test_removing_a_host_removes_its_rows_and_banner(window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(HostStatus(KEY1, "HV-ONE", HostState.Failed, error=HostUnreachable("x")))
    publish(window, KEY1, [vm_factory(host=KEY1)])
    window.controller.hostRemoved.emit(KEY1)
    assert window.host_model.rowCount() == 0
    assert window.vm_model.rowCount() == 0
    assert window.hosts_pane.banner(KEY1) is None


def test_connect_dialogs_for_command_line_hosts_come_one_at_a_time(qtbot, window) -> None:
    from hvgui.domain.connection import ConnectionSettings

    window.ask_to_connect([ConnectionSettings(host="hv01", username="a"), ConnectionSettings(host="hv02")])
    first = window._dialog
    assert isinstance(first, ConnectDialog)
    assert first.host_edit.text() == "hv01"
    first.reject()
    second = window._dialog
    assert second is not None and second is not first
    assert second.host_edit.text() == "hv02"
    second.reject()
    assert window._dialog is None


def test_closing_emits_closed(qtbot, window) -> None:
    with qtbot.waitSignal(window.closed):
        window.quit_action.trigger()


def test_empty_inventory_diff_keeps_rows(window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 1))
    publish(window, KEY1, [vm_factory(host=KEY1)])
    window.controller.inventoryChanged.emit(Inventory(KEY1, (), time.time()), InventoryDiff(KEY1))
    assert window.vm_model.rowCount() == 1


def test_refresh_refreshes_connected_hosts_and_retries_failing_ones(window, monkeypatch) -> None:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(window.controller, "refresh", lambda key: calls.append(("refresh", key)))
    monkeypatch.setattr(window.controller, "retry", lambda key: calls.append(("retry", key)))
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 0))
    window.controller.hostStatusChanged.emit(HostStatus(KEY2, "HV-TWO", HostState.Failed, error=HostUnreachable("x")))
    assert window.refresh_action.shortcut().toString() == "F5"
    window.refresh_action.trigger()
    assert calls == [("refresh", KEY1), ("retry", KEY2)]


@pytest.mark.parametrize(("button", "removed"), [("Yes", [KEY1]), ("No", [])])
def test_disconnect_asks_first(window, monkeypatch, button: str, removed: list[str]) -> None:
    from PySide6.QtWidgets import QMessageBox

    calls: list[str] = []
    monkeypatch.setattr(window.controller, "remove_host", calls.append)
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 0))
    window.hosts_pane.removeRequested.emit(KEY1)
    box = window.findChild(QMessageBox)
    assert box is not None and box.isVisible()
    assert "HV-ONE" in box.text()
    box.button(getattr(QMessageBox.StandardButton, button)).click()
    assert calls == removed


def test_power_commands_follow_the_selected_vms_states(window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 3))
    running = vm_factory(host=KEY1, name="run")
    off = vm_factory(host=KEY1, name="off", state=VmState.Off, heartbeat=None)
    saved = vm_factory(host=KEY1, name="saved", state=VmState.Saved, heartbeat=None)
    first = publish(window, KEY1, [running, off, saved])
    actions = window.power.qactions
    assert not any(a.isEnabled() for a in actions.values())  # nothing selected
    assert "select one or more VMs" in actions[PowerAction.Start].toolTip()

    window.select_vm(off.key)
    enabled = {p for p, a in actions.items() if a.isEnabled()}
    assert enabled == {PowerAction.Start}
    assert "'off' is already off" in actions[PowerAction.TurnOff].toolTip()

    window.select_vm(running.key)
    assert {p for p, a in actions.items() if a.isEnabled()} == {
        PowerAction.ShutDown,
        PowerAction.TurnOff,
        PowerAction.Save,
        PowerAction.Restart,
        PowerAction.Pause,
    }
    assert window.select_vms([off.key, saved.key, running.key]) == 3
    # Each applies to at least one of them, except Resume (none is paused).
    assert {p for p, a in actions.items() if not a.isEnabled()} == {PowerAction.Resume}
    assert window.selected_vm() is not None

    # A refresh that changes a selected VM's state changes what is offered.
    window.select_vm(off.key)
    publish(window, KEY1, [running, replace(off, state=VmState.Running, heartbeat=None), saved], old=first)
    assert not actions[PowerAction.Start].isEnabled()
    assert actions[PowerAction.TurnOff].isEnabled()


def test_the_fleet_grid_costs_nothing_until_opened(window, vm_factory) -> None:
    # (That a grid opened later starts complete, from what the sessions hold, test_fleet_emulator.py shows.)
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 2))
    publish(window, KEY1, [vm_factory(host=KEY1, name="a"), vm_factory(host=KEY1, name="b")])
    fleet = window.fleet_actions
    assert fleet.feed is None  # no refresh has fed a grid nobody opened
    grid = fleet.show_fleet()
    assert fleet.feed is not None and grid.isVisible()
    publish(window, KEY1, [vm_factory(host=KEY1, name="c")])
    assert [vm.name for vm in fleet.fleet_model.vms()] == ["c"]  # fed from then on
    grid.close()
