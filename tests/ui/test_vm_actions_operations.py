"""The window's commands as operations: what the Activity panel hears (`operation_changed`, `records`) and
what it can do (`cancel_operation`), against the emulator over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import connect, shown, vm_key
from PySide6.QtTest import QSignalSpy
from qasync_loop import wait_until

from hvgui.domain.operations import OperationRecord, OperationState, PowerOperation
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import OperationsConfig, SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    """One operation at a time per host, so the others wait in the queue."""
    manager = SessionManager(refresh_interval=0.5, connect_timeout=5, operations=OperationsConfig(limit=1))
    controller = HostsController(manager)
    w = MainWindow(controller)
    qtbot.addWidget(w)
    yield w
    loop.run_until_complete(controller.aclose())


def test_queued_operations_are_listed_and_one_can_be_cancelled(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    vms = [shown(window, vm_key(emulator, "HV-DEMO-01", name)) for name in ("dc01", "dc02", "sql01")]
    changed = QSignalSpy(window.vm_actions.operation_changed)
    failed = QSignalSpy(window.vm_actions.failed)
    actions = window.vm_actions.power(vms, PowerAction.TurnOff)

    def all_final() -> bool:
        return all(r.state.is_final for r in window.vm_actions.records()) and not window.vm_actions.running()

    async def body() -> list[OperationRecord]:
        # one loop run for the whole story: the operations never wait on a stopped loop
        await wait_until(lambda: len(window.vm_actions.records()) == 3, what="three operations")
        records = window.vm_actions.records()
        assert window.vm_actions.cancel_operation(records[2].op_id) is True
        await wait_until(all_final, what="the outcomes")
        return records

    records = loop.run_until_complete(body())
    assert [r.operation for r in records] == [a.operation for a in actions]
    assert all(isinstance(r.operation, PowerOperation) for r in records)
    third = records[2]
    assert third.state is OperationState.Queued and third.cancellable  # the limit is 1: it waited in the queue
    states = {r.operation.target.vm_name: r.state for r in window.vm_actions.records()}
    assert states == {
        "dc01": OperationState.Succeeded,
        "dc02": OperationState.Succeeded,
        "sql01": OperationState.Cancelled,
    }
    assert window.vm_actions.cancel_operation(third.op_id) is False  # final: nothing left to cancel
    (failure,) = [failed.at(i)[0] for i in range(failed.count())]
    assert failure.action is actions[2] and not failure.sent
    assert failure.message == "Turn Off 'sql01' failed: Cancelled before it was sent to the host."
    seen: list[OperationRecord] = [changed.at(i)[0] for i in range(changed.count())]
    assert [r.state for r in seen if r.op_id == records[0].op_id] == [
        OperationState.Queued,
        OperationState.Running,
        OperationState.Succeeded,
    ]
    assert shown(window, vms[0].key).state is VmState.Off and shown(window, vms[2].key).state is VmState.Running
