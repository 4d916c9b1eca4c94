"""SessionManager against emulated hosts: many hosts, dead, slow and dropping hosts, backoff, removal."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from remoting_support import Recorder, closed_port, is_inventory, is_status, read_command_log, run

from hvgui.domain.connection import AuthMethod, ConnectionSettings, HostState
from hvgui.domain.errors import AuthenticationFailed, HostUnreachable
from hvgui.emulator import RunningEmulator
from hvgui.remoting import Backoff, SessionManager


def _add_all(manager: SessionManager, emulator: RunningEmulator) -> list[str]:
    keys = []
    for endpoint in emulator.endpoints:
        keys.append(manager.add_host(endpoint.connection_settings(), endpoint.password).key)
    return keys


def _hvgui_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("hvgui-")]


def test_every_demo_host_connects_and_publishes_its_inventory(demo: RunningEmulator) -> None:
    assert len(demo.endpoints) >= 3

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2)
        recorder = Recorder()
        manager.subscribe(recorder)
        keys = _add_all(manager, demo)
        for key, endpoint in zip(keys, demo.endpoints, strict=True):
            connecting = await recorder.wait_for_state(key, HostState.Connecting)
            assert connecting.label == endpoint.host_name
            first = await recorder.wait_for(is_inventory(key))
            connected = await recorder.wait_for_state(key, HostState.Connected)
            assert recorder.index_of(is_status(key, HostState.Connecting)) < first
            inventory, diff = recorder.events[first][1]
            assert diff.host == key and not diff.removed and not diff.changed
            assert {vm.vm_id for vm in diff.added} == {vm.vm_id for vm in inventory.vms}
            assert connected.host_name == endpoint.host_name
            assert connected.vm_count == len(inventory.vms)
            assert connected.error is None
            session = manager.host(key)
            assert session.status.state is HostState.Connected
            assert session.inventory is not None
        assert [s.key for s in manager.hosts] == keys

        explicit = await manager.host(keys[0]).fetch_inventory()
        assert explicit.host == keys[0]
        await manager.aclose()
        for key in keys:
            assert recorder.statuses(key)[-1].state is HostState.Closed

    run(body)
    for thread in _hvgui_threads():  # aclose() ended every worker thread (they finish in the background)
        thread.join(timeout=30)
    assert _hvgui_threads() == []


def test_an_empty_inventory_is_still_published_once(demo: RunningEmulator) -> None:
    model = demo.scenario.hosts[0].model
    with model.lock:
        model.vms.clear()

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.1)
        recorder = Recorder()
        manager.subscribe(recorder)
        endpoint = demo.endpoints[0]
        key = manager.add_host(endpoint.connection_settings(), endpoint.password).key
        index = await recorder.wait_for(is_inventory(key))
        inventory, diff = recorder.events[index][1]
        assert inventory.vms == () and diff.is_empty
        await manager.host(key).fetch_inventory()
        await manager.host(key).fetch_inventory()
        assert len(recorder.inventories(key)) == 1  # nothing changed: nothing more published
        await manager.aclose()

    run(body)


def test_a_dead_host_fails_clearly_and_the_others_are_unaffected(demo: RunningEmulator) -> None:
    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2, connect_timeout=5)
        recorder = Recorder()
        manager.subscribe(recorder)
        port = closed_port()
        dead = ConnectionSettings("127.0.0.1", port, use_https=False, auth=AuthMethod.Basic, username="u")
        dead_key = manager.add_host(dead, "p").key
        keys = _add_all(manager, demo)
        failed = await recorder.wait_for_state(dead_key, HostState.Failed)
        assert isinstance(failed.error, HostUnreachable)
        assert f"127.0.0.1:{port}" in str(failed.error)
        assert failed.next_retry_at is not None
        for key in keys:
            await recorder.wait_for(is_inventory(key))
            await recorder.wait_for_state(key, HostState.Connected)
        assert manager.host(dead_key).inventory is None
        await manager.aclose()

    run(body)


def test_a_slow_host_does_not_delay_the_others(demo: RunningEmulator, command_log: Path) -> None:
    slow_host = demo.scenario.hosts[0]
    slow_host.delay = 1.5  # every pipeline on this host waits 1.5 s

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2)
        recorder = Recorder()
        manager.subscribe(recorder)
        slow_key, *fast_keys = _add_all(manager, demo)
        slow_first = await recorder.wait_for(is_inventory(slow_key))
        log = read_command_log(command_log)
        for key, endpoint in zip(fast_keys, demo.endpoints[1:], strict=True):
            fast_first = recorder.index_of(is_inventory(key))
            assert 0 <= fast_first < slow_first
            assert 0 <= recorder.index_of(is_status(key, HostState.Connected)) < slow_first
            # the fast hosts went on refreshing while the slow one worked on its first answer
            refreshes = [e for e in log if e["host"] == endpoint.host_name and e["command"] == "Get-HvGuiInventory"]
            assert len(refreshes) >= 2
        slow_host.delay = 0.0
        await manager.aclose()

    run(body)


def test_a_host_that_drops_fails_then_recovers_by_itself(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[1]

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.1)
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for_state(session.key, HostState.Connected)
        before = session.inventory
        assert before is not None

        mark = len(recorder.events)
        demo.server(endpoint.host_name).stop()
        failed = await recorder.wait_for_state(session.key, HostState.Failed, start=mark)
        assert isinstance(failed.error, HostUnreachable)
        assert f"{endpoint.address}:{endpoint.port}" in failed.error.message
        assert failed.error.hint
        assert session.inventory is before  # the last good inventory stays for the window to show

        mark = len(recorder.events)
        demo.server(endpoint.host_name).start()
        recovered = await recorder.wait_for_state(session.key, HostState.Connected, start=mark)
        assert recovered.error is None and recovered.next_retry_at is None
        assert session.connection.pools_opened == 2
        await manager.aclose()

    run(body)


def test_backoff_grows_while_failing_and_resets_after_success(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    server = demo.server(endpoint.host_name)
    backoffs: list[Backoff] = []

    def quick_backoff() -> Backoff:
        backoffs.append(Backoff(initial=0.05, maximum=0.4))
        return backoffs[-1]

    async def body() -> None:
        server.stop()
        manager = SessionManager(refresh_interval=0.1, backoff=quick_backoff)
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        index = -1
        for expected_failures in range(1, 6):
            index = await recorder.wait_for(is_status(session.key, HostState.Failed), start=index + 1)
            assert backoffs[0].failures >= expected_failures
        failed = [s for s in recorder.statuses(session.key) if s.state is HostState.Failed]
        assert all(s.next_retry_at is not None for s in failed)
        # Failed and Connecting alternate: each retry is announced
        states = [s.state for s in recorder.statuses(session.key)]
        assert states[:4] == [HostState.Connecting, HostState.Failed, HostState.Connecting, HostState.Failed]

        server.start()
        await recorder.wait_for_state(session.key, HostState.Connected, start=index)
        await recorder.wait_for(is_inventory(session.key))
        assert backoffs[0].failures == 0
        await manager.aclose()

    run(body)


def test_retry_now_skips_the_backoff_wait(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    server = demo.server(endpoint.host_name)

    async def body() -> None:
        server.stop()
        manager = SessionManager(refresh_interval=0.1, backoff=lambda: Backoff(initial=3600, maximum=3600))
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        failed = await recorder.wait_for_state(session.key, HostState.Failed)
        assert failed.next_retry_at is not None
        server.start()
        mark = len(recorder.events)
        session.retry_now()
        await recorder.wait_for_state(session.key, HostState.Connected, start=mark)
        await manager.aclose()

    run(body)


def test_refresh_now_cuts_the_refresh_wait_short(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]

    async def body() -> None:
        manager = SessionManager(refresh_interval=3600)
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for_state(session.key, HostState.Connected)
        model = demo.scenario.hosts[0].model
        with model.lock:
            renamed = model.vms_by_name()[0]
            renamed.name = "renamed while connected"
        mark = len(recorder.events)
        session.refresh_now()
        index = await recorder.wait_for(is_inventory(session.key), start=mark)
        _inventory, diff = recorder.events[index][1]
        assert "renamed while connected" in [vm.name for vm in diff.changed]
        await manager.aclose()

    run(body)


def test_wrong_password_is_reported(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]

    async def body() -> None:
        manager = SessionManager()
        recorder = Recorder()
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), "not the password")
        failed = await recorder.wait_for_state(session.key, HostState.Failed)
        assert isinstance(failed.error, AuthenticationFailed)
        assert "Hyper-V Administrators" in str(failed.error)
        await manager.aclose()

    run(body)


def test_remove_host_publishes_that_its_vms_vanished(demo: RunningEmulator) -> None:
    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2)
        recorder = Recorder()
        manager.subscribe(recorder)
        keys = _add_all(manager, demo)
        for key in keys:
            await recorder.wait_for(is_inventory(key))
        gone = manager.host(keys[0]).inventory
        assert gone is not None and gone.vms
        await manager.remove_host(keys[0])
        inventory, diff = recorder.inventories(keys[0])[-1]
        assert inventory.vms == ()
        assert set(diff.removed) == {vm.key for vm in gone.vms}
        assert recorder.statuses(keys[0])[-1].state is HostState.Closed
        assert [s.key for s in manager.hosts] == keys[1:]
        with pytest.raises(KeyError):
            manager.host(keys[0])
        with pytest.raises(ValueError, match="already connected"):
            endpoint = demo.endpoints[1]
            manager.add_host(endpoint.connection_settings(), endpoint.password)
        await manager.aclose()

    run(body)


def test_a_failing_listener_is_reported_and_does_not_stop_the_session(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    reported: list[dict] = []

    class Broken:
        def host_status_changed(self, status: object) -> None:
            raise RuntimeError("listener bug")

        def inventory_changed(self, inventory: object, diff: object) -> None:
            raise RuntimeError("listener bug")

    async def body() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: reported.append(context))
        manager = SessionManager(refresh_interval=0.1)
        recorder = Recorder()
        manager.subscribe(Broken())
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for_state(session.key, HostState.Connected)
        await recorder.wait_for(is_inventory(session.key))
        await manager.aclose()

    asyncio.run(body())
    assert reported and all(isinstance(c["exception"], RuntimeError) for c in reported)


def test_add_host_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        SessionManager().add_host(ConnectionSettings("hv01"), "p")


@pytest.mark.parametrize(
    ("inventory_seconds", "expected_wait"),
    [(0.0, 2.0), (0.8, 1.2), (1.0, 1.0), (3.0, 3.0)],
)
def test_refreshes_start_every_interval_and_a_slow_host_rests_as_long_as_it_worked(
    inventory_seconds: float, expected_wait: float
) -> None:
    """Start to start: a 0.8 s inventory is followed 1.2 s later by the next; a 3 s one rests 3 s."""

    async def body() -> float:
        manager = SessionManager(refresh_interval=2.0)
        session = manager.add_host(ConnectionSettings(host="127.0.0.1", port=closed_port()), "")
        session._last_refresh_duration = inventory_seconds
        wait = session._next_refresh_delay()
        await manager.aclose()
        return wait

    assert run(body) == pytest.approx(expected_wait)
