"""Get-, Enable-, Disable-VMIntegrationService and Get-VMHost."""

from __future__ import annotations

import pytest
from model_harness import Harness, cmd

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.reference import HeartbeatStatus

NS = "Microsoft.HyperV.PowerShell."
GSI = ic.GUEST_SERVICE_INTERFACE.ic_guid
EN_NAMES = [
    "Guest Service Interface",
    "Heartbeat",
    "Key-Value Pair Exchange",
    "Shutdown",
    "Time Synchronization",
    "VSS",
]


@pytest.fixture
def h() -> Harness:
    return Harness("demo")


def test_every_vm_has_six_components_in_the_host_order(h: Harness) -> None:
    sink = h.run(cmd("Get-VMIntegrationService", "dc01"))
    assert [o.Name for o in sink.output] == EN_NAMES
    vm = h.vm("dc01")
    assert [o.Id for o in sink.output] == [
        f"Microsoft:{str(vm.id).upper()}\\{s.ic_guid}" for s in ic.INTEGRATION_COMPONENTS
    ]
    assert {o.VMName for o in sink.output} == {"dc01"} and {o.VMId for o in sink.output} == {vm.id}


def test_component_objects_carry_their_concrete_type_names(h: Harness) -> None:
    objects = {o.Name: o for o in h.run(cmd("Get-VMIntegrationService", "dc01")).output}
    common = [NS + "VMIntegrationComponent", NS + "VMDevice", NS + "VMComponentObject", NS + "VirtualizationObject"]
    assert objects["Shutdown"].PSObject.type_names[:5] == [NS + "ShutdownComponent", *common]
    assert objects["Key-Value Pair Exchange"].PSObject.type_names[0] == NS + "DataExchangeComponent"
    assert objects["Key-Value Pair Exchange"].IsClustered is False
    assert objects["Guest Service Interface"].PSObject.type_names[0] == NS + "GuestServiceInterfaceComponent"
    assert objects["Heartbeat"].PSObject.type_names[0] == NS + "VMIntegrationComponent"
    assert str(objects["Heartbeat"]).startswith("VMIntegrationComponent (Name = 'Heartbeat', VMName = 'dc01') [Id = ")


def test_statuses_of_a_healthy_windows_guest(h: Harness) -> None:
    objects = {o.Name: o for o in h.run(cmd("Get-VMIntegrationService", "dc01")).output}
    hb = objects["Heartbeat"]
    assert (hb.Enabled, hb.PrimaryStatusDescription, hb.SecondaryStatusDescription) == (True, "OK", "OK")
    assert list(hb.OperationalStatus) == [enums.VMIntegrationComponentOperationalStatus.Ok] * 2
    assert hb.OperationalStatus.PSObject.type_names[0] == NS + "VMIntegrationComponentOperationalStatus[]"
    gsi = objects["Guest Service Interface"]
    assert (gsi.Enabled, gsi.PrimaryStatusDescription, gsi.SecondaryOperationalStatus) == (False, "OK", None)


def test_the_genuine_ubuntu_24_04_picture(h: Harness) -> None:
    rows = [
        (o.Name, o.Enabled, o.PrimaryStatusDescription, o.SecondaryStatusDescription or "")
        for o in h.run(cmd("Get-VMIntegrationService", VMName="web02")).output
    ]
    assert rows[:5] == [
        ("Guest Service Interface", False, "OK", ""),
        ("Heartbeat", True, "OK", ""),
        ("Key-Value Pair Exchange", True, "No Contact", ""),
        ("Shutdown", True, "OK", ""),
        ("Time Synchronization", True, "OK", ""),
    ]
    assert rows[5][:3] == ("VSS", True, "OK")
    assert rows[5][3].startswith(
        "The protocol version of the component installed in the virtual machine does not match"
    )
    h.run(cmd("Enable-VMIntegrationService", VMName="web02", Name="Guest Service Interface"))
    [gsi] = h.run(cmd("Get-VMIntegrationService", "web02", "Guest*")).output
    assert (gsi.Enabled, gsi.PrimaryStatusDescription) == (True, "No Contact")


def test_an_off_vm_reports_no_component_status(h: Harness) -> None:
    for o in h.run(cmd("Get-VMIntegrationService", "legacy-app")).output:
        assert list(o.OperationalStatus) == [] and list(o.StatusDescription) == []
        assert o.PrimaryOperationalStatus is None and o.PrimaryStatusDescription is None


def test_name_filter_takes_wildcards_and_reports_unknown_names(h: Harness) -> None:
    assert [o.Name for o in h.run(cmd("Get-VMIntegrationService", "dc01", ["*sync*", "vss"])).output] == [
        "Time Synchronization",
        "VSS",
    ]
    sink = h.run(cmd("Get-VMIntegrationService", ["dc01", "dc02"], Name="Telepathy"))
    assert sink.output == []
    assert [e.fully_qualified_error_id for e in sink.errors] == [
        "InvalidParameter," + NS + "Commands.GetVMIntegrationService"
    ] * 2
    assert sink.errors[0].message == "No integration component with the given name could be found."


def test_vm_object_set_from_the_pipeline(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", "web*"), cmd("Get-VMIntegrationService", Name="Heartbeat"))
    assert [(o.VMName, o.Name) for o in sink.output] == [("web01", "Heartbeat"), ("web02", "Heartbeat")]


def test_unknown_vm_name(h: Harness) -> None:
    [err] = h.run(cmd("Get-VMIntegrationService", "ghost")).errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + NS + "Commands.GetVMIntegrationService"


def test_enable_by_names_then_disable_by_component_objects(h: Harness) -> None:
    sink = h.run(cmd("Enable-VMIntegrationService", "Guest Service Interface", "dc01", Passthru=True))
    assert [(o.Name, o.Enabled) for o in sink.output] == [("Guest Service Interface", True)]
    assert h.vm("dc01").components[GSI].enabled
    sink = h.run(
        cmd("Get-VMIntegrationService", VMName="dc01", Name="Guest Service Interface"),
        cmd("Disable-VMIntegrationService"),
    )
    assert sink.errors == [] and sink.output == []
    assert not h.vm("dc01").components[GSI].enabled


def test_enable_every_component_of_a_vm_through_the_pipeline(h: Harness) -> None:
    h.run(cmd("Get-VMIntegrationService", VMName="web01"), cmd("Enable-VMIntegrationService"))
    assert all(s.enabled for s in h.vm("web01").components.values())


def test_vm_object_set_of_enable(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", "sql01"), cmd("Enable-VMIntegrationService", Name="Guest*", Passthru=True))
    assert [(o.VMName, o.Name, o.Enabled) for o in sink.output] == [("sql01", "Guest Service Interface", True)]


def test_disabling_the_heartbeat_disables_the_vm_heartbeat(h: Harness) -> None:
    h.run(cmd("Disable-VMIntegrationService", "Heartbeat", "sql01"))
    assert h.vm("sql01").heartbeat(h.clock()) is HeartbeatStatus.Disabled
    [vm] = h.run(cmd("Get-VM", "sql01")).output
    assert vm.Heartbeat is enums.VMHeartbeatStatus.Disabled


def test_enable_with_an_unknown_name(h: Harness) -> None:
    [err] = h.run(cmd("Enable-VMIntegrationService", "Heartbeet", "dc01")).errors
    assert err.fully_qualified_error_id == "InvalidParameter," + NS + "Commands.EnableVMIntegrationService"


def test_a_german_host_reports_german_names_and_texts() -> None:
    h = Harness("de-DE")
    objects = h.run(cmd("Get-VMIntegrationService", "dc01")).output
    assert [o.Name for o in objects] == [
        "Gastdienstschnittstelle",
        "Takt",
        "Austausch von Schlüsselwertepaaren",
        "Herunterfahren",
        "Zeitsynchronisierung",
        "VSS",
    ]
    assert h.run(cmd("Get-VM", "dc01")).output[0].Status == "Normaler Betrieb"
    # -Name matches the localized names only.
    assert [o.Name for o in h.run(cmd("Get-VMIntegrationService", "dc01", "Takt")).output] == ["Takt"]
    [err] = h.run(cmd("Get-VMIntegrationService", "dc01", "Heartbeat")).errors
    assert err.message == "No integration component with the given name could be found."
    webserver = {o.Name: o for o in h.run(cmd("Get-VMIntegrationService", "webserver")).output}
    assert webserver["Austausch von Schlüsselwertepaaren"].PrimaryStatusDescription == "Kein Kontakt"


def test_get_vm_host(h: Harness) -> None:
    [host] = h.run(cmd("Get-VMHost")).output
    assert host.PSObject.type_names[:2] == [NS + "VMHost", NS + "VirtualizationObject"]
    assert (host.Name, host.ComputerName, host.LogicalProcessorCount) == ("HV-DEMO-01", "HV-DEMO-01", 48)
    assert host.MemoryCapacity == 384 * 1024**3
    assert host.FullyQualifiedDomainName == "demo.local"
    assert "10.0" in list(host.SupportedVmVersions)
    assert str(host) == "VMHost (Name = 'HV-DEMO-01')"
    assert len(h.run(cmd("Get-VMHost", "hv-demo-01.demo.local")).output) == 1
    sink = h.run(cmd("Get-VMHost", ComputerName="HV-OTHER"))
    assert sink.output == [] and sink.errors[0].fully_qualified_error_id == "Unspecified," + NS + "Commands.GetVMHost"
