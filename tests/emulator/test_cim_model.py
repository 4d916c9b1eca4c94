"""The CIM cmdlets in `root/virtualization/v2`, driven below the wire: classes, projections, filters,
associations, GetSummaryInformation, costs and time-outs."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory

from hvgui.domain import integration as ic
from hvgui.domain.vm import VmState
from hvgui.emulator.hyperv.cim import provider, schema
from hvgui.emulator.hyperv.cim.instance import CimInstance
from hvgui.emulator.hyperv.costs import INSTANT, HostCosts

NS = "root/virtualization/v2"
VMS = (
    {"name": "run", "os": "windows-server-2022", "state": "Running", "uptime": 3600, "clustered": True},
    {"name": "off", "os": "ubuntu-24.04", "state": "Off"},
    {"name": "saved", "os": "windows-server-2022", "state": "Saved"},
)


@pytest.fixture
def h() -> Harness:
    return Harness(one_host(*VMS))


def props(obj) -> dict:
    return {p.name: p.get_value(obj) for p in obj.PSObject.adapted_properties}


def get(h: Harness, class_name: str, **named):
    return h.run(cmd("Get-CimInstance", Namespace=NS, ClassName=class_name, **named))


def test_summary_information_carries_cim_type_names_and_every_property(h: Harness) -> None:
    sink = get(h, "Msvm_SummaryInformation")
    assert sink.errors == [] and len(sink.output) == 3
    first = sink.output[0]
    assert first.PSObject.type_names == [
        f"Microsoft.Management.Infrastructure.CimInstance#{NS}/Msvm_SummaryInformation",
        f"Microsoft.Management.Infrastructure.CimInstance#{NS}/Msvm_SummaryInformationBase",
        f"Microsoft.Management.Infrastructure.CimInstance#{NS}/CIM_ManagedElement",
        "Microsoft.Management.Infrastructure.CimInstance#Msvm_SummaryInformation",
        "Microsoft.Management.Infrastructure.CimInstance#Msvm_SummaryInformationBase",
        "Microsoft.Management.Infrastructure.CimInstance#CIM_ManagedElement",
        "Microsoft.Management.Infrastructure.CimInstance",
        "System.Object",
    ]
    assert first.PSObject.to_string == "Msvm_SummaryInformation"
    by_name = {props(o)["ElementName"]: props(o) for o in sink.output}
    run = by_name["run"]
    vm = h.vm("run")
    assert run["Name"] == str(vm.id).upper() and run["EnabledState"] == 2 and run["HealthState"] == 5
    assert run["UpTime"] == int(vm.uptime(h.now()) * 1000)  # milliseconds
    assert run["MemoryUsage"] == vm.memory_assigned(h.now()) // (1024 * 1024)  # MB
    assert run["VirtualSystemSubType"] == "Microsoft:Hyper-V:SubType:2" and "PSComputerName" in run
    assert (by_name["off"]["EnabledState"], by_name["off"]["Heartbeat"]) == (3, None)
    assert by_name["saved"]["EnabledState"] == 6


def test_property_keeps_the_key_and_nulls_the_rest(h: Harness) -> None:
    [obj, *_] = get(h, "Msvm_SummaryInformation", Property=["elementname", "UpTime"]).output
    values = props(obj)
    assert values["ElementName"] and values["UpTime"] is not None and values["InstanceID"]  # the key stays
    assert values["Name"] is None and values["EnabledState"] is None and values["ProcessorLoad"] is None
    [err] = get(h, "Msvm_SummaryInformation", Property=["Bogus"]).errors
    assert (err.message, err.category) == ("Invalid query ", ErrorCategory.InvalidArgument)
    assert (
        err.fully_qualified_error_id
        == "HRESULT 0x80041017,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
    )


@pytest.mark.parametrize(
    ("where", "names"),
    [
        ("ElementName = 'RUN'", ["run"]),  # strings compare without case
        ("EnabledState <> 2", ["off", "saved"]),
        ('EnabledState = 3 OR ElementName = "saved"', ["off", "saved"]),
        ("(EnabledState = 2 OR EnabledState = 3) AND NOT ElementName = 'off'", ["run"]),
        ("EnabledState = '6'", ["saved"]),
        ("Heartbeat = 0", ["saved"]),  # a saved VM's heartbeat is Unknown
        ("OtherEnabledState = ''", []),  # null matches nothing
    ],
)
def test_filter(h: Harness, where: str, names: list[str]) -> None:
    sink = get(h, "Msvm_SummaryInformation", Filter=where, Property=["ElementName"])
    assert sink.errors == []
    assert sorted(props(o)["ElementName"] for o in sink.output) == names


@pytest.mark.parametrize("where", ["Bogus = 1", "ElementName LIKE 'r%'", "ElementName =", "ElementName = 'x' AND"])
def test_a_filter_the_host_cannot_run_is_an_invalid_query(h: Harness, where: str) -> None:
    [err] = get(h, "Msvm_SummaryInformation", Filter=where).errors
    assert err.message == "Invalid query " and err.fully_qualified_error_id.startswith("HRESULT 0x80041017,")


def test_namespace_and_class_errors(h: Harness) -> None:
    [err] = h.run(cmd("Get-CimInstance", "Msvm_ComputerSystem")).errors  # root/cimv2 has no Msvm classes
    assert (err.message, err.category) == ("Invalid class ", ErrorCategory.ObjectNotFound)
    [err] = h.run(cmd("Get-CimInstance", "Msvm_ComputerSystem", Namespace="root/bogus")).errors
    assert err.message == "Invalid namespace "
    [err] = get(h, "Msvm_Bogus").errors
    assert err.message == "Invalid class "
    with pytest.raises(Exception) as failure:
        h.run(cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_Bogus", ErrorAction="Stop"))
    assert "Invalid class" in str(failure.value)


def test_computer_systems_include_the_host_and_state_numbers(h: Harness) -> None:
    rows = [props(o) for o in get(h, "Msvm_ComputerSystem").output]
    assert [r["Caption"] for r in rows].count("Hosting Computer System") == 1
    vms = get(h, "Msvm_ComputerSystem", Filter="Caption = 'Virtual Machine'").output
    assert sorted(props(o)["ElementName"] for o in vms) == ["off", "run", "saved"]


def test_a_critical_state_is_its_base_state_with_health_critical(h: Harness) -> None:
    h.vm("run")._state = VmState.RunningCritical
    [row] = [props(o) for o in get(h, "Msvm_SummaryInformation", Filter="ElementName = 'run'").output]
    assert (row["EnabledState"], row["HealthState"]) == (2, 25)
    h.load_module()
    [doc] = h.run(cmd("Get-HvGuiInventory")).output
    [vm] = [v for v in json.loads(doc)["vms"] if v["name"] == "run"]
    assert vm["state"] == VmState.RunningCritical.value


def test_components_exist_while_the_vm_runs_and_settings_always(h: Harness) -> None:
    for service in ic.INTEGRATION_COMPONENTS:
        stem = {"Key-Value Pair Exchange": "KvpExchange", "Guest Service Interface": "GuestServiceInterface",
                "Time Synchronization": "TimeSync", "VSS": "Vss"}.get(service.name, service.name)  # fmt: skip
        devices = [props(o) for o in get(h, f"Msvm_{stem}Component").output]
        assert [d["SystemName"] for d in devices] == [str(h.vm("run").id).upper()]
        assert devices[0]["DeviceID"] == f"Microsoft:{str(h.vm('run').id).upper()}\\{service.ic_guid}"
        settings = [props(o) for o in get(h, f"Msvm_{stem}ComponentSettingData").output]
        assert len(settings) == 3
        assert {s["EnabledState"] for s in settings} <= {2, 3}


def test_a_clustered_vm_has_the_host_only_item_the_module_looks_for(h: Harness) -> None:
    rows = [props(o) for o in get(h, "Msvm_KvpExchangeComponentSettingData", Property=["HostOnlyItems"]).output]
    clustered = [r for r in rows if r["HostOnlyItems"]]
    assert len(clustered) == 1 and str(h.vm("run").id).upper() in clustered[0]["InstanceID"]
    assert "<VALUE>VirtualMachineIsClustered</VALUE>" in clustered[0]["HostOnlyItems"][0]


def test_associations_from_a_vm(h: Harness) -> None:
    vm_filter = "ElementName = 'run' AND Caption = 'Virtual Machine'"
    system = cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_ComputerSystem", Filter=vm_filter)
    [kvp] = h.run(system, cmd("Get-CimAssociatedInstance", ResultClassName="Msvm_KvpExchangeComponent")).output
    assert props(kvp)["GuestIntrinsicExchangeItems"]
    [vssd] = h.run(system, cmd("Get-CimAssociatedInstance", Association="Msvm_SettingsDefineState")).output
    assert props(vssd)["VirtualSystemType"] == "Microsoft:Hyper-V:System:Realized"
    everything = h.run(system, cmd("Get-CimAssociatedInstance")).output
    assert len(everything) == 6 + 1 + 1  # six components, the settings, the summary
    setting = cmd("Get-CimAssociatedInstance", ResultClassName="Msvm_HeartbeatComponentSettingData")
    [setting_data] = h.run(
        system, cmd("Get-CimAssociatedInstance", ResultClassName="Msvm_HeartbeatComponent"), setting
    ).output
    assert props(setting_data)["InstanceID"].endswith(ic.HEARTBEAT.ic_guid)


def test_get_summary_information_for_all_or_the_given_settings(h: Harness) -> None:
    service = cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_VirtualSystemManagementService")
    method = cmd("Invoke-CimMethod", MethodName="GetSummaryInformation", Arguments={"RequestedInformation": [1, 105]})
    [result] = h.run(service, method).output
    values = {p.name: p.get_value(result) for p in result.PSObject.extended_properties}
    assert values["ReturnValue"] == 0 and len(values["SummaryInformation"]) == 3
    first = props(values["SummaryInformation"][0])
    assert first["Name"] and first["ElementName"] and first["EnabledState"] is None  # only what was asked
    h.load_module()
    [doc] = h.run(cmd("Get-HvGuiInventory")).output
    assert json.loads(doc)["v"] == 3


def test_invoke_cim_method_rejects_what_it_does_not_implement(h: Harness) -> None:
    service = cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_VirtualSystemManagementService")
    [err] = h.run(service, cmd("Invoke-CimMethod", MethodName="DefineSystem")).errors
    assert err.fully_qualified_error_id.startswith("HRESULT 0x8004100c,")
    [err] = h.run(service, cmd("Invoke-CimMethod", MethodName="GetSummaryInformation", Confirm=True)).errors
    assert err.message.startswith("Windows PowerShell is in NonInteractive mode.")
    by_class = cmd("Invoke-CimMethod", "Msvm_VirtualSystemManagementService", MethodName="GetSummaryInformation")
    [err] = h.run(by_class).errors  # root/cimv2 by default: no such class there
    assert err.message == "Invalid class "
    [err] = h.run(replace(by_class, parameters=(*by_class.parameters, ("Namespace", NS)))).errors
    assert err.message == "Invalid method "


class _RecordingCosts(HostCosts):
    def __init__(self, profile=INSTANT) -> None:
        super().__init__(profile)
        self.cim: list[int] = []
        self.projected: list[bool] = []

    def charge_cim(
        self, stop: threading.Event, *, instances: int = 0, projected: bool = False, worked: float = 0.0
    ) -> bool:
        self.cim.append(instances)
        self.projected.append(projected)
        return super().charge_cim(stop, instances=instances, projected=projected, worked=worked)


def test_each_call_charges_one_cim_operation_per_instance_returned(h: Harness) -> None:
    h.model.costs = costs = _RecordingCosts()
    get(h, "Msvm_SummaryInformation")
    get(h, "Msvm_HeartbeatComponent")
    assert costs.cim == [3, 1]
    assert costs.projected == [False, False]
    h.load_module()
    costs.cim.clear()
    costs.projected.clear()
    h.run(cmd("Get-HvGuiInventory"))
    assert len(costs.cim) == 15  # constant: one bulk query per class, whatever the number of VMs
    assert all(costs.projected)  # every query of the inventory names its properties


def test_operation_timeout_fails_a_call_the_host_cannot_finish_in_time(h: Harness) -> None:
    slow = INSTANT.scaled(1000)
    slow = type(slow)(**{**slow.__dict__, "cim_call": 5.0})
    h.model.costs = HostCosts(slow)
    [err] = get(h, "Msvm_SummaryInformation", OperationTimeoutSec=2).errors
    assert err.category == ErrorCategory.OperationTimeout
    assert err.fully_qualified_error_id.startswith("HRESULT 0x80338029,")
    assert get(h, "Msvm_SummaryInformation", OperationTimeoutSec=10).errors == []


@pytest.mark.parametrize("count", [0, 1, 40])
def test_the_inventory_makes_fifteen_queries_whatever_the_number_of_vms(count: int) -> None:
    h = Harness(f"large:{count}", seed=2)
    h.model.costs = costs = _RecordingCosts()
    h.load_module()
    [doc] = h.run(cmd("Get-HvGuiInventory")).output
    assert len(json.loads(doc)["vms"]) == count
    assert len(costs.cim) == 15
    assert costs.cim[0] == count  # the summary information: one instance per VM


def test_summary_information_for_given_settings_keeps_their_order(h: Harness) -> None:
    with h.model.lock:
        rows = list(provider.rows(h.model, schema.VIRTUAL_SYSTEM_SETTING_DATA, h.now()))
    settings = [CimInstance(schema.VIRTUAL_SYSTEM_SETTING_DATA, r) for r in reversed(rows)]
    gone = CimInstance(schema.VIRTUAL_SYSTEM_SETTING_DATA, {**rows[0], "VirtualSystemIdentifier": "00000000-0000"})
    service = cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_VirtualSystemManagementService")
    arguments = {"SettingData": [*settings, gone], "RequestedInformation": [1]}
    [result] = h.run(service, cmd("Invoke-CimMethod", MethodName="GetSummaryInformation", Arguments=arguments)).output
    summaries = next(p.get_value(result) for p in result.PSObject.extended_properties if p.name == "SummaryInformation")
    names = [props(s)["ElementName"] for s in summaries]
    assert names == [r["ElementName"] for r in reversed(rows)] + [None]
    assert props(summaries[-1])["Name"] == ""  # a VM that is not found comes back with an empty Name


def test_an_instance_piped_to_get_ciminstance_is_read_again(h: Harness) -> None:
    first = cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_SummaryInformation", Property=["ElementName"])
    again = h.run(first, cmd("Get-CimInstance")).output
    assert len(again) == 3 and all(props(o)["EnabledState"] is not None for o in again)  # every property now


def test_checkpoint_settings_are_listed_but_not_taken_for_a_vms_services(h: Harness) -> None:
    assert h.run(cmd("Checkpoint-VM", Name="off")).errors == []
    settings = get(h, "Msvm_ShutdownComponentSettingData", Property=["InstanceID"]).output
    assert len(settings) == 4  # three VMs and the checkpoint
    vssd = get(h, "Msvm_VirtualSystemSettingData", Filter="VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'")
    [snapshot] = [props(o) for o in vssd.output]
    assert snapshot["VirtualSystemIdentifier"] == str(h.vm("off").id).upper()
    h.load_module()
    [doc] = h.run(cmd("Get-HvGuiInventory")).output
    [off] = [v for v in json.loads(doc)["vms"] if v["name"] == "off"]
    assert [c["id"] for c in off["ic"]] == [s.ic_guid for s in ic.INTEGRATION_COMPONENTS]


def test_a_wql_query_and_key_only(h: Harness) -> None:
    query = "SELECT ElementName FROM Msvm_SummaryInformation WHERE EnabledState = 2"
    [row] = [props(o) for o in h.run(cmd("Get-CimInstance", Namespace=NS, Query=query)).output]
    assert row["ElementName"] == "run" and row["UpTime"] is None and row["InstanceID"]
    [err] = h.run(cmd("Get-CimInstance", Namespace=NS, Query="DELETE FROM Msvm_SummaryInformation")).errors
    assert err.message == "Invalid query "
    keys = [props(o) for o in get(h, "Msvm_ComputerSystem", KeyOnly=True).output]
    assert len(keys) == 4 and all(k["Name"] and k["ElementName"] is None for k in keys)
