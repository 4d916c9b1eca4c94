"""Get-, Enable- and Disable-VMIntegrationService.

`-Name` matches the host's *localized* component names with wildcards; a VM on which no component
matches gets `No integration component with the given name could be found.` (InvalidParameter), and the
other VMs are still processed (`SelectManyWithLogging`). A checkpoint's components (-VMSnapshot) are its
saved settings: they report no status, and enabling or disabling one changes the checkpoint only.

Enabling a component that is enabled (or disabling a disabled one) succeeds silently: the cmdlet sets
`Enabled` and puts the settings whatever they were (decompiled EnableVMIntegrationService), no warning.

Costs: Get-VMIntegrationService reads one status per component of a VM plus the VM's integration settings
(plausible WS2022 behaviour), cached per VM like Get-VM's reads; Enable/Disable pay the per-component WMI put.
"""

from __future__ import annotations

from .. import checkpoints, errors, views, wildcards
from ..checkpoints import Snapshot
from ..context import CommandContext
from ..vm import EmulatedVm
from .common import for_each
from .resolve import resolve_vms

#: (VM, IC GUID, the checkpoint the component belongs to or None for the VM's own)
Component = tuple[EmulatedVm, str, Snapshot | None]


def _owners(ctx: CommandContext) -> list[tuple[EmulatedVm, Snapshot | None]]:
    if ctx.bound.parameter_set == "VMSnapshot":
        obj = ctx.bound.get("VMSnapshot")
        vm = ctx.model.vm_by_id(obj.vm_id)
        snapshot = checkpoints.find(vm, obj.snapshot_id) if vm is not None else None
        return [(vm, snapshot)] if vm is not None and snapshot is not None else []
    return [(vm, None) for vm in resolve_vms(ctx, name_parameter="VMName")]


def _components(ctx: CommandContext, owners: list[tuple[EmulatedVm, Snapshot | None]]) -> list[Component]:
    """Components in the host's order, filtered by -Name; an error for each VM without a match."""
    patterns = ctx.bound.get("Name")
    names = ctx.model.texts.component_names
    selected: list[Component] = []
    for vm, snapshot in owners:
        guids = [g for g in vm.components if not patterns or wildcards.matches_any(patterns, names[g])]
        if not guids:
            ctx.write_error(errors.invalid_argument(ctx.invocation, errors.COMPONENT_NOT_FOUND))
        selected.extend((vm, g, snapshot) for g in guids)
    return selected


def get_vm_integration_service(ctx: CommandContext) -> None:
    with ctx.model.lock:
        owners = _owners(ctx)
    # One VM (or checkpoint) at a time: its WMI reads (one per component, plus its settings), then its components.
    costs, stop = ctx.model.costs, ctx.stop_requested
    for vm, snapshot in owners:
        key = ("integration", vm.id if snapshot is None else snapshot.id)
        if not costs.charge_wmi_reads(stop, [key], len(vm.components) + 1, ctx.now()):
            return
        with ctx.model.lock:
            components = _components(ctx, [(vm, snapshot)])
            now = ctx.now()
            objects = [views.component_object(ctx.model, v, guid, now, s) for v, guid, s in components]
        for obj in objects:
            if stop.is_set():
                return
            ctx.write_output(obj)


def _set_enabled(enabled: bool):
    def command(ctx: CommandContext) -> None:
        with ctx.model.lock:
            if ctx.bound.parameter_set == "VMIntegrationService":
                components: list[Component] = []
                for obj in ctx.bound.get("VMIntegrationService"):
                    vm = ctx.model.vm_by_id(obj.vm_id)
                    snapshot = checkpoints.find(vm, obj.snapshot_id) if vm is not None else None
                    if vm is not None and (obj.snapshot_id is None or snapshot is not None):
                        components.append((vm, obj.ic_guid, snapshot))
            else:
                components = _components(ctx, [(vm, None) for vm in resolve_vms(ctx, name_parameter="VMName")])

        def process(component: Component) -> None:
            vm, guid, snapshot = component
            if not ctx.should_process():
                return
            if snapshot is not None:
                snapshot.components_enabled[guid] = enabled
            else:
                vm.set_component_enabled(guid, enabled, ctx.now())
            if ctx.bound.switch("Passthru"):
                ctx.write_output(views.component_object(ctx.model, vm, guid, ctx.now(), snapshot))

        for_each(ctx, components, process)

    command.__name__ = f"{'enable' if enabled else 'disable'}_vm_integration_service"
    return command


enable_vm_integration_service = _set_enabled(True)
disable_vm_integration_service = _set_enabled(False)
