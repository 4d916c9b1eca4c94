"""Get-VM and the power cmdlets: Start-, Stop-, Save-, Restart-, Suspend- and Resume-VM.

Each follows its decompiled `ProcessOneOperand` (hyperv-api.md §2.2): the state-transition map decides what
is allowed, "already in the specified state" is a warning, and anything that would ask the user
(`ShouldContinue`) fails in a remote runspace unless -Force or -AsJob answers for it.

Automatic checkpoints (`AutomaticCheckpointsEnabled`): Start-VM takes one before it starts an Off VM, and
Stop-VM deletes the VM's parent checkpoint after a shutdown or turn-off when it is an automatic one (§2.2).

Each state change is a host job (`vm.Job`). Under a cost profile that waits for jobs (`realistic`) the cmdlet
blocks until the job ends, writing progress records (`common.watch`), and only then writes -Passthru output
or moves to the next VM; a client that stops the pipeline meanwhile ends the cmdlet, not the job. Under
`instant` the cmdlet returns as soon as the job started, and the VM goes on through its transition.

plausible WS2022 behaviour: -AsJob starts the operation and returns at once, writing no job object (the
emulator has no job repository); it still counts as the answer to ShouldContinue, as in the module.
"""

from __future__ import annotations

import contextlib

from .. import checkpoints, errors, views
from .. import components as ic
from ..context import CommandContext
from ..reference import ComponentStatus, VmState
from ..vm import Action, EmulatedVm, Job
from .common import OperandFailed, change_state, for_each, passthru, validate_as_job_and_passthru, watch
from .resolve import reachable_hosts, resolve_vms, vms_by_name

#: How often Restart-VM -Wait looks at the VM, in real seconds (it also honours -Delay, whichever is shorter).
WAIT_POLL_SECONDS = 0.05

#: The WMI reads the module does for each VirtualMachine it writes (hyperv-cim-winrm.md §8 "≥1 WMI query per
#: VM (summary refresh, settings, …)"; DEC `VirtualMachine`): the Msvm_SummaryInformation refresh, the
#: VSSD (settings), the memory and processor setting data, and the IsClustered / Generation / Version re-reads.
#: Cached per VM for the module's cache time (`CostProfile.module_cache_seconds`). plausible WS2022 behaviour.
GET_VM_READS_PER_VM = 6


def get_vm(ctx: CommandContext) -> None:
    bound = ctx.bound
    with ctx.model.lock:
        if bound.parameter_set == "ClusterObject":
            # plausible WS2022 behaviour: this host is not clustered, so no cluster object resolves to a VM.
            ctx.write_error(
                errors.invalid_argument(
                    ctx.invocation, "The specified object is not a virtual machine cluster group or resource."
                )
            )
            return
        if not reachable_hosts(ctx):
            return
        if bound.parameter_set == "Id":
            vm_id = bound.get("Id")
            vm = ctx.model.vm_by_id(vm_id)
            if vm is None:
                ctx.write_error(errors.vm_not_found_by_id(ctx.invocation, str(vm_id)))
                return
            vms = [vm]
        else:
            vms = vms_by_name(ctx, bound.get("Name"), get_vm=True)
    # One VM at a time, as the module streams them: the reads of a VM, then the VM, then the next one.
    costs, stop = ctx.model.costs, ctx.stop_requested
    for vm in vms:
        if not costs.charge_wmi_reads(stop, [("vm", vm.id)], GET_VM_READS_PER_VM, ctx.now()):
            return
        with ctx.model.lock:
            obj = views.vm_object(ctx.model, vm, ctx.now())
        if stop.is_set():
            return
        ctx.write_output(obj)


def _take_automatic_checkpoint(ctx: CommandContext, vm: EmulatedVm) -> None:
    """`VirtualMachine.TakeAutomaticCheckpoint`: a failure is only traced, never reported."""
    now = ctx.now()
    if not vm.hardware.automatic_checkpoints or vm.state(now) is not VmState.Off:
        return
    with contextlib.suppress(checkpoints.CheckpointsDisabled, checkpoints.ProductionCheckpointUnavailable):
        checkpoints.take_checkpoint(vm, now, ctx.model.wall_now(), ctx.model.texts.locale, automatic=True)


def _delete_automatic_checkpoint(vm: EmulatedVm) -> None:
    """`StopVM.DeleteAutomaticCheckpoint`: only when the VM's parent checkpoint is an automatic one."""
    parent = checkpoints.find(vm, vm.parent_snapshot_id)
    if parent is not None and parent.automatic:
        checkpoints.delete(vm, parent)


def _simple(action: Action):
    """Start-VM, Save-VM, Suspend-VM and Resume-VM: one state change per VM, then -Passthru."""

    def command(ctx: CommandContext) -> None:
        if not validate_as_job_and_passthru(ctx):
            return
        with ctx.model.lock:
            vms = resolve_vms(ctx)

        def process(vm: EmulatedVm) -> None:
            with ctx.model.lock:
                if not ctx.should_process():
                    return
                if action is Action.Start:
                    _take_automatic_checkpoint(ctx, vm)
                job = change_state(ctx, vm, action)
            if not watch(ctx, job):
                return
            with ctx.model.lock:
                passthru(ctx, vm)

        # Not under the host lock as a whole: watching a job must let other pipelines run.
        for_each(ctx, vms, process, locked=False)

    command.__name__ = f"{action.value.lower()}_vm"
    return command


start_vm = _simple(Action.Start)
save_vm = _simple(Action.Save)
suspend_vm = _simple(Action.Suspend)
resume_vm = _simple(Action.Resume)


def shutdown_component_available(vm: EmulatedVm, now: float) -> bool:
    """`VirtualMachine.IsShutdownComponentAvailable`: enabled and its primary status is OK."""
    setting = vm.components[ic.SHUTDOWN.ic_guid]
    status = vm.component_status(ic.SHUTDOWN.ic_guid, now)
    return setting.enabled and bool(status) and status[0] is ComponentStatus.Ok


def stop_vm(ctx: CommandContext) -> None:
    bound = ctx.bound
    if not validate_as_job_and_passthru(ctx):
        return
    if bound.switch("Save") and bound.switch("TurnOff"):
        ctx.write_error(errors.invalid_argument(ctx.invocation, errors.SAVE_AND_TURN_OFF))
        return
    with ctx.model.lock:
        vms = resolve_vms(ctx)

    def process(vm: EmulatedVm) -> None:
        stopping = False
        with ctx.model.lock:
            if not ctx.should_process():
                return
            if bound.switch("Save"):
                job = change_state(ctx, vm, Action.Save)
            else:
                stopping = True
                if bound.switch("TurnOff"):
                    job = change_state(ctx, vm, Action.Stop)
                elif vm.state(ctx.now()) is VmState.Off:
                    ctx.write_warning(errors.ALREADY_IN_DESIRED_STATE)
                    job = None
                elif shutdown_component_available(vm, ctx.now()):
                    job = _shut_down(ctx, vm)
                else:
                    ctx.should_continue()  # no Shutdown IC: a host would ask whether to turn the VM off
                    job = change_state(ctx, vm, Action.Stop)
        if not watch(ctx, job):
            return
        with ctx.model.lock:
            if stopping and job is not None:
                _delete_automatic_checkpoint(vm)
            passthru(ctx, vm)

    # Not under the host lock as a whole: watching a shutdown must let other pipelines run.
    for_each(ctx, vms, process, locked=False)


def _shut_down(ctx: CommandContext, vm: EmulatedVm) -> Job | None:
    if not ctx.bound.switch("Force"):
        return change_state(ctx, vm, Action.ShutDown)
    try:
        return change_state(ctx, vm, Action.ForceShutdown)
    except OperandFailed as failure:
        # StopVM.ShutDown: the error is written and the VM is turned off instead.
        ctx.write_error(failure.error)
        return change_state(ctx, vm, Action.Stop)


def restart_vm(ctx: CommandContext) -> None:
    if not validate_as_job_and_passthru(ctx):
        return
    with ctx.model.lock:
        vms = resolve_vms(ctx)

    def process(vm: EmulatedVm) -> None:
        with ctx.model.lock:
            # Restart-VM is a hard reset and always asks first (ShouldContinue) unless -Force or -AsJob
            # (decompiled RestartVM); plausible WS2022 behaviour: remotely that prompt fails like Stop-VM's.
            if not ctx.should_process() or not ctx.should_continue():
                return
            # The module then waits until Uptime drops; the model restarts Uptime at once.
            job = change_state(ctx, vm, Action.Restart)
            if job is None:
                return
        if not watch(ctx, job):
            return
        if ctx.bound.switch("Wait") and not _wait_for(ctx, vm):
            if ctx.stop_requested.is_set():
                return
            raise OperandFailed(errors.operation_failed(ctx.invocation, errors.CONDITION_NOT_SATISFIED))
        with ctx.model.lock:
            passthru(ctx, vm)

    # Not under the host lock as a whole: -Wait must let other pipelines run while it polls.
    for_each(ctx, vms, process, locked=False)


def _wait_for(ctx: CommandContext, vm: EmulatedVm) -> bool:
    """Restart-VM -Wait: poll until the heartbeat is OK (or the guest has an IP address)."""
    bound = ctx.bound
    timeout = bound.get("Timeout", 300)
    delay = max(1, bound.get("Delay", 5))
    wait_for_ip = bound.get("For", "Heartbeat") == "IPAddress"
    deadline = None if timeout == -1 else ctx.now() + timeout
    while True:
        with ctx.model.lock:
            now = ctx.now()
            heartbeat = vm.heartbeat(now)
            ok = heartbeat is not None and heartbeat.is_ok
            if wait_for_ip:
                ok = ok and bool(vm.guest.ipv4)
        if ok:
            return True
        if deadline is not None and now >= deadline:
            return False
        if ctx.stop_requested.wait(min(delay, WAIT_POLL_SECONDS)):
            return False
