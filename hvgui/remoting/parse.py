"""Pure parsers from what a host sends to domain objects.

Hosts differ (versions, locales, a VM mid-transition), so parsing is forgiving about values and strict
about shape: an enum value hvgui does not know becomes the enum's "unknown" member instead of an error,
a missing number becomes 0, and only an answer that is not an inventory at all raises ProtocolError.
"""

from __future__ import annotations

import datetime
import enum
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from hvgui.domain.checkpoints import Checkpoint, SnapshotType
from hvgui.domain.errors import ProtocolError
from hvgui.domain.integration import ComponentStatus, IntegrationServiceState
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Inventory, Vm, VmState
from hvgui.remoting.json_pieces import loads_in_pieces

log = logging.getLogger(__name__)

#: The newest `Get-HvGuiInventory` schema this parser knows; newer ones are read as far as they match.
INVENTORY_SCHEMA = 3
#: A boot time may differ by this many seconds between two answers without being news: the host derives it
#: from a clock reading and an uptime taken a moment apart, so its last digit wobbles from call to call.
BOOT_WOBBLE_SECONDS = 2

E = TypeVar("E", bound=enum.IntEnum)


@dataclass(frozen=True)
class InventoryReport:
    """One parsed `Get-HvGuiInventory` answer."""

    inventory: Inventory
    host_name: str  # the computer name the host reports ($env:COMPUTERNAME)
    schema: int


@dataclass(frozen=True)
class VmHostInfo:
    """The parts of `Get-VMHost` the window shows."""

    name: str
    fully_qualified_domain_name: str
    logical_processor_count: int
    memory_capacity: int  # bytes
    virtual_machine_path: str
    virtual_hard_disk_path: str


# --- Get-HvGuiInventory JSON ---------------------------------------------------------------------------


def parse_inventory(text: str, *, host: str, fetched_at: float) -> InventoryReport:
    """Parse the JSON string `Get-HvGuiInventory` writes (schema in `HvGui.ps1`).

    Schemas 1 (Get-VM based) and 2 (bulk CIM based) carry the same keys and send uptimes (`up`, seconds);
    3 sends boot times (`boot`, Unix seconds) instead. A newer one is read as far as its keys match.

    `host` is the session key every VM is filed under.

    The guest keys `os`, `osv` and `ptype` are optional: a host module that predates them, or
    a guest that reports nothing, gives None.
    """
    return InventoryReader(host).read(text, fetched_at=fetched_at)


class InventoryReader:
    """Parses the successive inventories of one host, building a `Vm` only for an entry that changed.

    On a quiet host almost every entry is the same from one refresh to the next; such an entry keeps the
    `Vm` object of the previous answer (the same object, so a diff sees "unchanged" at once). This keeps a
    refresh of a 1,000-VM host cheap in CPU and in garbage. Not thread-safe: one reader per host, used by one
    refresh at a time (the session's fetch lock).
    """

    def __init__(self, host: str) -> None:
        self.host = host
        #: The previous answer's entries and the Vm read from each, by VM id.
        self._previous: dict[str, tuple[dict[str, Any], Vm]] = {}

    def read(self, text: str, *, fetched_at: float) -> InventoryReport:
        try:
            # In pieces: this runs on a worker thread while the Qt thread paints (see json_pieces).
            document = loads_in_pieces(text)
        except (TypeError, ValueError) as exc:
            raise ProtocolError(
                "The host's inventory answer is not valid JSON.", hint="The host module may be damaged; reconnect."
            ) from exc
        if not isinstance(document, dict) or not isinstance(document.get("vms"), list):
            raise ProtocolError("The host's inventory answer has no VM list.", hint="The host module may be outdated.")
        schema = _int(document.get("v"), default=0)
        if schema > INVENTORY_SCHEMA:
            log.info("inventory schema %s is newer than %s; reading the fields it knows", schema, INVENTORY_SCHEMA)
        previous = self._previous
        current: dict[str, tuple[dict[str, Any], Vm]] = {}
        vms = []
        for entry in document["vms"]:
            if isinstance(entry, dict) and "boot" not in entry and "up" in entry:  # schemas 1 and 2
                up = _int(entry.get("up"))
                entry["boot"] = int(fetched_at - up) if up > 0 else None
            known = (
                previous.get(entry.get("id")) if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None
            )
            services = None
            if known is not None:
                _keep_steady_boot(entry, known[0])
                if entry == known[0]:
                    current[entry["id"]] = known
                    vms.append(known[1])
                    continue
                if entry.get("ic") == known[0].get("ic"):  # a new CPU figure: the same services, same objects
                    services = known[1].integration_services
            vm = _vm_from_json(entry, self.host, services)
            if vm is not None:
                vms.append(vm)
                if isinstance(entry.get("id"), str):
                    current[entry["id"]] = (entry, vm)
        self._previous = current
        unreadable = len(document["vms"]) - len(vms)  # each one was logged by _vm_from_json
        inventory = Inventory(host=self.host, vms=tuple(vms), fetched_at=fetched_at, unreadable=unreadable)
        return InventoryReport(inventory, _str(document.get("host")), schema)


def _keep_steady_boot(entry: dict[str, Any], before: dict[str, Any]) -> None:
    """Keep the previous boot time when the new one differs by no more than the host's rounding wobble."""
    new, old = entry.get("boot"), before.get("boot")
    if new == old or not isinstance(new, (int, float)) or not isinstance(old, (int, float)):
        return
    if abs(new - old) <= BOOT_WOBBLE_SECONDS:
        entry["boot"] = old


def _vm_from_json(entry: Any, host: str, services: tuple[IntegrationServiceState, ...] | None = None) -> Vm | None:
    """One VM of the answer; `services`, when given, are the already-read services of this same entry."""
    if not isinstance(entry, dict):
        log.warning("skipping an inventory entry that is not an object: %r", entry)
        return None
    vm_id = _str(entry.get("id")).strip().lower()
    if not vm_id:
        log.warning("skipping an inventory entry without an id: %r", entry)
        return None
    state = _enum(VmState, entry.get("state"), VmState.Other)
    if services is None:
        items = entry.get("ic")
        services = tuple(s for s in (_service_from_json(item) for item in items or () if isinstance(items, list)) if s)
    return Vm(
        host=host,
        vm_id=vm_id,
        name=_str(entry.get("name")),
        state=state,
        heartbeat=_optional_enum(HeartbeatStatus, entry.get("hb"), HeartbeatStatus.Unknown),
        status=_str(entry.get("status")),
        booted_at=_boot_time(entry.get("boot")) if state.is_running else None,
        cpu_usage=_int(entry.get("cpu")),
        memory_assigned=max(0, _int(entry.get("mem"))),
        generation=_int(entry.get("gen")),
        version=_str(entry.get("ver")),
        checkpoint_type=_optional_enum(CheckpointType, entry.get("cp"), None),
        is_clustered=entry.get("cl") is True,
        integration_services=services,
        guest_os_name=_optional_text(entry.get("os")),
        guest_os_version=_optional_text(entry.get("osv")),
        guest_product_type=_optional_int(entry.get("ptype")),
        memory_demand=_optional_int(entry.get("dem")),
        notes=_str(entry.get("notes")),
        checkpoint_count=_optional_int(entry.get("snaps")),
        integration_services_version=_optional_text(entry.get("isv")),
    )


def _service_from_json(entry: Any) -> IntegrationServiceState | None:
    if not isinstance(entry, dict):
        return None
    guid = _str(entry.get("id")).strip().upper()
    if not guid:
        return None
    return IntegrationServiceState(
        ic_guid=guid,
        name=_str(entry.get("name")),
        enabled=entry.get("on") is True,
        primary=_optional_enum(ComponentStatus, entry.get("p"), ComponentStatus.Unknown),
        secondary=_optional_enum(ComponentStatus, entry.get("s"), ComponentStatus.Unknown),
        primary_text=_str(entry.get("pt")),
        secondary_text=_str(entry.get("st")),
    )


# --- deserialized objects (CLIXML through pypsrp) ---------------------------------------------------------


def properties_of(obj: Any) -> dict[str, Any]:
    """All properties of a deserialized object: the .NET ones (`<Props>`) and the extended ones (`<MS>`)."""
    merged: dict[str, Any] = {}
    for name in ("extended_properties", "adapted_properties"):
        found = getattr(obj, name, None)
        if isinstance(found, Mapping):
            merged.update(found)
    return merged


def parse_vm_host(properties: Mapping[str, Any]) -> VmHostInfo:
    """`Microsoft.HyperV.PowerShell.VMHost` as deserialized by pypsrp."""
    return VmHostInfo(
        name=_str(properties.get("Name") or properties.get("ComputerName")),
        fully_qualified_domain_name=_str(properties.get("FullyQualifiedDomainName")),
        logical_processor_count=_int(properties.get("LogicalProcessorCount")),
        memory_capacity=_int(properties.get("MemoryCapacity")),
        virtual_machine_path=_str(properties.get("VirtualMachinePath")),
        virtual_hard_disk_path=_str(properties.get("VirtualHardDiskPath")),
    )


def parse_vm_object(properties: Mapping[str, Any], *, host: str) -> Vm:
    """`Microsoft.HyperV.PowerShell.VirtualMachine` as deserialized by pypsrp (no integration services)."""
    return Vm(
        host=host,
        vm_id=_str(properties.get("Id") or properties.get("VMId")).lower(),
        name=_str(properties.get("Name") or properties.get("VMName")),
        state=_enum(VmState, enum_value(properties.get("State")), VmState.Other),
        heartbeat=_optional_enum(HeartbeatStatus, enum_value(properties.get("Heartbeat")), HeartbeatStatus.Unknown),
        status=_str(properties.get("Status")),
        booted_at=_booted_at(parse_timespan_seconds(properties.get("Uptime"))),
        cpu_usage=_int(properties.get("CPUUsage")),
        memory_assigned=_int(properties.get("MemoryAssigned")),
        generation=_int(properties.get("Generation")),
        version=_str(properties.get("Version")),
        checkpoint_type=_optional_enum(CheckpointType, enum_value(properties.get("CheckpointType")), None),
        is_clustered=properties.get("IsClustered") is True,
    )


def parse_checkpoint(properties: Mapping[str, Any]) -> Checkpoint:
    """`Microsoft.HyperV.PowerShell.VMSnapshot` as deserialized by pypsrp."""
    parent = _str(properties.get("ParentSnapshotId")).strip().lower()
    return Checkpoint(
        checkpoint_id=_str(properties.get("Id")).strip().lower(),
        name=_str(properties.get("Name")),
        vm_id=_str(properties.get("VMId")).strip().lower(),
        vm_name=_str(properties.get("VMName")),
        snapshot_type=_enum(SnapshotType, enum_value(properties.get("SnapshotType")), SnapshotType.Standard),
        is_automatic=properties.get("IsAutomaticCheckpoint") is True,
        creation_time=parse_datetime(properties.get("CreationTime")),
        parent_id=parent or None,
        parent_name=_str(properties.get("ParentSnapshotName")),
        checkpoint_type=_optional_enum(CheckpointType, enum_value(properties.get("CheckpointType")), None),
    )


def parse_datetime(value: Any) -> datetime.datetime | None:
    """A DateTime, which pypsrp leaves as its XML text (`2024-01-15T09:30:00.1234567+01:00`); None if unreadable."""
    if isinstance(value, datetime.datetime):
        return value
    text = _str(value).strip()
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        log.info("unreadable DateTime %r", text)
        return None


def enum_value(value: Any) -> Any:
    """The value of a deserialized enum: pypsrp gives a GenericComplexObject with the int in property_sets."""
    if value is None or isinstance(value, (int, str)):
        return value
    property_sets = getattr(value, "property_sets", None)
    if property_sets:
        return property_sets[0]
    text = str(value)
    return text or None


_TIMESPAN = re.compile(
    r"^(?P<sign>-)?P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_timespan_seconds(value: Any) -> int:
    """Whole seconds of a TimeSpan, which pypsrp leaves as its XML duration text (`PT42M`, `P1DT2H3.5S`)."""
    if isinstance(value, (int, float)):
        return max(0, int(value))
    match = _TIMESPAN.match(_str(value).strip())
    if not match or match.group("sign"):
        return 0
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    total = parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60
    return int(total + parts.get("seconds", 0))


def _booted_at(uptime_seconds: int) -> float | None:
    """The boot time of a VM whose uptime was just read (a Get-VM object); None while it does not run."""
    return float(int(time.time()) - uptime_seconds) if uptime_seconds > 0 else None


def _boot_time(value: Any) -> float | None:
    """A boot time in Unix seconds; None when missing, not a number or not after 1970."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    seconds = _int(value, default=0) if not isinstance(value, float) else int(value)
    return float(seconds) if seconds > 0 else None


# --- forgiving conversions ---------------------------------------------------------------------------------


def _str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return default
    return default


def _optional_text(value: Any) -> str | None:
    """Text a host may leave out: None, a missing key and blank text all mean "not reported"."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = _str(value).strip()
    return text or None


def _optional_int(value: Any) -> int | None:
    """A number a host may leave out; text that is not a number counts as not reported."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _enum(cls: type[E], value: Any, unknown: E) -> E:
    """An enum member from its int (or its name); None and values this version does not know give `unknown`."""
    member = _optional_enum(cls, value, unknown)
    return unknown if member is None else member


def _optional_enum(cls: type[E], value: Any, unknown: E | None) -> E | None:
    """None stays None (a heartbeat while the VM is off); an unknown value becomes `unknown`."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        member = cls.__members__.get(value.strip())
    else:
        number = _int(value, default=-1)
        member = cls._value2member_map_.get(number)
    if member is None:
        log.info("unknown %s value %r", cls.__name__, value)
        return unknown
    return member
