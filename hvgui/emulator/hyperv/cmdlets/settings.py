"""Set-VM: change a VM's configuration (decompiled `SetVM.ProcessOneOperand`).

The model applies -CheckpointType, -AutomaticCheckpointsEnabled, -Notes and -NewVMName, and validates the
memory switches as the cmdlet does. Every other documented parameter binds strictly (type, validation) but
is accepted without effect: the emulator models no processor, memory, start/stop-action, path or MMIO
settings beyond what Get-VM reports from the scenario.
"""

from __future__ import annotations

from .. import errors
from ..context import CommandContext
from ..reference import CheckpointType
from ..vm import EmulatedVm
from .common import OperandFailed, for_each, passthru
from .resolve import resolve_vms

#: resx VMMemoryParameterMixMatching
MEMORY_PARAMETER_MIX = (
    "Dynamic and static memory settings cannot be specified together. To set maximum memory, minimum memory and "
    "buffer settings, turn on Dynamic Memory as well."
)


def _check_memory_switches(ctx: CommandContext, vm: EmulatedVm) -> None:
    bound = ctx.bound
    dynamic = bound.switch("DynamicMemory") or "MemoryMinimumBytes" in bound or "MemoryMaximumBytes" in bound
    if (dynamic and bound.switch("StaticMemory")) or (
        dynamic and not bound.switch("DynamicMemory") and not vm.hardware.dynamic_memory
    ):
        raise OperandFailed(errors.invalid_argument(ctx.invocation, MEMORY_PARAMETER_MIX))


def set_vm(ctx: CommandContext) -> None:
    bound = ctx.bound
    with ctx.model.lock:
        vms = resolve_vms(ctx)

    def process(vm: EmulatedVm) -> None:
        if not ctx.should_process():
            return
        _check_memory_switches(ctx, vm)
        hardware = vm.hardware
        if "AutomaticCheckpointsEnabled" in bound:
            hardware.automatic_checkpoints = bool(bound.get("AutomaticCheckpointsEnabled"))
        if bound.get("NewVMName"):
            vm.name = bound.get("NewVMName")
            vm.kvp.auto_external["VirtualMachineName"] = vm.name
        if bound.get("Notes") is not None:
            hardware.notes = bound.get("Notes")
        if bound.get("CheckpointType") is not None:
            hardware.checkpoint_type = CheckpointType[bound.get("CheckpointType")]
        passthru(ctx, vm)

    for_each(ctx, vms, process)
