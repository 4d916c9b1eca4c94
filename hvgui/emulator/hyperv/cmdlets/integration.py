"""Get-, Enable- and Disable-VMIntegrationService.

`-Name` matches the host's *localized* component names with wildcards; a VM on which no component
matches gets `No integration component with the given name could be found.` (InvalidParameter), and the
other VMs are still processed (`SelectManyWithLogging`).
"""

from __future__ import annotations

from .. import errors, views, wildcards
from ..context import CommandContext
from ..vm import EmulatedVm
from .common import for_each
from .resolve import resolve_vms


def _components(ctx: CommandContext, vms: list[EmulatedVm]) -> list[tuple[EmulatedVm, str]]:
    """(VM, IC GUID) pairs in the host's order, filtered by -Name; an error for each VM without a match."""
    patterns = ctx.bound.get("Name")
    names = ctx.model.texts.component_names
    selected = []
    for vm in vms:
        guids = [g for g in vm.components if not patterns or wildcards.matches_any(patterns, names[g])]
        if not guids:
            ctx.write_error(errors.invalid_argument(ctx.invocation, errors.COMPONENT_NOT_FOUND))
        selected.extend((vm, g) for g in guids)
    return selected


def get_vm_integration_service(ctx: CommandContext) -> None:
    with ctx.model.lock:
        pairs = _components(ctx, resolve_vms(ctx, name_parameter="VMName"))
        now = ctx.now()
        objects = [views.component_object(ctx.model, vm, guid, now) for vm, guid in pairs]
    for obj in objects:
        if ctx.stop_requested.is_set():
            return
        ctx.write_output(obj)


def _set_enabled(enabled: bool):
    def command(ctx: CommandContext) -> None:
        with ctx.model.lock:
            if ctx.bound.parameter_set == "VMIntegrationService":
                pairs = []
                for obj in ctx.bound.get("VMIntegrationService"):
                    vm = ctx.model.vm_by_id(obj.vm_id)
                    if vm is not None:
                        pairs.append((vm, obj.ic_guid))
            else:
                pairs = _components(ctx, resolve_vms(ctx, name_parameter="VMName"))

        def process(pair: tuple[EmulatedVm, str]) -> None:
            vm, guid = pair
            if not ctx.should_process():
                return
            vm.set_component_enabled(guid, enabled, ctx.now())
            if ctx.bound.switch("Passthru"):
                ctx.write_output(views.component_object(ctx.model, vm, guid, ctx.now()))

        for_each(ctx, pairs, process)

    command.__name__ = f"{'enable' if enabled else 'disable'}_vm_integration_service"
    return command


enable_vm_integration_service = _set_enabled(True)
disable_vm_integration_service = _set_enabled(False)
