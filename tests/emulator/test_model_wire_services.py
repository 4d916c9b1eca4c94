"""Issue 3's host commands over real WinRM/PSRP with the real pypsrp client: Set-HvGuiIntegrationService,
checkpoints, Copy-VMFile after pypsrp's `Client.copy`, and the guest's OS in the inventory."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from model_harness import MODULE_TEXT
from pypsrp.client import Client
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.host import HostModel
from hvgui.emulator.hyperv.vm import HANDSHAKE_SECONDS

HOST = "HV-DEMO-01"


class SkippableClock:
    """The host's monotonic clock, which a test can move forward instead of sleeping."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    clock = SkippableClock()  # the hosts' own time base (time.monotonic), so nothing jumps
    with start_emulator("demo", username="admin", password="pa ss;word") as running:
        for host in running.scenario.hosts:
            host.model.clock = clock
        yield running


def _wsman_kwargs(emulator: RunningEmulator) -> dict:
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    return {
        "port": endpoint.port,
        "username": endpoint.username,
        "password": endpoint.password,
        "ssl": False,
        "auth": "basic",
        "encryption": "never",
        "connection_timeout": 5,
        "read_timeout": 30,
    }


@pytest.fixture
def pool(emulator: RunningEmulator) -> Iterator[RunspacePool]:
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    wsman = WSMan(endpoint.address, **_wsman_kwargs(emulator))
    with RunspacePool(wsman) as opened:
        load = PowerShell(opened)
        load.add_script(MODULE_TEXT)
        load.invoke()
        yield opened
    wsman.close()


def model(emulator: RunningEmulator) -> HostModel:
    return emulator.scenario.host(HOST).model


def vm_id(emulator: RunningEmulator, name: str) -> uuid.UUID:
    return next(v.id for v in model(emulator).vms if v.name == name)


def skip_time(emulator: RunningEmulator, seconds: float) -> None:
    clock = model(emulator).clock
    assert isinstance(clock, SkippableClock)
    clock.skipped += seconds


def set_service(pool: RunspacePool, vm: uuid.UUID, guid: str, enabled: bool) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet("Set-HvGuiIntegrationService")
    ps.add_parameter("VMId", vm).add_parameter("ComponentId", guid).add_parameter("Enabled", enabled)
    assert ps.invoke() == []
    return ps


def test_set_hvgui_integration_service_over_the_wire(emulator: RunningEmulator, pool: RunspacePool) -> None:
    dc02 = vm_id(emulator, "dc02")
    vm = next(v for v in model(emulator).vms if v.id == dc02)
    ps = set_service(pool, dc02, ic.TIME_SYNC.ic_guid, False)
    assert ps.had_errors is False and ps.streams.error == []
    assert vm.components[ic.TIME_SYNC.ic_guid].enabled is False
    ps = set_service(pool, dc02, str(uuid.uuid4()), True)
    [error] = ps.streams.error
    assert error.fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.EnableVMIntegrationService"
    assert str(error) == "No integration component with the given name could be found."
    set_service(pool, dc02, ic.TIME_SYNC.ic_guid, True)
    assert vm.components[ic.TIME_SYNC.ic_guid].enabled is True


def test_checkpoints_over_the_wire(emulator: RunningEmulator, pool: RunspacePool) -> None:
    web02 = vm_id(emulator, "web02")  # Ubuntu 24.04 without hv_vss_daemon: the production checkpoint falls back
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VM").add_parameter("Id", web02)
    ps.add_cmdlet("Checkpoint-VM").add_parameter("SnapshotName", "before 'upgrade'").add_parameter("Passthru")
    [snapshot] = ps.invoke()
    assert snapshot.types[0] == "Microsoft.HyperV.PowerShell.VMSnapshot"
    props = snapshot.adapted_properties
    assert props["Name"] == "before 'upgrade'" and props["VMName"] == "web02"
    assert str(props["SnapshotType"]) == "Standard" and str(props["State"]) == "Saved"
    assert ps.streams.warning == []  # the fallback is silent, as on a host (hyperv-cim-winrm.md §5)
    listing = PowerShell(pool)
    listing.add_cmdlet("Get-VM").add_parameter("Id", web02)
    listing.add_cmdlet("Get-VMSnapshot")
    assert [s.adapted_properties["Name"] for s in listing.invoke()] == ["before 'upgrade'"]
    assert listing.streams.error == []


def test_copy_vm_file_after_client_copy(emulator: RunningEmulator, pool: RunspacePool, tmp_path: Path) -> None:
    local = tmp_path / "tool.ps1"
    local.write_bytes(b"Write-Output 'hello from the host'\r\n" * 50)
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    client = Client(endpoint.address, **_wsman_kwargs(emulator))
    remote = client.copy(str(local), "C:\\Users\\Administrator\\Documents\\tool.ps1")
    assert remote == "C:\\Users\\Administrator\\Documents\\tool.ps1"

    dc01 = vm_id(emulator, "dc01")
    guest = next(v for v in model(emulator).vms if v.id == dc01)

    def copy_to_dc01() -> PowerShell:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM").add_parameter("Id", dc01)
        ps.add_cmdlet("Copy-VMFile").add_parameter("SourcePath", "tool.ps1")
        ps.add_parameter("DestinationPath", "C:\\Temp").add_parameter("FileSource", "Host")
        ps.add_parameter("CreateFullPath")
        assert ps.invoke() == []
        return ps

    ps = copy_to_dc01()  # Guest Service Interface is disabled by default
    [error] = ps.streams.error
    assert error.fq_error == "OperationFailed,Microsoft.HyperV.PowerShell.Commands.CopyVMFile"
    assert str(error).startswith("Failed to initiate copying files to the guest.")
    assert not guest.files.exists("C:\\Temp\\tool.ps1")

    set_service(pool, dc01, ic.GUEST_SERVICE_INTERFACE.ic_guid, True)
    skip_time(emulator, HANDSHAKE_SECONDS)  # vmicguestinterface connects
    ps = copy_to_dc01()
    assert ps.streams.error == []
    assert guest.files.read("C:\\Temp\\tool.ps1") == local.read_bytes()

    ps = copy_to_dc01()
    [error] = ps.streams.error
    assert "failed to initiate copying files to the guest: The file exists. (0x80070050)" in str(error)


def test_the_inventory_carries_the_guest_os(emulator: RunningEmulator, pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-HvGuiInventory")
    [text] = ps.invoke()
    rows = {vm["name"]: vm for vm in json.loads(text)["vms"]}
    assert (rows["dc01"]["os"], rows["dc01"]["ptype"]) == ("Windows Server 2022 Datacenter", 2)
    assert rows["dc02"]["ptype"] == 2
    assert (rows["legacy-app"]["os"], rows["legacy-app"]["osv"], rows["legacy-app"]["ptype"]) == (None, None, None)
