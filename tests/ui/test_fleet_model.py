"""The fleet compliance grid's model, filters and window, with VMs built in memory."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy, QTest

from hvgui.domain.bulk import ANY_SERVICE_NOT_OK, GSI_OFF, TIMESYNC_ON_FOR_DCS
from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    KVP,
    TIME_SYNC,
    VSS,
    ComponentStatus,
)
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, Vm, VmState
from hvgui.domain.why import ServiceCondition
from hvgui.ui.fleet import CellTone, FleetFilterProxy, FleetModel, FleetWindow
from hvgui.ui.fleet.model import (
    FIRST_SERVICE_COLUMN,
    GUEST_COLUMN,
    HOST_COLUMN,
    STATE_COLUMN,
    TONE_COLOURS,
    VM_COLUMN,
    ConditionRole,
    ToneRole,
    VmRole,
)

GSI = GUEST_SERVICE_INTERFACE.ic_guid
TS = TIME_SYNC.ic_guid
HB = HEARTBEAT.ic_guid


def with_service(vm: Vm, guid: str, **changes) -> Vm:
    services = tuple(replace(s, **changes) if s.ic_guid == guid else s for s in vm.integration_services)
    return replace(vm, integration_services=services)


@pytest.fixture
def vms(vm_factory) -> dict[str, Vm]:
    """A healthy server, a DC with time sync on, a DC with time sync off, a guest without KVP, one with a lost
    heartbeat, a VM that is off, and one with GSI on."""
    return {
        "ok": vm_factory("app01", guest_os_name="Windows Server 2022 Datacenter", guest_product_type=3),
        "dc-ts-on": vm_factory("dc01", guest_os_name="Windows Server 2022 Datacenter", guest_product_type=2),
        "dc-ts-off": with_service(vm_factory("dc02", guest_product_type=2), TS, enabled=False),
        "no-kvp": with_service(
            vm_factory("web02", guest_os_name=None, heartbeat=HeartbeatStatus.OkApplicationsUnknown),
            KVP.ic_guid,
            primary=ComponentStatus.NoContact,
            primary_text="No Contact",
        ),
        "lost": with_service(
            vm_factory("hung", host="HV02"),
            HB,
            primary=ComponentStatus.LostCommunication,
            primary_text="Lost Communication",
        ),
        "off": vm_factory(
            "cold",
            host="HV02",
            state=VmState.Off,
            heartbeat=None,
            integration_services=tuple(
                replace(s, primary=None, primary_text="") for s in vm_factory().integration_services
            ),
        ),
        "gsi-on": with_service(vm_factory("builder", host="HV02"), GSI, enabled=True, primary=ComponentStatus.Ok),
    }


@pytest.fixture
def model(qapp, vms) -> FleetModel:
    m = FleetModel()
    m.apply(InventoryDiff("HV01", added=tuple(v for v in vms.values() if v.host == "HV01")))
    m.apply(InventoryDiff("HV02", added=tuple(v for v in vms.values() if v.host == "HV02")))
    return m


def service_index(model: FleetModel, vm: Vm, guid: str):
    return model.index(model.row_of(vm.key), model.service_column(guid))


def test_qtmodeltester_passes(qtmodeltester, model) -> None:
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    proxy = FleetFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_active_filters([GSI_OFF])
    proxy.set_filter_text("hv02")
    qtmodeltester.check(proxy, force_py=True)


def test_columns_and_colours(model, vms) -> None:
    assert model.rowCount() == 7
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [
        "Host",
        "VM",
        "State",
        "Guest",
        "Guest Service Interface",
        "Heartbeat",
        "Key-Value Pair Exchange",
        "Shutdown",
        "Time Synchronization",
        "VSS",
    ]
    dc = model.row_of(vms["dc-ts-on"].key)
    assert model.index(dc, GUEST_COLUMN).data() == "Domain controller \u00b7 Windows Server 2022 Datacenter"
    assert model.index(dc, STATE_COLUMN).data() == "Running"
    expectations = [
        ("ok", TS, CellTone.Good, "OK"),
        ("ok", GSI, CellTone.Disabled, "Off"),
        ("no-kvp", KVP.ic_guid, CellTone.Warning, "No Contact"),
        ("lost", HB, CellTone.Bad, "Lost Communication"),
        ("off", TS, CellTone.Neutral, "On"),
        ("off", GSI, CellTone.Disabled, "Off"),
    ]
    for name, guid, tone, text in expectations:
        index = service_index(model, vms[name], guid)
        assert (index.data(ToneRole), index.data()) == (tone, text), (name, guid)
        colour = TONE_COLOURS[tone]
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        assert (background.color().name() if background is not None else None) == colour
    lost = service_index(model, vms["lost"], HB)
    assert lost.data(ConditionRole) is ServiceCondition.Problem
    tooltip = lost.data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("Heartbeat on 'hung': enabled; Lost Communication.")
    assert "answered heartbeats and then stopped" in tooltip  # the domain's "Why?"
    assert "hv_kvp_daemon" in service_index(model, vms["no-kvp"], KVP.ic_guid).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([GSI_OFF], {"app01", "dc01", "dc02", "web02", "hung", "cold"}),
        ([TIMESYNC_ON_FOR_DCS], {"dc01"}),
        ([ANY_SERVICE_NOT_OK], {"dc02", "web02", "hung"}),
        ([GSI_OFF, ANY_SERVICE_NOT_OK], {"dc02", "web02", "hung"}),
        ([], {"app01", "dc01", "dc02", "web02", "hung", "cold", "builder"}),
    ],
)
def test_filters(qtbot, model, filters, expected) -> None:
    window = FleetWindow(model)
    qtbot.addWidget(window)
    for fleet_filter in filters:
        window.set_filter(fleet_filter, True)
    assert {vm.name for vm in window.shown_vms()} == expected
    text = f"{len(expected)} of 7 VMs match" if filters else "7 VMs"
    assert window.count_label.text() == text


def test_free_text_combines_with_filters_and_the_count_follows(qtbot, model) -> None:
    window = FleetWindow(model)
    qtbot.addWidget(window)
    window.text_filter.setText("hv02")
    assert {vm.name for vm in window.shown_vms()} == {"hung", "cold", "builder"}
    window.set_filter(GSI_OFF, True)
    assert {vm.name for vm in window.shown_vms()} == {"hung", "cold"}
    assert window.count_label.text() == "2 of 7 VMs match"
    window.text_filter.setText("domain controller")  # the guest column is searched too
    assert {vm.name for vm in window.shown_vms()} == {"dc01", "dc02"}
    window.text_filter.clear()
    window.set_filter(GSI_OFF, False)
    assert window.count_label.text() == "7 VMs"


def test_a_refresh_changes_cells_in_place_and_refilters(qtbot, model, vms) -> None:
    window = FleetWindow(model)
    qtbot.addWidget(window)
    window.set_filter(GSI_OFF, True)
    assert "app01" in {vm.name for vm in window.shown_vms()}
    resets = QSignalSpy(model.modelReset)
    inserted = QSignalSpy(model.rowsInserted)
    changes: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles=(): changes.append((a.row(), a.column(), b.row(), b.column())))
    app = vms["ok"]
    # only the uptime changed: nothing the grid shows, so nothing is repainted
    model.apply(InventoryDiff("HV01", changed=(replace(app, cpu_usage=app.cpu_usage + 2),)))
    assert changes == []
    updated = with_service(app, GSI, enabled=True, primary=ComponentStatus.NoContact, primary_text="No Contact")
    model.apply(InventoryDiff("HV01", changed=(updated,)))
    row = model.row_of(app.key)
    column = model.service_column(GSI)
    assert changes == [(row, column, row, column)]  # exactly the one cell
    assert resets.count() == 0 and inserted.count() == 0
    assert service_index(model, updated, GSI).data(ToneRole) is CellTone.Warning
    assert "app01" not in {vm.name for vm in window.shown_vms()}  # GSI is on now
    assert window.count_label.text() == "5 of 7 VMs match"
    # a VM leaves and arrives through the diff, never a reset
    model.apply(InventoryDiff("HV01", removed=(app.key,)))
    assert model.row_of(app.key) is None and model.rowCount() == 6
    model.apply(InventoryDiff("HV01", added=(app,)))
    assert model.rowCount() == 7 and resets.count() == 0


def test_host_labels_and_stale_hosts(model, vms) -> None:
    model.set_host_label("HV02", "Second host")
    row = model.row_of(vms["lost"].key)
    assert model.index(row, HOST_COLUMN).data() == "Second host"
    model.set_host_stale("HV02", True)
    assert model.index(row, VM_COLUMN).data(Qt.ItemDataRole.FontRole).italic()
    assert "not answering" in service_index(model, vms["lost"], HB).data(Qt.ItemDataRole.ToolTipRole)
    model.set_host_stale("HV02", False)
    assert model.index(row, VM_COLUMN).data(Qt.ItemDataRole.FontRole) is None


def test_double_click_or_enter_asks_to_show_the_vm(qtbot, model, vms) -> None:
    window = FleetWindow(model)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    activated: list = []
    window.vmActivated.connect(activated.append)
    window.text_filter.setText("dc02")
    index = window.proxy.index(0, VM_COLUMN)
    rect = window.table.visualRect(index)
    QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated == []  # a single click only selects
    QTest.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated == [vms["dc-ts-off"].key]
    window.table.setFocus()
    window.table.setCurrentIndex(window.proxy.index(0, FIRST_SERVICE_COLUMN))
    QTest.keyClick(window.table, Qt.Key.Key_Return)
    assert activated == [vms["dc-ts-off"].key] * 2
    assert window.proxy.index(0, 0).data(VmRole) == vms["dc-ts-off"]


def test_filters_work_from_the_keyboard(qtbot, model) -> None:
    window = FleetWindow(model)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # Time Synchronization on for DCs
    qtbot.waitUntil(lambda: window.filter_boxes[TIMESYNC_ON_FOR_DCS.key].isChecked())
    assert {vm.name for vm in window.shown_vms()} == {"dc01"}
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.text_filter.hasFocus()


def test_a_protocol_mismatch_reads_short_in_the_cell_and_in_full_in_the_tooltip(qapp, vm_factory) -> None:
    sentence = (
        "The protocol version of the component installed in the virtual machine does not match the version "
        "expected by the host."
    )
    vm = with_service(
        vm_factory("old-guest"), VSS.ic_guid, secondary=ComponentStatus.ProtocolMismatch, secondary_text=sentence
    )
    model = FleetModel()
    model.apply(InventoryDiff("HV01", added=(vm,)))
    index = service_index(model, vm, VSS.ic_guid)
    assert index.data() == "Protocol Mismatch"
    assert index.data(ToneRole) is CellTone.Warning
    assert sentence in index.data(Qt.ItemDataRole.ToolTipRole)
