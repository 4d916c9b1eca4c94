"""Restore-VMSnapshot, Remove-VMSnapshot and Rename-VMSnapshot: by id through Get-VMSnapshot, and their errors."""

from __future__ import annotations

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory

from hvgui.emulator.hyperv.reference import VmState

NS = "Microsoft.HyperV.PowerShell.Commands."
NOT_FOUND = "Unable to find a snapshot matching the given criteria."


def harness(state: str = "Running", **vm: object) -> Harness:
    return Harness(
        one_host({"name": "vm1", "os": "windows-server-2022", "state": state, "uptime": 3600, **vm}),
    )


def take(h: Harness, *names: str) -> list:
    """Checkpoints taken one after another (each the child of the one before)."""
    for name in names:
        assert h.run(cmd("Checkpoint-VM", "vm1", SnapshotName=name)).errors == []
        h.clock.advance(30)
    return list(h.vm("vm1").snapshots)


def by_id(snapshot) -> object:
    return cmd("Get-VMSnapshot", Id=snapshot.id)


def test_restore_turns_a_running_vm_off_and_ends_saved_with_a_standard_checkpoint() -> None:
    h = harness(checkpoint_type="Standard")
    [first, _second] = take(h, "before update", "after update")
    vm = h.vm("vm1")
    memory_then = vm.hardware.memory_startup
    vm.hardware.memory_startup *= 2  # a setting changed after the checkpoint
    sink = h.run(by_id(first), cmd("Restore-VMSnapshot", Confirm=False, Passthru=True))
    assert sink.errors == []
    [obj] = sink.output
    assert obj.Name == "before update"
    assert vm.parent_snapshot_id == first.id
    assert vm.hardware.memory_startup == memory_then  # the configuration came back
    assert vm.state(h.now()) is VmState.Off  # the apply job runs
    h.clock.advance(120)
    assert vm.state(h.now()) is VmState.Saved  # a standard checkpoint of a running VM holds its memory


def test_restore_of_a_production_checkpoint_leaves_the_vm_off() -> None:
    h = harness()
    [first] = take(h, "prod")
    assert first.production
    assert h.run(by_id(first), cmd("Restore-VMSnapshot", Confirm=False)).errors == []
    h.clock.advance(120)
    assert h.vm("vm1").state(h.now()) is VmState.Off


def test_restore_by_vm_name_and_checkpoint_name() -> None:
    h = harness(state="Off")
    [first, _] = take(h, "one", "two")
    assert h.run(cmd("Restore-VMSnapshot", Name="one", VMName="vm1", Confirm=False)).errors == []
    assert h.vm("vm1").parent_snapshot_id == first.id
    err = h.run(cmd("Restore-VMSnapshot", Name="three", VMName="vm1", Confirm=False)).errors[0]
    assert (err.message, err.fully_qualified_error_id) == (NOT_FOUND, "ObjectNotFound," + NS + "RestoreVMSnapshot")
    assert err.category == ErrorCategory.ObjectNotFound


def test_restore_during_a_transition_is_an_invalid_state() -> None:
    h = harness(state="Off")
    [first] = take(h, "one")
    assert h.run(cmd("Start-VM", "vm1", AsJob=True)).errors == []  # Starting for a while
    err = h.run(by_id(first), cmd("Restore-VMSnapshot", Confirm=False)).errors[0]
    assert err.fully_qualified_error_id == "InvalidState," + NS + "RestoreVMSnapshot"
    assert err.category == ErrorCategory.InvalidOperation


def test_remove_one_checkpoint_moves_its_children_up() -> None:
    h = harness(state="Off")
    [first, second, third] = take(h, "a", "b", "c")
    assert h.run(by_id(second), cmd("Remove-VMSnapshot", Confirm=False)).errors == []
    vm = h.vm("vm1")
    assert [s.name for s in vm.snapshots] == ["a", "c"]
    assert third.parent_id == first.id
    assert vm.parent_snapshot_id == third.id


def test_remove_a_subtree() -> None:
    h = harness(state="Off")
    [first, second, _third] = take(h, "a", "b", "c")
    sink = h.run(by_id(second), cmd("Remove-VMSnapshot", IncludeAllChildSnapshots=True, Confirm=False, Passthru=True))
    assert sink.errors == []
    assert sorted(o.Name for o in sink.output) == ["b", "c"]
    vm = h.vm("vm1")
    assert [s.name for s in vm.snapshots] == ["a"]
    assert vm.parent_snapshot_id == first.id


def test_remove_of_a_checkpoint_deleted_meanwhile_is_not_found() -> None:
    h = harness(state="Off")
    [first] = take(h, "a")
    [stale] = h.run(by_id(first)).output
    assert h.run(by_id(first), cmd("Remove-VMSnapshot", Confirm=False)).errors == []
    err = h.run(cmd("Remove-VMSnapshot", Confirm=False), pipeline_input=[stale]).errors[0]
    assert err.message == NOT_FOUND and err.fully_qualified_error_id == "ObjectNotFound," + NS + "RemoveVMSnapshot"


def test_rename_keeps_every_character_and_refuses_an_empty_name() -> None:
    h = harness(state="Off")
    [first] = take(h, "a")
    new_name = "before 'KB5034441' $(whoami) `n \u202ertl"
    sink = h.run(by_id(first), cmd("Rename-VMSnapshot", NewName=new_name, Passthru=True, Confirm=False))
    assert sink.errors == []
    assert sink.output[0].Name == new_name and first.name == new_name
    err = h.fails(by_id(first), cmd("Rename-VMSnapshot", NewName="", Confirm=False))
    assert "NewName" in err.message


@pytest.mark.parametrize("command", ["Restore-VMSnapshot", "Remove-VMSnapshot", "Rename-VMSnapshot"])
def test_what_if_changes_nothing(command: str) -> None:
    h = harness(state="Off")
    [first] = take(h, "a")
    extra = {"NewName": "b"} if command == "Rename-VMSnapshot" else {}
    assert h.run(by_id(first), cmd(command, WhatIf=True, **extra)).errors == []
    assert [s.name for s in h.vm("vm1").snapshots] == ["a"]
