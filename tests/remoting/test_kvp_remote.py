"""Key-value pairs over the wire: the real pypsrp client, the host module's KVP functions, the emulator's CIM.

Round trips of add / modify / remove; values with XML special characters, quotes, `$()`, backticks, line
breaks, emoji and bidi controls arriving byte for byte; limits refused by the host as by hvgui; the bulk
operation with one VM whose jobs fail.
"""

from __future__ import annotations

from typing import Any

from remoting_support import Recorder, is_inventory, run

from hvgui.domain.errors import HostCommandError
from hvgui.domain.kvp import ChangeKind, KvpChange, changes_between, conflicts
from hvgui.domain.kvp_operations import KvpBulkOperation, KvpEditOperation, KvpReport
from hvgui.domain.operations import OperationState, VmTarget
from hvgui.emulator import RunningEmulator
from hvgui.remoting import OperationsConfig, SessionManager
from hvgui.remoting.kvp import read_pools

TRICKY = {
    "xml": '<INSTANCE CLASSNAME="x"><VALUE>&amp;</VALUE></INSTANCE> & \' "',
    "script": "$(Stop-Computer -Force) `n ${env:PATH} @(1) ; | &",
    "lines": "one\r\ntwo\nthree\r\n",
    "trailing": "value\n",
    "blank": " ",
    "empty": "",
    "unicode": "Grüße 😀 \u202eevil\u202c \u05e9\u05dc\u05d5\u05dd 中文",
}


async def _session(emulator: RunningEmulator, host_name: str) -> tuple[SessionManager, Any]:
    manager = SessionManager(refresh_interval=3600.0, connect_timeout=5, operations=OperationsConfig(merge_window=0.2))
    recorder = Recorder()
    manager.subscribe(recorder)
    endpoint = next(e for e in emulator.endpoints if e.host_name == host_name)
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    return manager, session


def _target(session: Any, name: str) -> VmTarget:
    vm = next(v for v in session.inventory.vms if v.name == name)
    return VmTarget.of(vm, session.settings.host)


def test_add_modify_remove_round_trip_byte_for_byte(demo: RunningEmulator) -> None:
    async def body() -> tuple[Any, ...]:
        manager, session = await _session(demo, "HV-DEMO-01")
        target = _target(session, "sql01")
        added = [KvpChange(ChangeKind.Add, k, v) for k, v in TRICKY.items()]
        first = await session.operations.submit(KvpEditOperation(target, changes=tuple(added))).done()
        [after_add] = await read_pools(session.connection, [target.vm_id])
        loaded = after_add.host_map
        edits = changes_between(
            loaded, [("xml", "changed"), *((k, v) for k, v in TRICKY.items() if k != "xml" and k != "lines")]
        )
        second = await session.operations.submit(KvpEditOperation(target, changes=tuple(edits))).done()
        [after_edit] = await read_pools(session.connection, [target.vm_id])
        await manager.aclose()
        return first, loaded, second, after_edit

    first, loaded, second, after_edit = run(body)
    assert first.state is OperationState.Succeeded and isinstance(first.result, KvpReport)
    assert loaded == TRICKY
    assert second.state is OperationState.Succeeded
    expected = {**TRICKY, "xml": "changed"}
    del expected["lines"]
    assert after_edit.host_map == expected
    model = next(h.model for h in demo.scenario.hosts if h.model.name == "HV-DEMO-01")
    sql01 = next(v for v in model.vms if v.name == "sql01")
    assert sql01.kvp.external == expected  # what the guest sees


def test_every_pool_is_read_and_a_refused_change_fails_with_the_hosts_reason(demo: RunningEmulator) -> None:
    async def body() -> tuple[Any, ...]:
        manager, session = await _session(demo, "HV-DEMO-01")
        pools = {p.name: p for p in await read_pools(session.connection)}
        target = _target(session, "dc01")
        refused = await session.operations.submit(
            KvpEditOperation(target, changes=(KvpChange(ChangeKind.Add, "Role", "again"),))
        ).done()
        await manager.aclose()
        return pools, refused

    pools, refused = run(body)
    dc01 = pools["dc01"]
    assert dc01.fqdn and dc01.os_description and dc01.ip_addresses
    assert dc01.host_map == {"Role": "Domain controller", "Owner": "Identity team"}
    assert {p.key for p in dc01.guest} == {"BackupAgent/LastRun", "BackupAgent/Result"}
    assert "No Contact" in pools["web02"].unavailable_reason() or "hv_kvp_daemon" in pools["web02"].unavailable_reason()
    assert pools["legacy-app"].intrinsic is None and "not running" in pools["legacy-app"].unavailable_reason()
    assert refused.state is OperationState.Failed and isinstance(refused.error, HostCommandError)
    assert "already exists" in refused.message


def test_a_conflict_is_seen_before_anything_is_overwritten(demo: RunningEmulator) -> None:
    async def body() -> tuple[Any, ...]:
        manager, session = await _session(demo, "HV-DEMO-01")
        target = _target(session, "dc01")
        [loaded] = await read_pools(session.connection, [target.vm_id])
        model = next(h.model for h in demo.scenario.hosts if h.model.name == "HV-DEMO-01")
        with model.lock:  # someone else changes the pair on the host meanwhile
            next(v for v in model.vms if v.name == "dc01").kvp.host_items["Owner"] = "Someone else"
        mine = changes_between(loaded.host_map, [("Role", "Domain controller"), ("Owner", "Me")])
        [now] = await read_pools(session.connection, [target.vm_id])
        await manager.aclose()
        return conflicts(loaded.host_map, now.host_map, mine)

    [conflict] = run(body)
    assert (conflict.key, conflict.loaded, conflict.on_host, conflict.mine) == (
        "Owner", "Identity team", "Someone else", "Me",
    )  # fmt: skip


def test_bulk_set_and_remove_with_one_failing_vm(demo: RunningEmulator) -> None:
    async def body() -> tuple[Any, ...]:
        manager, session = await _session(demo, "HV-DEMO-03")
        targets = tuple(_target(session, n) for n in ("print01", "rds01", "monitoring", "wsus"))
        operation = KvpBulkOperation(targets[0], targets=targets, key="Patch window", value="Sun 02:00")
        set_record = await session.operations.submit(operation).done()
        pools = {p.name: p for p in await read_pools(session.connection, [t.vm_id for t in targets])}
        removal = KvpBulkOperation(targets[0], targets=targets, key="Patch window", remove=True)
        remove_record = await session.operations.submit(removal).done()
        after = {p.name: p for p in await read_pools(session.connection, [t.vm_id for t in targets])}
        await manager.aclose()
        return set_record, pools, remove_record, after

    set_record, pools, remove_record, after = run(body)
    report = set_record.result
    assert set_record.state is OperationState.Succeeded and isinstance(report, KvpReport)
    by_name = {r.vm_name: r for r in report.results}
    assert not by_name["print01"].ok and by_name["print01"].code == 32768
    assert all(by_name[n].ok for n in ("rds01", "monitoring", "wsus"))  # wsus is saved: stored all the same
    assert set_record.warnings and "print01" in set_record.warnings[0]
    assert "Patch window" not in pools["print01"].host_map
    assert all(pools[n].host_map["Patch window"] == "Sun 02:00" for n in ("rds01", "monitoring", "wsus"))
    assert all("Patch window" not in after[n].host_map for n in after)
    assert [r.vm_name for r in remove_record.result.failed] == ["print01"]
