"""The rows of the "Integration services" tab, built from domain objects (no host needed)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QSignalSpy

from hvgui.domain.heartbeat import HeartbeatTone
from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    INTEGRATION_COMPONENTS,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
    ComponentStatus,
)
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.ui.models.service_rows import (
    IMPACT_COLOURS,
    POWERSHELL_DIRECT_KEY,
    ErrorRole,
    IndicatorRole,
    PendingRole,
    ServiceColumn,
    ServiceRowsModel,
    WhyRole,
    short_release,
)

GERMAN = {
    GUEST_SERVICE_INTERFACE.ic_guid: "Gastdienstschnittstelle",
    HEARTBEAT.ic_guid: "Takt",
    KVP.ic_guid: "Austausch von Schlüsselwertepaaren",
    SHUTDOWN.ic_guid: "Herunterfahren des Betriebssystems",
    TIME_SYNC.ic_guid: "Zeitsynchronisierung",
    VSS.ic_guid: "Sicherung (Volumenschattenkopie)",
}


def with_status(vm, ic_guid: str, primary: ComponentStatus, text: str = "", **changes):
    services = tuple(
        replace(s, primary=primary, primary_text=text or primary.name, **changes) if s.ic_guid == ic_guid else s
        for s in vm.integration_services
    )
    return replace(vm, integration_services=services)


def cell(model: ServiceRowsModel, key: str, column: ServiceColumn):
    return model.index(model.row_of(key), column)


def test_qtmodeltester_passes_with_pending_and_rejected_rows(qtmodeltester, qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    vm = with_status(vm_factory(guest_os_name="Windows Server 2022 Datacenter"), KVP.ic_guid, ComponentStatus.NoContact)
    model.set_vm(vm)
    model.set_pending(vm.key, TIME_SYNC.ic_guid, False)
    model.set_error(vm.key, SHUTDOWN.ic_guid, "Access is denied.")
    qtmodeltester.check(model, force_py=True)
    model.set_vm(None)
    qtmodeltester.check(model, force_py=True)


def test_one_row_per_component_keyed_by_guid_then_powershell_direct(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    vm = vm_factory()
    model.set_vm(vm)
    assert [row.key for row in model.rows()] == [s.ic_guid for s in vm.integration_services] + [POWERSHELL_DIRECT_KEY]
    assert model.columnCount() == len(ServiceColumn)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in ServiceColumn]
    assert headers == ["Service", "Enabled", "Status", "Why?", "Impact", "Guest component", "Since", "What it does"]


def test_localized_names_are_shown_and_rows_still_found_by_guid(qapp, vm_factory) -> None:
    vm = vm_factory(guest_os_name="Windows Server 2019 Standard")
    german = replace(
        vm, integration_services=tuple(replace(s, name=GERMAN[s.ic_guid]) for s in vm.integration_services)
    )
    model = ServiceRowsModel()
    model.set_vm(german)
    assert cell(model, TIME_SYNC.ic_guid, ServiceColumn.Name).data() == "Zeitsynchronisierung"
    tooltip = cell(model, TIME_SYNC.ic_guid, ServiceColumn.Name).data(Qt.ItemDataRole.ToolTipRole)
    assert "Zeitsynchronisierung (Time Synchronization)" in tooltip
    assert TIME_SYNC.ic_guid in tooltip
    assert cell(model, TIME_SYNC.ic_guid, ServiceColumn.Impact).data() == "High"
    assert cell(model, TIME_SYNC.ic_guid, ServiceColumn.Component).data() == "vmictimesync"


def test_a_refresh_of_the_same_vm_updates_rows_in_place(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    vm = vm_factory()
    model.set_vm(vm)
    resets = QSignalSpy(model.modelReset)
    changes = QSignalSpy(model.dataChanged)
    model.set_vm(with_status(vm, HEARTBEAT.ic_guid, ComponentStatus.LostCommunication, "Lost Communication"))
    assert resets.count() == 0
    assert changes.count() == 1 and changes.at(0)[0].row() == model.row_of(HEARTBEAT.ic_guid)
    assert cell(model, HEARTBEAT.ic_guid, ServiceColumn.Status).data() == "Lost Communication"
    model.set_vm(vm_factory())  # another VM: new rows
    assert resets.count() == 1


def test_a_toggle_asks_and_waits_for_the_truth(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    vm = vm_factory()
    model.set_vm(vm)
    requests = QSignalSpy(model.toggleRequested)
    enabled = cell(model, SHUTDOWN.ic_guid, ServiceColumn.Enabled)
    assert enabled.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.setData(enabled, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert requests.count() == 1 and requests.at(0) == [SHUTDOWN.ic_guid, False]
    assert enabled.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked  # the model never guesses

    model.set_pending(vm.key, SHUTDOWN.ic_guid, False)
    assert enabled.data(PendingRole) is False
    assert enabled.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    assert enabled.data() == "Disabling\u2026"
    assert enabled.data(Qt.ItemDataRole.FontRole).italic()
    assert not enabled.flags() & Qt.ItemFlag.ItemIsUserCheckable  # no second toggle while one runs
    model.setData(enabled, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert requests.count() == 1

    # The host refused: the row shows the truth again, with the reason.
    model.set_pending(vm.key, SHUTDOWN.ic_guid, None)
    model.set_error(vm.key, SHUTDOWN.ic_guid, "Access is denied.")
    assert enabled.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert enabled.data(ErrorRole) == "Access is denied."
    assert enabled.data() == "On \u00b7 change rejected"
    assert "Access is denied." in enabled.data(Qt.ItemDataRole.ToolTipRole)
    assert enabled.data(Qt.ItemDataRole.ForegroundRole) == QColor("#c42b1c")
    # Pending and errors belong to their VM: another VM's rows are clean.
    model.set_vm(vm_factory())
    assert model.error(SHUTDOWN.ic_guid) is None
    model.set_vm(vm)
    assert model.error(SHUTDOWN.ic_guid) == "Access is denied."


def test_powershell_direct_is_a_row_but_not_a_setting(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    model.set_vm(vm_factory(guest_os_name="Windows Server 2022 Datacenter", guest_os_version="10.0.20348"))
    enabled = cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Enabled)
    assert not enabled.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert enabled.data(Qt.ItemDataRole.CheckStateRole) is None
    assert enabled.data() == "Not a setting"
    assert "not an integration component" in enabled.data(Qt.ItemDataRole.ToolTipRole)
    assert cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Status).data() == "Available"
    assert cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Why).data() == ""
    assert cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Component).data() == "vmicvmsession"
    assert not model.setData(enabled, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)


@pytest.mark.parametrize(
    ("os_name", "version", "status", "why_words"),
    [
        ("Ubuntu 22.04.4 LTS", "5.15.0", "Not available (Linux guest)", "Linux guests have no PowerShell Direct"),
        ("Windows Server 2012 R2 Standard", "6.3.9600", "Not available (older Windows)", "Windows 10"),
        (None, None, "Unknown (no OS data)", "cannot tell which operating system"),
    ],
)
def test_powershell_direct_says_when_the_guest_cannot_have_it(qapp, vm_factory, os_name, version, status, why_words):
    model = ServiceRowsModel()
    model.set_vm(
        vm_factory(guest_os_name=os_name, guest_os_version=version, heartbeat=HeartbeatStatus.OkApplicationsUnknown)
    )
    assert cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Status).data() == status
    assert why_words in cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Why).data(WhyRole)


#: Every operational status that is not OK (hyperv-api.md lists them); each must have its "Why?".
NOT_OK = [s for s in ComponentStatus if s not in (ComponentStatus.Ok,)]


@pytest.mark.parametrize("status", NOT_OK, ids=[s.name for s in NOT_OK])
def test_every_status_that_is_not_ok_has_a_why(qapp, vm_factory, status: ComponentStatus) -> None:
    model = ServiceRowsModel()
    model.set_vm(with_status(vm_factory(guest_os_name="Ubuntu 24.04 LTS"), KVP.ic_guid, status))
    why = cell(model, KVP.ic_guid, ServiceColumn.Why)
    assert why.data() == "Why?"
    assert why.data(WhyRole) and why.data(Qt.ItemDataRole.ToolTipRole) == why.data(WhyRole)
    indicator = cell(model, KVP.ic_guid, ServiceColumn.Status).data(IndicatorRole)
    assert indicator.tone is not HeartbeatTone.Good
    if status is ComponentStatus.NoContact:
        assert "hv_kvp_daemon" in why.data(WhyRole)  # a Linux guest: the daemon, not the Windows service


def test_protocol_mismatch_in_the_secondary_status_is_shown_and_explained(qapp, vm_factory) -> None:
    vm = vm_factory(guest_os_name="Ubuntu 24.04 LTS")
    text = "The protocol version of the component installed in the virtual machine does not match."
    vm = with_status(vm, VSS.ic_guid, ComponentStatus.Ok, "OK", secondary=ComponentStatus.ProtocolMismatch)
    vm = replace(
        vm,
        integration_services=tuple(
            replace(s, secondary_text=text) if s.ic_guid == VSS.ic_guid else s for s in vm.integration_services
        ),
    )
    model = ServiceRowsModel()
    model.set_vm(vm)
    status = cell(model, VSS.ic_guid, ServiceColumn.Status)
    assert status.data() == f"OK \u00b7 {text}"
    assert "ProtocolMismatch" in status.data(Qt.ItemDataRole.ToolTipRole)
    assert status.data(IndicatorRole).tone is HeartbeatTone.Warning
    assert "older" in cell(model, VSS.ic_guid, ServiceColumn.Why).data(WhyRole)


def test_guest_component_follows_the_guest_os(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    model.set_vm(vm_factory(guest_os_name="Red Hat Enterprise Linux 9.4"))
    assert cell(model, KVP.ic_guid, ServiceColumn.Component).data() == "hv_kvp_daemon"
    assert cell(model, SHUTDOWN.ic_guid, ServiceColumn.Component).data() == "hv_utils"
    assert cell(model, POWERSHELL_DIRECT_KEY, ServiceColumn.Component).data() == "none (Windows guests only)"
    model.set_vm(vm_factory(guest_os_name="Windows 11 Enterprise"))
    assert cell(model, KVP.ic_guid, ServiceColumn.Component).data() == "vmickvpexchange"
    tooltip = cell(model, KVP.ic_guid, ServiceColumn.Component).data(Qt.ItemDataRole.ToolTipRole)
    assert "Hyper-V Data Exchange Service (vmickvpexchange)" in tooltip and "hv_kvp_daemon" in tooltip
    # No OS name and no application data: both are named.
    model.set_vm(vm_factory(guest_os_name=None, heartbeat=HeartbeatStatus.OkApplicationsUnknown))
    assert cell(model, KVP.ic_guid, ServiceColumn.Component).data() == "vmickvpexchange / hv_kvp_daemon"


def test_impact_release_purpose_and_the_gsi_note(qapp, vm_factory) -> None:
    model = ServiceRowsModel()
    model.set_vm(vm_factory())
    for info in INTEGRATION_COMPONENTS:
        impact = cell(model, info.ic_guid, ServiceColumn.Impact)
        assert impact.data() == info.impact.value
        assert impact.data(Qt.ItemDataRole.ForegroundRole) == QColor(IMPACT_COLOURS[info.impact])
        assert info.impact_text in impact.data(Qt.ItemDataRole.ToolTipRole)
        assert cell(model, info.ic_guid, ServiceColumn.Since).data() == short_release(info.since)
        assert cell(model, info.ic_guid, ServiceColumn.Purpose).data().startswith(info.purpose)
    assert cell(model, SHUTDOWN.ic_guid, ServiceColumn.Impact).data(Qt.ItemDataRole.FontRole).bold()
    gsi = cell(model, GUEST_SERVICE_INTERFACE.ic_guid, ServiceColumn.Purpose).data()
    assert "Off by default" in gsi and "Copy-VMFile" in gsi
    assert short_release("Windows Server 2012 R2 / Windows 8.1") == "WS2012 R2 / Win8.1"
    assert short_release("Windows Server Technical Preview 3 / Windows 10") == "WS TP3 / Win10"


def test_a_vm_that_is_off_explains_that_services_report_nothing(qapp, vm_factory) -> None:
    vm = vm_factory(state=VmState.Off, heartbeat=None)
    vm = replace(
        vm, integration_services=tuple(replace(s, primary=None, primary_text="") for s in vm.integration_services)
    )
    model = ServiceRowsModel()
    model.set_vm(vm)
    status = cell(model, HEARTBEAT.ic_guid, ServiceColumn.Status)
    assert status.data() == "\u2014"
    assert "start it" in cell(model, HEARTBEAT.ic_guid, ServiceColumn.Why).data(WhyRole)
