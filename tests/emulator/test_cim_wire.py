"""CIM over the wire: what the real pypsrp client receives from Get-CimInstance and Invoke-CimMethod."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator, start_emulator

NS = "root/virtualization/v2"
CIM = "Microsoft.Management.Infrastructure.CimInstance"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo", username="admin", password="pw") as running:
        yield running


@pytest.fixture
def pool(emulator: RunningEmulator) -> Iterator[RunspacePool]:
    endpoint = emulator.endpoints[0]
    wsman = WSMan(
        endpoint.address,
        port=endpoint.port,
        username=endpoint.username,
        password=endpoint.password,
        ssl=False,
        auth="basic",
        encryption="never",
        connection_timeout=5,
        read_timeout=30,
    )
    with RunspacePool(wsman) as opened:
        yield opened
    wsman.close()


def test_get_ciminstance_with_a_property_list(emulator: RunningEmulator, pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-CimInstance").add_parameter("Namespace", NS)
    ps.add_parameter("ClassName", "Msvm_SummaryInformation")
    ps.add_parameter("Property", ["ElementName", "EnabledState", "UpTime"]).add_parameter("OperationTimeoutSec", 10)
    output = ps.invoke()
    assert ps.had_errors is False
    model = emulator.scenario.hosts[0].model
    assert len(output) == len(model.vms)
    first = output[0]
    assert first.types[0] == f"{CIM}#{NS}/Msvm_SummaryInformation"
    assert f"{CIM}#Msvm_SummaryInformation" in first.types and CIM in first.types
    assert str(first) == "Msvm_SummaryInformation"
    values = first.adapted_properties
    assert values["ElementName"] in {vm.name for vm in model.vms}
    assert values["InstanceID"].startswith("Microsoft:")  # the key comes with any projection
    assert values["ProcessorLoad"] is None and values["Heartbeat"] is None  # not asked for
    assert isinstance(values["EnabledState"], int) and isinstance(values["UpTime"], int)
    assert "PSComputerName" in values


def test_get_summary_information_over_the_wire(emulator: RunningEmulator, pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-CimInstance").add_parameter("Namespace", NS)
    ps.add_parameter("ClassName", "Msvm_VirtualSystemManagementService")
    ps.add_cmdlet("Invoke-CimMethod").add_parameter("MethodName", "GetSummaryInformation")
    ps.add_parameter("Arguments", {"RequestedInformation": [0, 1, 104]})
    [result] = ps.invoke()
    assert ps.had_errors is False
    assert result.extended_properties["ReturnValue"] == 0
    summaries = result.extended_properties["SummaryInformation"]
    assert len(summaries) == len(emulator.scenario.hosts[0].model.vms)
    assert all(s.adapted_properties["ElementName"] and s.adapted_properties["UpTime"] is None for s in summaries)


def test_an_unknown_class_is_the_hosts_cim_error(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-CimInstance").add_parameter("Namespace", NS).add_parameter("ClassName", "Msvm_Nothing")
    assert ps.invoke() == []
    [error] = ps.streams.error
    assert error.fq_error == "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
    assert str(error) == "Invalid class "
