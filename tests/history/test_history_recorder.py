"""The recorder: baselines for a first inventory and after a reconnect, rows for real changes only."""

from __future__ import annotations

import dataclasses

from history_support import HOST, LOST, OK, vm

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import diff_inventory, vanished
from hvgui.domain.vm import HeartbeatStatus, Inventory, VmState
from hvgui.history import EventKind, HeartbeatRecorder


def _inventory(*vms, at: float = 1000.0) -> Inventory:
    return Inventory(HOST, tuple(vms), fetched_at=at)


def _status(state: HostState) -> HostStatus:
    return HostStatus(key=HOST, label="HV-01", state=state)


def test_the_first_inventory_gives_baselines_and_later_ones_transitions() -> None:
    sunk = []
    recorder = HeartbeatRecorder(sunk.append)
    first = _inventory(vm("a"), vm("b", state=VmState.Off, heartbeat=None))
    rows = recorder.inventory_changed(first, diff_inventory(None, first))
    assert [(r.vm_id, r.kind, r.state, r.heartbeat) for r in rows] == [
        ("a", EventKind.Observed, VmState.Running, OK),
        ("b", EventKind.Observed, VmState.Off, None),
    ]
    second = _inventory(
        vm("a", heartbeat=LOST, uptime_seconds=999), vm("b", state=VmState.Off, heartbeat=None), at=1002
    )
    rows = recorder.inventory_changed(second, diff_inventory(first, second))
    assert [(r.vm_id, r.kind, r.old, r.new, r.at) for r in rows] == [
        ("a", EventKind.Heartbeat, int(OK), int(LOST), 1002)
    ]
    assert len(sunk) == 2


def test_uptime_and_cpu_changes_are_not_transitions() -> None:
    recorder = HeartbeatRecorder()
    first = _inventory(vm("a"))
    recorder.inventory_changed(first, diff_inventory(None, first))
    second = _inventory(vm("a", uptime_seconds=5000, cpu_usage=80))
    assert recorder.inventory_changed(second, diff_inventory(first, second)) == []


def test_turning_a_vm_off_records_its_state_and_its_heartbeat() -> None:
    recorder = HeartbeatRecorder()
    first = _inventory(vm("a"))
    recorder.inventory_changed(first, diff_inventory(None, first))
    second = _inventory(vm("a", state=VmState.Off, heartbeat=None))
    rows = recorder.inventory_changed(second, diff_inventory(first, second))
    assert [(r.kind, r.old, r.new) for r in rows] == [
        (EventKind.State, int(VmState.Running), int(VmState.Off)),
        (EventKind.Heartbeat, int(OK), None),
    ]
    assert all((r.state, r.heartbeat) == (VmState.Off, None) for r in rows)


def test_a_reconnect_gives_baselines_not_a_storm() -> None:
    recorder = HeartbeatRecorder()
    first = _inventory(*(vm(f"v{i}") for i in range(10)))
    recorder.inventory_changed(first, diff_inventory(None, first))
    recorder.host_status_changed(_status(HostState.Connected))
    recorder.host_status_changed(_status(HostState.Failed))
    recorder.host_status_changed(_status(HostState.Connecting))
    assert recorder.is_baseline_due(HOST)
    # While hvgui was away every guest lost its heartbeat: the session diffs against its last inventory.
    back = _inventory(*(vm(f"v{i}", heartbeat=LOST) for i in range(10)))
    rows = recorder.inventory_changed(back, diff_inventory(first, back))
    assert {r.kind for r in rows} == {EventKind.Observed} and len(rows) == 10
    recorder.host_status_changed(_status(HostState.Connected))
    later = _inventory(*(vm(f"v{i}", heartbeat=OK if i == 0 else LOST) for i in range(10)))
    rows = recorder.inventory_changed(later, diff_inventory(back, later))
    assert [(r.vm_id, r.kind) for r in rows] == [("v0", EventKind.Heartbeat)]


def test_a_new_vm_gets_a_baseline_and_a_removed_host_is_forgotten() -> None:
    recorder = HeartbeatRecorder()
    first = _inventory(vm("a"))
    recorder.inventory_changed(first, diff_inventory(None, first))
    second = _inventory(vm("a"), vm("new", heartbeat=HeartbeatStatus.NoContact))
    rows = recorder.inventory_changed(second, diff_inventory(first, second))
    assert [(r.vm_id, r.kind) for r in rows] == [("new", EventKind.Observed)]
    gone = Inventory(HOST, (), fetched_at=2000)
    assert recorder.inventory_changed(gone, vanished(HOST, second)) == []
    assert recorder.is_baseline_due(HOST)


def test_a_renamed_vm_carries_its_new_name() -> None:
    recorder = HeartbeatRecorder()
    first = _inventory(vm("a"))
    recorder.inventory_changed(first, diff_inventory(None, first))
    second = _inventory(dataclasses.replace(vm("a", heartbeat=LOST), name="renamed\u202e"))
    (row,) = recorder.inventory_changed(second, diff_inventory(first, second))
    assert row.name == "renamed\u202e"
