"""`Watch-HvGuiChange` against an emulated host over loopback, read with the real pypsrp client as it streams.

Each test starts the watcher through `ChangeWatcher` on a connection of its own, changes something on the host
side (`hvgui.emulator.hyperv.heartbeats`), and waits for the record that says so. The instant profile keeps the
host's work free; the waits are only a safety net against a hang.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from remoting_support import PATIENCE, run

from hvgui.domain.errors import HostCommandError
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.emulator import RunningEmulator
from hvgui.emulator.hyperv import heartbeats
from hvgui.emulator.hyperv.vm import Action
from hvgui.remoting import HostConnection
from hvgui.remoting.watcher import ChangeWatcher, RefreshConfig, WatchRecord

FAST = RefreshConfig(push=True, watch_interval=0.05, tick=1)


class Stream:
    """Collects the records of one watcher and lets the test wait for one."""

    def __init__(self) -> None:
        self.records: list[WatchRecord] = []
        self._arrived = asyncio.Event()

    def __call__(self, records: list[WatchRecord]) -> None:
        self.records.extend(records)
        self._arrived.set()

    async def wait_for(self, predicate: Callable[[WatchRecord], bool], start: int = 0) -> WatchRecord:
        async def found() -> WatchRecord:
            while True:
                for record in self.records[start:]:
                    if predicate(record):
                        return record
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(found(), PATIENCE)


def _watch(demo: RunningEmulator, host_index: int, body: Callable[..., object], config: RefreshConfig = FAST) -> None:
    endpoint = demo.endpoints[host_index]
    model = demo.scenario.hosts[host_index].model

    async def main() -> None:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password)
        stream = Stream()
        task = asyncio.create_task(ChangeWatcher(connection, config, stream).run())
        try:
            await stream.wait_for(lambda r: r.kind == "hello")
            await body(model, stream, task)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await connection.close()

    run(main)


def _row_of(record: WatchRecord, vm_id: str):
    return next((row for row in record.rows if row.vm_id == vm_id), None)


def test_heartbeat_changes_arrive_as_records_soon_after_they_happen(demo: RunningEmulator) -> None:
    async def body(model, stream: Stream, task) -> None:
        hello = stream.records[0]
        assert hello.seq == 0 and {row.vm_id for row in hello.rows} == {str(vm.id) for vm in model.vms}
        vm = next(v for v in model.vms if v.name == "exchange01")
        assert _row_of(hello, str(vm.id)).heartbeat is HeartbeatStatus.OkApplicationsHealthy

        def says(status: HeartbeatStatus) -> Callable[[WatchRecord], bool]:
            return lambda r: r.kind == "change" and getattr(_row_of(r, str(vm.id)), "heartbeat", None) is status

        heartbeats.hang(model, [vm.id])
        await stream.wait_for(says(HeartbeatStatus.LostCommunication))
        heartbeats.recover(model, [vm.name])
        await stream.wait_for(says(HeartbeatStatus.OkApplicationsHealthy))
        heartbeats.set_applications_critical(model, [vm.id], True)
        await stream.wait_for(says(HeartbeatStatus.OkApplicationsCritical))
        # A change record carries only the VMs that changed (the demo's other guests change now and then too,
        # so it is never the whole fleet), and sequence numbers have no gap.
        changes = [r for r in stream.records if r.kind == "change"]
        assert changes and all(len(r.rows) < len(model.vms) for r in changes)
        assert sum(1 for r in changes if _row_of(r, str(vm.id)) is not None) >= 3
        assert [r.seq for r in stream.records] == list(range(len(stream.records)))

    _watch(demo, 1, body)


def test_a_quiet_host_sends_ticks_across_receive_timeouts(demo: RunningEmulator) -> None:
    # Each Receive waits one second on the host (the connection's poll interval) and times out when nothing
    # is written; with a tick every 2 s (CPU moves ignored) some Receives time out, and the stream goes on.
    async def body(model, stream: Stream, task) -> None:
        first = await stream.wait_for(lambda r: r.kind == "tick")
        second = await stream.wait_for(lambda r: r.kind == "tick" and r.seq > first.seq)
        assert not task.done() and second.seq > first.seq

    _watch(demo, 0, body, dataclasses.replace(FAST, tick=2, cpu_step=100, memory_step_mb=1048576))


def test_a_clock_jump_and_a_new_vm_ask_for_a_full_inventory(demo: RunningEmulator) -> None:
    async def body(model, stream: Stream, task) -> None:
        heartbeats.jump_wall_clock(model, 3600)
        jump = await stream.wait_for(lambda r: r.kind == "resync" and r.why == "clock")
        assert jump.jump == pytest.approx(3600, abs=2)
        with model.lock:
            gone = model.vms.pop()
        resync = await stream.wait_for(lambda r: r.kind == "resync" and r.why == "vms")
        assert resync.seq > jump.seq and gone is not None

    _watch(demo, 0, body)


def test_a_state_change_arrives_with_its_new_state(demo: RunningEmulator) -> None:
    async def body(model, stream: Stream, task) -> None:
        vm = next(v for v in model.vms if v.name == "web01")
        with model.lock:
            vm.change_state(Action.Stop, model.now())
        record = await stream.wait_for(lambda r: r.kind == "change" and _row_of(r, str(vm.id)) is not None)
        row = _row_of(record, str(vm.id))
        assert row.state is VmState.Off and row.heartbeat is None and row.uptime_seconds == 0

    _watch(demo, 0, body)


def test_a_killed_watcher_fails_with_the_hosts_error(demo: RunningEmulator) -> None:
    async def body(model, stream: Stream, task) -> None:
        heartbeats.kill_watchers(model)
        with pytest.raises(HostCommandError) as failure:
            await asyncio.wait_for(task, PATIENCE)
        assert "0x80041001" in failure.value.fully_qualified_error_id

    _watch(demo, 2, body)
