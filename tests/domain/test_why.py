"""The "Why?" texts: one for every status the reference lists, worded for the guest the VM runs."""

from __future__ import annotations

import time

import pytest

from hvgui.domain.integration import (
    ALL_SERVICES,
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    INTEGRATION_COMPONENTS,
    KVP,
    POWERSHELL_DIRECT,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
    ComponentStatus,
    IntegrationServiceState,
    ServiceInfo,
)
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState
from hvgui.domain.why import (
    BOOT_GRACE_SECONDS,
    GuestFamily,
    ServiceCondition,
    explain,
    explain_powershell_direct,
    explain_service,
    guest_family,
    is_ok,
    service_condition,
)

UBUNTU = "Ubuntu"
WINDOWS = "Windows Server 2022 Datacenter"
LINUX_TOOLS = "linux-cloud-tools on Ubuntu and Debian, hyperv-daemons on RHEL and Fedora"


def _vm(
    os_name: str | None = None,
    *,
    heartbeat: HeartbeatStatus | None = HeartbeatStatus.OkApplicationsUnknown,
    state: VmState = VmState.Running,
    uptime: int = 86400,
    os_version: str | None = None,
    product_type: int | None = None,
    checkpoint_type: CheckpointType | None = CheckpointType.Production,
    services: tuple[IntegrationServiceState, ...] = (),
) -> Vm:
    return Vm(
        host="http://hv-demo-01:5985",
        vm_id="0a1b2c3d-4e5f-4a5b-8c7d-9e0f1a2b3c4d",
        name="web02",
        state=state,
        heartbeat=heartbeat,
        status="Operating normally",
        booted_at=time.time() - uptime if uptime else None,
        cpu_usage=4,
        memory_assigned=2 << 30,
        generation=2,
        version="10.0",
        checkpoint_type=checkpoint_type,
        integration_services=services,
        guest_os_name=os_name,
        guest_os_version=os_version,
        guest_product_type=product_type,
    )


def _state(
    info: ServiceInfo,
    primary: ComponentStatus | None = ComponentStatus.Ok,
    secondary: ComponentStatus | None = None,
    *,
    enabled: bool = True,
    name: str | None = None,
) -> IntegrationServiceState:
    return IntegrationServiceState(info.ic_guid or "", name or info.name, enabled, primary, secondary, "", "")


def _why(vm: Vm, state: IntegrationServiceState) -> str:
    text = explain(vm, state)
    assert text is not None
    return text


# --- guest family ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_name", "heartbeat", "family"),
    [
        ("Windows Server 2022 Datacenter", HeartbeatStatus.OkApplicationsUnknown, GuestFamily.Windows),
        ("Windows 10 Enterprise", None, GuestFamily.Windows),
        ("Ubuntu", HeartbeatStatus.OkApplicationsUnknown, GuestFamily.Linux),
        ("Red Hat Enterprise Linux", HeartbeatStatus.OkApplicationsUnknown, GuestFamily.Linux),
        # No OS name (KVP silent): a guest that reports application health is Windows; Linux never does.
        (None, HeartbeatStatus.OkApplicationsHealthy, GuestFamily.Windows),
        (None, HeartbeatStatus.OkApplicationsCritical, GuestFamily.Windows),
        (None, HeartbeatStatus.OkApplicationsUnknown, GuestFamily.Unknown),
        ("  ", None, GuestFamily.Unknown),
    ],
)
def test_guest_family(os_name: str | None, heartbeat: HeartbeatStatus | None, family: GuestFamily) -> None:
    assert guest_family(_vm(os_name, heartbeat=heartbeat)) is family


# --- OK rows have no "Why?" ------------------------------------------------------------------------------------


@pytest.mark.parametrize("info", INTEGRATION_COMPONENTS)
def test_ok_rows_need_no_explanation(info: ServiceInfo) -> None:
    vm = _vm(WINDOWS)
    assert explain(vm, _state(info)) is None
    assert explain(vm, _state(info, ComponentStatus.Ok, ComponentStatus.Ok)) is None
    assert service_condition(vm, _state(info)) is ServiceCondition.Ok
    assert is_ok(vm, _state(info))


# --- No Contact ------------------------------------------------------------------------------------------------


def test_kvp_no_contact_on_linux_means_the_kvp_daemon_is_not_running() -> None:
    text = _why(_vm(UBUNTU), _state(KVP, ComponentStatus.NoContact))
    assert text == (
        "The guest of 'web02' has not answered the Key-Value Pair Exchange service since the VM started "
        "(No Contact). Most likely, hv_kvp_daemon is not running in the guest: install your distribution's "
        f"Hyper-V tools ({LINUX_TOOLS}) and start it. Until it answers, the host gets no data from the guest "
        "(OS name and version, IP addresses), so hvgui cannot tell, for example, whether the guest is a domain "
        "controller."
    )


def test_kvp_no_contact_on_windows_means_the_service_is_stopped_or_not_installed() -> None:
    text = _why(_vm(WINDOWS, heartbeat=HeartbeatStatus.OkApplicationsHealthy), _state(KVP, ComponentStatus.NoContact))
    assert "Most likely, the Hyper-V Data Exchange Service (vmickvpexchange) is stopped in the guest, or the " in text
    assert "guest has no Hyper-V integration services installed." in text
    assert "hv_kvp_daemon" not in text


def test_kvp_no_contact_on_an_unknown_guest_names_both_causes() -> None:
    # A Linux guest without hv_kvp_daemon reports no OS name either: both causes are named.
    text = _why(_vm(None), _state(KVP, ComponentStatus.NoContact))
    assert "Depending on the guest: on a Windows guest, the Hyper-V Data Exchange Service (vmickvpexchange)" in text
    assert "on a Linux guest, hv_kvp_daemon is not running in the guest" in text


@pytest.mark.parametrize(
    ("info", "linux_part"),
    [
        (VSS, "hv_vss_daemon is not running in the guest"),
        (GUEST_SERVICE_INTERFACE, "hv_fcopy_uio_daemon (older kernels: hv_fcopy_daemon) is not running"),
        (HEARTBEAT, "the hv_utils kernel module is not loaded in the guest (check with `lsmod | grep hv_utils`)"),
        (SHUTDOWN, "the hv_utils kernel module is not loaded"),
        (TIME_SYNC, "the hv_utils kernel module is not loaded"),
    ],
)
def test_no_contact_on_linux_names_the_guest_component(info: ServiceInfo, linux_part: str) -> None:
    text = _why(_vm(UBUNTU), _state(info, ComponentStatus.NoContact))
    assert linux_part in text
    assert "vmic" not in text


@pytest.mark.parametrize(
    ("info", "service"),
    [
        (HEARTBEAT, "Hyper-V Heartbeat Service (vmicheartbeat)"),
        (SHUTDOWN, "Hyper-V Guest Shutdown Service (vmicshutdown)"),
        (TIME_SYNC, "Hyper-V Time Synchronization Service (vmictimesync)"),
        (VSS, "Hyper-V Volume Shadow Copy Requestor (vmicvss)"),
        (GUEST_SERVICE_INTERFACE, "Hyper-V Guest Service Interface (vmicguestinterface)"),
    ],
)
def test_no_contact_on_windows_names_the_windows_service(info: ServiceInfo, service: str) -> None:
    text = _why(_vm(WINDOWS), _state(info, ComponentStatus.NoContact))
    assert f"the {service} is stopped in the guest" in text


def test_no_contact_just_after_start_may_be_the_boot() -> None:
    vm = _vm(WINDOWS, heartbeat=HeartbeatStatus.NoContact, uptime=BOOT_GRACE_SECONDS - 1)
    text = _why(vm, _state(HEARTBEAT, ComponentStatus.NoContact))
    assert "It started only moments ago and may still be booting. If this stays, the Hyper-V Heartbeat" in text
    late = _why(_vm(WINDOWS, uptime=BOOT_GRACE_SECONDS), _state(HEARTBEAT, ComponentStatus.NoContact))
    assert "booting" not in late


def test_no_contact_says_what_the_vm_loses() -> None:
    assert "Until it answers, Shut Down does not work; only Turn Off (a hard power-off) does." in _why(
        _vm(WINDOWS), _state(SHUTDOWN, ComponentStatus.NoContact)
    )
    assert "Until it answers, the host cannot copy files into the guest (Copy-VMFile)." in _why(
        _vm(UBUNTU), _state(GUEST_SERVICE_INTERFACE, ComponentStatus.NoContact)
    )
    assert "production checkpoints fall back to standard ones" in _why(
        _vm(UBUNTU), _state(VSS, ComponentStatus.NoContact)
    )
    assert "the host does not correct the guest's clock" in _why(
        _vm(UBUNTU), _state(TIME_SYNC, ComponentStatus.NoContact)
    )


# --- Lost Communication ----------------------------------------------------------------------------------------


def test_heartbeat_lost_communication_means_the_guest_stopped_answering() -> None:
    text = _why(_vm(WINDOWS), _state(HEARTBEAT, ComponentStatus.LostCommunication))
    assert text.startswith("Lost Communication: the guest of 'web02' answered heartbeats and then stopped. ")
    assert "may hang or have crashed, or the Hyper-V Heartbeat Service (vmicheartbeat) was stopped" in text
    assert "Open the VM's console" in text
    assert "Until it answers again, the host cannot tell whether the guest operating system works." in text


def test_lost_communication_of_another_service_names_its_component() -> None:
    text = _why(_vm(UBUNTU), _state(KVP, ComponentStatus.LostCommunication))
    assert "answered the Key-Value Pair Exchange service and then stopped" in text
    assert "hv_kvp_daemon was stopped in the guest" in text
    unknown = _why(_vm(None), _state(KVP, ComponentStatus.LostCommunication))
    assert "the Hyper-V Data Exchange Service (vmickvpexchange) on Windows or hv_kvp_daemon on Linux" in unknown


# --- protocol mismatch, degraded, errors -----------------------------------------------------------------------


def test_protocol_mismatch_means_older_guest_components_and_says_how_to_update() -> None:
    # The genuine Ubuntu 24.04 sample: VSS primary OK, secondary Protocol Mismatch.
    linux = _why(_vm(UBUNTU), _state(VSS, ComponentStatus.Ok, ComponentStatus.ProtocolMismatch))
    assert linux.startswith(
        "Protocol mismatch: the integration components in the guest of 'web02' are older than the host's"
    )
    assert f"update the kernel and the Hyper-V tools ({LINUX_TOOLS})" in linux
    assert "Windows Update" not in linux
    windows = _why(_vm(WINDOWS), _state(SHUTDOWN, ComponentStatus.ProtocolMismatch))
    assert "install the latest updates through Windows Update" in windows
    assert "linux-cloud-tools" not in windows
    unknown = _why(_vm(None), _state(VSS, ComponentStatus.Ok, ComponentStatus.ProtocolMismatch))
    assert "Windows Update" in unknown and "hyperv-daemons" in unknown
    # the service may still partly work: no claim that it stopped
    assert "Until" not in linux


def test_degraded_works_with_an_older_protocol() -> None:
    text = _why(_vm(WINDOWS), _state(SHUTDOWN, ComponentStatus.Degraded))
    assert text.startswith("Degraded: Shutdown works, but only through an older protocol version")
    assert "Windows Update" in text and "Until" not in text


def test_error() -> None:
    text = _why(_vm(WINDOWS), _state(TIME_SYNC, ComponentStatus.Error))
    assert text.startswith(
        "Error: the Hyper-V Time Synchronization Service (vmictimesync) in the guest of 'web02' reports an error."
    )
    assert "Until this is fixed, the host does not correct the guest's clock." in text


def test_non_recoverable_error_means_no_compatible_component() -> None:
    text = _why(_vm(UBUNTU), _state(TIME_SYNC, ComponentStatus.NonRecoverableError))
    assert "has no version of the Time Synchronization component that can talk to this host" in text
    assert "hyperv-daemons" in text


def test_disabled_status_while_enabled_on_the_host_points_into_the_guest() -> None:
    text = _why(_vm(WINDOWS), _state(HEARTBEAT, ComponentStatus.Disabled))
    assert text.startswith("Heartbeat is enabled on the host, but the guest reports it disabled: ")
    assert "the Hyper-V Heartbeat Service (vmicheartbeat) is disabled inside 'web02'" in text


@pytest.mark.parametrize(
    ("status", "start"),
    [
        (ComponentStatus.CommunicationTimedOut, "Communication timed out: the Hyper-V Heartbeat Service"),
        (ComponentStatus.CommunicationFailed, "Communication failed: the host could not exchange messages with"),
    ],
)
def test_communication_problems(status: ComponentStatus, start: str) -> None:
    text = _why(_vm(WINDOWS), _state(HEARTBEAT, ComponentStatus.Ok, status))
    assert text.startswith(start)
    assert "Until it answers again" in text


def test_application_critical_is_about_the_guests_applications() -> None:
    text = _why(_vm(WINDOWS), _state(HEARTBEAT, ComponentStatus.Ok, ComponentStatus.ApplicationCritical))
    assert text == (
        "Application critical: the guest operating system of 'web02' runs, but it reports that an application "
        "or service it monitors is in a critical state. Check the guest's applications and services."
    )


def test_unknown_status_and_no_status() -> None:
    assert service_condition(_vm(WINDOWS), _state(KVP, ComponentStatus.Unknown)) is ServiceCondition.Unknown
    text = _why(_vm(WINDOWS), _state(KVP, None))
    assert text.startswith("The host reports no status for Key-Value Pair Exchange although 'web02' is running.")


def test_every_listed_status_of_an_enabled_service_has_an_explanation() -> None:
    for status in ComponentStatus:
        if status is ComponentStatus.Ok:
            continue
        for info in INTEGRATION_COMPONENTS:
            for os_name in (WINDOWS, UBUNTU, None):
                text = explain(_vm(os_name), _state(info, status))
                assert text, (status, info.key, os_name)
                assert "does not know how to explain" not in text, status


# --- disabled on the host, VM not running ----------------------------------------------------------------------


def test_disabled_shutdown_says_what_the_vm_loses() -> None:
    text = _why(_vm(WINDOWS), _state(SHUTDOWN, enabled=False))
    assert text == (
        "Shutdown is disabled on the host for 'web02'. Impact: High. The host cannot shut the guest down "
        "cleanly; every shutdown becomes a hard power-off, which can lose or corrupt data. Enable the service "
        "to restore it."
    )
    assert service_condition(_vm(WINDOWS), _state(SHUTDOWN, enabled=False)) is ServiceCondition.Disabled


def test_disabled_guest_service_interface_is_the_default_and_needed_for_file_copy() -> None:
    text = _why(_vm(WINDOWS), _state(GUEST_SERVICE_INTERFACE, enabled=False))
    assert "that is Hyper-V's default for this service" in text
    assert "copy files into the guest (Copy-VMFile)" in text


def test_disabled_time_sync_on_a_domain_controller_may_be_intended() -> None:
    text = _why(_vm(WINDOWS, product_type=2), _state(TIME_SYNC, enabled=False))
    assert "Impact: High. The guest's clock drifts erratically." in text
    assert "This guest is a domain controller" in text and "intended" in text
    assert "Enable the service" not in text
    assert "domain controller" not in _why(_vm(WINDOWS, product_type=3), _state(TIME_SYNC, enabled=False))


def test_disabled_vss_with_production_only_checkpoints() -> None:
    vm = _vm(WINDOWS, checkpoint_type=CheckpointType.ProductionOnly)
    assert "checkpoints of this VM fail while VSS is off" in _why(vm, _state(VSS, enabled=False))
    assert "Production only" not in _why(_vm(WINDOWS), _state(VSS, enabled=False))


def test_disabled_wins_over_the_reported_status() -> None:
    # a disabled component still reports OK (genuine sample); the row is about being disabled
    text = _why(_vm(WINDOWS), _state(KVP, ComponentStatus.Ok, enabled=False))
    assert text.startswith("Key-Value Pair Exchange is disabled on the host for 'web02'. Impact: Medium.")


@pytest.mark.parametrize("state", [VmState.Off, VmState.Saved, VmState.OffCritical, VmState.FastSaved])
def test_a_vm_that_does_not_run_reports_no_status(state: VmState) -> None:
    vm = _vm(None, heartbeat=None, state=state, uptime=0)
    service = _state(HEARTBEAT, None)
    assert service_condition(vm, service) is ServiceCondition.NotRunning
    text = _why(vm, service)
    assert text.startswith("'web02' is ")
    assert "Integration services report a status only while the VM runs" in text


def test_a_paused_vm_cannot_answer() -> None:
    vm = _vm(WINDOWS, heartbeat=HeartbeatStatus.Paused, state=VmState.Paused)
    text = _why(vm, _state(HEARTBEAT, ComponentStatus.Dormant))
    assert text.startswith("'web02' is paused, so its guest cannot answer.")
    assert service_condition(vm, _state(HEARTBEAT, ComponentStatus.Dormant)) is ServiceCondition.NotRunning
    # services that still report OK while the VM is paused are OK
    assert explain(vm, _state(KVP)) is None


def test_localized_names_do_not_matter() -> None:
    german = _state(TIME_SYNC, ComponentStatus.NoContact, name="Zeitsynchronisierung")
    text = _why(_vm(WINDOWS), german)
    assert "Hyper-V Time Synchronization Service (vmictimesync)" in text


def test_an_unknown_component_is_still_explained() -> None:
    odd = IntegrationServiceState(
        "00000000-0000-0000-0000-000000000001", "Neu", True, ComponentStatus.NoContact, None, "", ""
    )
    assert "Neu" in _why(_vm(WINDOWS), odd)
    disabled = IntegrationServiceState("00000000-0000-0000-0000-000000000001", "Neu", False, None, None, "", "")
    assert _why(_vm(WINDOWS), disabled) == "Neu is disabled on the host for 'web02'. Enable it to use it."


# --- PowerShell Direct -----------------------------------------------------------------------------------------


def test_powershell_direct_on_linux() -> None:
    text = explain_powershell_direct(_vm(UBUNTU))
    assert text == (
        "PowerShell Direct needs a guest running Windows 10 or Windows Server 2016 or later; 'web02' runs "
        "Ubuntu, and Linux guests have no PowerShell Direct service. Manage it over the network instead (for "
        "example with SSH)."
    )


def test_powershell_direct_on_pre_2016_windows() -> None:
    text = explain_powershell_direct(_vm("Windows Server 2012 R2 Standard", os_version="6.3.9600"))
    assert text is not None
    assert "'web02' runs Windows Server 2012 R2 Standard (6.3.9600), which has no PowerShell Direct service" in text


@pytest.mark.parametrize("version", ["10.0.14393", "10.0.20348", "10.0.17763"])
def test_powershell_direct_on_recent_windows_is_fine(version: str) -> None:
    assert explain_powershell_direct(_vm(WINDOWS, os_version=version)) is None


def test_powershell_direct_when_the_guest_is_unknown_or_off() -> None:
    unknown = explain_powershell_direct(_vm(None))
    assert unknown is not None and "cannot tell which operating system 'web02' runs" in unknown
    windows_no_version = explain_powershell_direct(_vm(None, heartbeat=HeartbeatStatus.OkApplicationsHealthy))
    assert windows_no_version is not None and "does not report its version" in windows_no_version
    off = explain_powershell_direct(_vm(WINDOWS, state=VmState.Off, heartbeat=None, os_version="10.0.20348"))
    assert off == "PowerShell Direct works only while the VM runs; 'web02' is off."


def test_explain_service_covers_every_row_of_the_tab() -> None:
    services = tuple(_state(info, ComponentStatus.NoContact) for info in INTEGRATION_COMPONENTS)
    vm = _vm(UBUNTU, services=services)
    for info in ALL_SERVICES:
        text = explain_service(vm, info)
        assert text, info.key
    assert explain_service(vm, POWERSHELL_DIRECT) == explain_powershell_direct(vm)
    missing = explain_service(_vm(UBUNTU), KVP)
    assert missing is not None and "does not report the Key-Value Pair Exchange service" in missing
