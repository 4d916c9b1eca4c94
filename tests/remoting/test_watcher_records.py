"""Reading the change watcher's records and folding their rows into an inventory (pure, no host)."""

from __future__ import annotations

import json

from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmState
from hvgui.remoting.watcher import RefreshConfig, apply_rows, parse_record, watch_spec

HOST = "http://hv:5985"


def _vm(vm_id: str, **changes) -> Vm:
    values = dict(
        host=HOST,
        vm_id=vm_id,
        name=vm_id,
        state=VmState.Running,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy,
        status="Operating normally",
        booted_at=1700000000.0,
        cpu_usage=3,
        memory_assigned=2048 * 1024 * 1024,
        generation=2,
        version="10.0",
    )
    values.update(changes)
    return Vm(**values)


def _row(vm_id: str, **changes) -> dict:
    row = {"id": vm_id.upper(), "name": vm_id, "state": 2, "hb": 6, "status": "Operating normally", "cpu": 3,
           "mem": 2048 * 1024 * 1024, "up": 160, "boot": 1700000000}  # fmt: skip
    row.update(changes)
    return row


def test_records_of_each_kind_are_read() -> None:
    hello = parse_record(json.dumps({"k": "hello", "v": 1, "seq": 0, "t": 1.5, "vms": [_row("a"), _row("b", hb=None)]}))
    assert hello.kind == "hello" and hello.seq == 0 and [r.vm_id for r in hello.rows] == ["a", "b"]
    assert hello.rows[0].heartbeat is HeartbeatStatus.OkApplicationsHealthy and hello.rows[1].heartbeat is None
    assert parse_record('{"k":"tick","seq":4,"t":2}').kind == "tick"
    jump = parse_record('{"k":"resync","seq":5,"t":2,"why":"clock","jump":-3600.0}')
    assert (jump.kind, jump.why, jump.jump) == ("resync", "clock", -3600.0)
    odd = parse_record(json.dumps({"k": "change", "seq": 1, "vms": [_row("a", state=99, hb=77)]}))
    assert odd.rows[0].state is VmState.Other and odd.rows[0].heartbeat is HeartbeatStatus.Unknown


def test_what_is_not_a_record_is_unreadable() -> None:
    for text in ("not json", "[]", '{"k":"other"}', '{"k":"hello","v":2,"seq":0,"vms":[]}', 7,
                 '{"k":"change","seq":1,"vms":[{"name":"no id"}]}'):  # fmt: skip
        assert parse_record(text).kind == "unreadable", text


def test_rows_change_only_the_vms_whose_fields_differ() -> None:
    inventory = Inventory(HOST, (_vm("a"), _vm("b"), _vm("c")), fetched_at=1.0)
    hello = parse_record(
        json.dumps({"k": "hello", "v": 1, "seq": 0, "vms": [_row("a", up=100), _row("b", hb=4, cpu=0)]})
    )
    updated, diff, unknown = apply_rows(inventory, hello.rows, fetched_at=2.0)
    assert not unknown and [vm.vm_id for vm in diff.changed] == ["b"]
    assert updated.by_key()[diff.changed[0].key].heartbeat is HeartbeatStatus.LostCommunication
    assert updated.vms[0] is inventory.vms[0] and updated.fetched_at == 2.0
    same, nothing, _ = apply_rows(updated, hello.rows, fetched_at=3.0)
    assert same is updated and nothing.is_empty
    _, _, unknown = apply_rows(inventory, parse_record(json.dumps({"k": "change", "seq": 1, "vms": [_row("z")]})).rows,
                               fetched_at=4.0)  # fmt: skip
    assert unknown


def test_the_watch_spec_carries_its_values_as_parameters() -> None:
    spec = watch_spec(RefreshConfig(watch_interval=0.01, tick=5, watch_duration=0, metrics_interval=12.4))
    parameters = {p.name: p.value for p in spec.commands[0].parameters}
    assert spec.first_command == "Watch-HvGuiChange"
    assert parameters == {
        "IntervalMs": 50, "TickSec": 5, "DurationSec": 0, "CpuStep": 10, "MemoryStepMB": 256, "MetricsSec": 12,
    }  # fmt: skip


def test_a_ticking_uptime_alone_changes_nothing_but_a_restart_does() -> None:
    inventory = Inventory(HOST, (_vm("a"), _vm("b")), fetched_at=1.0)
    restart = {"up": 2, "boot": 1700000098}  # the VM started again: a new boot time
    record = parse_record(json.dumps({"k": "change", "seq": 1, "vms": [_row("a", up=103), _row("b", **restart)]}))
    assert record.rows[0].boot_time == 1700000000
    updated, diff, _ = apply_rows(inventory, record.rows, fetched_at=2.0)
    assert [vm.vm_id for vm in diff.changed] == ["b"] and diff.changed[0].booted_at == 1700000098
    assert updated.vms[0].booted_at == 1700000000


def test_the_heartbeat_component_follows_a_new_heartbeat_and_the_others_stay() -> None:
    from hvgui.domain.integration import HEARTBEAT, SHUTDOWN, ComponentStatus, IntegrationServiceState

    def service(info, primary, secondary, text: str) -> IntegrationServiceState:
        return IntegrationServiceState(info.ic_guid, info.name, True, primary, secondary, text, text)

    services = (
        service(HEARTBEAT, ComponentStatus.Ok, ComponentStatus.Ok, "OK"),
        service(SHUTDOWN, ComponentStatus.Ok, None, "OK"),
    )
    inventory = Inventory(HOST, (_vm("a", integration_services=services),), fetched_at=1.0)
    lost = parse_record(json.dumps({"k": "change", "seq": 1, "vms": [_row("a", hb=4)]}))
    updated, _, _ = apply_rows(inventory, lost.rows, fetched_at=2.0)
    heartbeat, shutdown = updated.vms[0].integration_services
    assert (heartbeat.primary, heartbeat.secondary, heartbeat.primary_text) == (
        ComponentStatus.LostCommunication,
        None,
        "",
    )
    assert shutdown == services[1]
    paused = parse_record(json.dumps({"k": "change", "seq": 2, "vms": [_row("a", hb=8)]}))
    again, _, _ = apply_rows(updated, paused.rows, fetched_at=3.0)
    assert again.vms[0].integration_services == updated.vms[0].integration_services  # not said unambiguously
