"""HostApi against the demo scenario: what arrives is what the host holds."""

from __future__ import annotations

import asyncio
import time

from remoting_support import run

from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, INTEGRATION_COMPONENTS
from hvgui.domain.vm import VmState
from hvgui.emulator import RunningEmulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi


def _api(emulator: RunningEmulator, index: int) -> HostApi:
    endpoint = emulator.endpoints[index]
    return HostApi(HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5))


def test_inventory_of_every_demo_host_matches_the_host(demo: RunningEmulator) -> None:
    apis = [_api(demo, i) for i in range(len(demo.endpoints))]

    async def body() -> list:
        reports = await asyncio.gather(*(api.inventory() for api in apis))
        for api in apis:
            await api.connection.close()
        return reports

    started = time.monotonic()
    reports = run(body)
    saw_off = saw_gsi_disabled = False
    for api, report, host in zip(apis, reports, demo.scenario.hosts, strict=True):
        model = host.model
        assert report.host_name == model.name
        inventory = report.inventory
        assert inventory.host == api.key
        with model.lock:
            expected = list(model.vms)  # the host's enumeration order (the CIM queries do not sort)
            now = model.now()
            assert [vm.vm_id for vm in inventory.vms] == [str(vm.id) for vm in expected]
            for vm, source in zip(inventory.vms, expected, strict=True):
                assert vm.name == source.name
                assert vm.host == api.key
                assert vm.state.name == source.state(now).name  # the model speaks the reference's enums
                if vm.state is VmState.Off:
                    saw_off = True
                    assert vm.heartbeat is None
                    assert vm.booted_at is None
                else:
                    # The boot time the host sent gives the model's uptime, by the clock of this computer.
                    assert abs(vm.uptime() - source.uptime(now)) <= 3
                    assert getattr(vm.heartbeat, "name", None) == getattr(source.heartbeat(now), "name", None)
                guids = [s.ic_guid for s in vm.integration_services]
                assert sorted(guids) == sorted(s.ic_guid for s in INTEGRATION_COMPONENTS)
                for service in vm.integration_services:
                    assert service.info is not None
                    assert service.enabled is source.components[service.ic_guid].enabled
                    if service.ic_guid == GUEST_SERVICE_INTERFACE.ic_guid and not service.enabled:
                        saw_gsi_disabled = True
        assert inventory.fetched_at >= started - 5
    assert saw_off and saw_gsi_disabled


def test_get_vm_host_names_the_host(demo: RunningEmulator) -> None:
    api = _api(demo, 0)

    async def body():
        info = await api.get_vm_host()
        await api.connection.close()
        return info

    info = run(body)
    model = demo.scenario.hosts[0].model
    assert info.name == model.name
    assert info.logical_processor_count == model.settings.logical_processor_count
    assert info.memory_capacity == model.settings.memory_capacity


def test_get_vms_by_name_and_all(demo: RunningEmulator) -> None:
    api = _api(demo, 0)
    model = demo.scenario.hosts[0].model
    first = model.vms_by_name()[0]

    async def body():
        everything = await api.get_vms()
        one = await api.get_vms(first.name)
        await api.connection.close()
        return everything, one

    everything, one = run(body)
    assert [vm.vm_id for vm in everything] == [str(vm.id) for vm in model.vms_by_name()]
    assert [vm.vm_id for vm in one] == [str(first.id)]
