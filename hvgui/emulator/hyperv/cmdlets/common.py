"""Shared pieces of the cmdlet implementations: the per-operand error handling and state changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from hvgui.emulator.runtime import CmdletError

from .. import errors, views
from ..context import CommandContext, PromptNotPossible
from ..vm import Action, AlreadyInState, EmulatedVm, InvalidState

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


def change_state(ctx: CommandContext, vm: EmulatedVm, action: Action) -> bool:
    """`VirtualMachine.ChangeState`: True when a transition started; a warning when already there."""
    now = ctx.now()
    try:
        vm.change_state(action, now)
    except AlreadyInState:
        ctx.write_warning(errors.ALREADY_IN_DESIRED_STATE)
        return False
    except InvalidState:
        raise OperandFailed(errors.invalid_state(ctx.invocation, views.vm_object(ctx.model, vm, now))) from None
    return True


def validate_as_job_and_passthru(ctx: CommandContext) -> bool:
    """`VirtualizationCmdletBase.ValidateParameters`; the error is non-terminating and skips the record."""
    if ctx.bound.switch("AsJob") and ctx.bound.switch("Passthru"):
        ctx.write_error(errors.invalid_argument(ctx.invocation, errors.AS_JOB_AND_PASSTHRU))
        return False
    return True


def passthru(ctx: CommandContext, vm: EmulatedVm) -> None:
    if ctx.bound.switch("Passthru"):
        ctx.write_output(views.vm_object(ctx.model, vm, ctx.now()))
