"""The functions of hvgui's host-side module (`HvGui.ps1`) that the emulator implements.

A runspace knows these only after the module text was loaded into it (see `scripts.py`); before that a
call fails with CommandNotFoundException, as on a real host.

`Get-HvGuiInventory` writes one string of compact JSON (Contract 2 of the team brief): what the real
PowerShell builds with one Get-VM, one Get-VMIntegrationService, `[pscustomobject]` rows and
`ConvertTo-Json -Depth 5 -Compress`.
"""

from __future__ import annotations

import json
from typing import Any

from .context import Command, CommandContext
from .host import HostModel

INVENTORY_VERSION = 1

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


#: Function name (lower case) -> implementation.
FUNCTIONS: dict[str, tuple[str, Command]] = {
    "get-hvguiinventory": ("Get-HvGuiInventory", get_hvgui_inventory),
}
