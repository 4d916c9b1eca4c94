"""Power actions end to end: the window sends `Get-VM -Id <guid> | Start-VM` & co. to the emulator.

Hard actions (Turn Off, Restart) ask first; a graceful shutdown that cannot work (the Shutdown service is off)
is never sent: the window explains and offers Turn Off. What was sent is read from the emulator's command log
and what it did from the emulator's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from emulator_support import (
    ScriptedConfirmer,
    connect,
    emulated_host,
    emulated_vm,
    endpoint_for,
    message_box,
    sent,
    shown,
    vm_key,
)
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QSignalSpy, QTest
from qasync_loop import wait_until

from hvgui.domain.operations import OperationState
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import OperationsConfig, SessionManager
from hvgui.ui.confirm import accept_button, reject_button
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.power_actions import CONFIRM_POWER, CONFIRM_SHUTDOWN, SHUTDOWN_BLOCKED


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


@pytest.fixture
def quick_emulator(command_log: Path) -> Iterator[RunningEmulator]:
    """The demo hosts with their clock 10 times as fast: a guest's 14 s shutdown takes 1.4 s."""
    with start_emulator("demo", command_log=str(command_log), time_scale=10) as running:
        yield running


def make_window(qtbot, confirmer=None) -> MainWindow:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller, confirmer=confirmer)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    return window


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    w = make_window(qtbot)  # real message boxes
    yield w
    loop.run_until_complete(w.controller.aclose())


def state_of(emulator: RunningEmulator, host: str, name: str) -> VmState:
    model = emulated_host(emulator, host).model
    return VmState(int(emulated_vm(emulator, host, name).state(model.now())))


def wait_for_outcome(loop, window: MainWindow, count: int = 1) -> None:
    loop.run_until_complete(
        wait_until(lambda: not window.vm_actions.running() and len(window.power.messages) >= count, what="outcome")
    )


def test_shut_down_without_a_shutdown_service_explains_and_offers_turn_off(loop, window, emulator, command_log):
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-03", "devbox-01")
    assert window.select_vm(key)
    shut_down = window.power.qactions[PowerAction.ShutDown]
    assert shut_down.isEnabled()  # offered: the VM runs; the check comes when it is chosen

    shut_down.trigger()
    box = message_box(SHUTDOWN_BLOCKED)
    assert box is not None, "no explanation"
    assert "'devbox-01' cannot be shut down cleanly" in box.text()
    assert "Shutdown integration service of 'devbox-01' is disabled" in box.text()
    assert "pulling the power cord" in box.text()
    assert accept_button(box).text() == "Turn Off"
    reject_button(box).click()
    loop.run_until_complete(wait_until(lambda: message_box(SHUTDOWN_BLOCKED) is None, what="the box to close"))
    assert sent(command_log, "Stop-VM") == []
    assert "was not shut down" in window.power.messages[-1]
    assert state_of(emulator, "HV-DEMO-03", "devbox-01") is VmState.Running

    # The controller itself refuses to send a Stop-VM that would fail on the host's prompt.
    spy = QSignalSpy(window.vm_actions.failed)
    window.vm_actions.power([shown(window, key)], PowerAction.ShutDown)
    loop.run_until_complete(wait_until(lambda: spy.count() == 1, what="the refusal"))
    refusal = spy.at(0)[0]
    assert not refusal.sent and "disabled" in refusal.reason
    assert sent(command_log, "Stop-VM") == []

    shut_down.trigger()
    accept_button(message_box(SHUTDOWN_BLOCKED)).click()
    wait_for_outcome(loop, window, 2)
    stops = sent(command_log, "Stop-VM")
    assert len(stops) == 1 and stops[0]["parameters"].get("TurnOff") is True
    assert state_of(emulator, "HV-DEMO-03", "devbox-01") is VmState.Off
    assert window.power.messages[-1] == "Turned off 'devbox-01'."
    loop.run_until_complete(wait_until(lambda: shown(window, key).state is VmState.Off, what="the table"))


def test_turn_off_asks_first_because_data_may_be_lost(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-03", "backup01")
    window.select_vm(key)
    window.table.setFocus()
    QTest.keySequence(window.table, QKeySequence("Ctrl+T"))
    box = message_box(CONFIRM_POWER)
    assert box is not None, "Ctrl+T did not ask"
    assert box.text().startswith("Turn off 'backup01'?")
    assert "can be lost" in box.text()
    reject_button(box).click()
    loop.run_until_complete(wait_until(lambda: message_box(CONFIRM_POWER) is None, what="the box to close"))
    assert sent(command_log, "Stop-VM") == []
    assert state_of(emulator, "HV-DEMO-03", "backup01") is VmState.Running

    window.power.qactions[PowerAction.TurnOff].trigger()
    accept_button(message_box(CONFIRM_POWER)).click()
    wait_for_outcome(loop, window)
    assert state_of(emulator, "HV-DEMO-03", "backup01") is VmState.Off
    assert [s["parameters"] for s in sent(command_log, "Stop-VM")] == [{"TurnOff": True, "Confirm": False}]


def test_start_many_vms_across_hosts_from_the_keyboard(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01", "HV-DEMO-02"))
    off_one = vm_key(emulator, "HV-DEMO-01", "legacy-app")
    off_two = vm_key(emulator, "HV-DEMO-02", "rhel-db")
    running = vm_key(emulator, "HV-DEMO-01", "dc01")
    assert window.select_vms([off_one, off_two, running]) == 3
    assert window.power.qactions[PowerAction.Start].isEnabled()
    window.table.setFocus()
    QTest.keySequence(window.table, QKeySequence("Ctrl+S"))
    wait_for_outcome(loop, window)
    starts = sent(command_log, "Start-VM")
    assert len(starts) == 2  # not for the running dc01
    assert {e["host"] for e in starts} == {"HV-DEMO-01", "HV-DEMO-02"}
    for host, name in (("HV-DEMO-01", "legacy-app"), ("HV-DEMO-02", "rhel-db")):
        assert state_of(emulator, host, name) in (VmState.Starting, VmState.Running)
    summary = window.power.messages[-1]
    assert "Started 'legacy-app'." in summary and "Started 'rhel-db'." in summary
    assert "'dc01' is already running" in summary
    assert window.statusBar().currentMessage() == summary
    loop.run_until_complete(
        wait_until(lambda: shown(window, off_one).state is not VmState.Off, what="the table to follow")
    )


def test_save_restart_and_graceful_shutdown(qtbot, loop, quick_emulator, command_log) -> None:
    emulator = quick_emulator
    confirmer = ScriptedConfirmer(answer=True)
    window = make_window(qtbot, confirmer)
    try:
        loop.run_until_complete(connect(window, emulator, "HV-DEMO-02", "HV-DEMO-03"))
        save = vm_key(emulator, "HV-DEMO-03", "print01")
        restart = vm_key(emulator, "HV-DEMO-03", "rds01")
        shutdown = vm_key(emulator, "HV-DEMO-02", "exchange01")
        uptime_before = shown(window, restart).uptime()

        window.power.trigger(PowerAction.Save, [shown(window, save)])
        window.power.trigger(PowerAction.Restart, [shown(window, restart)])
        window.power.trigger(PowerAction.ShutDown, [shown(window, shutdown)])
        wait_for_outcome(loop, window, 3)

        # Restart and Shut Down asked; Save did not.
        assert [q.object_name for q in confirmer.questions] == [CONFIRM_POWER, CONFIRM_SHUTDOWN]
        assert "reset button" in confirmer.questions[0].text
        assert confirmer.questions[1].text.startswith("Shut down 'exchange01'?")
        assert state_of(emulator, "HV-DEMO-03", "print01") in (VmState.Saving, VmState.Saved)
        assert state_of(emulator, "HV-DEMO-02", "exchange01") in (VmState.Stopping, VmState.Off)
        model = emulated_host(emulator, "HV-DEMO-03").model
        assert emulated_vm(emulator, "HV-DEMO-03", "rds01").uptime(model.now()) < uptime_before
        assert [e["parameters"] for e in sent(command_log, "Save-VM")] == [{"Confirm": False}]
        assert [e["parameters"] for e in sent(command_log, "Restart-VM")] == [{"Force": True, "Confirm": False}]
        assert [e["parameters"] for e in sent(command_log, "Stop-VM")] == [{"Confirm": False}]  # graceful
        done = {"Saved 'print01'.", "Restarted 'rds01'.", "Shut down 'exchange01'."}
        assert set(window.power.messages) >= done
        # Every per-VM pipeline selects the VM by its id, never by its name.
        assert all("Id" in e["parameters"] for e in sent(command_log, "Get-VM"))
    finally:
        loop.run_until_complete(window.controller.aclose())


def test_a_warning_of_the_host_reaches_the_status_bar(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    stale = replace(shown(window, key), state=VmState.Off)  # the window's view is older than the host's
    window.power.trigger(PowerAction.Start, [stale])
    wait_for_outcome(loop, window)
    assert "already in the specified state" in window.power.messages[-1]
    assert "already in the specified state" in window.statusBar().currentMessage()


def test_copy_power_commands_for_the_selection(loop, window, emulator, qapp) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    dc01, web01 = vm_key(emulator, "HV-DEMO-01", "dc01"), vm_key(emulator, "HV-DEMO-01", "web01")
    window.select_vms([dc01, web01])
    text = window.power.copy_powershell(PowerAction.TurnOff)
    address = endpoint_for(emulator, "HV-DEMO-01").address  # the name hvgui reached the host by
    assert text == (
        f"Get-VM -ComputerName '{address}' -Id '{dc01.vm_id}' | Stop-VM -TurnOff\n"
        f"Get-VM -ComputerName '{address}' -Id '{web01.vm_id}' | Stop-VM -TurnOff"
    )
    assert qapp.clipboard().text() == text
    window._table_context_menu(window.table.visualRect(window.table.currentIndex()).center())
    menu = window.findChild(type(window.vm_menu), "vmContextMenu")
    assert menu is not None
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[: len(window.power.qactions)] == [q.text() for q in window.power.qactions.values()]
    assert texts[-5:] == [
        "Copy as PowerShell",
        window.copy_actions.copy_action.text(),
        window.copy_actions.copy_from_action.text(),
        window.fleet_actions.bulk_action.text(),
        window.kvp_actions.bulk_action.text(),
    ]
    menu.close()


def test_a_host_that_does_not_answer_is_watched_then_given_up_on_and_the_window_says_so(qtbot, loop, emulator) -> None:
    operations = OperationsConfig(deadlines={"power:Save": 1.0}, watch_limit=3.0, confirm_wait=1.0)
    controller = HostsController(
        SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=1.5, operations=operations)
    )
    window = MainWindow(controller)
    qtbot.addWidget(window)
    host = emulated_host(emulator, "HV-DEMO-03")
    records = QSignalSpy(window.vm_actions.operation_changed)
    try:
        loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
        key = vm_key(emulator, "HV-DEMO-03", "print01")
        host.delay = 30.0  # every pipeline now waits far longer than hvgui watches
        window.power.trigger(PowerAction.Save, [shown(window, key)])
        assert window.statusBar().currentMessage() == "Saving 'print01'\u2026"
        loop.run_until_complete(wait_until(lambda: not window.vm_actions.running(), what="the watch limit"))
        states = [records.at(i)[0].state for i in range(records.count())]
        assert states[:3] == [OperationState.Queued, OperationState.Running, OperationState.StillRunning]
        assert states[-1] is OperationState.Failed
        message = window.power.messages[-1]
        assert message.startswith("Save 'print01' failed: hvgui stopped watching after 3 s")
        (record,) = window.vm_actions.records()
        assert record.message in message and record.operation.target.vm_name == "print01"
    finally:
        host.delay = 0.0
        loop.run_until_complete(controller.aclose())


def test_pause_resume_and_start_say_what_happened(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-02", "HV-DEMO-03"))
    running = vm_key(emulator, "HV-DEMO-03", "backup01")
    paused = vm_key(emulator, "HV-DEMO-02", "k8s-node-3")
    saved = vm_key(emulator, "HV-DEMO-03", "wsus")

    window.select_vm(running)
    assert not window.power.qactions[PowerAction.Resume].isEnabled()
    window.table.setFocus()
    QTest.keySequence(window.table, QKeySequence("Ctrl+P"))  # Pause, as in Virtual Machine Connection
    wait_for_outcome(loop, window)
    assert state_of(emulator, "HV-DEMO-03", "backup01") in (VmState.Pausing, VmState.Paused)
    assert [e["parameters"] for e in sent(command_log, "Suspend-VM")] == [{"Confirm": False}]
    assert window.power.messages[-1] == "Paused 'backup01'."

    window.select_vm(paused)
    assert not window.power.qactions[PowerAction.Pause].isEnabled()
    QTest.keySequence(window.table, QKeySequence("Ctrl+Shift+P"))
    wait_for_outcome(loop, window, 2)
    assert [e["parameters"] for e in sent(command_log, "Resume-VM")] == [{"Confirm": False}]
    assert window.power.messages[-1] == "Resumed 'k8s-node-3'."

    # Start on a saved VM restores it, and says so rather than "Started".
    window.power.trigger(PowerAction.Start, [shown(window, saved)])
    wait_for_outcome(loop, window, 3)
    assert window.power.messages[-1] == "Restored 'wsus' from its saved state."
    assert state_of(emulator, "HV-DEMO-03", "wsus") in (VmState.Starting, VmState.Running)
