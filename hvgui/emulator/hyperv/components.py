"""The integration components a Hyper-V host knows, from the vendored reference (`hyperv-api.md` §4.3).

The emulator's model and cmdlets identify components by IC GUID, name them with the en-US names the host
reports, and start a new VM's components from the host defaults (the Guest Service Interface is off). All
of that comes from `reference_data.json`, never from hvgui's own catalogue in `hvgui.domain`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .reference import DATA


@dataclass(frozen=True)
class ServiceInfo:
    """One integration component as a host defines it."""

    key: str
    ic_guid: str  # upper case, the suffix of the component's `Id`
    name: str  # en-US name as the host reports it
    windows_service: str
    linux_daemon: str
    wmi_class: str
    enabled_by_default: bool


#: The six integration components, in the order Hyper-V lists them (alphabetical by en-US name).
INTEGRATION_COMPONENTS: tuple[ServiceInfo, ...] = tuple(ServiceInfo(**e) for e in DATA["integration_components"])

_BY_KEY = {s.key: s for s in INTEGRATION_COMPONENTS}
GUEST_SERVICE_INTERFACE = _BY_KEY["guestservice"]
HEARTBEAT = _BY_KEY["heartbeat"]
KVP = _BY_KEY["kvp"]
SHUTDOWN = _BY_KEY["shutdown"]
TIME_SYNC = _BY_KEY["timesync"]
VSS = _BY_KEY["vss"]
