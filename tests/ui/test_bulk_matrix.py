"""The bulk dialog's matrix: reading, editing by data, mouse and keyboard, baselines and refreshes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QBrush
from PySide6.QtTest import QSignalSpy, QTest

from hvgui.domain.bulk import ALL_ON, ALL_ON_EXCEPT_TIMESYNC_FOR_DCS, IC_GUIDS, RECOMMENDED_DEFAULTS, ChangeResult
from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
)
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory, Vm
from hvgui.ui.bulk.matrix_model import (
    CHANGED_COLOUR,
    DONE_COLOUR,
    FAILED_COLOUR,
    HOST_COLUMN,
    RISKY_COLOUR,
    VM_COLUMN,
    CellChange,
    ChangeRole,
    CurrentRole,
    DesiredRole,
    ServiceMatrixModel,
)
from hvgui.ui.bulk.matrix_view import MatrixView

GSI = GUEST_SERVICE_INTERFACE.ic_guid
TS = TIME_SYNC.ic_guid
HB = HEARTBEAT.ic_guid
SD = SHUTDOWN.ic_guid


def with_service(vm: Vm, guid: str, enabled: bool) -> Vm:
    services = tuple(replace(s, enabled=enabled) if s.ic_guid == guid else s for s in vm.integration_services)
    return replace(vm, integration_services=services)


@pytest.fixture
def vms(vm_factory) -> list[Vm]:
    """A domain controller, a member server, a VM whose role is unknown, and one on a second host."""
    return [
        vm_factory("dc01", guest_product_type=2, guest_os_name="Windows Server 2022 Datacenter"),
        vm_factory("sql01", guest_product_type=3, guest_os_name="Windows Server 2022 Datacenter"),
        vm_factory("web01", guest_os_name=None),
        with_service(vm_factory("jump", host="HV02", guest_product_type=1), HB, False),
    ]


@pytest.fixture
def model(qapp, vms) -> ServiceMatrixModel:
    return ServiceMatrixModel(vms, {"HV01": "Host one", "HV02": "Host two"})


def cell(model: ServiceMatrixModel, vm: Vm, guid: str) -> QModelIndex:
    return model.cell(vm.key, guid)


def test_qtmodeltester_passes(qtmodeltester, model, vms) -> None:
    model.set_desired(vms[0].key, TS, False)
    model.set_desired(vms[1].key, GSI, True)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_rows_are_vms_with_host_and_columns_the_six_services_by_guid(model, vms) -> None:
    assert model.rowCount() == 4
    assert model.columnCount() == 2 + 6
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [
        "Host",
        "VM",
        "Guest Service Interface",
        "Heartbeat",
        "Key-Value Pair Exchange",
        "Shutdown",
        "Time Synchronization",
        "VSS",
    ]
    assert list(IC_GUIDS) == [GSI, HB, KVP.ic_guid, SD, TS, VSS.ic_guid]
    assert model.index(3, HOST_COLUMN).data() == "Host two"
    assert model.index(0, VM_COLUMN).data() == "dc01"
    assert "Domain controller" in model.index(0, VM_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    # current values as the host reports them, nothing changed yet
    assert cell(model, vms[0], GSI).data() == "Off"
    assert cell(model, vms[0], TS).data() == "On"
    assert cell(model, vms[3], HB).data(CurrentRole) is False
    assert cell(model, vms[0], GSI).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert cell(model, vms[0], TS).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert cell(model, vms[0], TS).flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert not (model.index(0, VM_COLUMN).flags() & Qt.ItemFlag.ItemIsUserCheckable)
    assert model.plan() == []


def test_a_localized_host_keeps_english_headers_and_cells_by_guid(qapp, vm_factory) -> None:
    german = {GSI: "Gastdienstschnittstelle", TS: "Zeitsynchronisierung"}
    vm = vm_factory("de01")
    vm = replace(
        vm, integration_services=tuple(replace(s, name=german.get(s.ic_guid, s.name)) for s in vm.integration_services)
    )
    model = ServiceMatrixModel([vm])
    assert model.headerData(model.column_of(TS), Qt.Orientation.Horizontal) == "Time Synchronization"
    model.set_desired(vm.key, TS, False)
    (change,) = model.plan()
    assert (change.ic_guid, change.service_name, change.enable) == (TS, "Zeitsynchronisierung", False)
    assert "Zeitsynchronisierung" in cell(model, vm, TS).data(Qt.ItemDataRole.ToolTipRole)


def test_editing_a_cell_sets_the_desired_state_and_highlights_it(model, vms) -> None:
    spy = QSignalSpy(model.desiredChanged)
    changed = QSignalSpy(model.dataChanged)
    index = cell(model, vms[1], GSI)
    assert model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert spy.count() == 1 and changed.count() == 1
    assert index.data() == "Off \u2192 On"
    assert index.data(ChangeRole) is CellChange.Enable
    assert index.data(DesiredRole) is True and index.data(CurrentRole) is False
    assert index.data(Qt.ItemDataRole.BackgroundRole).color().name() == CHANGED_COLOUR
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    # disabling a High-impact service gets the warning colour and its impact in the tooltip
    risky = cell(model, vms[1], SD)
    assert model.setData(risky, int(Qt.CheckState.Unchecked.value), Qt.ItemDataRole.CheckStateRole)
    assert risky.data(ChangeRole) is CellChange.Disable
    assert risky.data(Qt.ItemDataRole.BackgroundRole).color().name() == RISKY_COLOUR
    assert "Impact: High" in risky.data(Qt.ItemDataRole.ToolTipRole)
    # back to what the host reports: no change any more, no highlight
    assert model.setData(index, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert index.data() == "Off"
    assert index.data(ChangeRole) is CellChange.Keep
    assert index.data(Qt.ItemDataRole.BackgroundRole) is None
    assert [(c.vm_name, c.ic_guid, c.enable) for c in model.plan()] == [("sql01", SD, False)]
    # the name columns are not editable
    assert not model.setData(model.index(0, VM_COLUMN), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert not model.setData(index, "yes", Qt.ItemDataRole.EditRole)


def test_a_click_selects_then_space_or_a_double_click_switches(qtbot, model, vms) -> None:
    view = MatrixView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 300)
    view.show()
    qtbot.waitExposed(view)
    target = cell(model, vms[0], GSI)
    centre = view.visualRect(target).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert target.data(ChangeRole) is CellChange.Keep and model.plan() == []  # a click only selects
    assert view.currentIndex() == target and view.selected_service_cells() == [target]
    QTest.keyClick(view, Qt.Key.Key_Space)  # so the Space after it switches the cell once
    assert target.data(DesiredRole) is True
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # clicking again changes nothing
    assert target.data(DesiredRole) is True
    # the check indicator is no target of its own either
    indicator = view.visualRect(cell(model, vms[3], GSI)).topLeft() + QPoint(8, 13)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=indicator)
    assert cell(model, vms[3], GSI).data(ChangeRole) is CellChange.Keep
    # a double click switches the cell under the pointer, once
    other = cell(model, vms[0], TS)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(other).center())
    assert other.data(DesiredRole) is False
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(other).center())
    assert other.data(ChangeRole) is CellChange.Keep
    # a click on the VM name does nothing to the desired states
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(model.index(0, VM_COLUMN)).center()
    )
    assert model.plan()[0].ic_guid == GSI and len(model.plan()) == 1
    # keyboard only: go to sql01's GSI cell, extend the selection down to web01, Space switches both on
    view.setFocus()
    view.setCurrentIndex(cell(model, vms[1], GSI))
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert cell(model, vms[1], GSI).data(DesiredRole) is True
    assert cell(model, vms[2], GSI).data(DesiredRole) is True
    QTest.keyClick(view, Qt.Key.Key_Space)  # again: both back to what the host reports
    assert cell(model, vms[1], GSI).data(ChangeRole) is CellChange.Keep
    assert cell(model, vms[2], GSI).data(ChangeRole) is CellChange.Keep
    assert [(c.vm_name, c.ic_guid) for c in model.plan()] == [("dc01", GSI)]
    # a locked matrix (an apply is running) ignores clicks and keys
    model.set_locked(True)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(target).center())
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert target.data(DesiredRole) is True and len(model.plan()) == 1
    assert not (target.flags() & Qt.ItemFlag.ItemIsUserCheckable)


def test_all_on_except_time_sync_for_domain_controllers(model, vms) -> None:
    notes = model.apply_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)
    dc, server, unknown, jump = vms
    assert cell(model, dc, TS).data(DesiredRole) is False  # the domain controller is exempted
    assert cell(model, dc, TS).data(ChangeRole) is CellChange.Disable
    assert cell(model, server, TS).data(DesiredRole) is True
    assert cell(model, server, TS).data(ChangeRole) is CellChange.Keep
    assert cell(model, unknown, TS).data(ChangeRole) is CellChange.Keep  # role unknown: left as it is
    assert len(notes) == 1 and "'web01'" in notes[0] and "cannot tell" in notes[0]
    for vm in vms:
        assert cell(model, vm, GSI).data(DesiredRole) is True
    assert cell(model, jump, HB).data(ChangeRole) is CellChange.Enable
    assert sorted((c.vm_name, c.ic_guid, c.enable) for c in model.plan()) == sorted(
        [
            ("dc01", GSI, True),
            ("dc01", TS, False),
            ("sql01", GSI, True),
            ("web01", GSI, True),
            ("jump", GSI, True),
            ("jump", HB, True),
        ]
    )


def test_other_baselines_and_reset(model, vms) -> None:
    model.set_desired(vms[0].key, SD, False)
    assert model.apply_baseline(ALL_ON) == []
    assert cell(model, vms[0], SD).data(ChangeRole) is CellChange.Keep  # a baseline replaces earlier edits
    assert cell(model, vms[0], TS).data(ChangeRole) is CellChange.Keep  # all on: even for the DC
    assert {(c.vm_name, c.ic_guid) for c in model.plan()} == {
        ("dc01", GSI),
        ("sql01", GSI),
        ("web01", GSI),
        ("jump", GSI),
        ("jump", HB),
    }
    model.apply_baseline(RECOMMENDED_DEFAULTS)  # Guest Service Interface is left as it is
    assert [(c.vm_name, c.ic_guid) for c in model.plan()] == [("jump", HB)]
    spy = QSignalSpy(model.desiredChanged)
    model.reset()
    assert model.plan() == [] and spy.count() == 1


def test_a_refresh_updates_rows_in_place_and_settles_desires(model, vms) -> None:
    dc = vms[0]
    model.set_desired(dc.key, GSI, True)
    model.set_desired(dc.key, TS, False)
    resets = QSignalSpy(model.modelReset)
    settled = QSignalSpy(model.desiredChanged)
    refreshed = with_service(dc, GSI, True)  # the host now reports GSI on (the change was made)
    model.apply_inventory(Inventory("HV01", (refreshed,), 0.0), InventoryDiff("HV01", changed=(refreshed,)))
    assert resets.count() == 0 and settled.count() == 1
    assert cell(model, dc, GSI).data() == "On" and cell(model, dc, GSI).data(ChangeRole) is CellChange.Keep
    assert [(c.ic_guid, c.enable) for c in model.plan()] == [(TS, False)]
    # a VM that vanished keeps its row, marked, and its change stays in the plan (the host will answer)
    model.apply_inventory(Inventory("HV01", (), 0.0), InventoryDiff("HV01", removed=(dc.key,)))
    assert model.rowCount() == 4 and model.is_gone(dc.key)
    assert model.index(0, VM_COLUMN).data() == "dc01 (gone)"
    assert [(c.vm_name, c.ic_guid) for c in model.plan()] == [("dc01", TS)]
    # VMs that were not selected are ignored
    other = replace(dc, vm_id="ffffffff-0000-4000-8000-000000000000", name="other")
    model.apply_inventory(Inventory("HV01", (other,), 0.0), InventoryDiff("HV01", added=(other,)))
    assert model.rowCount() == 4


def test_a_service_the_host_does_not_report_is_partially_checked(qapp, vm_factory) -> None:
    vm = vm_factory("old")
    vm = replace(vm, integration_services=tuple(s for s in vm.integration_services if s.ic_guid != GSI))
    model = ServiceMatrixModel([vm])
    index = cell(model, vm, GSI)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    assert index.data() == "?"
    assert "not reported" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert [(c.ic_guid, c.enable, c.currently_enabled) for c in model.plan()] == [(GSI, True, None)]


def test_results_colour_the_cells(model, vms) -> None:
    model.set_desired(vms[0].key, GSI, True)
    model.set_desired(vms[1].key, GSI, True)
    first, second = model.plan()
    model.set_result(ChangeResult.done(first))
    model.set_result(ChangeResult.failed(second, "Access denied."))
    # done but not refreshed yet: still a pending change; failed: the failure colour and the reason
    assert cell(model, vms[0], GSI).data(Qt.ItemDataRole.BackgroundRole).color().name() == CHANGED_COLOUR
    failed = cell(model, vms[1], GSI)
    assert failed.data(Qt.ItemDataRole.BackgroundRole).color().name() == FAILED_COLOUR
    assert "Access denied." in failed.data(Qt.ItemDataRole.ToolTipRole)
    refreshed = with_service(vms[0], GSI, True)
    model.apply_inventory(Inventory("HV01", (refreshed,), 0.0), InventoryDiff("HV01", changed=(refreshed,)))
    assert cell(model, vms[0], GSI).data(Qt.ItemDataRole.BackgroundRole).color().name() == DONE_COLOUR
    model.clear_results()
    assert isinstance(failed.data(Qt.ItemDataRole.BackgroundRole), QBrush)  # still a pending change
    assert model.result(vms[1].key, GSI) is None
