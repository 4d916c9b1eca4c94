"""Changes through sessions: `HostSession.run_action` refreshes afterwards, `apply_plan` reports every change.

The sessions refresh only when asked (a long refresh interval), so an inventory event after a change can
only come from the refresh the change requested.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remoting_support import Recorder, is_inventory, run

from hvgui.domain.bulk import ChangeResult, ResultKind, plan_changes
from hvgui.domain.connection import HostState
from hvgui.domain.errors import HostCommandError
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, KVP, SHUTDOWN, TIME_SYNC, VSS
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import Inventory, Vm, VmState
from hvgui.emulator import RunningEmulator
from hvgui.remoting import HostSession, SessionManager, apply_plan

GSI = GUEST_SERVICE_INTERFACE.ic_guid or ""
TS = TIME_SYNC.ic_guid or ""
VSS_GUID = VSS.ic_guid or ""
KVP_GUID = KVP.ic_guid or ""
SD = SHUTDOWN.ic_guid or ""
#: Long enough that no refresh happens on its own during a test.
NO_TIMED_REFRESH = 3600.0


async def _connect(emulator: RunningEmulator, *host_names: str) -> tuple[SessionManager, Recorder, dict[str, Any]]:
    """Sessions to the named hosts, each with its first inventory in; returns them by host name."""
    manager = SessionManager(refresh_interval=NO_TIMED_REFRESH, connect_timeout=5)
    recorder = Recorder()
    manager.subscribe(recorder)
    sessions: dict[str, Any] = {}
    for endpoint in emulator.endpoints:
        if endpoint.host_name in host_names:
            session = manager.add_host(endpoint.connection_settings(), endpoint.password)
            await recorder.wait_for(is_inventory(session.key))
            sessions[endpoint.host_name] = session
    return manager, recorder, sessions


def _model(emulator: RunningEmulator, host_name: str) -> Any:
    return next(h.model for h in emulator.scenario.hosts if h.model.name == host_name)


def _vm(session: HostSession, name: str) -> Vm:
    inventory = session.inventory
    assert inventory is not None
    return next(vm for vm in inventory.vms if vm.name == name)


def _changed(key: str, name: str, check: Any) -> Any:
    """An inventory event of host `key` in which VM `name` passes `check`."""

    def predicate(kind: str, event: Any) -> bool:
        if kind != "inventory" or event[0].host != key:
            return False
        inventory: Inventory = event[0]
        return any(vm.name == name and check(vm) for vm in inventory.vms)

    return predicate


def test_run_action_returns_the_answer_and_refreshes(demo: RunningEmulator) -> None:
    async def body() -> None:
        manager, recorder, sessions = await _connect(demo, "HV-DEMO-01")
        session = sessions["HV-DEMO-01"]
        dc01 = _vm(session, "dc01")
        start = len(recorder.events)
        warnings = await session.run_action(lambda api: api.set_integration_service(dc01.vm_id, GSI, True))
        assert warnings == []
        await recorder.wait_for(_changed(session.key, "dc01", lambda vm: vm.service(GSI).enabled), start=start)
        assert _vm(session, "dc01").service(GSI).enabled is True

        # a refused change refreshes too, and the error reaches the caller
        start = len(recorder.events)
        legacy = _vm(session, "legacy-app")
        try:
            await session.run_action(lambda api: api.power(legacy.vm_id, PowerAction.Save))
        except HostCommandError as error:
            assert error.error_id == "InvalidState"
        else:
            raise AssertionError("saving an Off VM must fail")
        model = _model(demo, "HV-DEMO-01")
        with model.lock:
            next(vm for vm in model.vms if vm.name == "legacy-app").set_component_enabled(KVP_GUID, False, model.now())
        await recorder.wait_for(
            _changed(session.key, "legacy-app", lambda vm: not vm.service(KVP_GUID).enabled), start=start
        )
        await manager.aclose()

    run(body)


def test_apply_plan_across_hosts_with_a_partial_failure(demo: RunningEmulator) -> None:
    model_1 = _model(demo, "HV-DEMO-01")
    model_2 = _model(demo, "HV-DEMO-02")

    async def body() -> tuple[list[ChangeResult], list[ChangeResult], dict[str, Any]]:
        manager, recorder, sessions = await _connect(demo, "HV-DEMO-01", "HV-DEMO-02")
        one, two = sessions["HV-DEMO-01"], sessions["HV-DEMO-02"]
        vms = [_vm(one, "dc01"), _vm(one, "web01"), _vm(one, "ci-runner"), _vm(two, "jumpbox"), _vm(two, "exchange01")]
        desired = {vm.key: {GSI: True, TS: not vm.is_domain_controller} for vm in vms}
        plan = plan_changes(vms, desired)
        # web01 is deleted on the host after the plan was made: its change must fail, the rest go on
        with model_1.lock:
            model_1.vms.remove(next(vm for vm in model_1.vms if vm.name == "web01"))
        arrived: list[ChangeResult] = []
        start = len(recorder.events)
        results = await apply_plan(plan, {s.key: s for s in sessions.values()}, on_result=arrived.append)
        # both hosts were refreshed after their changes
        await recorder.wait_for(_changed(one.key, "dc01", lambda vm: vm.service(GSI).enabled), start=start)
        await recorder.wait_for(_changed(two.key, "jumpbox", lambda vm: vm.service(GSI).enabled), start=start)
        await manager.aclose()
        return results, arrived, {"plan": plan}

    results, arrived, extra = run(body)
    plan = extra["plan"]
    # ci-runner already has GSI on: no change was planned for it; dc01 is a domain controller
    assert [(c.vm_name, c.ic_guid, c.enable) for c in plan] == [
        ("dc01", GSI, True),
        ("dc01", TS, False),
        ("web01", GSI, True),
        ("jumpbox", GSI, True),
        ("exchange01", GSI, True),
    ]
    assert [r.change for r in results] == plan  # one result per change, in the plan's order
    assert sorted(map(id, arrived)) == sorted(map(id, results))
    assert [r.kind for r in results] == [
        ResultKind.Done,
        ResultKind.Done,
        ResultKind.Failed,
        ResultKind.Done,
        ResultKind.Done,
    ]
    failed = results[2]
    assert not failed.ok
    assert failed.message.startswith("Enable Guest Service Interface on 'web01' failed: Hyper-V was unable to find")
    assert "deleted or moved" in failed.message
    assert results[0].message == "Enabled Guest Service Interface on 'dc01'."
    with model_1.lock:
        dc01 = next(vm for vm in model_1.vms if vm.name == "dc01")
        assert dc01.components[GSI].enabled is True and dc01.components[TS].enabled is False
    with model_2.lock:
        for name in ("jumpbox", "exchange01"):
            assert next(vm for vm in model_2.vms if vm.name == name).components[GSI].enabled is True


def test_a_host_that_drops_mid_plan_reports_what_was_done_and_what_was_not(demo: RunningEmulator) -> None:
    model_1 = _model(demo, "HV-DEMO-01")
    model_2 = _model(demo, "HV-DEMO-02")
    server = demo.server("HV-DEMO-01")

    async def body() -> tuple[list[ChangeResult], list[Any]]:
        manager, _recorder, sessions = await _connect(demo, "HV-DEMO-01", "HV-DEMO-02")
        one, two = sessions["HV-DEMO-01"], sessions["HV-DEMO-02"]
        names_1 = ["dc01", "dc02", "sql01", "web01"]
        vms = [_vm(one, n) for n in names_1] + [_vm(two, "jumpbox"), _vm(two, "exchange01")]
        plan = plan_changes(vms, {vm.key: {GSI: True} for vm in vms})

        def on_result(result: ChangeResult) -> None:
            # the host falls off the network right after its second change
            done_on_one = [r for r in arrived if r.change.host == one.key] + [result]
            if result.change.host == one.key and len(done_on_one) == 2:
                server.stop()
            arrived.append(result)

        arrived: list[ChangeResult] = []
        results = await apply_plan(plan, {s.key: s for s in sessions.values()}, on_result=on_result)
        states = [one.status.state, two.status.state]
        await manager.aclose()
        return results, [plan, states]

    results, (plan, _states) = run(body)
    assert [r.change for r in results] == plan
    by_vm = {r.change.vm_name: r for r in results}
    assert by_vm["dc01"].kind is ResultKind.Done and by_vm["dc02"].kind is ResultKind.Done
    assert by_vm["sql01"].kind is ResultKind.Unknown
    assert "cannot tell whether it was made" in by_vm["sql01"].message
    assert by_vm["web01"].kind is ResultKind.NotAttempted
    assert by_vm["web01"].message.startswith("Enable Guest Service Interface on 'web01' was not attempted: ")
    assert "HV-DEMO-01" in by_vm["web01"].message or "127.0.0.1" in by_vm["web01"].message
    # the other host was not held up by the drop
    assert by_vm["jumpbox"].kind is ResultKind.Done and by_vm["exchange01"].kind is ResultKind.Done
    with model_1.lock:
        enabled = {vm.name: vm.components[GSI].enabled for vm in model_1.vms}
    assert (enabled["dc01"], enabled["dc02"], enabled["sql01"], enabled["web01"]) == (True, True, False, False)
    with model_2.lock:
        assert all(vm.components[GSI].enabled for vm in model_2.vms if vm.name in ("jumpbox", "exchange01"))


def test_changes_for_a_host_without_a_session_are_not_attempted(demo: RunningEmulator) -> None:
    async def body() -> list[ChangeResult]:
        manager, _recorder, sessions = await _connect(demo, "HV-DEMO-01")
        session = sessions["HV-DEMO-01"]
        plan = plan_changes([_vm(session, "dc01")], {_vm(session, "dc01").key: {GSI: True}})
        results = await apply_plan(plan, {})
        await manager.aclose()
        return results

    (result,) = run(body)
    assert result.kind is ResultKind.NotAttempted and not result.ok
    assert "hvgui is not connected to" in result.message


def test_a_failing_result_callback_does_not_stop_the_plan(demo: RunningEmulator) -> None:
    problems: list[dict[str, Any]] = []

    async def body() -> list[ChangeResult]:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: problems.append(context))
        manager, _recorder, sessions = await _connect(demo, "HV-DEMO-01")
        session = sessions["HV-DEMO-01"]
        vms = [_vm(session, "dc01"), _vm(session, "dc02")]
        plan = plan_changes(vms, {vm.key: {GSI: True} for vm in vms})

        def broken(_result: ChangeResult) -> None:
            raise RuntimeError("display bug")

        results = await apply_plan(plan, {session.key: session}, on_result=broken)
        await manager.aclose()
        return results

    results = asyncio.run(body())
    assert [r.kind for r in results] == [ResultKind.Done, ResultKind.Done]
    assert len(problems) == 2 and "display bug" in repr(problems[0].get("exception"))
    assert all(p["message"].startswith("bulk apply result callback") for p in problems)


def test_an_empty_plan_does_nothing(demo: RunningEmulator) -> None:
    assert run(lambda: apply_plan([], {})) == []


def test_the_host_state_after_a_drop_is_failed_and_the_session_recovers(demo: RunningEmulator) -> None:
    """After a drop mid-change the session reports the failure and reconnects once the host is back."""
    server = demo.server("HV-DEMO-01")

    async def body() -> None:
        manager, recorder, sessions = await _connect(demo, "HV-DEMO-01")
        session = sessions["HV-DEMO-01"]
        dc01 = _vm(session, "dc01")
        server.stop()
        plan = plan_changes([dc01], {dc01.key: {GSI: True}})
        (result,) = await apply_plan(plan, {session.key: session})
        assert result.kind is ResultKind.Unknown
        await recorder.wait_for_state(session.key, HostState.Failed)
        server.start()
        session.retry_now()
        await recorder.wait_for_state(session.key, HostState.Connected, start=len(recorder.events))
        assert _vm(session, "dc01").state is VmState.Running
        await manager.aclose()

    run(body)
