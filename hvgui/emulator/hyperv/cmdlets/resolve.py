"""Finding the VMs a command acts on, like the module's `ParameterResolvers.ResolveVirtualMachines`.

Names match case-insensitively; as soon as one name holds a wildcard every name is used as a pattern.
Names without wildcards that match nothing are reported after the lookup: Get-VM as `InvalidParameter`
with the name as target (its ErrorDisplayMode is WriteWarning), every other cmdlet as `ObjectNotFound`.
"""

from __future__ import annotations

from hvgui.emulator.runtime import CmdletError

from .. import errors, wildcards
from ..context import CommandContext
from ..vm import EmulatedVm


def reachable_hosts(ctx: CommandContext) -> bool:
    """Check -ComputerName: the emulator answers only for itself; other computers are unreachable."""
    names = ctx.bound.get("ComputerName")
    if not names:
        return True
    local = False
    for name in names:
        if ctx.model.is_this_host(name):
            local = True
        else:
            ctx.write_error(errors.cannot_connect(ctx.invocation, name))
    return local


def vms_from_objects(ctx: CommandContext) -> list[EmulatedVm]:
    """The VMs behind live VirtualMachine objects (-VM or pipeline input); deleted ones are skipped."""
    found = []
    for obj in ctx.bound.get("VM") or []:
        vm = ctx.model.vm_by_id(obj.vm_id)
        if vm is not None:
            found.append(vm)
    return found


def vms_by_name(ctx: CommandContext, names: list[str] | None, *, get_vm: bool = False) -> list[EmulatedVm]:
    model = ctx.model
    if not names:
        return model.vms_by_name()
    if any(wildcards.contains_wildcard(n) for n in names):
        # plausible WS2022 behaviour: a filtered lookup keeps the host's enumeration (creation) order.
        selected = [vm for vm in model.vms if wildcards.matches_any(names, vm.name)]
    else:
        wanted = {n.casefold() for n in names}
        selected = [vm for vm in model.vms if vm.name.casefold() in wanted]
    present = {vm.name.casefold() for vm in selected}
    for name in names:
        if not wildcards.contains_wildcard(name) and name.casefold() not in present:
            err: CmdletError = (
                errors.vm_not_found_get_vm(ctx.invocation, name)
                if get_vm
                else errors.vm_not_found(ctx.invocation, name)
            )
            ctx.write_error(err)
    return selected


def resolve_vms(ctx: CommandContext, *, name_parameter: str = "Name") -> list[EmulatedVm]:
    """VMs from -VM objects or from names (`Name`, or `VMName` for the integration-service cmdlets)."""
    if "VM" in ctx.bound:
        return vms_from_objects(ctx)
    if not reachable_hosts(ctx):
        return []
    return vms_by_name(ctx, ctx.bound.get(name_parameter))
