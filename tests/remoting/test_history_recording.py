"""Heartbeat history from real sessions: the emulator's VMs change, the store ends up with the transitions.

The session manager talks to the emulator with the real pypsrp client; the recorder listens like the window
does and the store writes on its own thread.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remoting_support import PATIENCE, run

from hvgui.domain.connection import HostState
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.guest import HangSchedule
from hvgui.emulator.hyperv.vm import Action
from hvgui.history import EventKind, HeartbeatRecorder, HistoryReader, HistoryStore, Transition
from hvgui.remoting import SessionManager


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        for host in running.scenario.hosts:  # no scheduled hangs: only the test's changes count
            with host.model.lock:
                for vm in host.model.vms:
                    vm.guest = dataclasses.replace(vm.guest, hang=None)
        yield running


async def _until(predicate, what: str) -> None:
    import asyncio

    deadline = time.monotonic() + PATIENCE
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_a_vm_turned_off_and_a_hung_guest_end_up_as_transitions(emulator: RunningEmulator, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite")
    rows: list[Transition] = []

    def sink(batch: list[Transition]) -> None:
        rows.extend(batch)
        store.record(batch)

    recorder = HeartbeatRecorder(sink)
    host = emulator.scenario.hosts[0]
    endpoint = emulator.endpoint(host.name)

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2)
        manager.subscribe(recorder)
        key = manager.add_host(endpoint.connection_settings(), endpoint.password).key
        await _until(lambda: manager.host(key).inventory is not None, "the first inventory")
        first = manager.host(key).inventory
        assert first is not None
        # The first inventory: one baseline per VM, no transition.
        assert len(rows) == len(first.vms) and {r.kind for r in rows} == {EventKind.Observed}
        healthy = [
            vm for vm in first.vms if vm.state is VmState.Running and vm.heartbeat is not None and vm.heartbeat.is_ok
        ]
        turned_off, hung = healthy[0], healthy[1]
        with host.model.lock:
            now = host.model.now()
            by_id = {str(vm.id).lower(): vm for vm in host.model.vms}
            by_id[turned_off.vm_id].change_state(Action.Stop, now)
            guest = by_id[hung.vm_id]
            guest.guest = dataclasses.replace(guest.guest, hang=HangSchedule(every=1e9, duration=1e9))
        done = {(turned_off.vm_id, EventKind.State), (hung.vm_id, EventKind.Heartbeat)}
        await _until(lambda: done <= {(r.vm_id, r.kind) for r in rows}, "the two transitions")
        await manager.aclose()

    run(body)
    assert store.flush()
    store.close()
    reader = HistoryReader(tmp_path / "history.sqlite")
    key = next(iter({r.host for r in rows}))
    changes = [r for r in rows if r.kind != EventKind.Observed]
    off = next(r for r in changes if r.kind == EventKind.State)
    assert (off.old, off.new) == (int(VmState.Running), int(VmState.Off))
    stored = reader.transitions(key, off.vm_id, 0, time.time() + 1)
    assert [(r.kind, r.new) for r in stored] == [
        (EventKind.State, int(VmState.Off)),
        (EventKind.Heartbeat, None),
    ]
    lost = next(r for r in changes if r.kind == EventKind.Heartbeat and r.vm_id != off.vm_id)
    assert lost.new == int(HeartbeatStatus.LostCommunication)
    assert [(r.kind, r.new) for r in reader.transitions(key, lost.vm_id, 0, time.time() + 1)] == [
        (EventKind.Heartbeat, int(HeartbeatStatus.LostCommunication))
    ]
    # Nothing else changed on the host: every other row is a baseline.
    assert {r.vm_id for r in changes} == {off.vm_id, lost.vm_id}


def test_a_reconnect_records_baselines_not_the_changes_it_missed(emulator: RunningEmulator, tmp_path: Path) -> None:
    rows: list[Transition] = []
    recorder = HeartbeatRecorder(rows.extend)
    host = emulator.scenario.hosts[0]
    endpoint = emulator.endpoint(host.name)

    async def body() -> None:
        manager = SessionManager(refresh_interval=0.2)
        manager.subscribe(recorder)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await _until(lambda: session.inventory is not None and session.status.state is HostState.Connected, "connect")
        vms = len(session.inventory.vms)
        emulator.server(host.name).stop()
        await _until(lambda: session.status.state is HostState.Failed, "the failure")
        with host.model.lock:  # while hvgui is away, every running guest hangs
            for vm in host.model.vms:
                vm.guest = dataclasses.replace(vm.guest, hang=HangSchedule(every=1e9, duration=1e9))
        mark = len(rows)
        emulator.server(host.name).start()
        session.retry_now()
        await _until(lambda: session.status.state is HostState.Connected, "the reconnect")
        after = rows[mark:]
        assert len(after) == vms and {r.kind for r in after} == {EventKind.Observed}
        assert any(r.heartbeat is HeartbeatStatus.LostCommunication for r in after)
        await manager.aclose()

    run(body)
