"""The functions of hvgui's host-side module (`HvGui.ps1`) that the emulator implements.

A runspace knows these only after the module text was loaded into it (see `scripts.py`); before that a
call fails with CommandNotFoundException, as on a real host.

`Get-HvGuiInventory` writes one string of compact JSON (schema in `hvgui/remoting/ps/HvGui.ps1`): what the
real PowerShell builds with one Get-VM, one Get-VMIntegrationService, `[pscustomobject]` rows and
`ConvertTo-Json -Depth 5 -Compress`. Each VM row also carries `os`, `osv` and `ptype` from the guest
intrinsic KVP items (`Msvm_KvpExchangeComponent.GuestIntrinsicExchangeItems` on a host), null
when the VM does not run or its KVP service gives nothing.

`Set-HvGuiIntegrationService -VMId <Guid> -ComponentId <String> -Enabled <Boolean>` toggles one
integration service identified by its IC GUID, the way the module's PowerShell does it:
`Get-VM -Id $VMId -ErrorAction Stop | Get-VMIntegrationService | Where-Object { $_.Id -like "*\\$ComponentId" }`,
then `Enable-`/`Disable-VMIntegrationService -VMIntegrationService $c`. A missing VM fails the call with
Get-VM's own error; a ComponentId that matches nothing writes `No integration component with the given name
could be found.` (InvalidParameter, an ArgumentException the function writes itself).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from psrpcore.types import ErrorCategory

from hvgui.emulator.runtime import TerminatingError

from . import errors, views, wildcards
from .context import Command, CommandContext
from .errors import Invocation
from .host import HostModel

INVENTORY_VERSION = 1
_GET_VM = Invocation("Get-VM", "Microsoft.HyperV.PowerShell.Commands.GetVM")
_ARGUMENT_EXCEPTION = ("System.ArgumentException", "System.SystemException", "System.Exception", "System.Object")

#: plausible WS2022 behaviour: Windows PowerShell 5.1's ConvertTo-Json (built on JavaScriptSerializer) escapes
#: these characters even inside strings; a JSON parser reads them back unchanged.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}


def inventory(model: HostModel) -> dict[str, Any]:
    """The inventory document of one host (call with the host's lock held)."""
    now = model.now()
    names = model.texts.component_names
    rows = []
    for vm in model.vms_by_name():
        heartbeat = vm.heartbeat(now)
        components = []
        for guid in vm.components:
            status = vm.component_status(guid, now)
            texts = vm.component_descriptions(guid, now, model.texts)
            components.append(
                {
                    "id": guid,
                    "name": names[guid],
                    "on": vm.components[guid].enabled,
                    "p": int(status[0]) if status else None,
                    "s": int(status[1]) if len(status) > 1 else None,
                    "pt": texts[0] if texts else "",
                    "st": texts[1] if len(texts) > 1 else "",
                }
            )
        kvp = vm.kvp_intrinsic_items(now)
        product_type = kvp.get("ProductType", "")
        rows.append(
            {
                "id": str(vm.id),
                "name": vm.name,
                "state": int(vm.state(now)),
                "hb": int(heartbeat) if heartbeat is not None else None,
                "status": model.texts.operating_normally,
                "up": int(vm.uptime(now)),
                "cpu": vm.cpu_usage(now),
                "mem": vm.memory_assigned(now),
                "gen": vm.hardware.generation,
                "ver": vm.hardware.version,
                "cp": int(vm.hardware.checkpoint_type),
                "cl": vm.hardware.is_clustered,
                "ic": components,
                "os": kvp.get("OSName") or None,
                "osv": kvp.get("OSVersion") or None,
                "ptype": int(product_type) if product_type.isdigit() else None,
            }
        )
    return {"v": INVENTORY_VERSION, "host": model.name, "vms": rows}


def to_compressed_json(document: Any) -> str:
    """`ConvertTo-Json -Compress` as Windows PowerShell 5.1 writes it."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def get_hvgui_inventory(ctx: CommandContext) -> None:
    with ctx.model.lock:
        document = inventory(ctx.model)
    ctx.write_output(to_compressed_json(document))


def set_hvgui_integration_service(ctx: CommandContext) -> None:
    bound = ctx.bound
    vm_id, enabled = bound.get("VMId"), bool(bound.get("Enabled"))
    pattern = "*\\" + bound.get("ComponentId")  # PowerShell's "*\\$ComponentId": the backslash is literal
    with ctx.model.lock:
        vm = ctx.model.vm_by_id(vm_id)
        if vm is None:
            # Get-VM -Id ... -ErrorAction Stop: its error ends the function and fails the pipeline.
            raise TerminatingError(errors.vm_not_found_by_id(_GET_VM, str(vm_id)))
        guids = [g for g in vm.components if wildcards.matches(pattern, views.component_id(vm, g))]
        if not guids:
            ctx.write_error(
                errors.error(
                    ctx.invocation,
                    errors.COMPONENT_NOT_FOUND,
                    "InvalidParameter",
                    ErrorCategory.InvalidArgument,
                    target=bound.get("ComponentId"),
                    exception_types=_ARGUMENT_EXCEPTION,
                )
            )
            return
        now = ctx.now()
        for guid in guids:
            vm.set_component_enabled(guid, enabled, now)


@dataclass(frozen=True)
class HostFunction:
    """A function of hvgui's host module the emulator implements: its name, parameters and body."""

    name: str
    implementation: Command
    parameters: tuple[tuple[str, str], ...] = ()  # (name, type) of its mandatory parameters, in order


#: Function name (lower case) -> the function.
FUNCTIONS: dict[str, HostFunction] = {
    f.name.casefold(): f
    for f in (
        HostFunction("Get-HvGuiInventory", get_hvgui_inventory),
        HostFunction(
            "Set-HvGuiIntegrationService",
            set_hvgui_integration_service,
            (("VMId", "Guid"), ("ComponentId", "String"), ("Enabled", "Boolean")),
        ),
    )
}
