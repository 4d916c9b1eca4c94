"""Restore-VMSnapshot, Remove-VMSnapshot and Rename-VMSnapshot: applying, deleting and renaming checkpoints.

Each resolves its checkpoints like the module's `ParameterResolvers` (by VM name and checkpoint name, from a
VM object and a name, or from VMSnapshot objects: pipeline input from Get-VMSnapshot), then acts on each
one with ShouldProcess. A checkpoint name that matches nothing, or a VMSnapshot object whose checkpoint was
deleted meanwhile, is `Unable to find a snapshot matching the given criteria.` (ObjectNotFound).

- Restore-VMSnapshot turns a running or paused VM off and applies the checkpoint (`EmulatedVm.apply_snapshot`):
  the VM ends Saved if the checkpoint holds a memory state, else Off. A VM in a transition is InvalidState.
- Remove-VMSnapshot deletes the checkpoint (its children move up to its parent), or with
  -IncludeAllChildSnapshots the whole subtree; the job merges the differencing disks.
- Rename-VMSnapshot sets the name; an empty -NewName fails parameter validation (NotNullOrEmpty).

Under a profile that waits for jobs, Restore and Remove watch their job to its end (`common.watch`).
plausible WS2022 behaviour: checkpoint names match case-insensitively and take wildcards, as Get-VMSnapshot's do.
"""

from __future__ import annotations

from .. import checkpoints, errors, views, wildcards
from ..checkpoints import Snapshot
from ..context import CommandContext
from ..types import VMSnapshotObject
from ..vm import EmulatedVm, InvalidState, Job
from .common import OperandFailed, for_each, validate_as_job_and_passthru, watch
from .resolve import reachable_hosts, vms_by_name

#: The Activity of their jobs' progress records (resx TaskDescriptions, en-US).
APPLY_ACTIVITY = "Apply a snapshot"
DELETE_ACTIVITY = "Delete a snapshot"


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _operands(ctx: CommandContext) -> list[tuple[EmulatedVm, Snapshot]]:
    """The checkpoints a command names, in creation order; what names nothing is reported here."""
    bound = ctx.bound
    if "VMSnapshot" in bound:
        found = []
        for obj in _as_list(bound.get("VMSnapshot")):
            vm = ctx.model.vm_by_id(obj.vm_id) if isinstance(obj, VMSnapshotObject) else None
            snapshot = checkpoints.find(vm, obj.snapshot_id) if vm is not None else None
            if vm is None or snapshot is None:
                ctx.write_error(errors.snapshot_not_found(ctx.invocation))
                continue
            found.append((vm, snapshot))
        return found
    if "VM" in bound:
        vms = [vm for o in _as_list(bound.get("VM")) if (vm := ctx.model.vm_by_id(o.vm_id)) is not None]
    elif reachable_hosts(ctx):
        vms = vms_by_name(ctx, _as_list(bound.get("VMName")))
    else:
        return []
    names = _as_list(bound.get("Name"))
    found = []
    for vm in vms:
        for snapshot in sorted(vm.snapshots, key=lambda s: s.created_at):
            if not names or any(wildcards.matches(name, snapshot.name) for name in names):
                found.append((vm, snapshot))
    if not found and vms:
        ctx.write_error(errors.snapshot_not_found(ctx.invocation))
    return found


def restore_vm_snapshot(ctx: CommandContext) -> None:
    if not validate_as_job_and_passthru(ctx):
        return
    with ctx.model.lock:
        operands = _operands(ctx)

    def process(operand: tuple[EmulatedVm, Snapshot]) -> None:
        vm, snapshot = operand
        with ctx.model.lock:
            if not ctx.should_process():
                return
            if checkpoints.find(vm, snapshot.id) is None:  # deleted since it was resolved
                raise OperandFailed(errors.snapshot_not_found(ctx.invocation))
            now = ctx.now()
            try:
                job = vm.apply_snapshot(snapshot, now)
            except InvalidState:
                raise OperandFailed(errors.invalid_state(ctx.invocation, views.vm_object(ctx.model, vm, now))) from None
        if not watch(ctx, job, activity=APPLY_ACTIVITY):
            return
        if ctx.bound.switch("Passthru"):
            with ctx.model.lock:
                obj = views.snapshot_object(ctx.model, vm, snapshot)
            ctx.write_output(obj)

    for_each(ctx, operands, process, locked=False)


def remove_vm_snapshot(ctx: CommandContext) -> None:
    if not validate_as_job_and_passthru(ctx):
        return
    with ctx.model.lock:
        operands = _operands(ctx)
    subtree = ctx.bound.switch("IncludeAllChildSnapshots")

    def process(operand: tuple[EmulatedVm, Snapshot]) -> None:
        vm, snapshot = operand
        with ctx.model.lock:
            if checkpoints.find(vm, snapshot.id) is None:
                # Already gone: an ancestor named in the same command took it with its subtree.
                return
            if not ctx.should_process():
                return
            doomed = checkpoints.subtree(vm, snapshot) if subtree else [snapshot]
            passthru = [views.snapshot_object(ctx.model, vm, s) for s in doomed] if ctx.bound.switch("Passthru") else []
            for item in reversed(doomed):  # children first, so none moves up to a parent being deleted
                checkpoints.delete(vm, item)
            now = ctx.now()
            job = Job(None, now, now + checkpoints.delete_job_seconds(vm, len(doomed)))
        if not watch(ctx, job, activity=DELETE_ACTIVITY):
            return
        for obj in passthru:
            ctx.write_output(obj)

    for_each(ctx, operands, process, locked=False)


def rename_vm_snapshot(ctx: CommandContext) -> None:
    with ctx.model.lock:
        operands = _operands(ctx)
    new_name = ctx.bound.get("NewName")

    def process(operand: tuple[EmulatedVm, Snapshot]) -> None:
        vm, snapshot = operand
        if checkpoints.find(vm, snapshot.id) is None:
            raise OperandFailed(errors.snapshot_not_found(ctx.invocation))
        if not ctx.should_process():
            return
        snapshot.name = new_name
        if ctx.bound.switch("Passthru"):
            ctx.write_output(views.snapshot_object(ctx.model, vm, snapshot))

    for_each(ctx, operands, process)
