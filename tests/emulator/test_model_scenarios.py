"""Built-in scenarios and the JSON scenario format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_harness import FakeClock

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.reference import CheckpointType, ComponentStatus, HeartbeatStatus, VmState
from hvgui.emulator.scenarios import build_scenario, load_scenario


def all_vms(scenario):
    return [vm for host in scenario.hosts for vm in host.model.vms]


def test_demo_has_three_hosts_of_about_eight_vms() -> None:
    s = load_scenario("demo")
    assert s.name == "demo"
    assert [h.name for h in s.hosts] == ["HV-DEMO-01", "HV-DEMO-02", "HV-DEMO-03"]
    assert all(6 <= len(h.model.vms) <= 10 for h in s.hosts)
    assert all(h.delay == 0 for h in s.hosts)


def test_demo_covers_the_features_the_console_shows() -> None:
    clock = FakeClock()
    s = load_scenario("demo", clock=clock)
    vms = all_vms(s)
    now = clock.now
    families = {vm.guest.os.family for vm in vms}
    assert families == {"windows", "linux"}
    assert any(vm.guest.domain_controller for vm in vms)
    states = [vm.state(now) for vm in vms]
    assert VmState.Off in states and VmState.Saved in states and VmState.Paused in states
    # A Linux guest without hv_kvp_daemon: its KVP component shows No Contact.
    assert any(
        not vm.guest.os.is_windows and vm.component_status(ic.KVP.ic_guid, now) == (ComponentStatus.NoContact,)
        for vm in vms
    )
    # Guest Service Interface is disabled by default, as on real hosts (one VM enables it on purpose).
    gsi = [vm.components[ic.GUEST_SERVICE_INTERFACE.ic_guid].enabled for vm in vms]
    assert gsi.count(True) == 1
    assert any(not vm.name.isascii() for vm in vms)
    assert any(all(c in vm.name for c in ("'", "$(", "`")) for vm in vms)
    heartbeats = {vm.heartbeat(now) for vm in vms}
    assert {HeartbeatStatus.OkApplicationsHealthy, HeartbeatStatus.OkApplicationsUnknown} <= heartbeats
    assert {HeartbeatStatus.Disabled, HeartbeatStatus.OkApplicationsCritical, HeartbeatStatus.Paused} <= heartbeats


def test_demo_has_a_guest_whose_heartbeat_flaps() -> None:
    clock = FakeClock()
    s = load_scenario("demo", clock=clock)
    fileserver = next(vm for vm in all_vms(s) if vm.guest.hang is not None)
    seen = set()
    for _ in range(200):
        seen.add(fileserver.heartbeat(clock.now))
        clock.advance(1)
    assert {HeartbeatStatus.OkApplicationsHealthy, HeartbeatStatus.LostCommunication} <= seen


def test_large_scenario_sizes() -> None:
    assert [len(h.model.vms) for h in load_scenario("large").hosts] == [100]
    large = load_scenario("large:1000")
    assert len(large.hosts) == 1 and len(large.hosts[0].model.vms) == 1000
    assert len({vm.id for vm in large.hosts[0].model.vms}) == 1000
    assert load_scenario("large:0").hosts[0].model.vms == []


def test_same_seed_same_ids_other_seed_other_ids() -> None:
    def ids(spec: str, seed: int | None) -> list[str]:
        return [str(vm.id) for vm in all_vms(load_scenario(spec, seed=seed))]

    assert ids("demo", None) == ids("demo", None)
    assert ids("demo", 3) == ids("demo", 3)
    assert ids("demo", 3) != ids("demo", 4)
    assert ids("large:50", 1) == ids("large:50", 1) != ids("large:50", 2)


def test_figures_are_deterministic_too() -> None:
    def figures() -> list[tuple]:
        clock = FakeClock()
        s = load_scenario("large:30", clock=clock)
        return [(vm.uptime(clock.now), vm.cpu_usage(clock.now), vm.memory_assigned(clock.now)) for vm in all_vms(s)]

    assert figures() == figures()


def test_de_de_host_is_german() -> None:
    [host] = load_scenario("de-DE").hosts
    assert host.name == "HV-DE-01"
    assert host.model.texts.component_names[ic.HEARTBEAT.ic_guid] == "Takt"
    assert host.model.texts.component_names[ic.KVP.ic_guid] == "Austausch von Schlüsselwertepaaren"


def test_a_json_file_scenario(tmp_path: Path) -> None:
    path = tmp_path / "lab.json"
    document = {
        "name": "lab",
        "hosts": [
            {
                "name": "HV-LAB",
                "vms": [
                    {"name": "one", "os": "rhel-9", "state": "Running", "uptime": 100, "memory_mb": 1024},
                    {
                        "name": "two",
                        "integration_services": {"guestservice": True, "84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47": False},
                    },
                ],
            }
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    clock = FakeClock()
    s = load_scenario(str(path), seed=5, clock=clock)
    assert (s.name, s.seed, [h.name for h in s.hosts]) == ("lab", 5, ["HV-LAB"])
    one, two = s.hosts[0].model.vms
    assert (one.state(clock.now), one.uptime(clock.now), one.hardware.memory_startup) == (
        VmState.Running,
        100,
        1024 * 2**20,
    )
    assert two.state(clock.now) is VmState.Running and two.guest.os.key == "windows-server-2022"
    assert two.components[ic.GUEST_SERVICE_INTERFACE.ic_guid].enabled
    assert not two.components[ic.HEARTBEAT.ic_guid].enabled


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown scenario 'nope'"),
        ("large:many", "bad VM count"),
        ("/no/such/file.json", "scenario file not found"),
    ],
)
def test_bad_scenario_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_scenario(spec)


def test_bad_scenario_content_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"hosts": [{"name": "H", "vms": [{"name": "x", "os": "os/2"}]}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown guest os 'os/2'"):
        load_scenario(str(path))
    path.write_text('{"hosts": [{"name": "H", "vms": [{"name": "x", "state": "Starting"}]}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="Off, Running, Saved or Paused"):
        load_scenario(str(path))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_scenario(str(path))


def test_demo_shows_the_checkpoint_and_service_cases_of_issue_3() -> None:
    clock = FakeClock()
    s = load_scenario("demo", clock=clock)
    vms = {vm.name: vm for vm in all_vms(s)}
    assert vms["sql01"].hardware.checkpoint_type is CheckpointType.ProductionOnly
    assert vms["sql01"].vss_available(clock.now)  # its checkpoints work until VSS goes away
    assert not vms["print01"].components[ic.VSS.ic_guid].enabled
    assert not vms["print01"].vss_available(clock.now)  # Production: falls back to standard
    product_types = {name: vm.kvp_intrinsic_items(clock.now).get("ProductType") for name, vm in vms.items()}
    assert {name for name, p in product_types.items() if p == "2"} == {"dc01", "dc02"}
    assert vms["test-linux"].guest.clock_drift_ppm == 180.0


def test_clock_drift_defaults_and_hv_utils_in_a_json_scenario() -> None:
    document = {
        "name": "lab",
        "clock": {"drift_ppm": 12.5},
        "hosts": [
            {"name": "A", "vms": [{"name": "a1"}, {"name": "a2", "clock": {"drift_ppm": -3}}]},
            {"name": "B", "clock": {"drift_ppm": 99}, "vms": [{"name": "b1", "os": "rhel-9", "hv_utils": False}]},
        ],
    }
    s = build_scenario(document, clock=FakeClock())
    drift = {vm.name: vm.guest.clock_drift_ppm for vm in all_vms(s)}
    assert drift == {"a1": 12.5, "a2": -3, "b1": 99}
    b1 = s.hosts[1].model.vms[0]
    assert b1.guest.hv_utils is False and not b1.guest.runs_service_for(ic.HEARTBEAT.ic_guid)


def test_guest_accounts_default_and_come_from_the_vm_else_its_host() -> None:
    document = {
        "name": "accounts",
        "hosts": [
            {
                "name": "A",
                "guest_credentials": {"user": ".\\LabAdmin", "password": "host-wide"},
                "vms": [
                    {"name": "a1"},
                    {"name": "a2", "guest_credentials": {"password": "own $(pass) 'x'"}},
                    {"name": "lin", "os": "ubuntu-24.04"},
                ],
            },
            {"name": "B", "vms": [{"name": "b1", "hostname": "WEB01"}]},
        ],
    }
    s = build_scenario(document, clock=FakeClock())
    vms = {vm.name: vm.guest for vm in all_vms(s)}
    assert vms["a1"].accepts(".\\LabAdmin", "host-wide") and vms["a1"].accepts("labadmin", "host-wide")
    assert not vms["a1"].accepts(".\\LabAdmin", "HOST-WIDE")  # passwords are case-sensitive
    assert vms["a2"].accepts(".\\Administrator", "own $(pass) 'x'")  # the VM's key replaces the host's whole
    assert not vms["a2"].accepts(".\\LabAdmin", "host-wide")
    assert vms["b1"].accepts(".\\Administrator", "Guest-Demo-1!") and vms["b1"].accepts(
        "web01\\ADMINISTRATOR", "Guest-Demo-1!"
    )
    assert not vms["b1"].accepts("OTHER\\Administrator", "Guest-Demo-1!")  # a domain account it does not know
    assert not vms["lin"].accepts(".\\LabAdmin", "host-wide")  # PowerShell Direct signs no one in on Linux
    assert all("host-wide" not in repr(g) and "Guest-Demo-1!" not in repr(g) for g in vms.values())


def test_every_windows_guest_of_the_demo_has_the_documented_account() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`.\\Administrator` with the password `Guest-Demo-1!`" in readme
    windows = [vm.guest for vm in all_vms(load_scenario("demo")) if vm.guest.os.is_windows]
    assert windows and all(g.accepts(".\\Administrator", "Guest-Demo-1!") for g in windows)
