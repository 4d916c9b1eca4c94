"""What each integration service's absence does to a VM: heartbeat, graceful stop, the guest clock, KVP
items, production checkpoints and file copy, and how a toggle shows in the component's status."""

from __future__ import annotations

import itertools

import pytest
from model_harness import Harness, cmd, one_host

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.guest import OS_PROFILES
from hvgui.emulator.hyperv.reference import ComponentStatus, HeartbeatStatus, VmState
from hvgui.emulator.hyperv.timesync import SLEW_TIME_CONSTANT, STEP_THRESHOLD
from hvgui.emulator.hyperv.vm import HANDSHAKE_SECONDS, RESTORE_SECONDS, START_SECONDS

NON_INTERACTIVE = "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
STOP_FQID = "InvalidOperation,Microsoft.HyperV.PowerShell.Commands.StopVM"
TS, KVP, VSS, GSI, HB, SHUTDOWN = (
    ic.TIME_SYNC.ic_guid,
    ic.KVP.ic_guid,
    ic.VSS.ic_guid,
    ic.GUEST_SERVICE_INTERFACE.ic_guid,
    ic.HEARTBEAT.ic_guid,
    ic.SHUTDOWN.ic_guid,
)


def harness(**vm: object) -> Harness:
    return Harness(one_host({"name": "vm1", "os": "windows-server-2022", "state": "Running", "uptime": 3600, **vm}))


# ---------------------------------------------------------------- toggling and the component status


def test_disabling_reports_ok_and_enabling_waits_for_the_guest_service() -> None:
    h = harness()
    vm = h.vm("vm1")
    h.run(cmd("Disable-VMIntegrationService", "Key-Value Pair Exchange", "vm1"))
    # Disabled: the status the genuine sample shows for a disabled component.
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.Ok,)
    h.run(cmd("Enable-VMIntegrationService", "Key-Value Pair Exchange", "vm1"))
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.NoContact,)
    h.clock.advance(HANDSHAKE_SECONDS)
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.Ok,)


def test_enabling_what_is_enabled_changes_nothing_and_warns_nothing() -> None:
    h = harness()
    sink = h.run(cmd("Enable-VMIntegrationService", "Heartbeat", "vm1"))
    assert (sink.errors, sink.warnings) == ([], [])
    assert h.vm("vm1").component_status(HB, h.now())[0] is ComponentStatus.Ok  # no new handshake


def test_a_stopped_guest_service_and_its_restart() -> None:
    h = harness()
    vm = h.vm("vm1")
    vm.set_guest_service_running(KVP, False, h.now())
    assert vm.guest.stopped_services == {"vmickvpexchange"}
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.NoContact,)
    vm.set_guest_service_running(KVP, True, h.now())
    h.clock.advance(HANDSHAKE_SECONDS)
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.Ok,)


# ---------------------------------------------------------------- heartbeat


def test_heartbeat_disabled_is_the_vm_heartbeat_disabled() -> None:
    h = harness()
    h.run(cmd("Disable-VMIntegrationService", "Heartbeat", "vm1"))
    [vm] = h.run(cmd("Get-VM", "vm1")).output
    assert vm.Heartbeat is enums.VMHeartbeatStatus.Disabled
    h.run(cmd("Enable-VMIntegrationService", "Heartbeat", "vm1"))
    assert h.vm("vm1").heartbeat(h.now()) is HeartbeatStatus.NoContact
    h.clock.advance(HANDSHAKE_SECONDS)
    assert h.vm("vm1").heartbeat(h.now()) is HeartbeatStatus.OkApplicationsHealthy


# ---------------------------------------------------------------- shutdown


@pytest.mark.parametrize(
    "why",
    ["disabled", "guest still booting", "vmicshutdown stopped", "linux without hv_utils", "just enabled"],
)
def test_graceful_stop_is_impossible_without_an_answering_shutdown_service(why: str) -> None:
    vm_data: dict = {}
    if why == "disabled":
        vm_data = {"integration_services": {"Shutdown": False}}
    elif why == "guest still booting":
        vm_data = {"uptime": OS_PROFILES["windows-server-2022"].boot_seconds / 2}
    elif why == "vmicshutdown stopped":
        vm_data = {"stopped_services": ["vmicshutdown"]}
    elif why == "linux without hv_utils":
        vm_data = {"os": "rhel-9", "hv_utils": False}
    h = harness(**vm_data)
    if why == "just enabled":
        h.run(cmd("Disable-VMIntegrationService", "Shutdown", "vm1"))
        h.run(cmd("Enable-VMIntegrationService", "Shutdown", "vm1"))
    sink = h.run(cmd("Get-VM", "vm1"), cmd("Stop-VM", Confirm=False))
    [err] = sink.errors
    assert (err.message, err.fully_qualified_error_id) == (NON_INTERACTIVE, STOP_FQID)
    assert h.vm("vm1").state(h.now()) is VmState.Running
    assert h.run(cmd("Get-VM", "vm1"), cmd("Stop-VM", TurnOff=True)).errors == []  # turning off still works
    assert h.vm("vm1").state(h.now()) is VmState.Off


def test_linux_without_hv_utils_answers_nothing() -> None:
    h = harness(os="rhel-9", hv_utils=False)
    vm = h.vm("vm1")
    assert all(vm.component_status(g, h.now()) == (ComponentStatus.NoContact,) for g in (HB, SHUTDOWN, TS, KVP))
    assert vm.heartbeat(h.now()) is HeartbeatStatus.NoContact
    assert vm.kvp_intrinsic_items(h.now()) == {}


# ---------------------------------------------------------------- time synchronization


def test_the_guest_clock_drifts_at_its_rate_without_time_sync_and_converges_with_it() -> None:
    h = harness(clock={"offset": 0.0, "drift_ppm": 200.0})
    vm = h.vm("vm1")
    now = h.now()
    assert vm.guest_clock_offset(now) == 0.0
    h.run(cmd("Disable-VMIntegrationService", "Time Synchronization", "vm1"))
    start = h.now()
    for hours in (1, 2, 4):
        assert vm.guest_clock_offset(start + hours * 3600) == pytest.approx(200e-6 * hours * 3600)
    h.clock.advance(4 * 3600)  # 2.88 s ahead: small enough to be slewed, not stepped
    ahead = vm.guest_clock_offset(h.now())
    assert ahead == pytest.approx(2.88) and ahead < STEP_THRESHOLD
    h.run(cmd("Enable-VMIntegrationService", "Time Synchronization", "vm1"))
    enabled_at = h.now()
    answered = enabled_at + HANDSHAKE_SECONDS
    offsets = [vm.guest_clock_offset(answered + k * SLEW_TIME_CONSTANT) for k in range(6)]
    assert offsets[0] == pytest.approx(2.88, abs=0.001)
    assert all(later < earlier for earlier, later in itertools.pairwise(offsets))
    assert offsets[1] == pytest.approx(offsets[0] / 2.718281828, rel=1e-3)
    assert offsets[5] < 0.02


def test_a_large_offset_is_stepped_and_a_negative_drift_falls_behind() -> None:
    h = harness(integration_services={"Time Synchronization": False}, clock={"offset": -1.0, "drift_ppm": -50.0})
    vm = h.vm("vm1")
    assert vm.guest_clock_offset(h.now()) == -1.0
    h.clock.advance(86_400)
    assert vm.guest_clock_offset(h.now()) == pytest.approx(-1.0 - 4.32)
    h.run(cmd("Enable-VMIntegrationService", "Time Synchronization", "vm1"))
    h.clock.advance(HANDSHAKE_SECONDS + 0.001)
    assert vm.guest_clock_offset(h.now()) == 0.0  # 5.3 s off: W32Time steps the clock


def test_a_saved_guest_falls_behind_until_time_sync_sets_it_right() -> None:
    for synced in (True, False):
        h = harness(integration_services={"Time Synchronization": synced}, clock={"offset": 0.0, "drift_ppm": 0.0})
        vm = h.vm("vm1")
        saving = vm.durations.save_seconds(vm.memory_assigned(h.now()))  # ~1 s + 1 s per GiB
        h.run(cmd("Save-VM", "vm1"))
        h.clock.advance(saving + 600)
        assert vm.guest_clock_offset(h.now()) == pytest.approx(-600, abs=0.001)  # frozen while saved
        h.run(cmd("Start-VM", "vm1"))
        h.clock.advance(RESTORE_SECONDS + 0.5)
        expected = 0.0 if synced else pytest.approx(-600, abs=0.001)  # no drift configured
        assert vm.guest_clock_offset(h.now()) == expected


def test_a_fresh_boot_reads_the_host_time_and_the_rate_comes_from_the_scenario() -> None:
    document = one_host(
        {"name": "vm1", "state": "Off", "integration_services": {"Time Synchronization": False}},
        {"name": "vm2", "state": "Off", "clock": {"drift_ppm": -10}},
    )
    document["clock"] = {"drift_ppm": 75.0}
    h = Harness(document)
    assert h.vm("vm1").guest.clock_drift_ppm == 75.0 and h.vm("vm2").guest.clock_drift_ppm == -10
    vm = h.vm("vm1")
    assert vm.guest_clock_offset(h.now()) == 0.0
    h.run(cmd("Start-VM", "vm1"))
    h.clock.advance(START_SECONDS + 10_000)
    assert vm.guest_clock_offset(h.now()) == pytest.approx(75e-6 * (START_SECONDS + 10_000))
    h.run(cmd("Restart-VM", "vm1", Force=True))  # a reboot reads the RTC again
    assert vm.guest_clock_offset(h.now()) == 0.0


def test_the_demo_has_a_drifting_guest() -> None:
    h = Harness("demo", host=2)
    vm = h.vm("test-linux")
    before = vm.guest_clock_offset(h.now())
    h.clock.advance(3600)
    assert vm.guest_clock_offset(h.now()) - before == pytest.approx(180e-6 * 3600)


# ---------------------------------------------------------------- KVP


def test_kvp_items_are_reported_only_while_the_guest_service_answers() -> None:
    h = harness()
    vm = h.vm("vm1")
    items = vm.kvp_intrinsic_items(h.now())
    assert items["OSName"] == "Windows Server 2022 Datacenter" and items["ProductType"] == "3"
    h.run(cmd("Disable-VMIntegrationService", "Key-Value Pair Exchange", "vm1"))
    assert vm.kvp_intrinsic_items(h.now()) == {}
    h.run(cmd("Enable-VMIntegrationService", "Key-Value Pair Exchange", "vm1"))
    assert vm.kvp_intrinsic_items(h.now()) == {}  # not yet: the guest service reconnects
    h.clock.advance(HANDSHAKE_SECONDS)
    assert vm.kvp_intrinsic_items(h.now())["OSVersion"] == "10.0.20348"
    h.run(cmd("Stop-VM", "vm1", TurnOff=True))
    assert vm.kvp_intrinsic_items(h.now()) == {}


def test_kvp_items_go_stale_while_the_guest_hangs() -> None:
    boot = OS_PROFILES["windows-server-2022"].boot_seconds
    h = harness(uptime=boot, hang={"every": 60, "for": 10, "first_after": 5})
    vm = h.vm("vm1")
    fresh = vm.kvp_intrinsic_items(h.now())
    h.clock.advance(6)
    assert vm.guest_hung(h.now())
    assert vm.kvp_intrinsic_items(h.now()) == fresh  # the last values, no longer updated
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.Ok,)


def test_a_linux_guest_without_its_kvp_daemon() -> None:
    h = harness(os="ubuntu-24.04")
    vm = h.vm("vm1")
    assert vm.component_status(KVP, h.now()) == (ComponentStatus.NoContact,)
    assert vm.kvp_intrinsic_items(h.now()) == {}
    vm.set_guest_service_running(KVP, True, h.now())  # apt install linux-cloud-tools; the daemon starts
    h.clock.advance(HANDSHAKE_SECONDS)
    assert vm.kvp_intrinsic_items(h.now())["OSName"] == "Ubuntu"


# ---------------------------------------------------------------- VSS


@pytest.mark.parametrize(
    ("vm_data", "available"),
    [
        ({}, True),
        ({"integration_services": {"VSS": False}}, False),
        ({"stopped_services": ["vmicvss"]}, False),
        ({"os": "ubuntu-22.04"}, True),
        ({"os": "ubuntu-22.04", "daemons": ["hv_kvp_daemon"]}, False),
        ({"os": "ubuntu-24.04"}, False),  # protocol mismatch and no daemon
        ({"os": "ubuntu-24.04", "daemons": ["hv_vss_daemon"]}, True),  # mismatch, but the freeze works
        ({"state": "Paused"}, False),
        ({"state": "Saved"}, False),
    ],
)
def test_vss_availability(vm_data: dict, available: bool) -> None:
    h = harness(**vm_data)
    assert h.vm("vm1").vss_available(h.now()) is available


def test_a_disabled_gsi_makes_copy_vm_file_fail() -> None:
    h = harness()
    h.model.files.write("C:\\Users\\Administrator\\Documents\\a.txt", b"x")
    [err] = h.run(cmd("Copy-VMFile", "vm1", "a.txt", "C:\\Temp\\", FileSource="Host")).errors
    assert err.message.startswith("Failed to initiate copying files to the guest.")
    assert not h.vm("vm1").files.exists("C:\\Temp\\a.txt")
