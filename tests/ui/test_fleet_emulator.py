"""The fleet compliance grid against the demo scenario: filters, live updates without reset, and the way
back to the main window."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy, QTest
from qasync_loop import wait_until

from hvgui.domain.bulk import ANY_SERVICE_NOT_OK, GSI_OFF, TIMESYNC_ON_FOR_DCS
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, TIME_SYNC
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.bulk import BulkServicesDialog
from hvgui.ui.controllers import HostsController
from hvgui.ui.fleet import CellTone, FleetActions, FleetFeed, FleetModel
from hvgui.ui.fleet.model import VM_COLUMN, ToneRole
from hvgui.ui.main_window import MainWindow

GSI = GUEST_SERVICE_INTERFACE.ic_guid
TS = TIME_SYNC.ic_guid

#: Every VM of the demo scenario, by host.
DEMO_VMS = {
    "dc01",
    "dc02",
    "sql01",
    "web01",
    "web02",
    "ci-runner",
    "legacy-app",
    "qa-'quoted' $(whoami) `tick",
    "exchange01",
    "fileserver",
    "\u00c5ngstr\u00f6m-B\u00fcro",
    "k8s-node-1",
    "k8s-node-2",
    "k8s-node-3",
    "jumpbox",
    "rhel-db",
    "print01",
    "rds01",
    "monitoring",
    "backup01",
    "devbox-01",
    "devbox-02",
    "test-linux",
    "wsus",
}


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        # fileserver's heartbeat flaps on a schedule (a stalling guest); pin it so "any service not OK" has one
        # answer whatever the moment the test runs
        for host in running.scenario.hosts:
            with host.model.lock:
                for vm in host.model.vms:
                    if vm.guest.hang is not None:
                        vm.guest = dataclasses.replace(vm.guest, hang=None)
        yield running


@pytest.fixture
def window(qtbot, loop, emulator) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.3, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()

    async def connect() -> None:
        for endpoint in emulator.endpoints:
            w.connect_host(endpoint.connection_settings(), endpoint.password)
        keys = controller.host_keys
        await wait_until(lambda: all(controller.inventory(k) is not None for k in keys()), what="inventories")

    loop.run_until_complete(connect())
    yield w
    loop.run_until_complete(controller.aclose())


def actions(window: MainWindow) -> FleetActions:
    return window.fleet_actions


def test_the_demo_fleet_through_each_filter(qtbot, window) -> None:
    fleet_action = actions(window).fleet_action
    assert fleet_action.shortcut().toString() == "Ctrl+Shift+F"
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert fleet_action in view_menu.actions()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    grid = actions(window).fleet_window
    assert grid is not None and grid.isVisible()
    assert {vm.name for vm in grid.shown_vms()} == DEMO_VMS
    assert grid.count_label.text() == f"{len(DEMO_VMS)} VMs"
    labels = {grid.proxy.index(r, 0).data() for r in range(grid.proxy.rowCount())}
    assert labels == {"HV-DEMO-01", "HV-DEMO-02", "HV-DEMO-03"}

    grid.set_filter(GSI_OFF, True)
    assert {vm.name for vm in grid.shown_vms()} == DEMO_VMS - {"ci-runner"}  # GSI is off by default
    assert grid.count_label.text() == f"{len(DEMO_VMS) - 1} of {len(DEMO_VMS)} VMs match"
    grid.set_filter(GSI_OFF, False)

    grid.set_filter(TIMESYNC_ON_FOR_DCS, True)
    assert {vm.name for vm in grid.shown_vms()} == {"dc01", "dc02"}
    grid.set_filter(TIMESYNC_ON_FOR_DCS, False)

    grid.set_filter(ANY_SERVICE_NOT_OK, True)
    # web02: no hv_kvp_daemon (No Contact) and a VSS protocol mismatch; monitoring: VSS protocol mismatch;
    # rds01: a monitored application reports critical; a disabled service counts too: jumpbox (Heartbeat),
    # devbox-01 (Shutdown), print01 (VSS), test-linux (Time Synchronization)
    assert {vm.name for vm in grid.shown_vms()} == {
        "web02",
        "monitoring",
        "rds01",
        "jumpbox",
        "devbox-01",
        "print01",
        "test-linux",
    }
    web02 = next(vm for vm in grid.shown_vms() if vm.name == "web02")
    row = grid.model.row_of(web02.key)
    kvp = grid.model.index(row, grid.model.service_column("2A34B1C2-FD73-4043-8A5B-DD2159BC743F"))
    assert kvp.data() == "No Contact" and kvp.data(ToneRole) is CellTone.Warning
    # the free text narrows further
    grid.text_filter.setText("HV-DEMO-03")
    assert {vm.name for vm in grid.shown_vms()} == {"monitoring", "rds01", "print01", "devbox-01", "test-linux"}
    assert grid.count_label.text() == f"5 of {len(DEMO_VMS)} VMs match"
    # the action raises the same window again
    fleet_action.trigger()
    assert actions(window).fleet_window is grid
    # a grid fed later starts from what the sessions already hold
    late = FleetModel()
    FleetFeed(window.controller, late)
    assert {vm.name for vm in late.vms()} == DEMO_VMS
    assert late.host_label(web02.host) == "HV-DEMO-01"


def test_a_service_toggled_on_the_host_updates_the_grid_without_a_reset(loop, window, emulator) -> None:
    grid = actions(window).show_fleet()
    grid.set_filter(GSI_OFF, True)
    dc01 = next(vm for vm in grid.model.vms() if vm.name == "dc01")
    row = grid.model.row_of(dc01.key)
    column = grid.model.service_column(GSI)
    assert grid.model.index(row, column).data(ToneRole) is CellTone.Disabled
    rows = grid.model.rowCount()
    resets = QSignalSpy(grid.model.modelReset)
    inserted = QSignalSpy(grid.model.rowsInserted)
    removed = QSignalSpy(grid.model.rowsRemoved)
    touched: list[tuple[int, int, int, int]] = []
    grid.model.dataChanged.connect(lambda a, b, _roles=(): touched.append((a.row(), a.column(), b.row(), b.column())))
    host = emulator.scenario.hosts[0]
    with host.model.lock:  # another admin enables Guest Service Interface on dc01
        vm = next(v for v in host.model.vms if v.name == "dc01")
        vm.set_component_enabled(GSI, True, host.model.now())

    async def arrives() -> None:
        await wait_until(
            lambda: grid.model.index(row, column).data(ToneRole) is not CellTone.Disabled, what="the refresh"
        )

    loop.run_until_complete(arrives())
    assert resets.count() == 0 and inserted.count() == 0 and removed.count() == 0
    assert grid.model.rowCount() == rows
    assert any(r0 == row == r1 and c0 <= column <= c1 for r0, c0, r1, c1 in touched)
    assert all(r0 == r1 for r0, _c0, r1, _c1 in touched)  # row by row, never the whole grid
    # the guest has not answered yet (No Contact) or already has (OK): either way enabled, and GSI-off drops it
    assert grid.model.index(row, column).data(ToneRole) in (CellTone.Warning, CellTone.Good)
    assert "dc01" not in {v.name for v in grid.shown_vms()}
    assert grid.model.index(row, grid.model.service_column(TS)).data(ToneRole) is CellTone.Good


def test_double_click_selects_the_vm_in_the_main_window(qtbot, window) -> None:
    grid = actions(window).show_fleet()
    grid.text_filter.setText("jumpbox")
    assert grid.proxy.rowCount() == 1
    index = grid.proxy.index(0, VM_COLUMN)
    rect = grid.table.visualRect(index)
    QTest.mouseClick(grid.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(grid.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    selected = window.selected_vm()
    assert selected is not None and selected.name == "jumpbox"
    assert window.vm_panel.vm() is not None and window.vm_panel.vm().name == "jumpbox"


def test_the_grid_menu_opens_the_bulk_dialog_for_the_selected_vms(loop, window, emulator) -> None:
    grid = actions(window).show_fleet()
    grid.set_filter(ANY_SERVICE_NOT_OK, True)
    grid.text_filter.setText("HV-DEMO-03")
    grid.table.selectAll()
    grid.context_menu()
    assert grid.bulk_action.text() == "&Integration services of 5 VMs\u2026"
    grid.bulk_action.trigger()
    dialog = window.findChild(BulkServicesDialog)
    assert dialog is not None and dialog.isVisible()
    assert {vm.name for vm in dialog.model.vms()} == {"monitoring", "rds01", "print01", "devbox-01", "test-linux"}
    dialog.close()
