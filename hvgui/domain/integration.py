"""The catalogue of Hyper-V integration services and their reported status.

Services are identified by the integration-component GUID at the end of their `Id`
(`Microsoft:<VM-GUID>\\<IC-GUID>`), never by name: hosts report localized names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Impact(enum.Enum):
    """How much the VM loses when the service is disabled (from the product's source document)."""

    High = "High"
    Medium = "Medium"
    Low = "Low"
    Varies = "Varies"


class ComponentStatus(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.VMIntegrationComponentOperationalStatus`."""

    Unknown = 0
    Ok = 2
    Degraded = 3
    Error = 6
    NonRecoverableError = 7
    NoContact = 12
    LostCommunication = 13
    Dormant = 15
    ProtocolMismatch = 32775
    ApplicationCritical = 32782
    CommunicationTimedOut = 32783
    CommunicationFailed = 32784
    Disabled = 32896


@dataclass(frozen=True)
class ServiceInfo:
    """What hvgui knows about one integration service, independent of any host."""

    key: str
    ic_guid: str | None  # None for PowerShell Direct, which is not an integration component
    name: str  # en-US name as the host reports it
    windows_service: str
    linux_daemon: str | None
    purpose: str
    impact: Impact
    impact_text: str
    since: str
    enabled_by_default: bool = True


HEARTBEAT = ServiceInfo(
    "heartbeat",
    "84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47",
    "Heartbeat",
    "vmicheartbeat",
    "hv_utils",
    "Reports that the VM is running correctly: the guest OS booted and answers.",
    Impact.Varies,
    "The VM can no longer report that its OS works; monitoring and host-side diagnostics suffer.",
    "Windows Server 2012 / Windows 8",
)
SHUTDOWN = ServiceInfo(
    "shutdown",
    "9F8233AC-BE49-4C79-8EE3-E7E1985B2077",
    "Shutdown",
    "vmicshutdown",
    "hv_utils",
    "Lets the host ask the guest to shut down cleanly.",
    Impact.High,
    "The host cannot shut the guest down cleanly; every shutdown becomes a hard power-off, "
    "which can lose or corrupt data.",
    "Windows Server 2012 / Windows 8",
)
TIME_SYNC = ServiceInfo(
    "timesync",
    "2497F4DE-E9FA-4204-80E4-4B75C46419C0",
    "Time Synchronization",
    "vmictimesync",
    "hv_utils",
    "Keeps the guest's system clock in step with the host's clock.",
    Impact.High,
    "The guest's clock drifts erratically.",
    "Windows Server 2012 / Windows 8",
)
KVP = ServiceInfo(
    "kvp",
    "2A34B1C2-FD73-4043-8A5B-DD2159BC743F",
    "Key-Value Pair Exchange",
    "vmickvpexchange",
    "hv_kvp_daemon",
    "Exchanges basic metadata between guest and host as key-value pairs.",
    Impact.Medium,
    "Guests running Windows 8 / Windows Server 2012 or older stop receiving integration-service "
    "updates; monitoring and host-side diagnostics may suffer.",
    "Windows Server 2012 / Windows 8",
)
VSS = ServiceInfo(
    "vss",
    "5CED1297-4598-4915-A5FC-AD21BB4D02A4",
    "VSS",
    "vmicvss",
    "hv_vss_daemon",
    "Lets the Volume Shadow Copy Service back up the guest's applications and data without shutting it down.",
    Impact.Varies,
    "The running VM can no longer be backed up with VSS; production checkpoints fall back to standard ones.",
    "Windows Server 2012 / Windows 8",
)
GUEST_SERVICE_INTERFACE = ServiceInfo(
    "guestservice",
    "6C09BB55-D683-4DA0-8931-C9BF705F6480",
    "Guest Service Interface",
    "vmicguestinterface",
    "hv_fcopy_uio_daemon",
    "Gives the host an interface to copy files into the guest (Copy-VMFile).",
    Impact.Low,
    "The host cannot copy files into the guest with Copy-VMFile.",
    "Windows Server 2012 R2 / Windows 8.1",
    enabled_by_default=False,
)
POWERSHELL_DIRECT = ServiceInfo(
    "psdirect",
    None,
    "PowerShell Direct",
    "vmicvmsession",
    None,
    "Runs PowerShell in the guest through a VM session, with no virtual network.",
    Impact.Low,
    "The host cannot connect to the guest with PowerShell Direct.",
    "Windows Server Technical Preview 3 / Windows 10",
)

#: The six integration components, in the order Hyper-V lists them (alphabetical by en-US name).
INTEGRATION_COMPONENTS: tuple[ServiceInfo, ...] = (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
)
#: Every row of the integration-services panel, PowerShell Direct included.
ALL_SERVICES: tuple[ServiceInfo, ...] = (*INTEGRATION_COMPONENTS, POWERSHELL_DIRECT)

_BY_GUID = {s.ic_guid: s for s in INTEGRATION_COMPONENTS}


def ic_guid_from_id(component_id: str) -> str:
    """The IC GUID (upper case) at the end of an integration component `Id`."""
    return component_id.rsplit("\\", 1)[-1].strip().upper()


def service_for_guid(ic_guid: str) -> ServiceInfo | None:
    return _BY_GUID.get(ic_guid.upper())


@dataclass(frozen=True)
class IntegrationServiceState:
    """One integration component of one VM, as the host last reported it."""

    ic_guid: str
    name: str  # as reported, possibly localized
    enabled: bool
    primary: ComponentStatus | None
    secondary: ComponentStatus | None
    primary_text: str
    secondary_text: str

    @property
    def info(self) -> ServiceInfo | None:
        return service_for_guid(self.ic_guid)
