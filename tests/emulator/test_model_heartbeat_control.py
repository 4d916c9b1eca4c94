"""Changing heartbeats from outside a host (`heartbeats`), in process and through `--control` of a child process."""

from __future__ import annotations

import asyncio

import pytest

from hvgui.emulator.hyperv import heartbeats
from hvgui.emulator.hyperv.reference import HeartbeatStatus
from hvgui.emulator.process import EmulatorProcess
from hvgui.emulator.scenarios import load_scenario


@pytest.fixture
def model():
    return load_scenario("demo", seed=3).host("HV-DEMO-02").model


def _heartbeat(model, name: str) -> HeartbeatStatus | None:
    vm = next(v for v in model.vms if v.name == name)
    with model.lock:
        return vm.heartbeat(model.now())


def test_a_guest_hangs_recovers_and_reports_a_critical_application(model) -> None:
    vm = next(v for v in model.vms if v.name == "exchange01")
    assert _heartbeat(model, "exchange01") is HeartbeatStatus.OkApplicationsHealthy
    heartbeats.hang(model, [vm.id])
    assert _heartbeat(model, "exchange01") is HeartbeatStatus.LostCommunication
    heartbeats.recover(model, ["exchange01"])
    assert _heartbeat(model, "exchange01") is HeartbeatStatus.OkApplicationsHealthy
    heartbeats.set_applications_critical(model, [str(vm.id).upper()], True)
    assert _heartbeat(model, "exchange01") is HeartbeatStatus.OkApplicationsCritical


def test_a_hang_does_not_touch_vms_that_are_off_paused_or_without_heartbeat(model) -> None:
    names = ("rhel-db", "k8s-node-3", "jumpbox")
    before = [_heartbeat(model, name) for name in names]
    heartbeats.hang(model, names)
    assert (
        [_heartbeat(model, name) for name in names]
        == before
        == [
            None,
            HeartbeatStatus.Paused,
            HeartbeatStatus.Disabled,
        ]
    )


def test_control_commands_apply_or_say_why_not(model) -> None:
    other = load_scenario("demo", seed=3).host("HV-DEMO-01").model
    assert heartbeats.control([model, other], {"op": "hang", "host": "hv-demo-02", "vms": ["exchange01"]})["ok"]
    assert _heartbeat(model, "exchange01") is HeartbeatStatus.LostCommunication
    assert "name the host" in heartbeats.control([model, other], {"op": "hang", "vms": ["exchange01"]})["error"]
    assert not heartbeats.control([model], {"op": "hang", "vms": ["no-such-vm"]})["ok"]
    assert not heartbeats.control([model], {"op": "explode"})["ok"]
    wall = model.wall_clock()
    assert heartbeats.control([model], {"op": "clock-jump", "seconds": 3600})["ok"]
    assert model.wall_clock() - wall == pytest.approx(3600, abs=5)
    kills = heartbeats.kills(model)
    assert heartbeats.control([model], {"op": "kill-watchers"})["ok"] and heartbeats.kills(model) == kills + 1
    assert heartbeats.kills(other) == 0


def test_a_child_process_takes_control_commands_on_its_stdin() -> None:
    from hvgui.remoting import HostApi, HostConnection

    with EmulatorProcess.start("demo", tls=False, seed=3, control=True) as child:
        endpoint = next(e for e in child.endpoints if e.host_name == "HV-DEMO-02")
        answer = child.control({"op": "critical", "host": "HV-DEMO-02", "vms": ["exchange01"]})
        assert answer["ok"] and answer["op"] == "critical"
        assert not child.control({"op": "hang", "host": "HV-NOWHERE", "vms": []})["ok"]

        async def heartbeat() -> int:
            connection = HostConnection(endpoint.connection_settings(), endpoint.password)
            try:
                report = await HostApi(connection).inventory()
            finally:
                await connection.close()
            return next(vm.heartbeat for vm in report.inventory.vms if vm.name == "exchange01")

        assert asyncio.run(heartbeat()) == HeartbeatStatus.OkApplicationsCritical.value
