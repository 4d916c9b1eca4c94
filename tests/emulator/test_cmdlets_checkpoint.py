"""Checkpoint-VM and Get-VMSnapshot: binding, the CheckpointType x VSS semantics, and the VMSnapshot object."""

from __future__ import annotations

import datetime
import uuid

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory, serialize_clixml

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.checkpoints import default_name, format_timestamp
from hvgui.emulator.hyperv.reference import VmState
from hvgui.emulator.hyperv.vm import START_SECONDS

NS = "Microsoft.HyperV.PowerShell."
CHECKPOINT = NS + "Commands.CheckpointVM"
GET_SNAPSHOT = NS + "Commands.GetVMSnapshot"
NOT_FOUND = "Unable to find a snapshot matching the given criteria."
ALREADY = "The virtual machine is already in the specified state."


def harness(**vm: object) -> Harness:
    return Harness(one_host({"name": "vm1", "os": "windows-server-2022", "state": "Running", "uptime": 3600, **vm}))


# ---------------------------------------------------------------- the CheckpointType x VSS matrix


@pytest.mark.parametrize(
    ("checkpoint_type", "vss", "outcome"),
    [
        ("Standard", True, "standard"),
        ("Standard", False, "standard"),
        ("Production", True, "production"),
        ("Production", False, "fallback"),
        ("ProductionOnly", True, "production"),
        ("ProductionOnly", False, "fails"),
        ("Disabled", True, "fails"),
        ("Disabled", False, "fails"),
    ],
)
def test_checkpoint_semantics(checkpoint_type: str, vss: bool, outcome: str) -> None:
    h = harness(checkpoint_type=checkpoint_type, integration_services={"VSS": vss})
    sink = h.run(cmd("Checkpoint-VM", "vm1", Passthru=True))
    vm = h.vm("vm1")
    if outcome == "fails":
        [err] = sink.errors
        assert err.fully_qualified_error_id == "OperationFailed," + CHECKPOINT
        assert err.message.startswith("Taking a checkpoint of 'vm1' failed.\n")
        detail = "Checkpoints are disabled" if checkpoint_type == "Disabled" else "Production checkpoints cannot be"
        assert detail in err.message and str(vm.id).upper() in err.message
        assert err.category == ErrorCategory.NotSpecified and err.target_type == "VirtualMachine"
        assert (sink.output, vm.snapshots) == ([], [])
        return
    assert sink.errors == []
    assert sink.warnings == []  # a fallback is silent: the module writes no warning (hyperv-cim-winrm.md §5)
    [snapshot] = sink.output
    [taken] = vm.snapshots
    assert taken.production is (outcome == "production")
    # A standard checkpoint of a running VM holds its saved state; a production one holds none.
    assert snapshot.State is (enums.VMState.Off if outcome == "production" else enums.VMState.Saved)
    assert snapshot.SnapshotType is enums.SnapshotType.Standard  # there is no "Production" snapshot type


def test_an_off_vm_takes_production_checkpoints_without_vss() -> None:
    h = harness(state="Off", checkpoint_type="ProductionOnly", integration_services={"VSS": False})
    [snapshot] = h.run(cmd("Checkpoint-VM", "vm1", Passthru=True)).output
    assert snapshot.State is enums.VMState.Off and h.vm("vm1").snapshots[0].production


@pytest.mark.parametrize(("state", "production_only_fails"), [("Saved", True), ("Paused", True)])
def test_saved_and_paused_vms_cannot_take_part(state: str, production_only_fails: bool) -> None:
    h = harness(state=state)
    sink = h.run(cmd("Checkpoint-VM", "vm1"))
    assert (sink.errors, sink.warnings) == ([], []) and not h.vm("vm1").snapshots[0].production
    h = harness(state=state, checkpoint_type="ProductionOnly")
    assert bool(h.run(cmd("Checkpoint-VM", "vm1")).errors) is production_only_fails


def test_a_vm_in_transition_is_in_an_invalid_state() -> None:
    h = harness(state="Off")
    h.run(cmd("Start-VM", "vm1"))
    [err] = h.run(cmd("Checkpoint-VM", "vm1")).errors
    assert err.fully_qualified_error_id == "InvalidState," + CHECKPOINT
    assert err.message == "The operation cannot be performed while the virtual machine is in its current state."


def test_a_linux_guest_needs_hv_vss_daemon() -> None:
    h = Harness("demo")  # web02: Ubuntu 24.04 without linux-cloud-tools
    assert h.run(cmd("Checkpoint-VM", "web02")).warnings == []
    assert not h.vm("web02").snapshots[0].production
    assert h.run(cmd("Checkpoint-VM", "web01")).warnings == []
    assert h.vm("web01").snapshots[0].production  # Ubuntu 22.04 runs hv_vss_daemon


def test_the_demo_shows_the_fallback_and_the_production_only_vm() -> None:
    h = Harness("demo", host=2)
    assert h.run(cmd("Checkpoint-VM", "print01")).warnings == []
    assert not h.vm("print01").snapshots[0].production
    h = Harness("demo")
    assert h.vm("sql01").hardware.checkpoint_type.name == "ProductionOnly"
    h.run(cmd("Disable-VMIntegrationService", "VSS", "sql01"))
    [err] = h.run(cmd("Checkpoint-VM", "sql01")).errors
    assert err.message.startswith("Taking a checkpoint of 'sql01' failed.")


# ---------------------------------------------------------------- names, output and binding


def test_default_name_follows_the_host_format() -> None:
    h = harness()
    [snapshot] = h.run(cmd("Checkpoint-VM", "vm1", Passthru=True)).output
    assert snapshot.Name == "vm1 - (3/5/2024 - 4:39:01 PM)"
    assert snapshot.CreationTime == datetime.datetime(2024, 3, 5, 16, 39, 1, tzinfo=datetime.UTC)
    morning = datetime.datetime(2024, 12, 1, 0, 5, 9, tzinfo=datetime.UTC)
    assert format_timestamp(morning, "en-US") == "12/1/2024 - 12:05:09 AM"
    assert format_timestamp(morning, "de-DE") == "01.12.2024 - 00:05:09"
    assert default_name("x", morning, "en-US", automatic=True) == "Automatic Checkpoint - x - (12/1/2024 - 12:05:09 AM)"
    german = Harness("de-DE")
    [snapshot] = german.run(cmd("Checkpoint-VM", "dc01", Passthru=True)).output
    assert snapshot.Name == "dc01 - (05.03.2024 - 16:39:01)"


def test_snapshot_name_by_name_alias_and_position() -> None:
    h = harness()
    odd = "before 'patch' $(x) `n"
    h.run(cmd("Checkpoint-VM", "vm1", SnapshotName=odd))
    h.run(cmd("Checkpoint-VM", "vm1", CheckpointName="second"))
    h.run(cmd("Checkpoint-VM", "vm1", "third"))
    assert [s.name for s in h.vm("vm1").snapshots] == [odd, "second", "third"]
    err = h.fails(cmd("Checkpoint-VM", "vm1", SnapshotName=""))
    assert err.fully_qualified_error_id == "ParameterArgumentValidationError," + CHECKPOINT


def test_without_passthru_nothing_is_written_and_the_vm_knows_its_parent() -> None:
    h = harness()
    assert h.run(cmd("Checkpoint-VM", "vm1", "first")).output == []
    [vm] = h.run(cmd("Get-VM", "vm1")).output
    first = h.vm("vm1").snapshots[0]
    assert (vm.ParentSnapshotId, vm.ParentSnapshotName) == (first.id, "first")


def test_the_vm_snapshot_object() -> None:
    h = harness()
    h.run(cmd("Checkpoint-VM", "vm1", "first"))
    [snapshot] = h.run(cmd("Get-VM", "vm1"), cmd("Checkpoint-VM", SnapshotName="second", Passthru=True)).output
    assert snapshot.PSObject.type_names == [
        NS + "VMSnapshot",
        NS + "VirtualMachineBase",
        NS + "ComputeResource",
        NS + "VirtualizationObject",
        "System.Object",
    ]
    vm = h.vm("vm1")
    first, second = vm.snapshots
    assert (snapshot.Name, snapshot.Id, snapshot.VMName, snapshot.VMId) == ("second", second.id, "vm1", vm.id)
    assert isinstance(snapshot.Id, uuid.UUID) and snapshot.Id.version == 4
    assert (snapshot.ParentSnapshotId, snapshot.ParentSnapshotName) == (first.id, "first")
    assert snapshot.IsAutomaticCheckpoint is False and snapshot.Generation == 2
    assert snapshot.MemoryStartup == vm.hardware.memory_startup
    assert len(snapshot.VMIntegrationService) == 6
    assert str(snapshot) == f"VMSnapshot (Name = 'second') [Id = '{second.id}']"
    clixml = serialize_clixml(snapshot, None)
    assert "<T>Microsoft.HyperV.PowerShell.SnapshotType</T>" in clixml and '<DT N="CreationTime">' in clixml


def test_checkpoint_vm_binds_strictly() -> None:
    h = harness()
    assert h.fails(cmd("Checkpoint-VM", "vm1", Bogus=1)).fully_qualified_error_id == (
        "NamedParameterNotFound," + CHECKPOINT
    )
    assert h.fails(cmd("Checkpoint-VM", SnapshotName="x")).message.endswith("missing mandatory parameters: Name.")
    [err] = h.run(cmd("Checkpoint-VM", "vm1", AsJob=True, Passthru=True)).errors
    assert err.message == "The Asjob and Passthru switches cannot be set at the same time."
    [err] = h.run(cmd("Checkpoint-VM", "ghost")).errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + CHECKPOINT
    [err] = h.run(cmd("Checkpoint-VM", "vm1", Confirm=True)).errors
    assert err.fully_qualified_error_id == "InvalidOperation," + CHECKPOINT
    assert h.run(cmd("Checkpoint-VM", "vm1", WhatIf=True)).errors == []
    assert h.vm("vm1").snapshots == []


# ---------------------------------------------------------------- Get-VMSnapshot


@pytest.fixture
def three() -> Harness:
    """vm1 with three checkpoints in a chain (a, b, c), vm2 with one (d)."""
    h = Harness(
        one_host(
            {"name": "vm1", "state": "Running", "uptime": 3600, "checkpoint_type": "Standard"},
            {"name": "vm2", "state": "Off"},
            {"name": "vm3", "state": "Off"},
        )
    )
    for vm, name in (("vm1", "a"), ("vm2", "d"), ("vm1", "b"), ("vm1", "c")):
        h.run(cmd("Checkpoint-VM", vm, name))
        h.clock.advance(60)
    return h


def names(sink) -> list[str]:
    return [o.Name for o in sink.output]


def test_get_vm_snapshot_by_vm_name_and_object(three: Harness) -> None:
    assert names(three.run(cmd("Get-VMSnapshot", "vm1"))) == ["a", "b", "c"]
    assert names(three.run(cmd("Get-VMSnapshot", VMName=["vm2", "vm1"]))) == ["a", "d", "b", "c"]  # by time
    # Piped VMs are processed one by one, so the order is by time per VM.
    assert names(three.run(cmd("Get-VM", "vm*"), cmd("Get-VMSnapshot"))) == ["a", "b", "c", "d"]
    assert names(three.run(cmd("Get-VMSnapshot", "vm1", "[bc]"))) == ["b", "c"]
    sink = three.run(cmd("Get-VMSnapshot", "vm3"))
    assert (sink.output, sink.errors) == ([], [])  # no checkpoints and no filter: nothing, no error


def test_get_vm_snapshot_filters_that_find_nothing_are_errors(three: Harness) -> None:
    assert names(three.run(cmd("Get-VMSnapshot", "vm1", SnapshotType="Standard"))) == ["a", "b", "c"]
    for sink in (
        three.run(cmd("Get-VMSnapshot", "vm1", SnapshotType="Recovery")),
        three.run(cmd("Get-VMSnapshot", "vm3", "x*")),
        three.run(cmd("Get-VMSnapshot", Id=uuid.UUID(int=5))),
    ):
        [err] = sink.errors
        assert (err.message, err.fully_qualified_error_id) == (NOT_FOUND, "ObjectNotFound," + GET_SNAPSHOT)
        assert err.category == ErrorCategory.ObjectNotFound
    err = three.fails(cmd("Get-VMSnapshot", "vm1", SnapshotType="Production"))
    assert err.fully_qualified_error_id == "CannotConvertArgumentNoMessage," + GET_SNAPSHOT
    assert "Standard, Recovery, Planned, Missing, Replica, AppConsistentReplica, SyncedReplica" in err.message


def test_get_vm_snapshot_by_id_parent_and_child(three: Harness) -> None:
    _a, b, c = three.vm("vm1").snapshots
    assert names(three.run(cmd("Get-VMSnapshot", b.id))) == ["b"]  # a Guid binds -Id at position 0
    assert names(three.run(cmd("Get-VMSnapshot", Id=str(c.id)))) == ["c"]
    assert names(three.run(cmd("Get-VMSnapshot", "vm1", "b"), cmd("Get-VMSnapshot"))) == ["b"]  # by value
    [b_object] = three.run(cmd("Get-VMSnapshot", "vm1", "b")).output
    assert names(three.run(cmd("Get-VMSnapshot", ChildOf=b_object))) == ["c"]
    assert names(three.run(cmd("Get-VMSnapshot", ParentOf=b_object))) == ["a"]
    [vm1] = three.run(cmd("Get-VM", "vm1")).output
    assert names(three.run(cmd("Get-VMSnapshot", ParentOf=vm1))) == ["c"]
    [vm3] = three.run(cmd("Get-VM", "vm3")).output
    assert three.run(cmd("Get-VMSnapshot", ParentOf=vm3)).errors[0].message == NOT_FOUND


def test_a_pipeline_by_vm_id_lists_the_checkpoints(three: Harness) -> None:
    """The remoting layer's pipeline: Get-VM -Id <guid> | Get-VMSnapshot (the VM's Id must not bind -Id)."""
    sink = three.run(cmd("Get-VM", Id=three.vm("vm1").id), cmd("Get-VMSnapshot"))
    assert sink.errors == [] and names(sink) == ["a", "b", "c"]


def test_snapshots_bind_to_get_vm_integration_service(three: Harness) -> None:
    gsi = ic.GUEST_SERVICE_INTERFACE.ic_guid
    a = three.vm("vm1").snapshots[0]
    sink = three.run(cmd("Get-VMSnapshot", "vm1", "a"), cmd("Get-VMIntegrationService", Name="Guest*"))
    [component] = sink.output
    assert (component.VMSnapshotId, component.VMSnapshotName, component.VMName) == (a.id, "a", "vm1")
    assert component.Id == f"Microsoft:{str(a.id).upper()}\\{gsi}"
    assert component.PrimaryStatusDescription is None and list(component.OperationalStatus) == []
    three.run(
        cmd("Get-VMSnapshot", "vm1", "a"),
        cmd("Get-VMIntegrationService", Name="Guest*"),
        cmd("Enable-VMIntegrationService"),
    )
    assert a.components_enabled[gsi] is True
    assert three.vm("vm1").components[gsi].enabled is False  # the checkpoint changed, not the VM
    [snapshot] = three.run(cmd("Get-VMSnapshot", "vm1", "a")).output
    assert len(three.run(cmd("Get-VMIntegrationService", VMSnapshot=snapshot)).output) == 6


# ---------------------------------------------------------------- automatic checkpoints


def test_automatic_checkpoints_come_with_start_and_go_with_stop() -> None:
    h = harness(state="Off")
    assert h.run(cmd("Set-VM", "vm1", AutomaticCheckpointsEnabled=True)).errors == []
    h.run(cmd("Start-VM", "vm1"))
    [automatic] = h.vm("vm1").snapshots
    assert automatic.automatic and automatic.name == "Automatic Checkpoint - vm1 - (3/5/2024 - 4:39:01 PM)"
    [snapshot] = h.run(cmd("Get-VMSnapshot", "vm1")).output
    assert snapshot.IsAutomaticCheckpoint is True and snapshot.State is enums.VMState.Off
    h.clock.advance(START_SECONDS)
    assert h.run(cmd("Start-VM", "vm1")).warnings == [ALREADY]  # already running: no second checkpoint
    assert len(h.vm("vm1").snapshots) == 1
    assert h.run(cmd("Stop-VM", "vm1", TurnOff=True)).errors == []
    assert h.vm("vm1").snapshots == [] and h.vm("vm1").parent_snapshot_id is None
    assert h.vm("vm1").state(h.now()) is VmState.Off


def test_a_manual_checkpoint_after_the_automatic_one_keeps_it() -> None:
    h = harness(state="Off", automatic_checkpoints=True)
    h.run(cmd("Start-VM", "vm1"))
    h.clock.advance(60)
    assert h.run(cmd("Checkpoint-VM", "vm1", "manual")).errors == []
    h.run(cmd("Stop-VM", "vm1", TurnOff=True))
    assert [s.name for s in h.vm("vm1").snapshots][1] == "manual" and len(h.vm("vm1").snapshots) == 2
