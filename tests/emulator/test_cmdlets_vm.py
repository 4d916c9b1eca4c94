"""Get-VM and the power cmdlets: semantics, errors and the shape of their output objects."""

from __future__ import annotations

import datetime
import uuid

import pytest
from model_harness import FakeClock, Harness, cmd, one_host
from psrpcore.types import ErrorCategory, PSInt64, serialize_clixml

from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.guest import OS_PROFILES
from hvgui.emulator.hyperv.reference import VmState
from hvgui.emulator.hyperv.vm import START_SECONDS

CMD = "Microsoft.HyperV.PowerShell.Commands."
ALREADY = "The virtual machine is already in the specified state."


@pytest.fixture
def h() -> Harness:
    return Harness("demo")


def names(sink) -> list[str]:
    return [o.Name for o in sink.output]


# ---------------------------------------------------------------- Get-VM


def test_get_vm_lists_every_vm_ordered_by_name(h: Harness) -> None:
    assert names(h.run(cmd("Get-VM"))) == [
        "ci-runner",
        "dc01",
        "dc02",
        "legacy-app",
        "qa-'quoted' $(whoami) `tick",
        "sql01",
        "web01",
        "web02",
    ]


def test_get_vm_by_name_with_wildcards_and_case(h: Harness) -> None:
    assert names(h.run(cmd("Get-VM", "DC0?"))) == ["dc01", "dc02"]
    assert names(h.run(cmd("Get-VM", ["web*", "SQL01"]))) == ["sql01", "web01", "web02"]
    assert names(h.run(cmd("Get-VM", "[dw]*1"))) == ["dc01", "web01"]
    assert h.run(cmd("Get-VM", "nothing*")).errors == []  # a pattern that matches nothing is no error


def test_names_travel_verbatim(h: Harness) -> None:
    odd = "qa-'quoted' $(whoami) `tick"
    sink = h.run(cmd("Get-VM", odd))
    assert names(sink) == [odd] and sink.errors == []
    assert str(sink.output[0]) == f"VirtualMachine (Name = '{odd}') [Id = '{h.vm(odd).id}']"


def test_get_vm_not_found_is_invalid_parameter_with_the_name_as_target(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", ["dc01", "minikube"]))
    assert names(sink) == ["dc01"]
    [err] = sink.errors
    assert err.message == 'Hyper-V was unable to find a virtual machine with name "minikube".'
    assert err.fully_qualified_error_id == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert err.category == ErrorCategory.InvalidArgument
    assert (err.target_name, err.target_type, err.reason) == ("minikube", "String", "VirtualizationException")
    assert err.exception_types[0] == "Microsoft.HyperV.PowerShell.VirtualizationException"


def test_get_vm_by_id(h: Harness) -> None:
    vm = h.vm("sql01")
    assert names(h.run(cmd("Get-VM", Id=vm.id))) == ["sql01"]
    missing = uuid.UUID(int=1)
    [err] = h.run(cmd("Get-VM", Id=missing)).errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + CMD + "GetVM"
    assert err.message == f'Hyper-V was unable to find a virtual machine with id "{missing}".'


def test_get_vm_computer_name(h: Harness) -> None:
    assert len(h.run(cmd("Get-VM", ComputerName=["hv-demo-01", "localhost"])).output) == 8
    sink = h.run(cmd("Get-VM", "dc01", ComputerName="elsewhere"))
    assert sink.output == []
    assert sink.errors[0].fully_qualified_error_id == "Unspecified," + CMD + "GetVM"


def test_the_virtual_machine_object(h: Harness) -> None:
    [vm] = h.run(cmd("Get-VM", "dc01")).output
    assert vm.PSObject.type_names == [
        "Microsoft.HyperV.PowerShell.VirtualMachine",
        "Microsoft.HyperV.PowerShell.VirtualMachineBase",
        "Microsoft.HyperV.PowerShell.ComputeResource",
        "Microsoft.HyperV.PowerShell.VirtualizationObject",
        "System.Object",
    ]
    assert len(vm.PSObject.adapted_properties) >= 60
    assert isinstance(vm.Id, uuid.UUID) and vm.VMId == vm.Id and vm.VMName == "dc01"
    assert vm.State is enums.VMState.Running
    assert vm.Heartbeat is enums.VMHeartbeatStatus.OkApplicationsHealthy
    assert isinstance(vm.Uptime, datetime.timedelta) and vm.Uptime.total_seconds() == pytest.approx(2003400)
    assert isinstance(vm.MemoryAssigned, PSInt64) and vm.MemoryAssigned == 4096 * 2**20
    assert isinstance(vm.CPUUsage, int)
    assert list(vm.OperationalStatus) == [enums.VMOperationalStatus.Ok]
    assert vm.OperationalStatus.PSObject.type_names[0] == "Microsoft.HyperV.PowerShell.VMOperationalStatus[]"
    assert vm.PrimaryOperationalStatus is enums.VMOperationalStatus.Ok
    assert (vm.Status, vm.Version, vm.Generation, vm.ComputerName) == ("Operating normally", "10.0", 2, "HV-DEMO-01")
    assert vm.CheckpointType is enums.CheckpointType.Production
    assert str(vm.IntegrationServicesVersion) == "0.0" and vm.IntegrationServicesState == ""
    assert len(vm.VMIntegrationService) == 6
    clixml = serialize_clixml(vm, None)
    assert "<T>Microsoft.HyperV.PowerShell.VMState</T>" in clixml and '<TS N="Uptime">' in clixml


def test_an_off_vm_has_no_heartbeat_memory_or_uptime(h: Harness) -> None:
    [vm] = h.run(cmd("Get-VM", "legacy-app")).output
    assert vm.State is enums.VMState.Off and vm.Heartbeat is None
    assert vm.MemoryAssigned == 0 and vm.CPUUsage == 0 and vm.Uptime == datetime.timedelta(0)
    assert vm.Generation == 1 and vm.FloppyDrive is not None
    assert '<Nil N="Heartbeat" />' in serialize_clixml(vm, None)


# ---------------------------------------------------------------- Start / Stop / Save / Suspend / Resume


def test_start_vm(h: Harness) -> None:
    sink = h.run(cmd("Start-VM", "legacy-app", Passthru=True))
    assert sink.errors == [] and sink.output[0].State is enums.VMState.Starting
    h.clock.advance(START_SECONDS)
    assert h.vm("legacy-app").state(h.clock()) is VmState.Running
    assert h.run(cmd("Start-VM", "legacy-app")).warnings == [ALREADY]


def test_a_name_that_does_not_exist_is_object_not_found_for_other_cmdlets(h: Harness) -> None:
    [err] = h.run(cmd("Start-VM", "ghost")).errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + CMD + "StartVM"
    assert err.category == ErrorCategory.ObjectNotFound
    assert (err.target_name, err.target_type) == ("", "")


def test_an_illegal_transition_is_invalid_state_with_the_vm_as_target(h: Harness) -> None:
    [err] = h.run(cmd("Suspend-VM", "legacy-app")).errors
    assert err.fully_qualified_error_id == "InvalidState," + CMD + "SuspendVM"
    assert err.message == "The operation cannot be performed while the virtual machine is in its current state."
    assert err.category == ErrorCategory.InvalidOperation
    assert err.target_type == "VirtualMachine" and err.target_name.startswith("VirtualMachine (Name = 'legacy-app')")


def test_stop_vm_shuts_the_guest_down_through_the_shutdown_service(h: Harness) -> None:
    assert h.run(cmd("Stop-VM", "sql01")).errors == []
    assert h.vm("sql01").state(h.clock()) is VmState.Stopping
    h.clock.advance(OS_PROFILES["windows-server-2022"].shutdown_seconds)
    assert h.vm("sql01").state(h.clock()) is VmState.Off
    assert h.run(cmd("Stop-VM", "sql01")).warnings == [ALREADY]


def test_stop_vm_force_with_a_working_shutdown_service_is_a_forced_shutdown(h: Harness) -> None:
    h.run(cmd("Stop-VM", "sql01", Force=True))
    assert h.vm("sql01").state(h.clock()) is VmState.ForceShutdown


def test_stop_vm_without_shutdown_service_fails_in_a_non_interactive_runspace() -> None:
    h = Harness("demo", host=2)
    [err] = h.run(cmd("Stop-VM", "devbox-01")).errors
    assert (
        err.message == "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
    )
    assert err.fully_qualified_error_id == "InvalidOperation," + CMD + "StopVM"
    assert err.category == ErrorCategory.InvalidOperation and err.target_name == ""
    assert h.vm("devbox-01").state(h.clock()) is VmState.Running
    assert h.run(cmd("Stop-VM", "devbox-01", Force=True)).errors == []  # -Force answers the prompt: power off
    assert h.vm("devbox-01").state(h.clock()) is VmState.Off


def test_save_and_turn_off_are_mutually_exclusive(h: Harness) -> None:
    [err] = h.run(cmd("Stop-VM", "dc01", Save=True, TurnOff=True)).errors
    assert err.message == "The Save and TurnOff parameters are mutually exclusive."
    assert err.fully_qualified_error_id == "InvalidParameter," + CMD + "StopVM"
    assert h.vm("dc01").state(h.clock()) is VmState.Running


def test_as_job_and_passthru_cannot_be_combined(h: Harness) -> None:
    [err] = h.run(cmd("Start-VM", "legacy-app", AsJob=True, Passthru=True)).errors
    assert err.message == "The Asjob and Passthru switches cannot be set at the same time."


def test_stop_vm_save_and_passthru(h: Harness) -> None:
    sink = h.run(cmd("Stop-VM", "web01", Save=True, Passthru=True))
    assert sink.output[0].State is enums.VMState.Saving
    sink = h.run(cmd("Save-VM", "dc02"))
    assert sink.output == [] and h.vm("dc02").state(h.clock()) is VmState.Saving


def test_turn_off_a_saved_vm(h: Harness) -> None:
    odd = "qa-'quoted' $(whoami) `tick"
    assert h.run(cmd("Stop-VM", odd, TurnOff=True)).errors == []
    assert h.vm(odd).state(h.clock()) is VmState.Off


def test_suspend_and_resume(h: Harness) -> None:
    h.run(cmd("Suspend-VM", "web02"))
    h.clock.advance(1)
    assert h.vm("web02").state(h.clock()) is VmState.Paused
    assert h.run(cmd("Suspend-VM", "web02")).warnings == [ALREADY]
    h.run(cmd("Resume-VM", "web02"))
    h.clock.advance(1)
    assert h.vm("web02").state(h.clock()) is VmState.Running
    assert h.run(cmd("Resume-VM", "web02")).warnings == [ALREADY]


def test_start_vm_resumes_a_paused_vm() -> None:
    h = Harness("demo", host=1)
    h.run(cmd("Start-VM", "k8s-node-3"))
    assert h.vm("k8s-node-3").state(h.clock()) is VmState.Resuming


def test_confirm_would_prompt_and_what_if_does_nothing(h: Harness) -> None:
    [err] = h.run(cmd("Start-VM", "legacy-app", Confirm=True)).errors
    assert err.fully_qualified_error_id == "InvalidOperation," + CMD + "StartVM"
    assert h.run(cmd("Start-VM", "legacy-app", Confirm=False, WhatIf=True)).errors == []
    assert h.vm("legacy-app").state(h.clock()) is VmState.Off


def test_pipelines_pass_vm_objects(h: Harness) -> None:
    sink = h.run(cmd("Get-VM", "web*"), cmd("Stop-VM", TurnOff=True, Passthru=True))
    assert [o.State for o in sink.output] == [enums.VMState.Off, enums.VMState.Off]
    sink = h.run(cmd("Get-VM", "web*"), cmd("Start-VM"))
    assert sink.errors == [] and sink.output == []
    assert h.vm("web01").state(h.clock()) is VmState.Starting


# ---------------------------------------------------------------- Restart-VM


def test_restart_vm_needs_force_in_a_remote_runspace(h: Harness) -> None:
    [err] = h.run(cmd("Restart-VM", "dc01")).errors
    assert err.fully_qualified_error_id == "InvalidOperation," + CMD + "RestartVM"
    assert h.vm("dc01").uptime(h.clock()) == pytest.approx(2003400)


def test_restart_vm_force_resets_the_vm(h: Harness) -> None:
    sink = h.run(cmd("Restart-VM", "dc01", Force=True, Passthru=True))
    assert sink.errors == [] and sink.output[0].State is enums.VMState.Reset
    assert h.vm("dc01").uptime(h.clock()) == 0


def test_restart_vm_wait_for_heartbeat() -> None:
    clock = FakeClock(step=4.0)  # every look at the clock moves it, so the wait sees the guest boot
    h = Harness(one_host({"name": "vm1", "os": "ubuntu-22.04", "state": "Running", "uptime": 600}), clock=clock)
    sink = h.run(cmd("Restart-VM", "vm1", Force=True, Wait=True, For="Heartbeat", Delay=1, Passthru=True))
    assert sink.errors == []
    assert sink.output[0].Heartbeat is enums.VMHeartbeatStatus.OkApplicationsUnknown


def test_restart_vm_wait_times_out() -> None:
    clock = FakeClock(step=1.0)
    h = Harness(one_host({"name": "vm1", "state": "Running", "uptime": 600}), clock=clock)
    [err] = h.run(cmd("Restart-VM", "vm1", Force=True, Wait=True, Timeout=3)).errors
    assert err.fully_qualified_error_id == "OperationFailed," + CMD + "RestartVM"
    assert err.message.startswith("This command stopped operation because the specified condition is not satisfied")


def test_a_stop_request_ends_a_pipeline_early(h: Harness) -> None:
    from model_harness import RecordingSink

    sink = RecordingSink()
    sink.stop_requested.set()
    h.host.run(h.runspace, [cmd("Get-VM")], [], sink)
    assert sink.output == []


def test_delay_makes_the_host_slow_and_stop_cuts_it_short(h: Harness) -> None:
    import threading
    import time

    from model_harness import RecordingSink

    h.host.delay = 30.0
    sink = RecordingSink()
    threading.Timer(0.05, sink.stop_requested.set).start()
    started = time.monotonic()
    h.host.run(h.runspace, [cmd("Get-VM")], [], sink)
    assert time.monotonic() - started < 10 and sink.output == []
    h.host.delay = 0.01
    assert len(h.run(cmd("Get-VM")).output) == 8
