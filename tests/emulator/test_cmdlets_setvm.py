"""Set-VM: the settings the model applies, strict binding of every documented parameter, and its errors."""

from __future__ import annotations

import json

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory

from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.reference import CheckpointType

SET_VM = "Microsoft.HyperV.PowerShell.Commands.SetVM"
CHECKPOINT_TYPES = "Disabled, Production, ProductionOnly, Standard"


@pytest.fixture
def h() -> Harness:
    return Harness(one_host({"name": "vm1", "state": "Running", "uptime": 60}, {"name": "vm2", "state": "Off"}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Standard", CheckpointType.Standard),
        ("productiononly", CheckpointType.ProductionOnly),
        (2, CheckpointType.Disabled),
        ("5", CheckpointType.Standard),
        (enums.CheckpointType.Production, CheckpointType.Production),
    ],
)
def test_checkpoint_type_binds_by_name_or_value(h: Harness, value: object, expected: CheckpointType) -> None:
    assert h.run(cmd("Set-VM", "vm1", CheckpointType=value)).errors == []
    assert h.vm("vm1").hardware.checkpoint_type is expected
    [vm] = h.run(cmd("Get-VM", "vm1")).output
    assert vm.CheckpointType is enums.CheckpointType(expected.value)


def test_checkpoint_type_conversion_errors(h: Harness) -> None:
    err = h.fails(cmd("Set-VM", "vm1", CheckpointType="Sometimes"))
    assert err.fully_qualified_error_id == "CannotConvertArgumentNoMessage," + SET_VM
    assert err.message == (
        "Cannot bind parameter 'CheckpointType'. Cannot convert value \"Sometimes\" to type "
        '"Microsoft.HyperV.PowerShell.CheckpointType". Error: "Unable to match the identifier name Sometimes to a '
        "valid enumerator name. Specify one of the following enumerator names and try again:\r\n"
        f'{CHECKPOINT_TYPES}"'
    )
    err = h.fails(cmd("Set-VM", "vm1", CheckpointType=7))
    assert "due to enumeration values that are not valid" in err.message
    assert '"Disabled,Production,ProductionOnly,Standard"' in err.message
    assert h.vm("vm1").hardware.checkpoint_type is CheckpointType.Production


def test_through_the_pipeline_by_id_into_the_inventory(h: Harness) -> None:
    h.load_module()
    sink = h.run(cmd("Get-VM", Id=h.vm("vm1").id), cmd("Set-VM", CheckpointType="Standard"))
    assert (sink.output, sink.errors, sink.warnings) == ([], [], [])
    [text] = h.run(cmd("Get-HvGuiInventory")).output
    assert {vm["name"]: vm["cp"] for vm in json.loads(text)["vms"]} == {"vm1": 5, "vm2": 3}


def test_notes_automatic_checkpoints_new_name_and_passthru(h: Harness) -> None:
    sink = h.run(
        cmd("Set-VM", "vm1", Notes="line 1\nline 'two'", AutomaticCheckpointsEnabled=True, NewVMName="vm-one",
            Passthru=True)
    )  # fmt: skip
    [vm] = sink.output
    assert (vm.Name, vm.Notes, vm.AutomaticCheckpointsEnabled) == ("vm-one", "line 1\nline 'two'", True)
    assert h.vm("vm-one").kvp.auto_external["VirtualMachineName"] == "vm-one"
    assert h.run(cmd("Set-VM", "vm-one", Notes="")).errors == []  # [ValidateNotNull] only: "" clears the notes
    assert h.vm("vm-one").hardware.notes == ""
    err = h.fails(cmd("Set-VM", "vm-one", Notes=None))
    assert err.message == (
        "Cannot validate argument on parameter 'Notes'. The argument is null. Provide a valid value for the "
        "argument, and then try running the command again."
    )
    err = h.fails(cmd("Set-VM", "vm-one", AutomaticCheckpointsEnabled="yes"))
    assert err.fully_qualified_error_id == "ParameterArgumentTransformationError," + SET_VM
    assert h.fails(cmd("Set-VM", "vm-one", NewVMName="")).category == ErrorCategory.InvalidData


def test_other_documented_parameters_bind_strictly_and_change_nothing(h: Harness) -> None:
    before = h.vm("vm2").hardware.processor_count
    sink = h.run(
        cmd("Set-VM", "vm2", ProcessorCount=8, AutomaticStartAction="Start", AutomaticStopAction="shutdown",
            LockOnDisconnect="On", LowMemoryMappedIoSpace=2**31, HighMemoryMappedIoSpace=2**40,
            AutomaticCriticalErrorAction="None", SnapshotFileLocation="D:\\Snapshots")
    )  # fmt: skip
    assert sink.errors == [] and h.vm("vm2").hardware.processor_count == before
    err = h.fails(cmd("Set-VM", "vm2", LowMemoryMappedIoSpace=-1))
    assert "Value was either too large or too small" in err.message and "System.UInt32" in err.message
    err = h.fails(cmd("Set-VM", "vm2", AutomaticStopAction="Hibernate"))
    assert "TurnOff, Save, ShutDown" in err.message
    # Not in the documented syntax, so not a parameter (EnhancedSessionTransportType is newer than the docs).
    err = h.fails(cmd("Set-VM", "vm2", EnhancedSessionTransportType="HvSocket"))
    assert err.fully_qualified_error_id == "NamedParameterNotFound," + SET_VM


def test_memory_switches_that_do_not_fit_together(h: Harness) -> None:
    [err] = h.run(cmd("Set-VM", "vm2", DynamicMemory=True, StaticMemory=True)).errors
    assert err.fully_qualified_error_id == "InvalidParameter," + SET_VM
    assert err.message.startswith("Dynamic and static memory settings cannot be specified together.")
    [err] = h.run(cmd("Set-VM", "vm2", MemoryMaximumBytes=2**32)).errors  # static memory VM, no -DynamicMemory
    assert err.fully_qualified_error_id == "InvalidParameter," + SET_VM
    assert h.run(cmd("Set-VM", "vm2", DynamicMemory=True, MemoryMaximumBytes=2**32)).errors == []


def test_set_vm_errors(h: Harness) -> None:
    [err] = h.run(cmd("Set-VM", "ghost", Notes="x")).errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + SET_VM
    [err] = h.run(cmd("Set-VM", "vm1", Notes="x", Confirm=True)).errors
    assert err.fully_qualified_error_id == "InvalidOperation," + SET_VM
    assert h.run(cmd("Set-VM", "vm1", Notes="x", Confirm=False, WhatIf=True)).errors == []
    assert h.vm("vm1").hardware.notes == ""
    assert h.fails(cmd("Set-VM", Notes="x")).fully_qualified_error_id == "MissingMandatoryParameter," + SET_VM
