"""Heartbeat at a glance: the cell's words, shape and tooltip (since when), the VM panel's line, the status
bar's counts that filter the table, and an uptime that grows between refreshes without any signal."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from fixed_clock import NOW
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy, QTest

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.heartbeat import HeartbeatHealth, IndicatorShape
from hvgui.domain.inventory import InventoryDiff, diff_inventory
from hvgui.domain.vm import HeartbeatStatus, Inventory, VmState
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column, HeartbeatRole, VmRole, VmTableModel

KEY = "https://hv01:5986"
TOOLTIP = Qt.ItemDataRole.ToolTipRole


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def heartbeat_cell(model: VmTableModel, row: int, role: int = Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, Column.Heartbeat), role)


@pytest.mark.parametrize(
    ("state", "heartbeat", "text", "shape", "words"),
    [
        (VmState.Running, HeartbeatStatus.OkApplicationsHealthy, "OK (Applications Healthy)", IndicatorShape.Dot,
         "answers"),
        (VmState.Running, HeartbeatStatus.OkApplicationsUnknown, "OK (No Application Data)", IndicatorShape.Dot,
         "no application health"),
        (VmState.Running, HeartbeatStatus.OkApplicationsCritical, "OK (Applications Critical)",
         IndicatorShape.Triangle, "critical"),
        (VmState.Running, HeartbeatStatus.NoContact, "No contact", IndicatorShape.Ring, "not answered"),
        (VmState.Running, HeartbeatStatus.LostCommunication, "Lost communication", IndicatorShape.Cross,
         "stopped"),
        (VmState.Running, HeartbeatStatus.Error, "Error", IndicatorShape.Cross, "error"),
        (VmState.Running, HeartbeatStatus.Disabled, "Disabled", IndicatorShape.Bar, "service is disabled"),
        (VmState.Paused, HeartbeatStatus.Paused, "Paused", IndicatorShape.Pause, "paused"),
        (VmState.Running, HeartbeatStatus.Unknown, "Unknown", IndicatorShape.Ring, "no heartbeat status"),
        (VmState.Off, None, "VM off", IndicatorShape.Blank, "off"),
        (VmState.Saved, HeartbeatStatus.Unknown, "VM saved", IndicatorShape.Blank, "saved"),
    ],
)  # fmt: skip
def test_each_heartbeat_has_its_words_shape_and_a_tooltip_that_says_what_it_means_and_since_when(
    qapp, vm_factory, state, heartbeat, text, shape, words
) -> None:
    clock = Clock()
    model = VmTableModel(clock=clock)
    vm = vm_factory(state=state, heartbeat=heartbeat)
    model.apply(InventoryDiff("HV01", added=(vm,)))
    assert heartbeat_cell(model, 0) == text
    assert heartbeat_cell(model, 0, HeartbeatRole).shape is shape
    tooltip = heartbeat_cell(model, 0, TOOLTIP)
    first, since = tooltip.split("\n")
    assert first.startswith(f"{text}: ") and words in first
    # Already so when hvgui first saw the VM: it may be older than that.
    assert since.startswith(f"Since at least {time.strftime('%H:%M', time.localtime(NOW))}")


def test_a_change_says_since_when_hvgui_saw_it(qapp, vm_factory) -> None:
    clock = Clock()
    model = VmTableModel(clock=clock)
    vm = vm_factory()
    model.apply(InventoryDiff("HV01", added=(vm,)))
    clock.now += 3600
    lost = replace(vm, heartbeat=HeartbeatStatus.LostCommunication)
    model.apply(InventoryDiff("HV01", changed=(lost,)))
    assert heartbeat_cell(model, 0, TOOLTIP).endswith(f"Since {time.strftime('%H:%M', time.localtime(clock.now))}")
    assert model.heartbeat_since(vm.key) == (clock.now, False)
    # A refresh that changes something else keeps the moment.
    clock.now += 60
    model.apply(InventoryDiff("HV01", changed=(replace(lost, cpu_usage=lost.cpu_usage + 1),)))
    assert model.heartbeat_since(vm.key) == (clock.now - 60, False)


def test_the_uptime_grows_without_any_inventory_and_without_a_signal(qapp, vm_factory) -> None:
    clock = Clock()
    model = VmTableModel(clock=clock)
    model.apply(InventoryDiff("HV01", added=(vm_factory(uptime_seconds=59),)))
    spy = QSignalSpy(model.dataChanged)
    uptime = model.index(0, Column.Uptime)
    assert uptime.data() == "00:00:59"
    clock.now += 2
    assert uptime.data() == "00:01:01"
    clock.now += 86400
    assert uptime.data() == "1.00:01:01"
    assert spy.count() == 0  # the view repaints the column's visible cells, no signal names 1 or 5,000 rows


def test_health_counts_follow_every_refresh(qapp, vm_factory) -> None:
    model = VmTableModel()
    ok = [vm_factory() for _ in range(3)]
    booting = vm_factory(heartbeat=HeartbeatStatus.NoContact)
    off = vm_factory(state=VmState.Off, heartbeat=None)
    model.apply(InventoryDiff("HV01", added=(*ok, booting, off)))
    counts = model.health_counts()
    assert (counts[HeartbeatHealth.Ok], counts[HeartbeatHealth.Attention], counts[HeartbeatHealth.Lost]) == (3, 1, 0)
    assert counts[HeartbeatHealth.Other] == 1
    model.apply(
        InventoryDiff(
            "HV01",
            changed=(replace(ok[0], heartbeat=HeartbeatStatus.LostCommunication), replace(booting, cpu_usage=50)),
            removed=(off.key,),
        )
    )
    counts = model.health_counts()
    assert (counts[HeartbeatHealth.Ok], counts[HeartbeatHealth.Attention], counts[HeartbeatHealth.Lost]) == (2, 1, 1)
    assert counts[HeartbeatHealth.Other] == 0


# ---- the window -------------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(w)
    w.show()
    return w


def publish(window: MainWindow, vms, old: Inventory | None = None) -> Inventory:
    inventory = Inventory(host=KEY, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(old, inventory))
    return inventory


def shown_names(window: MainWindow) -> set[str]:
    return {window.proxy.index(row, 0).data(VmRole).name for row in range(window.proxy.rowCount())}


def test_the_status_bar_counts_by_heartbeat_and_a_click_filters_the_table(window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(HostStatus(key=KEY, label="HV01", state=HostState.Connected))
    lost = [vm_factory(host=KEY, name=f"hung{i}", heartbeat=HeartbeatStatus.LostCommunication) for i in range(3)]
    fine = [vm_factory(host=KEY, name=f"fine{i}") for i in range(4)]
    booting = vm_factory(host=KEY, name="booting", heartbeat=HeartbeatStatus.NoContact)
    off = vm_factory(host=KEY, name="off", state=VmState.Off, heartbeat=None)
    first = publish(window, [*lost, *fine, booting, off])
    window.flush_status_bar()
    buttons = window.health_buttons
    assert buttons[HeartbeatHealth.Lost].text() == "3 lost"
    assert buttons[HeartbeatHealth.Attention].text() == "1 attention"
    assert buttons[HeartbeatHealth.Ok].text() == "4 OK"
    assert all(button.isVisible() for button in buttons.values())

    QTest.mouseClick(buttons[HeartbeatHealth.Lost], Qt.MouseButton.LeftButton)
    assert shown_names(window) == {"hung0", "hung1", "hung2"}
    assert buttons[HeartbeatHealth.Lost].isChecked()
    assert window.status_bar_texts()[1] == "3 of 9 VMs shown"
    # A guest that comes back leaves the filtered table by itself, and the count follows.
    back = replace(lost[0], heartbeat=HeartbeatStatus.OkApplicationsHealthy)
    publish(window, [back, *lost[1:], *fine, booting, off], first)
    assert shown_names(window) == {"hung1", "hung2"}
    window.flush_status_bar()
    assert buttons[HeartbeatHealth.Lost].text() == "2 lost"

    # A second click shows every VM again.
    QTest.mouseClick(buttons[HeartbeatHealth.Lost], Qt.MouseButton.LeftButton)
    assert window.proxy.rowCount() == 9 and not buttons[HeartbeatHealth.Lost].isChecked()

    # Another count, then Esc.
    QTest.mouseClick(buttons[HeartbeatHealth.Attention], Qt.MouseButton.LeftButton)
    assert shown_names(window) == {"booting"}
    assert window.clear_health_action.isEnabled()
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_Escape)
    assert window.proxy.rowCount() == 9
    assert not any(button.isChecked() for button in buttons.values())
    assert not window.clear_health_action.isEnabled()  # Esc is the table's own again


def test_a_count_of_zero_is_not_shown(window, vm_factory) -> None:
    publish(window, [vm_factory(host=KEY)])
    window.flush_status_bar()
    assert window.health_buttons[HeartbeatHealth.Ok].isVisible()
    assert not window.health_buttons[HeartbeatHealth.Lost].isVisible()


def test_the_vm_panel_shows_the_heartbeat_shape_words_and_since_when(window, vm_factory) -> None:
    window.controller.hostStatusChanged.emit(HostStatus(key=KEY, label="HV01", state=HostState.Connected))
    vm = vm_factory(host=KEY, name="web", heartbeat=HeartbeatStatus.Disabled)
    publish(window, [vm])
    assert window.select_vm(vm.key)
    summary = window.vm_panel.summary
    assert summary.heartbeat.text() == "Disabled"
    assert summary.heartbeat_dot.shape() is IndicatorShape.Bar
    assert "Heartbeat integration service is disabled" in summary.heartbeat.toolTip()
    assert "Since at least" in summary.heartbeat.toolTip()


def test_the_window_repaints_uptimes_every_second_without_a_signal(window, vm_factory, qtbot) -> None:
    vm = vm_factory(host=KEY, booted_at=time.time() - 10)
    publish(window, [vm])
    assert window.select_vm(vm.key)
    spy = QSignalSpy(window.vm_model.dataChanged)
    before = window.vm_panel.summary.uptime.text()
    qtbot.waitUntil(lambda: window.vm_panel.summary.uptime.text() != before, timeout=3000)
    assert window.uptime_timer.isActive() and window.uptime_timer.interval() == 1000
    assert spy.count() == 0
