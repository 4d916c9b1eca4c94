"""The VM state machine and what the guest shows, driven by a hand-moved clock."""

from __future__ import annotations

import pytest
from model_harness import FakeClock, Harness, one_host

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.guest import OS_PROFILES
from hvgui.emulator.hyperv.reference import ComponentStatus, HeartbeatStatus, VmState
from hvgui.emulator.hyperv.vm import (
    PAUSE_SECONDS,
    RESUME_SECONDS,
    START_SECONDS,
    Action,
    AlreadyInState,
    InvalidState,
)

WS2022_BOOT = OS_PROFILES["windows-server-2022"].boot_seconds


def harness(**vm: object) -> Harness:
    return Harness(one_host({"name": "vm1", "os": "windows-server-2022", "state": "Off", **vm}))


def test_start_goes_through_starting_and_the_guest_boot() -> None:
    h = harness(memory_mb=4096)
    vm, clock = h.vm("vm1"), h.clock
    assert vm.state(clock.now) is VmState.Off
    assert vm.heartbeat(clock.now) is None
    assert vm.memory_assigned(clock.now) == 0 and vm.uptime(clock.now) == 0
    vm.change_state(Action.Start, clock.now)
    assert vm.state(clock.now) is VmState.Starting
    assert vm.heartbeat(clock.now) is HeartbeatStatus.NoContact
    clock.advance(START_SECONDS)
    assert vm.state(clock.now) is VmState.Running
    assert vm.heartbeat(clock.now) is HeartbeatStatus.NoContact  # running, but the guest still boots
    assert vm.memory_assigned(clock.now) == 4096 * 1024 * 1024
    clock.advance(WS2022_BOOT)
    assert vm.heartbeat(clock.now) is HeartbeatStatus.OkApplicationsHealthy
    assert vm.uptime(clock.now) == pytest.approx(START_SECONDS + WS2022_BOOT)


def test_transitions_follow_the_module_state_map() -> None:
    h = harness()
    vm, now = h.vm("vm1"), h.clock.now
    with pytest.raises(AlreadyInState):
        vm.change_state(Action.Stop, now)
    with pytest.raises(InvalidState):
        vm.change_state(Action.Save, now)
    with pytest.raises(InvalidState):
        vm.change_state(Action.Suspend, now)
    vm.change_state(Action.Start, now)
    with pytest.raises(InvalidState):  # Starting is neither Running nor a startable state
        vm.change_state(Action.Start, now)


def test_guest_shutdown_takes_as_long_as_the_guest_os() -> None:
    h = harness(state="Running", uptime=3600)
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.ShutDown, clock.now)
    assert vm.state(clock.now) is VmState.Stopping
    clock.advance(OS_PROFILES["windows-server-2022"].shutdown_seconds)
    assert vm.state(clock.now) is VmState.Off
    assert vm.heartbeat(clock.now) is None


def test_turn_off_is_immediate_and_save_takes_a_moment() -> None:
    h = harness(state="Running", uptime=3600, memory_mb=4096)
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.Save, clock.now)
    assert vm.state(clock.now) is VmState.Saving
    clock.advance(4.9)  # ~1 s + 1 s per GiB of memory
    assert vm.state(clock.now) is VmState.Saving
    clock.advance(0.1)
    assert vm.state(clock.now) is VmState.Saved
    assert vm.uptime(clock.now) == 0 and vm.memory_assigned(clock.now) == 0
    assert vm.heartbeat(clock.now) is HeartbeatStatus.Unknown
    vm.change_state(Action.Stop, clock.now)  # turning off a saved VM discards the saved state
    assert vm.state(clock.now) is VmState.Off


def test_restore_from_saved_does_not_boot_the_guest_again() -> None:
    h = harness(state="Saved")
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.Start, clock.now)
    clock.advance(START_SECONDS)
    assert vm.state(clock.now) is VmState.Running
    assert vm.heartbeat(clock.now) is HeartbeatStatus.OkApplicationsHealthy


def test_pause_freezes_uptime_and_resume_continues() -> None:
    h = harness(state="Running", uptime=1000)
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.Suspend, clock.now)
    clock.advance(PAUSE_SECONDS)
    assert vm.state(clock.now) is VmState.Paused
    assert vm.heartbeat(clock.now) is HeartbeatStatus.Paused
    assert vm.cpu_usage(clock.now) == 0
    clock.advance(500)
    assert vm.uptime(clock.now) == pytest.approx(1000)
    vm.change_state(Action.Resume, clock.now)
    assert vm.state(clock.now) is VmState.Resuming
    clock.advance(RESUME_SECONDS)
    assert vm.state(clock.now) is VmState.Running
    assert vm.uptime(clock.now) == pytest.approx(1000 + RESUME_SECONDS)


def test_restart_resets_uptime_and_the_guest_boots_again() -> None:
    h = harness(state="Running", uptime=5000)
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.Restart, clock.now)
    assert vm.state(clock.now) is VmState.Reset
    assert vm.uptime(clock.now) == 0
    clock.advance(2)
    assert vm.state(clock.now) is VmState.Running
    assert vm.heartbeat(clock.now) is HeartbeatStatus.NoContact


def test_cpu_is_deterministic_per_sample_and_zero_when_not_running() -> None:
    a, b = harness(state="Running", uptime=7200, cpu_load=10), harness(state="Running", uptime=7200, cpu_load=10)
    samples_a = [a.vm("vm1").cpu_usage(a.clock.now + 2 * i) for i in range(20)]
    samples_b = [b.vm("vm1").cpu_usage(b.clock.now + 2 * i) for i in range(20)]
    assert samples_a == samples_b
    assert len(set(samples_a)) > 3 and all(0 <= s <= 100 for s in samples_a)
    assert harness().vm("vm1").cpu_usage(0) == 0


def test_dynamic_memory_stays_within_its_bounds() -> None:
    h = harness(
        state="Running", uptime=7200, dynamic_memory=True, memory_mb=2048, memory_min_mb=1024, memory_max_mb=3000
    )
    vm = h.vm("vm1")
    values = {vm.memory_assigned(h.clock.now + 10 * i) for i in range(30)}
    assert len(values) > 1
    assert all(1024 * 2**20 <= v <= 3000 * 2**20 for v in values)
    assert vm.memory_demand(h.clock.now) > 0


@pytest.mark.parametrize(
    ("os", "expected"),
    [
        ("windows-server-2022", HeartbeatStatus.OkApplicationsHealthy),
        ("windows-10", HeartbeatStatus.OkApplicationsHealthy),
        ("ubuntu-22.04", HeartbeatStatus.OkApplicationsUnknown),
        ("ubuntu-24.04", HeartbeatStatus.OkApplicationsUnknown),
        ("rhel-9", HeartbeatStatus.OkApplicationsUnknown),
    ],
)
def test_heartbeat_of_each_guest_kind(os: str, expected: HeartbeatStatus) -> None:
    h = harness(os=os, state="Running", uptime=3600)
    assert h.vm("vm1").heartbeat(h.clock.now) is expected
    status = h.vm("vm1").component_status(ic.HEARTBEAT.ic_guid, h.clock.now)
    # Windows reports application health as the secondary status; Linux reports none.
    assert status == ((ComponentStatus.Ok, ComponentStatus.Ok) if os.startswith("windows") else (ComponentStatus.Ok,))


def test_heartbeat_disabled_and_applications_critical() -> None:
    h = harness(state="Running", uptime=3600, integration_services={"Heartbeat": False})
    assert h.vm("vm1").heartbeat(h.clock.now) is HeartbeatStatus.Disabled
    h = harness(state="Running", uptime=3600, applications_critical=True)
    assert h.vm("vm1").heartbeat(h.clock.now) is HeartbeatStatus.OkApplicationsCritical


def test_a_hanging_guest_makes_the_heartbeat_flap() -> None:
    boot = OS_PROFILES["windows-server-2022"].boot_seconds
    h = harness(state="Running", uptime=boot, hang={"every": 60, "for": 10, "first_after": 5})
    vm, clock = h.vm("vm1"), h.clock
    seen = []
    for _ in range(130):
        seen.append(vm.heartbeat(clock.now))
        clock.advance(1)
    assert seen[0] is HeartbeatStatus.OkApplicationsHealthy
    assert seen[5:15] == [HeartbeatStatus.LostCommunication] * 10
    assert seen[15] is HeartbeatStatus.OkApplicationsHealthy
    assert seen[65] is HeartbeatStatus.LostCommunication  # the next hang a minute later
    assert vm.component_status(ic.HEARTBEAT.ic_guid, clock.now - 130 + 6) == (ComponentStatus.LostCommunication,)


def test_linux_guest_without_daemons_shows_no_contact_for_kvp_and_gsi() -> None:
    h = harness(os="ubuntu-24.04", state="Running", uptime=3600, integration_services={"Guest Service Interface": True})
    vm, now = h.vm("vm1"), h.clock.now
    assert vm.component_status(ic.KVP.ic_guid, now) == (ComponentStatus.NoContact,)
    assert vm.component_status(ic.GUEST_SERVICE_INTERFACE.ic_guid, now) == (ComponentStatus.NoContact,)
    assert vm.component_status(ic.SHUTDOWN.ic_guid, now) == (ComponentStatus.Ok,)  # hv_utils, in the kernel
    # The genuine Ubuntu 24.04 sample: VSS answers with an older protocol.
    assert vm.component_status(ic.VSS.ic_guid, now) == (ComponentStatus.Ok, ComponentStatus.ProtocolMismatch)


def test_linux_guest_with_daemons_answers_every_component() -> None:
    h = harness(os="rhel-9", state="Running", uptime=3600, integration_services={"Guest Service Interface": True})
    vm, now = h.vm("vm1"), h.clock.now
    assert all(vm.component_status(g, now) == (ComponentStatus.Ok,) for g in vm.components if g != ic.HEARTBEAT.ic_guid)


def test_components_of_an_off_vm_report_nothing_and_disabled_ones_report_ok() -> None:
    h = harness()
    vm = h.vm("vm1")
    assert all(vm.component_status(g, h.clock.now) == () for g in vm.components)
    h = harness(state="Running", uptime=3600)
    vm = h.vm("vm1")
    assert not vm.components[ic.GUEST_SERVICE_INTERFACE.ic_guid].enabled  # disabled by default
    assert vm.component_status(ic.GUEST_SERVICE_INTERFACE.ic_guid, h.clock.now) == (ComponentStatus.Ok,)


def test_a_stopped_windows_service_shows_no_contact() -> None:
    h = harness(state="Running", uptime=3600, stopped_services=["vmickvpexchange"])
    assert h.vm("vm1").component_status(ic.KVP.ic_guid, h.clock.now) == (ComponentStatus.NoContact,)


def test_guest_services_stop_answering_late_in_a_shutdown() -> None:
    h = harness(state="Running", uptime=3600)
    vm, clock = h.vm("vm1"), h.clock
    vm.change_state(Action.ShutDown, clock.now)
    assert vm.heartbeat(clock.now) is HeartbeatStatus.OkApplicationsHealthy
    clock.advance(OS_PROFILES["windows-server-2022"].shutdown_seconds * 0.75)
    assert vm.heartbeat(clock.now) is HeartbeatStatus.LostCommunication


def test_guest_clock_drifts_only_without_time_sync() -> None:
    h = harness(state="Running", uptime=3600, clock={"offset": 1.0, "drift_ppm": 100.0})
    vm, clock = h.vm("vm1"), h.clock
    assert vm.guest_clock_offset(clock.now) == 0.0  # time sync keeps it in step
    vm.set_component_enabled(ic.TIME_SYNC.ic_guid, False, clock.now)
    clock.advance(10_000)
    assert vm.guest_clock_offset(clock.now) == pytest.approx(1.0)  # 100 ppm of 10000 s
    vm.set_component_enabled(ic.TIME_SYNC.ic_guid, True, clock.now)
    assert vm.guest_clock_offset(clock.now) == pytest.approx(1.0)  # the guest's time service is not back yet
    clock.advance(600)
    assert abs(vm.guest_clock_offset(clock.now)) < 0.001  # slewed back into step


def test_kvp_intrinsic_items_per_guest_kind() -> None:
    windows = harness(state="Running", uptime=10, domain_controller=True, hostname="DC01").vm("vm1").kvp.intrinsic()
    assert windows["OSName"] == "Windows Server 2022 Datacenter"
    assert windows["ProductType"] == "2"  # a domain controller
    assert windows["FullyQualifiedDomainName"] == "DC01.test.local"
    assert "OSEditionId" in windows and "RDPAddressIPv4" in windows
    linux = harness(os="ubuntu-22.04", state="Running", uptime=10).vm("vm1").kvp.intrinsic()
    assert linux["OSName"] == "Ubuntu" and linux["ProcessorArchitecture"] == "x86_64"
    assert len(linux) == 10  # hv_kvp_daemon serves only items 0-9
    auto = harness().vm("vm1").kvp.auto_external
    assert auto["VirtualMachineName"] == "vm1" and auto["PhysicalHostName"] == "HV-TEST"


def test_guest_file_systems_follow_their_os_rules() -> None:
    windows = harness().vm("vm1").files
    assert windows.exists("c:\\windows\\system32\\DRIVERS\\etc\\hosts")
    windows.write("C:\\Temp\\a.txt", b"x")
    with pytest.raises(FileExistsError):
        windows.write("c:\\temp\\A.TXT", b"y", overwrite=False)
    with pytest.raises(FileNotFoundError):
        windows.write("C:\\missing\\dir\\f.txt", b"y", create_parents=False)
    linux = harness(os="rhel-9").vm("vm1").files
    assert linux.read("/etc/hostname") == b"VM1\n"
    assert not linux.exists("/ETC/hostname")


def test_a_shared_clock_moves_every_vm() -> None:
    clock = FakeClock()
    h = Harness(one_host({"name": "a", "state": "Off"}, {"name": "b", "state": "Off"}), clock=clock)
    for name in ("a", "b"):
        h.vm(name).change_state(Action.Start, clock.now)
    clock.advance(START_SECONDS)
    assert [h.vm(n).state(clock.now) for n in ("a", "b")] == [VmState.Running, VmState.Running]
