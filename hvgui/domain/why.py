"""The "Why?" of an integration-service row: what a status that is not OK means and what to do about it.

Everything is derived from what the host reports: the service's enabled flag and operational statuses, the
VM's state, uptime and heartbeat, and the guest OS name from its intrinsic KVP items. Whether the guest runs
Windows or Linux decides which guest-side component the text names (a Windows service or a Linux daemon).
When the guest reports no OS name (often exactly because its KVP component is not running), a guest that
reports application health is Windows (Linux guests never do, hyperv-api.md §5); otherwise both are named.
"""

from __future__ import annotations

import enum

from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
    ComponentStatus,
    IntegrationServiceState,
    ServiceInfo,
)
from hvgui.domain.power import describe_state
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState

#: A guest up for less than this may still be booting, so "No Contact" can simply mean "not yet".
BOOT_GRACE_SECONDS = 300

#: Display names of the Windows guest services (as `services.msc` shows them).
WINDOWS_SERVICE_NAMES: dict[str, str] = {
    "vmicheartbeat": "Hyper-V Heartbeat Service",
    "vmicshutdown": "Hyper-V Guest Shutdown Service",
    "vmictimesync": "Hyper-V Time Synchronization Service",
    "vmickvpexchange": "Hyper-V Data Exchange Service",
    "vmicvss": "Hyper-V Volume Shadow Copy Requestor",
    "vmicguestinterface": "Hyper-V Guest Service Interface",
    "vmicvmsession": "Hyper-V PowerShell Direct Service",
}

#: Where Linux distributions ship the Hyper-V daemons (hyperv-api.md §7).
LINUX_PACKAGES = "linux-cloud-tools on Ubuntu and Debian, hyperv-daemons on RHEL and Fedora"

#: What the VM loses while a service does not work, in the words of an admin.
_EFFECTS: dict[str, str] = {
    HEARTBEAT.ic_guid: "the host cannot tell whether the guest operating system works.",
    SHUTDOWN.ic_guid: "Shut Down does not work; only Turn Off (a hard power-off) does.",
    TIME_SYNC.ic_guid: "the host does not correct the guest's clock.",
    KVP.ic_guid: (
        "the host gets no data from the guest (OS name and version, IP addresses), so hvgui cannot tell, "
        "for example, whether the guest is a domain controller."
    ),
    VSS.ic_guid: (
        "backups cannot use VSS in the guest, and production checkpoints fall back to standard ones (or fail, "
        "with checkpoint type Production only)."
    ),
    GUEST_SERVICE_INTERFACE.ic_guid: "the host cannot copy files into the guest (Copy-VMFile).",
}

#: How the effect is introduced for a status: the guest is silent, or its component is broken. Statuses not
#: listed (protocol mismatch, degraded, application critical) leave the service working, at least in part.
_EFFECT_LEADS: dict[ComponentStatus, str] = {
    ComponentStatus.NoContact: "Until it answers, ",
    ComponentStatus.LostCommunication: "Until it answers again, ",
    ComponentStatus.CommunicationTimedOut: "Until it answers again, ",
    ComponentStatus.CommunicationFailed: "Until it answers again, ",
    ComponentStatus.Disabled: "Until it runs, ",
    ComponentStatus.Error: "Until this is fixed, ",
    ComponentStatus.NonRecoverableError: "Until this is fixed, ",
}


_PAUSED_STATES = frozenset({VmState.Paused, VmState.Pausing, VmState.PausedCritical})


class GuestFamily(enum.Enum):
    Windows = "Windows"
    Linux = "Linux"  # any guest that is not Windows: its integration components are Linux-style daemons
    Unknown = "Unknown"


class ServiceCondition(enum.Enum):
    """How a row reads at a glance (the colour of a cell in the fleet grid)."""

    Ok = "OK"
    Disabled = "Disabled"  # switched off on the host
    Problem = "Problem"  # enabled, the VM runs, and a status is not OK
    NotRunning = "Not running"  # the VM does not run, so the service reports nothing
    Unknown = "Unknown"  # the host reports no status (or not the service at all) for a running VM


def guest_family(vm: Vm) -> GuestFamily:
    """Windows or Linux, from the guest's OS name; from its heartbeat when the guest reports no name."""
    name = (vm.guest_os_name or "").strip()
    if name:
        return GuestFamily.Windows if "windows" in name.lower() else GuestFamily.Linux
    if vm.heartbeat in (HeartbeatStatus.OkApplicationsHealthy, HeartbeatStatus.OkApplicationsCritical):
        return GuestFamily.Windows
    return GuestFamily.Unknown


def service_condition(vm: Vm, state: IntegrationServiceState | None) -> ServiceCondition:
    if state is None:
        return ServiceCondition.Unknown
    if not state.enabled:
        return ServiceCondition.Disabled
    if not vm.state.is_running:
        return ServiceCondition.NotRunning
    if vm.state in _PAUSED_STATES and state.primary is not ComponentStatus.Ok:
        return ServiceCondition.NotRunning  # a paused guest cannot answer; that is no fault of the service
    if state.primary is None or state.primary is ComponentStatus.Unknown:
        return ServiceCondition.Unknown
    if state.primary is ComponentStatus.Ok and state.secondary in (None, ComponentStatus.Ok):
        return ServiceCondition.Ok
    return ServiceCondition.Problem


def is_ok(vm: Vm, state: IntegrationServiceState | None) -> bool:
    return service_condition(vm, state) is ServiceCondition.Ok


def explain_service(vm: Vm, info: ServiceInfo) -> str | None:
    """The "Why?" text of one row of the integration-services tab (PowerShell Direct included)."""
    if info.ic_guid is None:
        return explain_powershell_direct(vm)
    state = vm.service(info.ic_guid)
    if state is None:
        return (
            f"The host does not report the {info.name} service for '{vm.name}'. The VM's configuration may "
            "be damaged or the host may be mid-change; if this stays after a refresh, look at the VM in "
            "Hyper-V Manager."
        )
    return explain(vm, state)


def explain(vm: Vm, service_state: IntegrationServiceState) -> str | None:
    """Why this integration service of this VM is not OK, and what to do; None when it is OK."""
    info = service_state.info
    label = info.name if info is not None else (service_state.name or service_state.ic_guid)
    condition = service_condition(vm, service_state)
    if condition is ServiceCondition.Ok:
        return None
    if condition is ServiceCondition.Disabled:
        return _disabled(vm, service_state, info, label)
    if condition is ServiceCondition.NotRunning:
        if vm.state in _PAUSED_STATES:
            return (
                f"'{vm.name}' is paused, so its guest cannot answer. The service reports its status again once "
                "the VM is resumed (Start)."
            )
        return (
            f"'{vm.name}' is {describe_state(vm.state)}. Integration services report a status only while the "
            "VM runs; start it to see this service's status."
        )
    if condition is ServiceCondition.Unknown:
        return (
            f"The host reports no status for {label} although '{vm.name}' is {describe_state(vm.state)}. "
            "This usually settles at the next refresh; if it stays, check the Hyper-V Virtual Machine "
            "Management service on the host."
        )
    primary = service_state.primary
    status = primary if primary is not ComponentStatus.Ok else service_state.secondary
    if status is None:  # not reachable: a Problem has a status that is not OK
        return None
    text = _explain_status(vm, status, info, label)
    effect = _EFFECTS.get(service_state.ic_guid)
    lead = _EFFECT_LEADS.get(status)
    return f"{text} {lead}{effect}" if effect and lead else text


def explain_powershell_direct(vm: Vm) -> str | None:
    """Why PowerShell Direct cannot work for this VM, or None when nothing speaks against it."""
    requirement = "PowerShell Direct needs a guest running Windows 10 or Windows Server 2016 or later"
    family = guest_family(vm)
    os_name = (vm.guest_os_name or "").strip()
    if family is GuestFamily.Linux:
        return (
            f"{requirement}; '{vm.name}' runs {os_name}, and Linux guests have no PowerShell Direct service. "
            "Manage it over the network instead (for example with SSH)."
        )
    if not vm.state.is_running or vm.state in (VmState.Paused, VmState.PausedCritical):
        return f"PowerShell Direct works only while the VM runs; '{vm.name}' is {describe_state(vm.state)}."
    if family is GuestFamily.Unknown:
        return (
            f"{requirement}. hvgui cannot tell which operating system '{vm.name}' runs: the guest reports "
            "no OS data through Key-Value Pair Exchange."
        )
    major = _major_version(vm.guest_os_version)
    if major is not None and major < 10:
        shown = f"{os_name} ({vm.guest_os_version})" if os_name else f"Windows {vm.guest_os_version}"
        return (
            f"{requirement}; '{vm.name}' runs {shown}, which has no PowerShell Direct service. "
            "Use PowerShell remoting over the network (Enter-PSSession -ComputerName) instead."
        )
    if major is None:
        return (
            f"{requirement}. '{vm.name}' runs Windows, but the guest does not report its version, so hvgui "
            "cannot tell whether it is recent enough."
        )
    return None


# --- the texts --------------------------------------------------------------------------------------------


def _disabled(vm: Vm, state: IntegrationServiceState, info: ServiceInfo | None, label: str) -> str:
    if info is None:
        return f"{label} is disabled on the host for '{vm.name}'. Enable it to use it."
    if info is GUEST_SERVICE_INTERFACE:
        return (
            "Guest Service Interface is off; that is Hyper-V's default for this service. The host needs it to "
            "copy files into the guest (Copy-VMFile): enable it when you want to copy files to "
            f"'{vm.name}'."
        )
    text = f"{info.name} is disabled on the host for '{vm.name}'. Impact: {info.impact.value}. {info.impact_text}"
    if info is TIME_SYNC and vm.is_domain_controller:
        return text + (
            " This guest is a domain controller: if it takes its time from the domain hierarchy or an NTP "
            "server, leaving Time Synchronization off is intended."
        )
    if info is VSS and vm.checkpoint_type is CheckpointType.ProductionOnly:
        text += " Its checkpoint type is Production only, so checkpoints of this VM fail while VSS is off."
    return text + " Enable the service to restore it."


def _explain_status(vm: Vm, status: ComponentStatus, info: ServiceInfo | None, label: str) -> str:
    family = guest_family(vm)
    component = _guest_component(info, family)
    if status is ComponentStatus.NoContact:
        return _no_contact(vm, info, family, label)
    if status is ComponentStatus.LostCommunication:
        if info is HEARTBEAT:
            return (
                f"Lost Communication: the guest of '{vm.name}' answered heartbeats and then stopped. Its "
                f"operating system may hang or have crashed, or {component} was stopped in the guest. Open the "
                "VM's console to see whether it still responds; if it hangs, restart it."
            )
        return (
            f"Lost Communication: the guest of '{vm.name}' answered the {label} service and then stopped. "
            f"Its operating system may hang or have crashed, or {component} was stopped in the guest."
        )
    if status is ComponentStatus.ProtocolMismatch:
        return (
            f"Protocol mismatch: the integration components in the guest of '{vm.name}' are older than the "
            f"host's and speak an older version of the {label} protocol. {_update_advice(family)}"
        )
    if status is ComponentStatus.Degraded:
        return (
            f"Degraded: {label} works, but only through an older protocol version negotiated with the guest, "
            f"so some of its functions may be missing. {_update_advice(family)}"
        )
    if status is ComponentStatus.NonRecoverableError:
        return (
            f"Non-recoverable error: the guest of '{vm.name}' has no version of the {label} component that "
            f"can talk to this host. {_update_advice(family)}"
        )
    if status is ComponentStatus.Error:
        return (
            f"Error: {component} in the guest of '{vm.name}' reports an error. Restart it in the guest and "
            "look at the guest's system log if the error comes back."
        )
    if status is ComponentStatus.Disabled:
        return (
            f"{label} is enabled on the host, but the guest reports it disabled: {component} is disabled "
            f"inside '{vm.name}'. Set it to start automatically in the guest and start it."
        )
    if status is ComponentStatus.CommunicationTimedOut:
        return (
            f"Communication timed out: {component} in the guest of '{vm.name}' did not answer the host in "
            "time. The guest may be overloaded or partly hung; this often clears by itself. If it stays, "
            "restart the component in the guest."
        )
    if status is ComponentStatus.CommunicationFailed:
        return (
            f"Communication failed: the host could not exchange messages with {component} in the guest of "
            f"'{vm.name}'. Restart the component in the guest; if that does not help, update the guest's "
            "integration components."
        )
    if status is ComponentStatus.ApplicationCritical:
        return (
            f"Application critical: the guest operating system of '{vm.name}' runs, but it reports that an "
            "application or service it monitors is in a critical state. Check the guest's applications and "
            "services."
        )
    if status is ComponentStatus.Dormant:
        return f"Dormant: {label} of '{vm.name}' is idle, as while the VM is paused."
    return (
        f"The host reports the status {status.name} for {label} of '{vm.name}', which hvgui does not know "
        "how to explain."
    )


def _no_contact(vm: Vm, info: ServiceInfo | None, family: GuestFamily, label: str) -> str:
    subject = f"The guest of '{vm.name}' has not answered the {label} service since the VM started (No Contact)."
    if info is None:
        cause = "the guest's component for this service is not running"
    else:
        windows = (
            f"the {_windows_service(info.windows_service)} is stopped in the guest, or the guest has no "
            "Hyper-V integration services installed"
        )
        linux = _linux_not_running(info)
        if family is GuestFamily.Windows:
            cause = windows
        elif family is GuestFamily.Linux:
            cause = linux
        else:
            cause = f"on a Windows guest, {windows}; on a Linux guest, {linux}"
    if vm.uptime() < BOOT_GRACE_SECONDS:
        lead = "It started only moments ago and may still be booting. If this stays, "
    elif family is GuestFamily.Unknown and info is not None:
        lead = "Depending on the guest: "
    else:
        lead = "Most likely, "
    return f"{subject} {lead}{cause}."


def _linux_not_running(info: ServiceInfo) -> str:
    daemon = info.linux_daemon
    if daemon is None:
        return "this service does not exist for Linux"
    if daemon == "hv_utils":
        return "the hv_utils kernel module is not loaded in the guest (check with `lsmod | grep hv_utils`)"
    older = " (older kernels: hv_fcopy_daemon)" if info is GUEST_SERVICE_INTERFACE else ""
    return (
        f"{daemon}{older} is not running in the guest: install your distribution's Hyper-V tools "
        f"({LINUX_PACKAGES}) and start it"
    )


def _guest_component(info: ServiceInfo | None, family: GuestFamily) -> str:
    """The guest-side piece of a service, named for the guest's family."""
    if info is None:
        return "the guest's component for this service"
    windows = "the " + _windows_service(info.windows_service)
    if info.linux_daemon is None:
        return windows
    linux = "the hv_utils kernel module" if info.linux_daemon == "hv_utils" else info.linux_daemon
    if family is GuestFamily.Windows:
        return windows
    if family is GuestFamily.Linux:
        return linux
    return f"{windows} on Windows or {linux} on Linux"


def _windows_service(service: str) -> str:
    display = WINDOWS_SERVICE_NAMES.get(service)
    return f"{display} ({service})" if display else service


def _update_advice(family: GuestFamily) -> str:
    windows = "On Windows, install the latest updates through Windows Update"
    linux = f"on Linux, update the kernel and the Hyper-V tools ({LINUX_PACKAGES})"
    if family is GuestFamily.Windows:
        return "Update the guest's integration components: install the latest updates through Windows Update."
    if family is GuestFamily.Linux:
        return f"Update the guest's integration components: update the kernel and the Hyper-V tools ({LINUX_PACKAGES})."
    return f"Update the guest's integration components. {windows}; {linux}."


def _major_version(version: str | None) -> int | None:
    head = (version or "").strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None
