"""Checkpoint-VM and Get-VMSnapshot.

Checkpoint-VM follows the decompiled `CheckpointVM.ProcessOneOperand`: ShouldProcess, take the checkpoint
(the VM's CheckpointType decides how, see `checkpoints`), rename it to -SnapshotName, write it with
-Passthru. A failed checkpoint job is `OperationFailed` with the resx `TakeSnapshotFailed` text first. Under
a profile that waits for jobs the cmdlet watches the checkpoint job to its end (`common.watch`) first.

Get-VMSnapshot follows `GetVMSnapshot.EnumerateOperands`: the checkpoints of the VMs (or by id, parent,
child), filtered by -SnapshotType and -Name (a wildcard), ordered by creation time; nothing found when a
filter or an id was given is `Unable to find a snapshot matching the given criteria.` (ObjectNotFound).
"""

from __future__ import annotations

from hvgui.emulator.runtime import CmdletError

from .. import checkpoints, errors, views, wildcards
from ..checkpoints import Snapshot
from ..context import CommandContext
from ..types import VMSnapshotObject
from ..vm import EmulatedVm, Job
from .common import OperandFailed, for_each, validate_as_job_and_passthru, watch
from .resolve import reachable_hosts, resolve_vms


def _take_failed(ctx: CommandContext, vm: EmulatedVm, detail: str) -> CmdletError:
    message = errors.TAKE_SNAPSHOT_FAILED.format(vm.name) + "\n" + detail.format(vm.name, str(vm.id).upper())
    return errors.job_failed(ctx.invocation, message, target=views.vm_object(ctx.model, vm, ctx.now()))


def take(ctx: CommandContext, vm: EmulatedVm, name: str | None) -> tuple[Snapshot, Job]:
    """Take one checkpoint for a command (call with the host lock held); a fallback to standard is silent.
    Returns the checkpoint, which exists at once, and the job that goes on making it."""
    now = ctx.now()
    try:
        snapshot = checkpoints.take_checkpoint(vm, now, ctx.model.wall_now(), ctx.model.texts.locale, name=name)
    except checkpoints.NotCheckpointable:
        raise OperandFailed(errors.invalid_state(ctx.invocation, views.vm_object(ctx.model, vm, now))) from None
    except checkpoints.CheckpointsDisabled:
        # plausible WS2022 behaviour: VMMS refuses the job of a VM whose checkpoints are disabled.
        raise OperandFailed(_take_failed(ctx, vm, errors.CHECKPOINTS_DISABLED)) from None
    except checkpoints.ProductionCheckpointUnavailable:
        raise OperandFailed(_take_failed(ctx, vm, errors.PRODUCTION_CHECKPOINT_UNAVAILABLE)) from None
    return snapshot, Job(None, now, now + checkpoints.job_seconds(vm, snapshot, now))


def checkpoint_vm(ctx: CommandContext) -> None:
    if not validate_as_job_and_passthru(ctx):
        return
    with ctx.model.lock:
        vms = resolve_vms(ctx)

    def process(vm: EmulatedVm) -> None:
        with ctx.model.lock:
            if not ctx.should_process():
                return
            snapshot, job = take(ctx, vm, ctx.bound.get("SnapshotName"))
        if not watch(ctx, job):  # a production checkpoint waits for the guest's VSS: longer
            return
        if ctx.bound.switch("Passthru"):
            with ctx.model.lock:
                obj = views.snapshot_object(ctx.model, vm, snapshot)
            ctx.write_output(obj)

    # Not under the host lock as a whole: watching the job must let other pipelines run.
    for_each(ctx, vms, process, locked=False)


def _live_snapshot(ctx: CommandContext, obj: VMSnapshotObject) -> tuple[EmulatedVm, Snapshot] | None:
    vm = ctx.model.vm_by_id(obj.vm_id)
    snapshot = checkpoints.find(vm, obj.snapshot_id) if vm is not None else None
    return (vm, snapshot) if vm is not None and snapshot is not None else None


def _operands(ctx: CommandContext) -> list[tuple[EmulatedVm, Snapshot]]:
    bound = ctx.bound
    chosen = bound.parameter_set
    if chosen == "Id":
        if not reachable_hosts(ctx):
            return []
        return [(vm, s) for vm in ctx.model.vms for s in vm.snapshots if s.id == bound.get("Id")]
    if chosen == "Child":
        found = _live_snapshot(ctx, bound.get("ChildOf"))
        return [(found[0], child) for child in checkpoints.children(*found)] if found else []
    if chosen == "Parent":
        of = bound.get("ParentOf")
        if isinstance(of, VMSnapshotObject):
            found = _live_snapshot(ctx, of)
            vm, parent_id = (found[0], found[1].parent_id) if found else (None, None)
        else:
            vm = ctx.model.vm_by_id(of.vm_id)
            parent_id = vm.parent_snapshot_id if vm is not None else None
        parent = checkpoints.find(vm, parent_id) if vm is not None else None
        return [(vm, parent)] if vm is not None and parent is not None else []
    return [(vm, s) for vm in resolve_vms(ctx, name_parameter="VMName") for s in vm.snapshots]


def get_vm_snapshot(ctx: CommandContext) -> None:
    bound = ctx.bound
    with ctx.model.lock:
        operands = _operands(ctx)
        if "SnapshotType" in bound:
            # Every checkpoint the model takes is of type Standard (see `checkpoints`).
            operands = [(vm, s) for vm, s in operands if bound.get("SnapshotType") == "Standard"]
        if bound.get("Name"):
            operands = [(vm, s) for vm, s in operands if wildcards.matches(bound.get("Name"), s.name)]
        operands.sort(key=lambda pair: pair[1].created_at)
        by_vm_set = bound.parameter_set in ("VMName", "VMObject")
        if not operands and (not by_vm_set or "SnapshotType" in bound or bound.get("Name")):
            ctx.write_error(errors.snapshot_not_found(ctx.invocation))
            return
        objects = [views.snapshot_object(ctx.model, vm, s) for vm, s in operands]
    # The per-checkpoint reads (its VSSD and setting data), outside the host lock.
    if not ctx.model.costs.charge_objects(ctx.invocation.name, ctx.stop_requested, len(objects)):
        return
    for obj in objects:
        if ctx.stop_requested.is_set():
            return
        ctx.write_output(obj)
