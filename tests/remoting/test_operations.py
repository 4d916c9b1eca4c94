"""The one command path: `HostSession.operations` runs typed operations on the work lane, then a merged refresh.

Everything goes over loopback to the emulator with the real pypsrp client. Where a test needs a job that
takes a while, it shortens or lengthens the emulated guest's own timings (the host model), never the client.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pypsrp.messages import ProgressRecord
from remoting_support import Recorder, is_inventory, read_command_log, run

from hvgui.domain.errors import HostCommandError
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE
from hvgui.domain.operations import (
    CheckpointTypeOperation,
    OperationProgress,
    OperationRecord,
    OperationState,
    PowerOperation,
    ServiceToggleOperation,
    VmTarget,
)
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import Vm, VmState
from hvgui.emulator import RunningEmulator
from hvgui.remoting import HostSession, OperationsConfig, SessionManager
from hvgui.remoting.connection import _Call, progress_of
from hvgui.remoting.pipeline import PipelineSpec

GSI = GUEST_SERVICE_INTERFACE.ic_guid or ""
#: Long enough that no refresh happens on its own during a test: every inventory was asked for.
NO_TIMED_REFRESH = 3600.0


async def _connect(
    emulator: RunningEmulator, host_name: str, *, refresh_interval: float = NO_TIMED_REFRESH, **config: Any
) -> tuple[SessionManager, HostSession, list[OperationRecord]]:
    """A session to one host with its first inventory in, and every operation record the manager published."""
    config.setdefault("merge_window", 0.2)  # quick outcomes; the five Saves test keeps the window's default
    manager = SessionManager(
        refresh_interval=refresh_interval, connect_timeout=5, operations=OperationsConfig(**config)
    )
    recorder = Recorder()
    manager.subscribe(recorder)
    published: list[OperationRecord] = []
    manager.subscribe_operations(published.append)
    endpoint = next(e for e in emulator.endpoints if e.host_name == host_name)
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    return manager, session, published


def _vm(session: HostSession, name: str) -> Vm:
    assert session.inventory is not None
    return next(vm for vm in session.inventory.vms if vm.name == name)


def _target(session: HostSession, name: str) -> VmTarget:
    return VmTarget.of(_vm(session, name), session.settings.host)


def _emulated(emulator: RunningEmulator, host_name: str, vm_name: str) -> Any:
    model = next(h.model for h in emulator.scenario.hosts if h.model.name == host_name)
    return model, next(vm for vm in model.vms if vm.name == vm_name)


def _inventories(log: Path) -> list[float]:
    return [e["time"] for e in read_command_log(log) if e.get("command") == "Get-HvGuiInventory"]


def test_a_change_runs_on_the_work_lane_and_ends_after_the_refresh_that_shows_it(
    demo: RunningEmulator, command_log: Path
) -> None:
    async def body() -> tuple[OperationRecord, list[OperationRecord], bool, int, int]:
        manager, session, published = await _connect(demo, "HV-DEMO-01")
        operation = ServiceToggleOperation(
            _target(session, "dc01"), ic_guid=GSI, enable=True, service_name="Guest Service Interface"
        )
        handle = session.operations.submit(operation)
        assert handle.record.state is OperationState.Queued
        final = await handle.done()
        shown = _vm(session, "dc01").service(GSI).enabled  # the inventory is in before the outcome
        work = session.operations.lane.size
        refresh_pools = session.connection.pools_opened
        await manager.aclose()
        return final, published, shown, work, refresh_pools

    final, published, shown, work, refresh_pools = run(body)
    assert final.state is OperationState.Succeeded and final.error is None
    assert final.message == "Enable Guest Service Interface on 'dc01': done."
    assert shown is True
    assert (work, refresh_pools) == (1, 1)  # one work-lane connection besides the refresh lane's
    assert [r.state for r in published] == [OperationState.Queued, OperationState.Running, OperationState.Succeeded]
    assert {r.op_id for r in published} == {final.op_id}
    assert final.started_at is not None and final.duration is not None
    sets = [e for e in read_command_log(command_log) if e.get("command") == "Set-HvGuiIntegrationService"]
    assert len(sets) == 1 and sets[0]["parameters"]["Enabled"] is True


def test_a_refused_change_fails_with_the_hosts_reason(demo: RunningEmulator) -> None:
    async def body() -> OperationRecord:
        manager, session, _ = await _connect(demo, "HV-DEMO-01")
        handle = session.operations.submit(PowerOperation(_target(session, "legacy-app"), action=PowerAction.Save))
        final = await handle.wait()  # final at once: the host refused, nothing is still running
        await manager.aclose()
        return final

    final = run(body)
    assert final.state is OperationState.Failed
    assert isinstance(final.error, HostCommandError) and final.error.error_id == "InvalidState"
    assert final.message == str(final.error)


def test_a_deadline_passes_still_running_then_done_while_the_host_keeps_refreshing(
    demo: RunningEmulator, command_log: Path
) -> None:
    model, dc01 = _emulated(demo, "HV-DEMO-01", "dc01")
    with model.lock:  # this guest takes 4 s to shut down; hvgui's deadline for a shutdown is 0.5 s
        dc01.guest = dataclasses.replace(dc01.guest, os=dataclasses.replace(dc01.guest.os, shutdown_seconds=4.0))

    async def body() -> tuple[OperationRecord, OperationRecord, list[OperationRecord], list[float], VmState]:
        manager, session, published = await _connect(
            demo, "HV-DEMO-01", refresh_interval=0.5, deadlines={"power:ShutDown": 0.5}
        )
        handle = session.operations.submit(PowerOperation(_target(session, "dc01"), action=PowerAction.ShutDown))
        waiting = await handle.wait()
        final = await handle.done()
        state = _vm(session, "dc01").state
        await manager.aclose()
        stamps = [r.started_at for r in published if r.state is OperationState.StillRunning]
        return waiting, final, published, [s for s in stamps if s is not None], state

    waiting, final, published, _stamps, state = run(body)
    assert waiting.state is OperationState.StillRunning
    assert waiting.message == "Still running on the host after 0.5 s; hvgui keeps watching the VM."
    assert final.state is OperationState.Succeeded and state is VmState.Off
    states = [r.state for r in published]
    assert OperationState.Failed not in states
    assert states.index(OperationState.StillRunning) < states.index(OperationState.Succeeded)
    assert final.ended_at is not None and final.started_at is not None
    # the host kept refreshing on its own lane while the shutdown ran: several inventories in those seconds
    stops = [e["time"] for e in read_command_log(command_log) if e.get("command") == "Stop-VM"]
    during = [t for t in _inventories(command_log) if stops[0] <= t]
    assert len(during) >= 4


def test_a_shutdown_that_blocks_its_pipeline_never_delays_the_refresh(
    demo: RunningEmulator, command_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on a real host, Stop-VM waits for the guest (here 3 s) before it answers; the 0.5 s refresh goes on."""
    host = next(h for h in demo.scenario.hosts if h.model.name == "HV-DEMO-01")
    model, dc01 = _emulated(demo, "HV-DEMO-01", "dc01")
    with model.lock:
        dc01.guest = dataclasses.replace(dc01.guest, os=dataclasses.replace(dc01.guest.os, shutdown_seconds=0.0))
    run_pipeline = host.run

    def stop_vm_waits_for_the_guest(runspace: Any, commands: list[Any], pipeline_input: Any, sink: Any) -> None:
        if any(c.name == "Stop-VM" for c in commands) and sink.stop_requested.wait(3.0):
            return
        run_pipeline(runspace, commands, pipeline_input, sink)

    monkeypatch.setattr(host, "run", stop_vm_waits_for_the_guest)

    async def body() -> tuple[OperationRecord, OperationRecord, VmState]:
        manager, session, _ = await _connect(demo, "HV-DEMO-01", refresh_interval=0.5, deadlines={"power:ShutDown": 1})
        handle = session.operations.submit(PowerOperation(_target(session, "dc01"), action=PowerAction.ShutDown))
        waiting = await handle.wait()
        final = await handle.done()
        state = _vm(session, "dc01").state
        await manager.aclose()
        return waiting, final, state

    waiting, final, state = run(body)
    assert waiting.state is OperationState.StillRunning
    assert final.state is OperationState.Succeeded and state is VmState.Off
    assert final.duration is not None and final.duration >= 3.0
    (stop,) = [e["time"] for e in read_command_log(command_log) if e.get("command") == "Stop-VM"]
    during = [t for t in _inventories(command_log) if stop <= t <= stop + 3.0]
    assert len(during) >= 3  # the refresh lane kept its schedule while the work lane waited


def test_cancelling_a_running_operation_stops_waiting_and_frees_its_slot(
    demo: RunningEmulator, command_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = next(h for h in demo.scenario.hosts if h.model.name == "HV-DEMO-01")
    run_pipeline = host.run

    def stop_vm_waits(runspace: Any, commands: list[Any], pipeline_input: Any, sink: Any) -> None:
        if any(c.name == "Stop-VM" for c in commands) and sink.stop_requested.wait(30.0):
            return  # the client stopped the pipeline
        run_pipeline(runspace, commands, pipeline_input, sink)

    monkeypatch.setattr(host, "run", stop_vm_waits)

    async def body() -> tuple[OperationRecord, OperationRecord, str | None]:
        manager, session, _ = await _connect(demo, "HV-DEMO-01", limit=1)
        runner = session.operations
        shutdown = runner.submit(PowerOperation(_target(session, "dc01"), action=PowerAction.ShutDown))
        toggle = runner.submit(ServiceToggleOperation(_target(session, "dc02"), ic_guid=GSI, enable=True))
        while not any(e.get("command") == "Stop-VM" for e in read_command_log(command_log)):
            await asyncio.sleep(0.05)
        effect = shutdown.record.cancel_effect
        assert shutdown.record.state is OperationState.Running and not shutdown.record.cancellable
        assert shutdown.cancel() is True
        stopped = await shutdown.done()
        toggled = await toggle.done()
        await manager.aclose()
        return stopped, toggled, effect

    stopped, toggled, effect = run(body)
    assert effect == "Stop waiting: hvgui stops its command, but a job the host has started goes on."
    assert stopped.state is OperationState.Cancelled
    assert stopped.message.startswith("hvgui stopped waiting and stopped the command. A job the host had already")
    assert toggled.state is OperationState.Succeeded  # the slot was freed for the next in the queue


def test_progress_records_reach_the_loop_thread_in_order() -> None:
    async def body() -> list[OperationProgress]:
        arrived: list[OperationProgress] = []
        call = _Call(
            PipelineSpec.cmdlet("Save-VM"), deadline=0.0, on_progress=arrived.append, loop=asyncio.get_running_loop()
        )
        records = [
            ProgressRecord(activity="Save a virtual machine", activity_id=0, description=f"{p}%", percent_complete=p)
            for p in (10, 50)
        ]
        seen = await asyncio.to_thread(call.report_progress, records[:1], 0)  # from a worker thread, as pypsrp's
        seen = await asyncio.to_thread(call.report_progress, records, seen)
        await asyncio.sleep(0)
        return arrived

    saving = "Save a virtual machine"
    assert run(body) == [OperationProgress(10, saving), OperationProgress(50, saving)]


def test_five_saves_that_end_together_cost_one_inventory(
    demo: RunningEmulator, command_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = demo.scenario.host("HV-DEMO-01").model
    for emulated in model.vms:  # the host's save job ends with its cmdlet
        monkeypatch.setattr(
            emulated, "durations", dataclasses.replace(emulated.durations, save_base=0.0, save_per_gib=0.0)
        )
    names = ["dc01", "dc02", "sql01", "web01", "web02"]

    async def body() -> tuple[list[OperationRecord], list[VmState], int, int]:
        manager, session, _ = await _connect(demo, "HV-DEMO-01", limit=5, merge_window=None)
        runner = session.operations
        # open the five work-lane connections first, with changes that change nothing
        warm = [
            runner.submit(CheckpointTypeOperation(_target(session, n), checkpoint_type=_vm(session, n).checkpoint_type))
            for n in names
        ]
        await asyncio.gather(*(h.done() for h in warm))
        before = len(_inventories(command_log))
        saves = [runner.submit(PowerOperation(_target(session, n), action=PowerAction.Save)) for n in names]
        finals = list(await asyncio.gather(*(h.done() for h in saves)))
        after = len(_inventories(command_log))
        states = [_vm(session, n).state for n in names]
        lanes = runner.lane.size
        await manager.aclose()
        return finals, states, after - before, lanes

    finals, states, inventories, lanes = run(body)
    assert [f.state for f in finals] == [OperationState.Succeeded] * 5
    assert states == [VmState.Saved] * 5
    assert inventories == 1  # no inventory is scheduled: the one the runner asked for, once, for all five
    assert lanes == 5


def test_the_queue_is_visible_and_the_limit_holds(demo: RunningEmulator, command_log: Path) -> None:
    names = ["dc01", "dc02", "sql01", "web01"]

    async def body() -> tuple[list[OperationRecord], list[OperationRecord], list[OperationRecord], int, int]:
        manager, session, published = await _connect(demo, "HV-DEMO-01", limit=2)
        runner = session.operations
        handles = [runner.submit(ServiceToggleOperation(_target(session, n), ic_guid=GSI, enable=True)) for n in names]
        queued = runner.queued()
        holding = [len(runner.running())]  # operations holding a work-lane slot, at every change
        manager.subscribe_operations(lambda _record: holding.append(len(runner.running())))
        assert runner.cancel(handles[3].op_id) is True
        finals = list(await asyncio.gather(*(h.done() for h in handles)))
        assert runner.cancel(handles[0].op_id) is False  # final: nothing to cancel
        running_at_once = max(holding)
        lanes = runner.lane.size
        await manager.aclose()
        return queued, finals, published, running_at_once, lanes

    queued, finals, _published, running_at_once, lanes = run(body)
    assert [r.state for r in queued] == [OperationState.Queued, OperationState.Queued]
    assert [r.operation.target.vm_name for r in queued] == ["sql01", "web01"]
    assert all(r.cancellable for r in queued)
    assert [f.state for f in finals] == [OperationState.Succeeded] * 3 + [OperationState.Cancelled]
    assert finals[3].message == "Cancelled before it was sent to the host."
    assert running_at_once == 2 and lanes == 2
    sent = [e for e in read_command_log(command_log) if e.get("command") == "Set-HvGuiIntegrationService"]
    assert len(sent) == 3  # the cancelled one never reached the host


def test_closing_the_session_cancels_what_waits_and_closes_the_work_lane(demo: RunningEmulator) -> None:
    async def body() -> tuple[list[OperationRecord], bool]:
        manager, session, _ = await _connect(demo, "HV-DEMO-01", limit=1)
        runner = session.operations
        first = runner.submit(ServiceToggleOperation(_target(session, "dc01"), ic_guid=GSI, enable=True))
        second = runner.submit(ServiceToggleOperation(_target(session, "dc02"), ic_guid=GSI, enable=True))
        await first.done()
        connections = list(runner.lane._all)
        third = runner.submit(ServiceToggleOperation(_target(session, "sql01"), ic_guid=GSI, enable=True))
        await manager.aclose()
        return [second.record, third.record], all(c.closed for c in connections)

    (second, third), closed = run(body)
    assert second.state.is_final and third.state is OperationState.Cancelled
    assert closed


def test_progress_records_become_the_operations_progress() -> None:
    # what the Hyper-V module's job watcher writes: the job's name, and the percentage as the status
    record = ProgressRecord(
        activity="Shut down a virtual machine", activity_id=0, description="40%", percent_complete=40
    )
    assert progress_of(record) == OperationProgress(40, "Shut down a virtual machine")
    said_more = ProgressRecord(activity="Save", activity_id=0, description="Writing memory", percent_complete=-1)
    assert progress_of(said_more) == OperationProgress(None, "Save: Writing memory")
    bare = ProgressRecord(activity="", activity_id=0, description="Waiting", percent_complete=101)
    assert progress_of(bare) == OperationProgress(None, "Waiting")
