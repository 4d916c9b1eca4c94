"""Live updates in a session: changes pushed by the host's watcher, polling when it dies, live again after a
reconnect. Inventories are counted in the emulator's command log, which sees every pipeline the client sends."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from remoting_support import FreezableProxy, Recorder, is_inventory, read_command_log, run

from hvgui.domain.connection import HostState, UpdateMode
from hvgui.domain.vm import HeartbeatStatus
from hvgui.emulator import RunningEmulator
from hvgui.emulator.hyperv import heartbeats
from hvgui.remoting import HostSession, RefreshConfig, SessionManager
from hvgui.remoting.session_manager import SCANNING_NOTE

#: Live updates with a safety inventory far in the future and no retry of a failed watcher, so that any
#: inventory in these tests has another reason (connect, gap, polling, reconnect).
LIVE = RefreshConfig(
    push=True, poll_interval=0.3, safety_interval=600, watch_interval=0.05, tick=1, silence=30, retry_after=600
)


def _inventories(log: Path, host: str) -> int:
    return sum(1 for e in read_command_log(log) if e["host"] == host and e["command"] == "Get-HvGuiInventory")


async def _wait_until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), 60)


def _heartbeat_is(key: str, vm_id: str, status: HeartbeatStatus) -> Callable[[str, Any], bool]:
    def matches(kind: str, event: Any) -> bool:
        if kind != "inventory" or event[0].host != key:
            return False
        return any(vm.vm_id == vm_id and vm.heartbeat is status for vm in event[1].changed)

    return matches


async def _live_session(demo: RunningEmulator, index: int) -> tuple[SessionManager, HostSession, Recorder]:
    manager = SessionManager(refresh=LIVE)
    recorder = Recorder()
    manager.subscribe(recorder)
    endpoint = demo.endpoints[index]
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    await _wait_until(lambda: session.status.update_mode is UpdateMode.Live)
    return manager, session, recorder


def test_a_host_without_heartbeat_events_is_live_by_scanning_and_says_so(demo: RunningEmulator) -> None:
    model = demo.scenario.hosts[2].model
    vm = next(v for v in model.vms if v.guest_booted(model.now()) and v.heartbeat(model.now()) is not None)
    model.heartbeat_indications = False

    async def body() -> None:
        manager, session, recorder = await _live_session(demo, 2)
        assert session.status.updates_text == "live" and session.status.update_note == SCANNING_NOTE
        start = len(recorder.events)
        heartbeats.hang(model, [vm.id])
        await recorder.wait_for(_heartbeat_is(session.key, str(vm.id), HeartbeatStatus.LostCommunication), start=start)
        heartbeats.recover(model, [vm.id])
        await manager.aclose()

    try:
        run(body)
    finally:
        model.heartbeat_indications = True


def test_a_heartbeat_change_is_published_without_a_full_inventory(demo: RunningEmulator, command_log: Path) -> None:
    model = demo.scenario.hosts[1].model
    vm = next(v for v in model.vms if v.name == "exchange01")

    async def body() -> None:
        manager, session, recorder = await _live_session(demo, 1)
        assert session.status.updates_text == "live" and session.status.update_note == ""
        before = _inventories(command_log, model.name)
        start = len(recorder.events)
        heartbeats.hang(model, [vm.id])
        index = await recorder.wait_for(
            _heartbeat_is(session.key, str(vm.id), HeartbeatStatus.LostCommunication), start=start
        )
        inventory, diff = recorder.events[index][1]
        # The demo's other guests live on meanwhile (one may change in the same record); none is added or removed.
        assert str(vm.id) in [changed.vm_id for changed in diff.changed] and not diff.added and not diff.removed
        assert session.inventory is inventory and not session.is_stale
        heartbeats.recover(model, [vm.id])
        await recorder.wait_for(
            _heartbeat_is(session.key, str(vm.id), HeartbeatStatus.OkApplicationsHealthy), start=index
        )
        assert _inventories(command_log, model.name) == before  # both arrived as records, no inventory read
        await manager.aclose()

    run(body)


def test_an_operation_still_gets_the_next_inventory(demo: RunningEmulator) -> None:
    async def body() -> None:
        manager, session, _recorder = await _live_session(demo, 1)
        inventory = await asyncio.wait_for(session.next_inventory(), 60)  # merged refreshes keep working
        assert inventory is session.inventory or inventory.host == session.key
        assert session.status.update_mode is UpdateMode.Live
        await manager.aclose()

    run(body)


def test_a_killed_watcher_falls_back_to_polling_and_comes_back_after_a_reconnect(
    demo: RunningEmulator, command_log: Path
) -> None:
    model = demo.scenario.hosts[1].model
    server = demo.server(model.name)
    vm = next(v for v in model.vms if v.name == "exchange01")

    async def body() -> None:
        manager, session, recorder = await _live_session(demo, 1)
        heartbeats.kill_watchers(model)
        await _wait_until(lambda: session.status.update_mode is UpdateMode.Polling)
        status = session.status
        assert status.updates_text == "polling every 0.3 s"
        assert "change watcher stopped" in status.update_note and "Generic failure" in status.update_note
        # Polling keeps the view current: the change arrives with an inventory.
        polled = _inventories(command_log, model.name)
        start = len(recorder.events)
        heartbeats.hang(model, [vm.id])
        await recorder.wait_for(_heartbeat_is(session.key, str(vm.id), HeartbeatStatus.LostCommunication), start=start)
        assert _inventories(command_log, model.name) > polled
        await asyncio.sleep(1)
        assert session.status.update_mode is UpdateMode.Polling  # no retry before a reconnect (retry_after)

        # The host drops off the network and comes back: the session reconnects and goes live again.
        server.stop()
        await recorder.wait_for_state(session.key, HostState.Failed, start=start)
        server.start()
        await _wait_until(lambda: session.status.state is HostState.Connected)
        await _wait_until(lambda: session.status.update_mode is UpdateMode.Live)
        assert session.status.update_note == ""
        start = len(recorder.events)
        heartbeats.recover(model, [vm.id])
        await recorder.wait_for(
            _heartbeat_is(session.key, str(vm.id), HeartbeatStatus.OkApplicationsHealthy), start=start
        )
        watches = [
            e for e in read_command_log(command_log) if e["host"] == model.name and e["command"] == "Watch-HvGuiChange"
        ]
        assert len(watches) == 2
        await manager.aclose()

    run(body)


def test_a_host_without_the_watcher_is_polled_and_says_why(demo: RunningEmulator) -> None:
    from hvgui.emulator.hyperv import functions

    model = demo.scenario.hosts[2].model
    watcher = functions.FUNCTIONS.pop("watch-hvguichange")  # an older host module: the function is unknown
    try:

        async def body() -> None:
            manager = SessionManager(refresh=LIVE)
            recorder = Recorder()
            manager.subscribe(recorder)
            endpoint = demo.endpoint(model.name)
            session = manager.add_host(endpoint.connection_settings(), endpoint.password)
            await _wait_until(lambda: "cannot run" in session.status.update_note)
            assert session.status.update_mode is UpdateMode.Polling
            assert session.status.state is HostState.Connected
            await manager.aclose()

        run(body)
    finally:
        functions.FUNCTIONS["watch-hvguichange"] = watcher


def test_a_clock_jump_reads_the_inventory_again_and_says_so(demo: RunningEmulator, command_log: Path) -> None:
    model = demo.scenario.hosts[0].model

    async def body() -> None:
        manager, session, _recorder = await _live_session(demo, 0)
        before = _inventories(command_log, model.name)
        heartbeats.jump_wall_clock(model, -7200)
        await _wait_until(lambda: "clock jumped" in session.status.update_note)
        await _wait_until(lambda: _inventories(command_log, model.name) > before)
        assert session.status.update_mode is UpdateMode.Live
        await manager.aclose()

    run(body)


def test_a_watcher_that_ends_after_its_duration_starts_again_after_a_full_inventory(
    demo: RunningEmulator, command_log: Path
) -> None:
    model = demo.scenario.hosts[0].model

    async def body() -> None:
        manager = SessionManager(refresh=dataclasses.replace(LIVE, watch_duration=1))
        recorder = Recorder()
        manager.subscribe(recorder)
        endpoint = demo.endpoint(model.name)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)

        def watches() -> int:
            return sum(1 for e in read_command_log(command_log) if e["command"] == "Watch-HvGuiChange")

        await _wait_until(lambda: watches() >= 2)  # the second run follows a gap: its hello asks for an inventory
        await _wait_until(lambda: _inventories(command_log, model.name) >= 2)
        assert session.status.update_mode is UpdateMode.Live and session.status.state is HostState.Connected
        await manager.aclose()

    run(body)


def test_a_silent_change_stream_is_given_up_and_the_host_polled(demo: RunningEmulator) -> None:
    model = demo.scenario.hosts[0].model
    proxy = FreezableProxy(demo.endpoint(model.name).port)

    async def body() -> None:
        manager = SessionManager(refresh=dataclasses.replace(LIVE, silence=1.5))
        endpoint = demo.endpoint(model.name)
        settings = dataclasses.replace(endpoint.connection_settings(), port=proxy.port)
        session = manager.add_host(settings, endpoint.password)
        await _wait_until(lambda: session.status.update_mode is UpdateMode.Live)
        proxy.frozen.set()  # the host hangs: connections stay open, nothing arrives
        await _wait_until(lambda: session.status.update_mode is UpdateMode.Polling)
        assert "silent for 1.5 s" in session.status.update_note
        proxy.frozen.clear()
        await manager.aclose()

    try:
        run(body)
    finally:
        proxy.close()
