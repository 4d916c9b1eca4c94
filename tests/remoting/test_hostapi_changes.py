"""HostApi changes against emulated hosts: toggles, power actions, checkpoints, and the host's refusals.

Every change goes over the real pypsrp client to the emulator and is checked twice: in the host's model
(what the host now holds) and in the next inventory (what the window will show).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from remoting_support import read_command_log, run

from hvgui.domain.checkpoints import SnapshotType, checkpoint_warning
from hvgui.domain.errors import HostCommandError
from hvgui.domain.integration import INTEGRATION_COMPONENTS, KVP, SHUTDOWN, TIME_SYNC, VSS
from hvgui.domain.power import PowerAction, shutdown_blocker
from hvgui.domain.vm import CheckpointType, Vm, VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi

T = TypeVar("T")

ALREADY = "The virtual machine is already in the specified state."
NON_INTERACTIVE_FQID = "InvalidOperation,Microsoft.HyperV.PowerShell.Commands.StopVM"
CHECKPOINT_FAILED_FQID = "OperationFailed,Microsoft.HyperV.PowerShell.Commands.CheckpointVM"


@pytest.fixture
def de_de() -> Iterator[RunningEmulator]:
    with start_emulator("de-DE") as emulator:
        yield emulator


def _host(emulator: RunningEmulator, host_name: str) -> tuple[HostApi, Any]:
    """The HostApi of one emulated host and that host's model."""
    index = next(i for i, e in enumerate(emulator.endpoints) if e.host_name == host_name)
    endpoint = emulator.endpoints[index]
    api = HostApi(HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5))
    return api, emulator.scenario.hosts[index].model


def _model_vm(model: Any, name: str) -> Any:
    with model.lock:
        return next(vm for vm in model.vms if vm.name == name)


def _state(model: Any, name: str) -> VmState:
    with model.lock:
        return VmState(_model_vm(model, name).state(model.now()))


def _with(api: HostApi, body: Callable[[], Awaitable[T]]) -> T:
    """Run `body` on a fresh loop, closing the connection afterwards."""

    async def main() -> T:
        try:
            return await body()
        finally:
            await api.connection.close()

    return run(main)


async def _vm(api: HostApi, name: str) -> Vm:
    inventory = (await api.inventory()).inventory
    return next(vm for vm in inventory.vms if vm.name == name)


async def _raises(awaitable: Awaitable[Any]) -> HostCommandError:
    try:
        await awaitable
    except HostCommandError as error:
        return error
    raise AssertionError("the host accepted what it should have refused")


# --- integration services -----------------------------------------------------------------------------------


def test_every_toggle_reaches_the_host_and_the_next_inventory(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    dc01 = _model_vm(model, "dc01")
    vm_id = str(dc01.id)

    async def body() -> list[tuple[str, bool, bool, bool]]:
        seen = []
        for info in INTEGRATION_COMPONENTS:
            guid = info.ic_guid or ""
            for wanted in (not dc01.components[guid].enabled, dc01.components[guid].enabled):
                warnings = await api.set_integration_service(vm_id, guid.lower(), wanted)
                assert warnings == []
                with model.lock:
                    in_model = dc01.components[guid].enabled
                reported = (await _vm(api, "dc01")).service(guid)
                assert reported is not None
                seen.append((info.key, wanted, in_model, reported.enabled))
        return seen

    seen = _with(api, body)
    assert len(seen) == 12
    for key, wanted, in_model, reported in seen:
        assert in_model is wanted, key
        assert reported is wanted, key
    assert {key for key, wanted, *_ in seen if wanted is False} == {s.key for s in INTEGRATION_COMPONENTS}


def test_a_german_host_is_toggled_by_guid(de_de: RunningEmulator) -> None:
    api, model = _host(de_de, "HV-DE-01")
    vm_id = str(_model_vm(model, "dc01").id)

    async def body() -> tuple[Vm, Vm]:
        before = await _vm(api, "dc01")
        await api.set_integration_service(vm_id, TIME_SYNC.ic_guid or "", False)
        after = await _vm(api, "dc01")
        await api.set_integration_service(vm_id, TIME_SYNC.ic_guid or "", True)
        return before, after

    before, after = _with(api, body)
    names = {s.name for s in before.integration_services}
    assert {"Zeitsynchronisierung", "Takt", "Herunterfahren"} <= names
    time_sync = after.service(TIME_SYNC.ic_guid or "")
    assert time_sync is not None
    assert time_sync.name == "Zeitsynchronisierung" and time_sync.enabled is False
    with model.lock:
        assert _model_vm(model, "dc01").components[TIME_SYNC.ic_guid].enabled is True


def test_an_unknown_service_is_refused_with_the_hosts_error(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    vm_id = str(_model_vm(model, "dc01").id)
    error = _with(api, lambda: _raises(api.set_integration_service(vm_id, str(uuid.uuid4()), False)))
    assert error.error_id == "InvalidParameter"
    assert "No integration component with the given name could be found." in error.message


def test_a_toggle_of_a_vm_that_is_gone_says_so(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    web01 = _model_vm(model, "web01")
    with model.lock:
        model.vms.remove(web01)
    error = _with(api, lambda: _raises(api.set_integration_service(str(web01.id), KVP.ic_guid or "", False)))
    assert error.error_id == "ObjectNotFound"
    assert str(web01.id) in error.message
    assert "deleted or moved" in error.hint


def test_bad_ids_are_refused_before_anything_is_sent(demo: RunningEmulator) -> None:
    api, _model = _host(demo, "HV-DEMO-01")

    async def body() -> None:
        with pytest.raises(ValueError, match="not a VM id"):
            await api.set_integration_service("dc01", KVP.ic_guid or "", True)
        with pytest.raises(ValueError, match="not an integration component GUID"):
            await api.set_integration_service(str(uuid.uuid4()), "*", True)
        with pytest.raises(ValueError, match="not a VM id"):
            await api.power("'; Stop-Computer", PowerAction.Start)

    _with(api, body)
    assert api.connection.pools_opened == 0


# --- power actions ------------------------------------------------------------------------------------------


def test_start_turn_off_and_the_already_in_state_warning(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    legacy = str(_model_vm(model, "legacy-app").id)
    dc01 = str(_model_vm(model, "dc01").id)
    web01 = str(_model_vm(model, "web01").id)

    async def body() -> tuple[list[str], list[str], VmState, list[str], list[str]]:
        already_running = await api.power(dc01, PowerAction.Start)
        started = await api.power(legacy, PowerAction.Start)
        state_after_start = _state(model, "legacy-app")
        turned_off = await api.power(web01, PowerAction.TurnOff)
        already_off = await api.power(web01, PowerAction.TurnOff)
        return already_running, started, state_after_start, turned_off, already_off

    already_running, started, state_after_start, turned_off, already_off = _with(api, body)
    assert already_running == [ALREADY]
    assert started == []
    assert state_after_start in (VmState.Starting, VmState.Running)
    assert turned_off == []
    assert already_off == [ALREADY]
    assert _state(model, "web01") is VmState.Off


def test_shut_down_without_the_shutdown_service_fails_as_predicted(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-03")
    devbox = str(_model_vm(model, "devbox-01").id)

    async def body() -> tuple[Vm, HostCommandError, list[str]]:
        vm = await _vm(api, "devbox-01")
        error = await _raises(api.power(devbox, PowerAction.ShutDown))
        turned_off = await api.power(devbox, PowerAction.TurnOff)
        return vm, error, turned_off

    vm, error, turned_off = _with(api, body)
    # hvgui predicts the failure from the inventory alone ...
    blocker = shutdown_blocker(vm)
    assert blocker is not None and "Shutdown integration service of 'devbox-01' is disabled" in blocker
    # ... and the host's real non-interactive error arrives as a HostCommandError, explained
    assert error.fully_qualified_error_id == NON_INTERACTIVE_FQID
    assert error.message == "Hyper-V cannot shut this VM down: its Shutdown integration service is unavailable."
    assert "Turn the VM off instead" in error.hint
    assert "NonInteractive mode" in error.hint
    # Turn Off, which hvgui offers instead, works
    assert turned_off == []
    assert _state(model, "devbox-01") is VmState.Off


def test_shut_down_with_a_working_shutdown_service(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    dc02 = str(_model_vm(model, "dc02").id)

    async def body() -> tuple[Vm, list[str]]:
        vm = await _vm(api, "dc02")
        return vm, await api.power(dc02, PowerAction.ShutDown)

    vm, warnings = _with(api, body)
    assert shutdown_blocker(vm) is None
    assert warnings == []
    assert _state(model, "dc02") in (VmState.Stopping, VmState.Off)


def test_disabling_shutdown_makes_the_prediction_and_the_host_agree(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    dc01 = str(_model_vm(model, "dc01").id)

    async def body() -> tuple[Vm, HostCommandError]:
        await api.set_integration_service(dc01, SHUTDOWN.ic_guid or "", False)
        vm = await _vm(api, "dc01")
        return vm, await _raises(api.power(dc01, PowerAction.ShutDown))

    vm, error = _with(api, body)
    assert shutdown_blocker(vm) is not None
    assert error.fully_qualified_error_id == NON_INTERACTIVE_FQID
    assert _state(model, "dc01") is VmState.Running


def test_save_and_restart(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    web01 = str(_model_vm(model, "web01").id)
    dc01 = str(_model_vm(model, "dc01").id)
    with model.lock:
        uptime_before = _model_vm(model, "dc01").uptime(model.now())

    async def body() -> tuple[list[str], list[str]]:
        return await api.power(web01, PowerAction.Save), await api.power(dc01, PowerAction.Restart)

    saved, restarted = _with(api, body)
    assert saved == [] and restarted == []
    assert _state(model, "web01") in (VmState.Saving, VmState.Saved)
    assert _state(model, "dc01") in (VmState.Reset, VmState.Running)
    with model.lock:
        assert _model_vm(model, "dc01").uptime(model.now()) < uptime_before


def test_an_action_the_state_does_not_allow_is_refused(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    legacy = str(_model_vm(model, "legacy-app").id)
    error = _with(api, lambda: _raises(api.power(legacy, PowerAction.Save)))
    assert error.fully_qualified_error_id == "InvalidState,Microsoft.HyperV.PowerShell.Commands.SaveVM"
    assert "state changed since the last refresh" in error.hint
    assert _state(model, "legacy-app") is VmState.Off


def test_a_power_action_on_a_vm_that_is_gone_says_so(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    web01 = _model_vm(model, "web01")
    with model.lock:
        model.vms.remove(web01)
    error = _with(api, lambda: _raises(api.power(str(web01.id), PowerAction.TurnOff)))
    assert error.fully_qualified_error_id == "ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert error.message == f'Hyper-V was unable to find a virtual machine with id "{web01.id}".'
    assert "deleted or moved" in error.hint


# --- checkpoints --------------------------------------------------------------------------------------------


def test_production_checkpoint_with_vss_and_the_fallback_without_it(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    dc01 = str(_model_vm(model, "dc01").id)

    async def body() -> tuple[Any, Vm, Any, list[Any]]:
        with_vss = await api.checkpoint(dc01, "before patch 'KB1' $(x)")
        await api.set_integration_service(dc01, VSS.ic_guid or "", False)
        vm = await _vm(api, "dc01")
        without_vss = await api.checkpoint(dc01)
        listed = await api.list_checkpoints(dc01)
        return with_vss, vm, without_vss, listed

    with_vss, vm, without_vss, listed = _with(api, body)
    assert vm.checkpoint_type is CheckpointType.Production
    assert with_vss.warnings == ()
    assert with_vss.checkpoint is not None
    assert with_vss.checkpoint.name == "before patch 'KB1' $(x)"
    assert with_vss.checkpoint.vm_id == dc01 and with_vss.checkpoint.vm_name == "dc01"
    assert with_vss.checkpoint.snapshot_type is SnapshotType.Standard
    # hvgui warned beforehand; the host fell back and, as a real host, said nothing about it
    warning = checkpoint_warning(vm)
    assert warning is not None and "standard checkpoint instead" in warning
    assert without_vss.warnings == ()
    assert without_vss.checkpoint is not None and without_vss.checkpoint.name.startswith("dc01")
    assert [c.snapshot_type for c in listed] == [SnapshotType.Standard, SnapshotType.Standard]
    assert [c.checkpoint_id for c in listed] == [
        with_vss.checkpoint.checkpoint_id,
        without_vss.checkpoint.checkpoint_id,
    ]
    assert listed[1].parent_id == with_vss.checkpoint.checkpoint_id
    with model.lock:
        assert [s.production for s in _model_vm(model, "dc01").snapshots] == [True, False]


def test_production_only_checkpoint_fails_without_vss(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    sql01 = str(_model_vm(model, "sql01").id)

    async def body() -> tuple[Any, Vm, HostCommandError]:
        with_vss = await api.checkpoint(sql01, "with vss")
        await api.set_integration_service(sql01, VSS.ic_guid or "", False)
        vm = await _vm(api, "sql01")
        return with_vss, vm, await _raises(api.checkpoint(sql01, "without vss"))

    with_vss, vm, error = _with(api, body)
    assert vm.checkpoint_type is CheckpointType.ProductionOnly
    assert with_vss.warnings == () and with_vss.checkpoint is not None
    warning = checkpoint_warning(vm)
    assert warning is not None and "will fail" in warning
    assert error.fully_qualified_error_id == CHECKPOINT_FAILED_FQID
    assert "Taking a checkpoint of 'sql01' failed." in error.message
    assert "Production only" in error.hint
    with model.lock:
        assert [s.name for s in _model_vm(model, "sql01").snapshots] == ["with vss"]


def test_checkpoint_type_changes_reach_the_inventory(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    web01 = str(_model_vm(model, "web01").id)

    async def body() -> tuple[list[str], Vm, HostCommandError, list[str], Vm]:
        disabled = await api.set_checkpoint_type(web01, CheckpointType.Disabled)
        vm = await _vm(api, "web01")
        error = await _raises(api.checkpoint(web01))
        standard = await api.set_checkpoint_type(web01, CheckpointType.Standard)
        return disabled, vm, error, standard, await _vm(api, "web01")

    disabled, vm, error, standard, after = _with(api, body)
    assert disabled == [] and standard == []
    assert vm.checkpoint_type is CheckpointType.Disabled
    assert "Checkpoints are disabled" in (checkpoint_warning(vm) or "")
    assert error.fully_qualified_error_id.endswith(",Microsoft.HyperV.PowerShell.Commands.CheckpointVM")
    assert after.checkpoint_type is CheckpointType.Standard
    with model.lock:
        assert CheckpointType(_model_vm(model, "web01").hardware.checkpoint_type) is CheckpointType.Standard


def test_checkpoints_of_a_vm_that_is_gone(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    web01 = _model_vm(model, "web01")
    with model.lock:
        model.vms.remove(web01)

    async def body() -> list[HostCommandError]:
        return [
            await _raises(api.checkpoint(str(web01.id))),
            await _raises(api.list_checkpoints(str(web01.id))),
            await _raises(api.set_checkpoint_type(str(web01.id), CheckpointType.Standard)),
        ]

    for error in _with(api, body):
        assert error.error_id == "ObjectNotFound" and "deleted or moved" in error.hint


# --- the guest's OS in the inventory ------------------------------------------------------------


def test_the_inventory_carries_what_running_guests_report_about_themselves(demo: RunningEmulator) -> None:
    api, model = _host(demo, "HV-DEMO-01")

    async def body() -> dict[str, Vm]:
        return {vm.name: vm for vm in (await api.inventory()).inventory.vms}

    vms = _with(api, body)
    dc01 = _model_vm(model, "dc01")
    assert vms["dc01"].guest_os_name == dc01.guest.os.os_name
    assert vms["dc01"].guest_os_version == dc01.guest.os.os_version
    assert vms["dc01"].guest_product_type == 2 and vms["dc01"].is_domain_controller
    assert vms["sql01"].guest_product_type == 3 and not vms["sql01"].is_domain_controller
    assert vms["web01"].guest_os_name == _model_vm(model, "web01").guest.os.os_name
    assert vms["web01"].guest_product_type is None  # Linux reports no ProductType
    # no hv_kvp_daemon in the guest, and a VM that is off: nothing reported
    assert (vms["web02"].guest_os_name, vms["web02"].guest_product_type) == (None, None)
    assert (vms["legacy-app"].guest_os_name, vms["legacy-app"].guest_os_version) == (None, None)


# --- what travels: ids and parameters only ------------------------------------------------------------------


def test_changes_address_vms_by_id_and_send_values_as_parameters(demo: RunningEmulator, command_log: Path) -> None:
    api, model = _host(demo, "HV-DEMO-01")
    awkward = _model_vm(model, "qa-'quoted' $(whoami) `tick")
    vm_id = str(awkward.id)

    async def body() -> None:
        await api.set_integration_service(vm_id, VSS.ic_guid or "", False)
        await api.power(vm_id, PowerAction.TurnOff)
        await api.checkpoint(vm_id, "it's $(Get-Date)")
        await api.list_checkpoints(vm_id)
        await api.set_checkpoint_type(vm_id, CheckpointType.ProductionOnly)

    _with(api, body)
    sent = [
        (e["command"], e["parameters"])
        for e in read_command_log(command_log)
        if e["host"] == "HV-DEMO-01" and e["command"] not in (None, "Get-HvGuiInventory")
    ]
    by_id = {"Id": vm_id}
    assert sent == [
        ("Set-HvGuiIntegrationService", {"VMId": vm_id, "ComponentId": VSS.ic_guid, "Enabled": False}),
        ("Get-VM", by_id),
        ("Stop-VM", {"TurnOff": True, "Confirm": False}),
        ("Get-VM", by_id),
        ("Checkpoint-VM", {"SnapshotName": "it's $(Get-Date)", "Passthru": True, "Confirm": False}),
        ("Get-VM", by_id),
        ("Get-VMSnapshot", {}),
        ("Get-VM", by_id),
        ("Set-VM", {"CheckpointType": "ProductionOnly", "Confirm": False}),
    ]
    with model.lock:
        assert awkward.components[VSS.ic_guid].enabled is False
        assert VmState(awkward.state(model.now())) is VmState.Off  # it was Saved: Turn Off discards the saved state
        assert [s.name for s in awkward.snapshots] == ["it's $(Get-Date)"]
        assert CheckpointType(awkward.hardware.checkpoint_type) is CheckpointType.ProductionOnly
