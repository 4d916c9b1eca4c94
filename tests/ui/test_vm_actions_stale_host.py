"""A command on a host that stopped answering, or that is failing, says so before it waits: the window's status
bar shows the host's staleness warning at once, and the operation's record carries it until the host answers.

The emulated host holds every reply for a few seconds (`pause_receives`), as a hung host does, or makes every
pipeline wait far longer than the inventory's deadline (`delay`), so that the host fails; the window
talks to it over loopback with the real SessionManager and pypsrp.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import connect, emulated_host, shown, vm_key
from PySide6.QtTest import QSignalSpy
from qasync_loop import wait_until

from hvgui.domain.operations import OperationRecord, OperationState
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import Backoff, InventoryDeadline, SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.text import one_line

HOST = "HV-DEMO-01"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.2, connect_timeout=5))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def _records_of(spy: QSignalSpy, op_id: int) -> list[OperationRecord]:
    return [record for record in (spy.at(i)[0] for i in range(spy.count())) if record.op_id == op_id]


def test_an_action_on_a_host_that_stopped_answering_says_so_before_it_waits(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, HOST))
    key = window.controller.host_keys()[0]
    notices = QSignalSpy(window.vm_actions.notice)
    changed = QSignalSpy(window.vm_actions.operation_changed)

    # A current host: no warning, and the record has no message until its outcome.
    fresh_vm = shown(window, vm_key(emulator, HOST, "dc01"))
    window.vm_actions.power([fresh_vm], PowerAction.TurnOff)
    assert notices.count() == 0

    async def fresh_done() -> None:
        await wait_until(lambda: not window.vm_actions.running(), what="the first turn-off")

    loop.run_until_complete(fresh_done())
    (first_op,) = {r.op_id for r in window.vm_actions.records()}
    assert [r.message for r in _records_of(changed, first_op) if not r.state.is_final] == ["", ""]

    # The host stops answering; once its data is stale, an action on it warns at once.
    emulator.server(HOST).service.pause_receives(5.0)

    async def stale() -> None:
        await wait_until(lambda: window.controller.staleness_warning(key) is not None, what="the host stale")

    loop.run_until_complete(stale())
    vms = [shown(window, vm_key(emulator, HOST, name)) for name in ("dc02", "sql01")]
    actions = window.vm_actions.power(vms, PowerAction.TurnOff)
    assert notices.count() == 1  # before anything waited, and once for the two VMs of the one host
    warning = notices.at(0)[0]
    assert warning.startswith(f"{window.controller.settings(key).label} is not answering (data ")
    assert "this may wait until it answers" in warning
    assert window.statusBar().currentMessage() == one_line(warning)

    async def done() -> None:
        await wait_until(lambda: not window.vm_actions.running(), what="the turn-offs on the host that came back")

    loop.run_until_complete(done())
    for action in actions:
        (op_id,) = {r.op_id for r in window.vm_actions.records() if r.operation is action.operation}
        records = _records_of(changed, op_id)
        waiting = [r for r in records if not r.state.is_final]
        assert waiting and all(r.message == warning for r in waiting)  # until the host's answer replaced it
        assert records[-1].state is OperationState.Succeeded and records[-1].message.endswith("done.")
        assert shown(window, action.vm_key).state is VmState.Off
    assert window.controller.staleness_warning(key) is None


def test_an_action_on_a_failing_host_names_why_before_it_waits(qtbot, loop, emulator) -> None:
    manager = SessionManager(
        refresh_interval=0.2,
        connect_timeout=5,
        backoff=lambda: Backoff(initial=0.05, maximum=0.5),
        inventory_deadline=lambda: InventoryDeadline(base=1.0, cap=2.0),
    )
    window = MainWindow(HostsController(manager))
    qtbot.addWidget(window)
    host = emulated_host(emulator, HOST)
    notices = QSignalSpy(window.vm_actions.notice)
    try:
        loop.run_until_complete(connect(window, emulator, HOST))
        key = window.controller.host_keys()[0]
        host.delay = 30.0  # every pipeline now waits far longer than the inventory's deadline

        async def failing() -> None:
            await wait_until(lambda: window.hosts_pane.banner(key) is not None, what="the host failing")

        loop.run_until_complete(failing())
        vm = shown(window, vm_key(emulator, HOST, "dc01"))
        window.vm_actions.power([vm], PowerAction.TurnOff)
        assert notices.count() == 1
        warning = notices.at(0)[0]
        label = window.controller.settings(key).label
        assert warning.startswith(f"{label} is not connected (data ")
        assert f"{label} did not send its inventory within " in warning  # why it is failing

        async def recorded() -> OperationRecord:
            await wait_until(lambda: window.vm_actions.records(), what="the operation's record")
            return window.vm_actions.records()[0]

        record = loop.run_until_complete(recorded())
        assert not record.state.is_final and record.message == warning
    finally:
        host.delay = 0.0
        loop.run_until_complete(window.controller.aclose())
