"""The host model behind the real protocol layer, driven by the real pypsrp client over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from model_harness import MODULE_TEXT
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator, start_emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo", username="admin", password="pa ss;word") as running:
        yield running


@pytest.fixture
def pool(emulator: RunningEmulator) -> Iterator[RunspacePool]:
    endpoint = next(e for e in emulator.endpoints if e.host_name == "HV-DEMO-01")
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


def test_get_vm_arrives_with_hyper_v_type_names(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VM").add_parameter("Name", "dc01")
    [vm] = ps.invoke()
    assert ps.had_errors is False
    # The host sends the real type names; a PowerShell client would prefix them with "Deserialized.".
    assert vm.types[0] == "Microsoft.HyperV.PowerShell.VirtualMachine"
    assert "Microsoft.HyperV.PowerShell.VirtualizationObject" in vm.types
    props = vm.adapted_properties
    assert props["Name"] == "dc01" and str(props["State"]) == "Running"
    assert str(props["Heartbeat"]) == "OkApplicationsHealthy"
    assert props["MemoryAssigned"] == 4096 * 2**20 and props["Status"] == "Operating normally"
    assert vm.extended_properties["VMName"] == "dc01"
    assert str(vm) == f"VirtualMachine (Name = 'dc01') [Id = '{props['Id']}']"


def test_errors_reach_the_error_stream_with_their_ids(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VM").add_parameter("Name", "minikube")
    assert ps.invoke() == []
    assert ps.had_errors is False  # non-terminating, as on a host
    [error] = ps.streams.error
    assert error.fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert str(error) == 'Hyper-V was unable to find a virtual machine with name "minikube".'


def test_inventory_after_loading_the_module(pool: RunspacePool) -> None:
    load = PowerShell(pool)
    load.add_script(MODULE_TEXT)
    assert load.invoke() == []
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-HvGuiInventory")
    [text] = ps.invoke()
    document = json.loads(text)
    assert document["host"] == "HV-DEMO-01" and len(document["vms"]) == 8
    assert "qa-'quoted' $(whoami) `tick" in [vm["name"] for vm in document["vms"]]


def test_a_pipeline_of_two_cmdlets(pool: RunspacePool, emulator: RunningEmulator) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VM").add_parameter("Name", "legacy-app")
    ps.add_cmdlet("Start-VM").add_parameter("Passthru")
    [vm] = ps.invoke()
    assert str(vm.adapted_properties["State"]) in ("Starting", "Running")
    model = emulator.scenario.host("HV-DEMO-01").model
    assert next(v for v in model.vms if v.name == "legacy-app").state(model.now()).name in ("Starting", "Running")
