"""The functions of hvgui's host-side module (`HvGui.ps1`) that the emulator implements.

A runspace knows these only after the module text was loaded into it (see `scripts.py`); before that a
call fails with CommandNotFoundException, as on a real host.

Each body is the PowerShell text of `HvGui.ps1` written again in Python: it calls the emulator's own cmdlet
and CIM implementations (`calls.invoke`, through the binder, with the parameters the text passes, in the
order the text makes them), so it pays what they cost and raises what they raise, and it reads only what
they return, never the model. `tests/emulator/test_functions_trace.py` compares the calls with the text.

`Get-HvGuiInventory` writes one string of compact JSON (schema v3, documented in `HvGui.ps1`) built from
fourteen bulk CIM queries. `Set-HvGuiIntegrationService -VMId <Guid> -ComponentId <String> -Enabled
<Boolean>` toggles one integration service identified by its IC GUID. `Watch-HvGuiChange` (in `watcher`)
streams what changes until it is stopped.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any

from . import guest_listing, staging, watcher
from .calls import invoke
from .context import Command, CommandContext
from .wildcards import matches

INVENTORY_VERSION = 3
NAMESPACE = "root/virtualization/v2"
TIMEOUT_SEC = 30

#: plausible WS2022 behaviour: Windows PowerShell 5.1's ConvertTo-Json (built on JavaScriptSerializer) escapes
#: these characters even inside strings; a JSON parser reads them back unchanged.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}

SUMMARY_PROPERTIES = [
    "Name", "ElementName", "EnabledState", "HealthState", "Heartbeat", "ApplicationHealth", "ProcessorLoad",
    "MemoryUsage", "UpTime", "StatusDescriptions", "Version", "VirtualSystemSubType", "MemoryAvailable", "Notes",
]  # fmt: skip
SETTING_PROPERTIES = ["InstanceID", "ElementName", "EnabledState"]
DEVICE_PROPERTIES = ["DeviceID", "OperationalStatus", "StatusDescriptions"]
#: Component GUIDs in the order the rows list them, with the class-name stem of each.
ORDER = [
    ("6C09BB55-D683-4DA0-8931-C9BF705F6480", "GuestServiceInterface"),
    ("84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47", "Heartbeat"),
    ("2A34B1C2-FD73-4043-8A5B-DD2159BC743F", "KvpExchange"),
    ("9F8233AC-BE49-4C79-8EE3-E7E1985B2077", "Shutdown"),
    ("2497F4DE-E9FA-4204-80E4-4B75C46419C0", "TimeSync"),
    ("5CED1297-4598-4915-A5FC-AD21BB4D02A4", "Vss"),
]
_CRITICAL = {
    2: 32785, 3: 32786, 4: 32787, 6: 32788, 9: 32789, 10: 32790, 11: 32791, 32773: 32792, 32776: 32793,
    32777: 32794, 32779: 32795, 32780: 32796,
}  # fmt: skip
_HEARTBEAT = {6: 3, 12: 2, 13: 4, 15: 8, 32896: 1}
_WANTED_ITEMS = ("OSName", "OSVersion", "ProductType", "IntegrationServicesVersion")
_INVALID_MEMORY_AVAILABLE = 2**31 - 1


def to_compressed_json(document: Any) -> str:
    """`ConvertTo-Json -Compress` as Windows PowerShell 5.1 writes it."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def _query(ctx: CommandContext, class_name: str, properties: list[str], where: str | None = None) -> list[Any]:
    arguments: list[tuple[str, Any]] = [("Namespace", NAMESPACE), ("ClassName", class_name)]
    if where is not None:
        arguments.append(("Filter", where))
    arguments += [("Property", properties), ("OperationTimeoutSec", TIMEOUT_SEC), ("ErrorAction", "Stop")]
    return invoke(ctx, "Get-CimInstance", arguments)


def _parts(text: Any) -> list[str]:
    """`"Microsoft:<owner>\\<component>".Split(':', '\\')`."""
    return str(text or "").replace("\\", ":").split(":")


def _item(text: str) -> tuple[str, str | None] | None:
    """Name and Data (None without a VALUE) of an embedded Msvm_KvpExchangeDataItem (`[xml]` + constant
    XPath), trimmed; None when it is not such an item."""
    try:
        document = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    if document.tag != "INSTANCE":
        return None
    values = {p.get("NAME"): p.find("VALUE") for p in document.findall("PROPERTY")}
    name, data = values.get("Name"), values.get("Data")
    return (
        ((name.text or "").strip(), (data.text or "").strip() if data is not None else None)
        if name is not None
        else None
    )


def summary_status(summary: Any) -> tuple[int, int | None, str]:
    """A VM's state, heartbeat and status from its `Msvm_SummaryInformation`, the way the Hyper-V module
    computes them (`VMState` with the *Critical states, `VMHeartbeatStatus`, the status text): what the
    inventory and the change watcher both send."""
    state = int(summary.get("EnabledState") or 0)
    health = summary.get("HealthState")
    if health is not None and int(health) != 5 and state in _CRITICAL:
        state = _CRITICAL[state]
    heartbeat = None
    if state != 3:
        beat = int(summary.get("Heartbeat") or 0)
        application = summary.get("ApplicationHealth")
        if beat == 2:
            heartbeat = 6 if application == 2 else 7 if application == 32782 else 5
        else:
            heartbeat = _HEARTBEAT.get(beat, 0)
    descriptions = _list(summary.get("StatusDescriptions"))
    status = ""
    if len(descriptions) > 1 and descriptions[1]:
        status = str(descriptions[1])
    elif descriptions:
        status = str(descriptions[0])
    return state, heartbeat, status


def _list(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def get_hvgui_inventory(ctx: CommandContext) -> None:
    summaries = _query(ctx, "Msvm_SummaryInformation", SUMMARY_PROPERTIES)
    read_at_ms = math.floor(ctx.model.wall_clock() * 1000)  # [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
    realized = _query(
        ctx,
        "Msvm_VirtualSystemSettingData",
        ["InstanceID", "VirtualSystemIdentifier", "UserSnapshotType"],
        "VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'",
    )
    snapshots = _query(
        ctx,
        "Msvm_VirtualSystemSettingData",
        ["InstanceID", "VirtualSystemIdentifier"],
        "VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'",
    )
    settings: dict[str, list[Any]] = {}
    for guid, stem in ORDER:
        extra = ["HostOnlyItems"] if stem == "KvpExchange" else []
        settings[guid] = _query(ctx, f"Msvm_{stem}ComponentSettingData", SETTING_PROPERTIES + extra)
    devices: list[Any] = []
    kvp_devices: list[Any] = []
    for _guid, stem in ORDER:
        if stem == "KvpExchange":
            kvp_devices = _query(ctx, "Msvm_KvpExchangeComponent", [*DEVICE_PROPERTIES, "GuestIntrinsicExchangeItems"])
            devices += kvp_devices
        else:
            devices += _query(ctx, f"Msvm_{stem}Component", DEVICE_PROPERTIES)

    vm_ids = {str(s.get("Name") or "").upper() for s in summaries}
    checkpoint_types = {
        str(s.get("VirtualSystemIdentifier") or "").upper(): int(s.get("UserSnapshotType"))
        for s in realized
        if s.get("UserSnapshotType") is not None
    }
    checkpoint_counts: dict[str, int] = {}
    for snapshot in snapshots:
        owner = str(snapshot.get("VirtualSystemIdentifier") or "").upper()
        checkpoint_counts[owner] = checkpoint_counts.get(owner, 0) + 1
    device_by_id = {}
    for device in devices:
        parts = _parts(device.get("DeviceID"))
        if len(parts) >= 3:
            device_by_id[parts[1].upper() + "\\" + parts[2].upper()] = device
    services: dict[str, list[dict[str, Any]]] = {}
    clustered: set[str] = set()
    for guid, _stem in ORDER:
        for setting in settings[guid]:
            parts = _parts(setting.get("InstanceID"))
            if len(parts) < 3 or parts[1].upper() not in vm_ids:
                continue
            owner, component = parts[1].upper(), parts[2].upper()
            device = device_by_id.get(owner + "\\" + component)
            statuses = _list(device.get("OperationalStatus")) if device is not None else []
            texts = _list(device.get("StatusDescriptions")) if device is not None else []
            enabled = setting.get("EnabledState")
            services.setdefault(owner, []).append(
                {
                    "id": component,
                    "name": str(setting.get("ElementName") or ""),
                    "on": enabled is not None and int(enabled) == 2,
                    "p": int(statuses[0]) if statuses else None,
                    "s": int(statuses[1]) if len(statuses) > 1 else None,
                    "pt": str(texts[0]) if texts else "",
                    "st": str(texts[1]) if len(texts) > 1 else "",
                }
            )
            for item in _list(setting.get("HostOnlyItems")):
                if item and "virtualmachineisclustered" in item.casefold():
                    parsed = _item(item)
                    if parsed is not None and parsed[0].casefold() == "virtualmachineisclustered":  # -eq
                        clustered.add(owner)

    guests: dict[str, dict[str, str]] = {}
    for kvp in kvp_devices:
        parts = _parts(kvp.get("DeviceID"))
        items = kvp.get("GuestIntrinsicExchangeItems")
        if len(parts) < 3 or items is None:
            continue
        facts: dict[str, str] = {}
        for item in _list(items):
            if not item or not any(w in item for w in _WANTED_ITEMS):
                continue
            parsed = _item(item)
            if parsed is None or parsed[1] is None:
                continue
            # `-contains` and hashtable keys ignore case; the substring test above does not (Ordinal).
            wanted = next((w for w in _WANTED_ITEMS if w.casefold() == parsed[0].casefold()), None)
            if wanted is not None:
                facts[wanted] = parsed[1]
        guests[parts[1].upper()] = facts

    rows = []
    for summary in summaries:
        key = str(summary.get("Name") or "").upper()
        state, heartbeat, status = summary_status(summary)
        facts = guests.get(key, {})
        product_type = facts.get("ProductType", "")
        available, usage = summary.get("MemoryAvailable"), summary.get("MemoryUsage")
        demand = None
        if available is not None and int(available) != _INVALID_MEMORY_AVAILABLE and usage is not None:
            demand = math.floor(float(usage) * (100 - int(available)) / 100) * 1048576
        rows.append(
            {
                "id": key.lower(),
                "name": str(summary.get("ElementName") or ""),
                "state": state,
                "hb": heartbeat,
                "status": status,
                "boot": _boot(read_at_ms, summary.get("UpTime")),
                "cpu": int(summary.get("ProcessorLoad") or 0),
                "mem": int(summary.get("MemoryUsage") or 0) * 1048576,
                "gen": 2 if summary.get("VirtualSystemSubType") == "Microsoft:Hyper-V:SubType:2" else 1,
                "ver": str(summary.get("Version") or ""),
                "cp": checkpoint_types.get(key),
                "cl": key in clustered,
                "os": facts.get("OSName") or None,
                "osv": facts.get("OSVersion") or None,
                "ptype": int(product_type) if product_type.strip().lstrip("-").isdigit() else None,
                "dem": demand,
                "notes": str(summary.get("Notes") or ""),
                "snaps": checkpoint_counts.get(key, 0),
                "isv": facts.get("IntegrationServicesVersion") or None,
                "ic": services.get(key, []),
            }
        )
    if not ctx.stop_requested.is_set():  # a stopped query returned nothing: no partial inventory leaves
        ctx.write_output(to_compressed_json({"v": INVENTORY_VERSION, "host": ctx.model.name, "vms": rows}))


def _boot(read_at_ms: float, uptime_ms: Any) -> int | None:
    """When a VM started (whole Unix seconds), from the moment the uptimes were read; None while UpTime is 0."""
    if uptime_ms is None or float(uptime_ms) <= 0:
        return None
    return math.floor((read_at_ms - float(uptime_ms)) / 1000)


def _escape_wildcards(text: str) -> str:
    """`[WildcardPattern]::Escape`: a backtick before every wildcard character and backtick."""
    return "".join("`" + c if c in "*?[]`" else c for c in text)


def _property(obj: Any, name: str) -> Any:
    meta = obj.PSObject
    for prop in (*meta.adapted_properties, *meta.extended_properties):
        if prop.name.casefold() == name.casefold():
            return prop.get_value(obj)
    return None


def set_hvgui_integration_service(ctx: CommandContext) -> None:
    bound = ctx.bound
    enabled = bool(bound.get("Enabled"))
    vms = invoke(ctx, "Get-VM", [("Id", bound.get("VMId")), ("ErrorAction", "Stop")])
    literal_id = _escape_wildcards(bound.get("ComponentId"))
    pattern = "*\\" + literal_id
    found = invoke(ctx, "Get-VMIntegrationService", [("VM", vms)])
    components = [c for c in found if matches(pattern, str(_property(c, "Id") or ""))]
    cmdlet = "Enable-VMIntegrationService" if enabled else "Disable-VMIntegrationService"
    if not components:
        # The module reports a GUID no component has in its own words ("No integration component with the
        # given name could be found."); a name holding a backslash matches no service.
        invoke(ctx, cmdlet, [("VM", vms), ("Name", pattern), ("Confirm", False)])
        return
    invoke(ctx, cmdlet, [("VMIntegrationService", components), ("Confirm", False)])


def _kvp_pools(ctx: CommandContext) -> None:
    from .kvp_functions import get_hvgui_kvp_pools  # it reuses this module's helpers

    get_hvgui_kvp_pools(ctx)


def _set_kvp_items(ctx: CommandContext) -> None:
    from .kvp_functions import set_hvgui_kvp_items

    set_hvgui_kvp_items(ctx)


@dataclass(frozen=True)
class HostFunction:
    """A function of hvgui's host module the emulator implements: its name, parameters and body."""

    name: str
    implementation: Command
    parameters: tuple[tuple[str, ...], ...] = ()  # (name, type[, validation]) of its mandatory parameters, in order
    optional: tuple[tuple[str, str], ...] = ()  # (name, type) of its optional parameters (switches)


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
        HostFunction(
            "Watch-HvGuiChange",
            watcher.watch_hvgui_change,
            (),
            tuple((name, "Int32") for name in watcher.DEFAULTS),
        ),
        HostFunction("Get-HvGuiCopyTarget", staging.get_hvgui_copy_target, (("VMId", "Guid"),)),
        HostFunction(
            "Write-HvGuiStagedChunk",
            staging.write_hvgui_staged_chunk,
            (("TransferId", "Guid"), ("Offset", "Int64"), ("Data", "Byte[]", "not_null")),
        ),
        HostFunction(
            "Get-HvGuiStagedFile",
            staging.get_hvgui_staged_file,
            (("TransferId", "Guid"),),
            (("Sha256", "SwitchParameter"),),
        ),
        HostFunction("Remove-HvGuiStagedFile", staging.remove_hvgui_staged_file, (("TransferId", "Guid"),)),
        HostFunction(
            "Remove-HvGuiStaleStagedFile", staging.remove_hvgui_stale_staged_file, (("OlderThanHours", "Int32"),)
        ),
        HostFunction(
            "Copy-HvGuiGuestItemToStaging",
            staging.copy_hvgui_guest_item_to_staging,
            (("VMId", "Guid"), ("Credential", "PSCredential"), ("Path", "String"), ("TransferId", "Guid")),
        ),
        HostFunction(
            "Get-HvGuiGuestChildItem",
            guest_listing.get_hvgui_guest_child_item,
            (("VMId", "Guid"), ("Credential", "PSCredential")),
            (("Path", "String"), ("Limit", "Int32")),
        ),
        HostFunction(
            "Read-HvGuiStagedChunk",
            staging.read_hvgui_staged_chunk,
            (("TransferId", "Guid"), ("RelativePath", "String"), ("Offset", "Int64"), ("Length", "Int32")),
        ),
        HostFunction("Get-HvGuiKvpPools", _kvp_pools, (), (("VMId", "Guid[]"),)),
        HostFunction(
            "Set-HvGuiKvpItems",
            _set_kvp_items,
            (
                ("VMId", "Guid[]"),
                ("Name", "String[]", "not_null"),
                ("Value", "String[]", "not_null"),
                ("Action", "String[]", "not_null"),
            ),
            (("HostOnly", "SwitchParameter"),),
        ),
        HostFunction(
            "Copy-HvGuiStagedFileToGuest",
            staging.copy_hvgui_staged_file_to_guest,
            (("VMId", "Guid"), ("TransferId", "Guid"), ("DestinationPath", "String")),
            (("CreateFullPath", "SwitchParameter"), ("Force", "SwitchParameter")),
        ),
    )
}
