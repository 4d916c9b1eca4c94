"""Shared pieces of the cmdlet implementations: the per-operand error handling, state changes and jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from hvgui.emulator.runtime import CmdletError, ProgressRecord

from .. import errors, views
from ..context import CommandContext, PromptNotPossible
from ..vm import Action, AlreadyInState, EmulatedVm, InvalidState, Job

T = TypeVar("T")


class OperandFailed(Exception):
    """Processing one operand failed; the error is written and the next operand is processed."""

    def __init__(self, error: CmdletError) -> None:
        super().__init__(error.message)
        self.error = error


def for_each(ctx: CommandContext, operands: Iterable[T], process: Callable[[T], None], *, locked: bool = True) -> None:
    """`VirtualizationCmdlet.ProcessOperands`: an error of one operand does not stop the others.

    Each operand is processed under the host lock unless `locked` is False (the process locks itself). Each
    one first pays the cmdlet's per-object cost (the WMI call that starts its job), outside the lock; -WhatIf
    calls nothing and pays nothing.
    """
    costs, name = ctx.model.costs, ctx.invocation.name
    charged = not ctx.bound.switch("WhatIf")
    for operand in operands:
        if ctx.stop_requested.is_set():
            return
        if charged and not costs.charge_objects(name, ctx.stop_requested):
            return
        try:
            if locked:
                with ctx.model.lock:
                    process(operand)
            else:
                process(operand)
        except OperandFailed as failure:
            ctx.write_error(failure.error)
        except PromptNotPossible:
            ctx.write_error(errors.non_interactive(ctx.invocation))


#: The module's task descriptions (resx TaskDescriptions): the Activity of a job's progress records, since
#: the job has no ElementName of its own (hyperv-cim-winrm.md §7). en-US; what a de-DE host shows is unknown.
ACTIVITIES: dict[Action | None, str] = {
    Action.Start: "Start a virtual machine",
    Action.Stop: "Stop a virtual machine",
    Action.ShutDown: "Shut down a virtual machine",
    Action.ForceShutdown: "Shut down a virtual machine",
    Action.Save: "Save a virtual machine",
    Action.Suspend: "Pause a virtual machine",
    Action.Resume: "Resume a virtual machine",
    Action.Restart: "Reset a virtual machine",
    None: "Create a snapshot",  # Checkpoint-VM
}


def change_state(ctx: CommandContext, vm: EmulatedVm, action: Action) -> Job | None:
    """`VirtualMachine.ChangeState`: the job of the transition started; None (a warning) when already there."""
    now = ctx.now()
    try:
        return vm.change_state(action, now)
    except AlreadyInState:
        ctx.write_warning(errors.ALREADY_IN_DESIRED_STATE)
        return None
    except InvalidState:
        raise OperandFailed(errors.invalid_state(ctx.invocation, views.vm_object(ctx.model, vm, now))) from None


def watch(ctx: CommandContext, job: Job | None, *, activity: str | None = None) -> bool:
    """`IOperationWatcher.Watch` (hyperv-cim-winrm.md §7): block until the job ends, writing its progress.

    `do { WriteProgress(progress) } while (!job.WaitForCompletion(1 s))`, then one Completed record: a record
    per `progress_interval` while the job runs (ActivityId 0, StatusDescription "45%", SecondsRemaining -1),
    two Completed records for a job done at once. Only under a cost profile that waits for jobs, and not with
    -AsJob (the module hands the job to a VmJob then). Call without the host lock.

    False when the client stopped the pipeline meanwhile: the cmdlet ends there, but the job goes on (the
    VM still reaches the state it was going to).
    """
    costs, stop = ctx.model.costs, ctx.stop_requested
    if job is None or not costs.waits_for_jobs or ctx.bound.switch("AsJob"):
        return not stop.is_set()
    activity = activity or ACTIVITIES[job.action]
    interval = costs.profile.progress_interval
    first = True
    while True:
        with ctx.model.lock:
            now = ctx.now()
            done, percent = job.done(now), job.percent(now)
        if done and not first:
            break
        write_progress(ctx, activity, percent, completed=done)
        if done:
            break
        first = False
        if not costs.wait(min(interval, job.remaining(now)), stop):
            return False
    write_progress(ctx, activity, 100, completed=True)
    return not stop.is_set()


def write_progress(ctx: CommandContext, activity: str, percent: int, *, completed: bool = False) -> None:
    ctx.sink.write_progress(
        ProgressRecord(
            activity=activity, status_description=f"{percent}%", percent_complete=percent, completed=completed
        )
    )


def validate_as_job_and_passthru(ctx: CommandContext) -> bool:
    """`VirtualizationCmdletBase.ValidateParameters`; the error is non-terminating and skips the record."""
    if ctx.bound.switch("AsJob") and ctx.bound.switch("Passthru"):
        ctx.write_error(errors.invalid_argument(ctx.invocation, errors.AS_JOB_AND_PASSTHRU))
        return False
    return True


def passthru(ctx: CommandContext, vm: EmulatedVm) -> None:
    if ctx.bound.switch("Passthru"):
        ctx.write_output(views.vm_object(ctx.model, vm, ctx.now()))
