"""A 60 s shutdown shows the host's progress while the same host keeps refreshing, on the `realistic` profile.

The emulated host charges what a Windows Server host charges and its Stop-VM blocks until the guest is off,
writing a progress record per host second, as the Hyper-V module's job watcher does. The scenario's time
scale compresses host time: at 10 host seconds per real second, the 60 s shutdown takes 6 real seconds. The
client's refresh interval is real time, so it is set to 0.5 s (5 host seconds): about a dozen refreshes fall
inside the shutdown, where the 2 s interval would leave three.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from remoting_support import Recorder, is_inventory, read_command_log, run

from hvgui.domain.operations import (
    DEFAULT_DEADLINES,
    CheckpointCreateOperation,
    OperationRecord,
    OperationState,
    PowerOperation,
    VmTarget,
)
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import CheckpointType, Vm, VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import HostSession, OperationsConfig, SessionManager

TIME_SCALE = 10.0
SHUTDOWN_HOST_SECONDS = 60
REFRESH_INTERVAL = 0.5
SHUTDOWN_ACTIVITY = "Shut down a virtual machine"


def write_scenario(directory: Path) -> Path:
    """One realistic host: a Windows guest whose clean shutdown takes 60 host seconds, and five VMs to save
    (3-9 host seconds each, by memory)."""
    path = directory / "slow-shutdown.json"
    document = {
        "name": "slow-shutdown",
        "cost_profile": "realistic",
        "time_scale": TIME_SCALE,
        "hosts": [
            {
                "name": "HV-SLOW-01",
                "vms": [
                    {"name": "app01", "os": "windows-server-2022", "state": "Running",
                     "durations": {"shutdown": SHUTDOWN_HOST_SECONDS}},
                    {"name": "web01", "os": "ubuntu-22.04", "state": "Running", "memory_mb": 2048},
                    {"name": "dc01", "os": "windows-server-2019", "state": "Running", "memory_mb": 4096},
                    {"name": "sql01", "os": "windows-server-2022", "state": "Running", "memory_mb": 6144},
                    {"name": "file01", "os": "windows-server-2022", "state": "Running", "memory_mb": 8192},
                    {"name": "ci01", "os": "rhel-9", "state": "Running", "memory_mb": 3072},
                ],
            }
        ],
    }  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def slow_host(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator(str(write_scenario(tmp_path)), command_log=str(command_log)) as emulator:
        yield emulator


async def connect(emulator: RunningEmulator) -> tuple[SessionManager, HostSession, list[OperationRecord]]:
    manager = SessionManager(refresh_interval=REFRESH_INTERVAL, connect_timeout=5)
    recorder = Recorder()
    manager.subscribe(recorder)
    published: list[OperationRecord] = []
    manager.subscribe_operations(published.append)
    endpoint = emulator.endpoints[0]
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    return manager, session, published


def vm_named(session: HostSession, name: str) -> Vm:
    assert session.inventory is not None
    return next(vm for vm in session.inventory.vms if vm.name == name)


def shutdown_of(session: HostSession, name: str) -> PowerOperation:
    return PowerOperation(VmTarget.of(vm_named(session, name), session.settings.host), action=PowerAction.ShutDown)


def test_a_60_s_shutdown_shows_progress_while_the_host_keeps_refreshing(
    slow_host: RunningEmulator, command_log: Path
) -> None:
    async def body() -> tuple[OperationRecord, list[OperationRecord], list[VmState], VmState]:
        manager, session, published = await connect(slow_host)
        seen_states: list[VmState] = []  # app01 in every inventory that arrives while the shutdown runs
        handle = session.operations.submit(shutdown_of(session, "app01"))
        finished = asyncio.ensure_future(handle.done())
        while not finished.done():
            inventory = await session.next_inventory(request=False)
            seen_states.append(next(vm.state for vm in inventory.vms if vm.name == "app01"))
        final = finished.result()
        state = vm_named(session, "app01").state
        await manager.aclose()
        return final, published, seen_states, state

    final, published, seen_states, state = run(body)
    assert final.state is OperationState.Succeeded and state is VmState.Off
    assert final.message == "Shut down 'app01': done."
    states = [r.state for r in published if r.op_id == final.op_id]
    assert OperationState.Failed not in states and OperationState.StillRunning not in states  # 300 s deadline

    # the host's progress reached the record: the job's name, and percentages that only go up
    running = [r.progress for r in published if r.state is OperationState.Running and r.progress.percent is not None]
    assert {p.text for p in running} == {SHUTDOWN_ACTIVITY}
    percents = [p.percent for p in running]
    assert percents == sorted(percents)
    assert len(set(percents)) >= 10  # a record per host second: dozens over 60 host seconds
    assert percents[0] < 20 and percents[-1] >= 90

    # the refresh lane kept going during the shutdown: inventories between Stop-VM's start and its end
    log = read_command_log(command_log)
    (stop,) = [e["time"] for e in log if e.get("command") == "Stop-VM"]
    assert final.ended_at is not None
    during = [e["time"] for e in log if e.get("command") == "Get-HvGuiInventory" and stop < e["time"] < final.ended_at]
    assert len(during) >= 6
    assert seen_states.count(VmState.Stopping) >= 5  # inventories that showed the guest shutting down
    assert seen_states[-1] is VmState.Off


def test_cancelling_the_shutdown_stops_waiting_but_the_host_finishes_the_job(
    slow_host: RunningEmulator, command_log: Path
) -> None:
    async def body() -> tuple[OperationRecord, VmState, VmState]:
        manager, session, _ = await connect(slow_host)
        handle = session.operations.submit(shutdown_of(session, "app01"))
        while handle.record.progress.percent is None:  # the host's job runs and reports
            await asyncio.sleep(0.05)
        assert handle.cancel() is True
        stopped = await handle.done()
        just_after = (await session.next_inventory()).vms
        while vm_named(session, "app01").state is not VmState.Off:
            await session.next_inventory(request=False)
        state = vm_named(session, "app01").state
        await manager.aclose()
        return stopped, next(vm.state for vm in just_after if vm.name == "app01"), state

    stopped, just_after, state = run(body)
    assert stopped.state is OperationState.Cancelled
    assert stopped.message.startswith("hvgui stopped waiting and stopped the command. A job the host had already")
    assert just_after is VmState.Stopping  # the pipeline is gone, the guest still shuts down
    assert state is VmState.Off
    assert len([e for e in read_command_log(command_log) if e.get("command") == "Stop-VM"]) == 1


def test_saves_that_end_while_the_host_refreshes_on_schedule_ask_for_no_inventory(slow_host: RunningEmulator) -> None:
    """The five saves end at different times, some while an inventory runs: each waits for the schedule's next
    inventory instead of asking for one (which would cost the host an inventory the schedule delivers anyway)."""
    names = ["web01", "dc01", "sql01", "file01", "ci01"]

    async def body() -> tuple[list[OperationRecord], list[VmState], int, int]:
        manager, session, _ = await connect(slow_host)
        asked = 0
        refresh_now = session.refresh_now

        def counted() -> None:
            nonlocal asked
            asked += 1
            refresh_now()

        session.refresh_now = counted  # type: ignore[method-assign]
        saves = [
            session.operations.submit(
                PowerOperation(VmTarget.of(vm_named(session, n), session.settings.host), action=PowerAction.Save)
            )
            for n in names
        ]
        finals = list(await asyncio.gather(*(h.done() for h in saves)))
        states = [vm_named(session, n).state for n in names]
        lanes = session.operations.lane.size
        await manager.aclose()
        return finals, states, asked, lanes

    finals, states, asked, lanes = run(body)
    assert [f.state for f in finals] == [OperationState.Succeeded] * 5
    assert states == [VmState.Saved] * 5
    assert lanes == 4  # the default limit: the fifth save waited for a slot, and ended later still
    assert asked == 0


def test_a_32_gib_save_and_a_production_checkpoint_fit_hvguis_default_deadlines() -> None:
    """On the realistic demo host, saving sql01 (32 GiB) takes 33 host seconds and a production checkpoint of
    dc01 8 (VSS in the guest): both within hvgui's default deadlines, so neither is ever reported as failed,
    nor even as "still running". The deadlines are compressed by the same time scale as the host's jobs."""
    deadlines = {kind: seconds / TIME_SCALE for kind, seconds in DEFAULT_DEADLINES.items()}

    async def body() -> tuple[list[OperationRecord], list[OperationRecord], VmState, list[str]]:
        manager = SessionManager(
            refresh_interval=REFRESH_INTERVAL, connect_timeout=5, operations=OperationsConfig(deadlines=deadlines)
        )
        published: list[OperationRecord] = []
        manager.subscribe_operations(published.append)
        recorder = Recorder()
        manager.subscribe(recorder)
        endpoint = next(e for e in demo.endpoints if e.host_name == "HV-DEMO-01")
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for(is_inventory(session.key))
        sql01, dc01 = vm_named(session, "sql01"), vm_named(session, "dc01")
        assert sql01.memory_assigned == 32 * 1024**3 and dc01.checkpoint_type is CheckpointType.Production
        handles = [
            session.operations.submit(
                PowerOperation(VmTarget.of(sql01, session.settings.host), action=PowerAction.Save)
            ),
            session.operations.submit(
                CheckpointCreateOperation(VmTarget.of(dc01, session.settings.host), name="before patching")
            ),
        ]
        finals = list(await asyncio.gather(*(h.done() for h in handles)))
        state = vm_named(session, "sql01").state
        checkpoints = [c.name for c in await session.api.list_checkpoints(dc01.vm_id)]
        await manager.aclose()
        return finals, published, state, checkpoints

    with start_emulator("demo", cost_profile="realistic", time_scale=TIME_SCALE) as demo:
        finals, published, state, checkpoints = run(body)
    assert [f.state for f in finals] == [OperationState.Succeeded] * 2
    assert {r.state for r in published} == {OperationState.Queued, OperationState.Running, OperationState.Succeeded}
    save, checkpoint = finals
    assert save.duration is not None and save.duration >= 33 / TIME_SCALE  # the host's jobs, not quick returns
    assert checkpoint.duration is not None and checkpoint.duration >= 8 / TIME_SCALE
    assert state is VmState.Saved and checkpoints.count("before patching") == 1
