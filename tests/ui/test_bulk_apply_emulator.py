"""Bulk apply end to end: window -> BulkApplyController -> pypsrp -> emulator -> refreshed matrix and results.

The hosts are the in-process emulator's demo scenario over loopback, reached through the real SessionManager.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from qasync_loop import wait_until

from hvgui.domain.bulk import ALL_ON, ALL_ON_EXCEPT_TIMESYNC_FOR_DCS, ChangeResult, ResultKind
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, HEARTBEAT, TIME_SYNC
from hvgui.domain.operations import OperationState
from hvgui.domain.vm import Vm
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.bulk import BulkServicesDialog, Outcome
from hvgui.ui.bulk.matrix_model import CurrentRole, ResultRole
from hvgui.ui.controllers import HostsController
from hvgui.ui.fleet import FleetActions
from hvgui.ui.main_window import MainWindow

GSI = GUEST_SERVICE_INTERFACE.ic_guid
TS = TIME_SYNC.ic_guid
HB = HEARTBEAT.ic_guid


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop, emulator) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.3, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    loop.run_until_complete(connect_all(w, emulator))
    yield w
    loop.run_until_complete(controller.aclose())


def actions(window: MainWindow) -> FleetActions:
    return window.fleet_actions


async def connect_all(window: MainWindow, emulator: RunningEmulator) -> None:
    for endpoint in emulator.endpoints:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
    keys = window.controller.host_keys
    await wait_until(lambda: all(window.controller.inventory(k) is not None for k in keys()), what="inventories")


def host_key(emulator: RunningEmulator, host_name: str) -> str:
    endpoint = next(e for e in emulator.endpoints if e.host_name == host_name)
    return endpoint.connection_settings().key


def vm(window: MainWindow, emulator: RunningEmulator, host_name: str, name: str) -> Vm:
    key = host_key(emulator, host_name)
    return next(v for v in window.vm_model.vms() if v.host == key and v.name == name)


def host_model(emulator: RunningEmulator, host_name: str):
    return next(h for h in emulator.scenario.hosts if h.model.name == host_name)


def emulated_enabled(emulator: RunningEmulator, host_name: str, name: str, guid: str) -> bool:
    model = host_model(emulator, host_name).model
    with model.lock:
        return next(v for v in model.vms if v.name == name).components[guid].enabled


def outcomes_by_vm(dialog: BulkServicesDialog) -> dict[tuple[str, str], Outcome]:
    return {
        (change.vm_name, change.ic_guid): outcome
        for change, outcome in zip(dialog.results_model.changes(), dialog.results_model.outcomes(), strict=True)
    }


def test_apply_a_baseline_end_to_end(loop, window, emulator) -> None:
    chosen = [
        vm(window, emulator, "HV-DEMO-01", "dc01"),
        vm(window, emulator, "HV-DEMO-01", "web01"),
        vm(window, emulator, "HV-DEMO-02", "jumpbox"),
        vm(window, emulator, "HV-DEMO-02", "exchange01"),
    ]
    dialog = actions(window).open_bulk_dialog(chosen)
    assert dialog is not None and dialog.isVisible()
    assert [dialog.model.index(r, 0).data() for r in range(4)] == ["HV-DEMO-01"] * 2 + ["HV-DEMO-02"] * 2
    notes = dialog.use_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)
    assert len(notes) == 1 and "'web01'" in notes[0]  # an Ubuntu guest reports no product type
    assert [(c.vm_name, c.ic_guid, c.enable) for c in dialog.plan()] == [
        ("dc01", GSI, True),
        ("dc01", TS, False),
        ("web01", GSI, True),
        ("jumpbox", GSI, True),
        ("jumpbox", HB, True),
        ("exchange01", GSI, True),
    ]
    box = dialog.apply()
    known = {r.op_id for r in window.vm_actions.records()}
    assert isinstance(box, QMessageBox)  # Time Synchronization of a domain controller gets disabled
    box.button(QMessageBox.StandardButton.Yes).click()
    assert dialog.is_applying() and dialog.model.locked

    async def settled() -> None:
        await wait_until(lambda: dialog.last_results(), what="the results")
        await wait_until(lambda: dialog.plan() == [], what="the refresh that shows the changes")

    loop.run_until_complete(settled())
    results = dialog.last_results()
    assert [r.kind for r in results] == [ResultKind.Done] * 6
    assert dialog.results_model.outcomes() == [Outcome.Ok] * 6
    assert dialog.summary.text() == "6 changes made."
    # the changes went through the hosts' operation runners: the Activity panel lists them
    bulk = [r for r in window.vm_actions.records() if r.op_id not in known]
    assert sorted((r.operation.target.vm_name, r.operation.ic_guid, r.state.value) for r in bulk) == sorted(
        (c.change.vm_name, c.change.ic_guid, OperationState.Succeeded.value) for c in results
    )
    # the matrix shows the host's new truth, and every changed cell its OK result
    for change in results:
        index = dialog.model.cell(change.change.vm_key, change.change.ic_guid)
        assert index.data(CurrentRole) is change.change.enable
        assert index.data(ResultRole).kind is ResultKind.Done
    # the main window's table has the same truth, and the emulator holds it
    assert window.vm_model.vm(chosen[0].key).service(TS).enabled is False
    assert emulated_enabled(emulator, "HV-DEMO-01", "dc01", GSI) is True
    assert emulated_enabled(emulator, "HV-DEMO-01", "dc01", TS) is False
    assert emulated_enabled(emulator, "HV-DEMO-02", "jumpbox", HB) is True
    assert emulated_enabled(emulator, "HV-DEMO-02", "exchange01", GSI) is True


def test_a_vm_deleted_on_its_host_fails_its_row_and_the_others_go_on(loop, window, emulator) -> None:
    chosen = [
        vm(window, emulator, "HV-DEMO-01", "dc01"),
        vm(window, emulator, "HV-DEMO-01", "web01"),
        vm(window, emulator, "HV-DEMO-01", "sql01"),
        vm(window, emulator, "HV-DEMO-02", "exchange01"),
    ]
    dialog = actions(window).open_bulk_dialog(chosen)
    dialog.use_baseline(ALL_ON)
    assert len(dialog.plan()) == 4  # Guest Service Interface on each
    model = host_model(emulator, "HV-DEMO-01").model
    with model.lock:  # another admin deletes web01 behind hvgui's back
        model.vms.remove(next(v for v in model.vms if v.name == "web01"))
    assert dialog.apply() is None

    async def settled() -> None:
        await wait_until(lambda: dialog.last_results(), what="the results")
        await wait_until(lambda: dialog.model.is_gone(chosen[1].key), what="the refresh without web01")

    loop.run_until_complete(settled())
    assert outcomes_by_vm(dialog) == {
        ("dc01", GSI): Outcome.Ok,
        ("web01", GSI): Outcome.Failed,
        ("sql01", GSI): Outcome.Ok,
        ("exchange01", GSI): Outcome.Ok,
    }
    failed = next(r for r in dialog.last_results() if r.change.vm_name == "web01")
    assert failed.message.startswith("Enable Guest Service Interface on 'web01' failed: Hyper-V was unable to find")
    assert "deleted or moved" in failed.message
    row = dialog.results_model.changes().index(failed.change)
    assert dialog.results_model.index(row, 4).data() == "Failed"
    assert dialog.results_model.index(row, 5).data() == failed.message
    assert dialog.summary.text() == "3 changes made, 1 failed."
    # the row stays, marked gone, with its failure; the others show the host's new truth
    assert dialog.model.index(1, 1).data() == "web01 (gone)"
    assert dialog.model.cell(chosen[1].key, GSI).data(ResultRole) is failed
    assert emulated_enabled(emulator, "HV-DEMO-01", "sql01", GSI) is True
    assert emulated_enabled(emulator, "HV-DEMO-02", "exchange01", GSI) is True


def test_a_host_that_drops_mid_apply_says_what_was_done_and_what_was_not(loop, window, emulator) -> None:
    names = ["dc01", "dc02", "sql01", "web01"]
    chosen = [vm(window, emulator, "HV-DEMO-01", n) for n in names] + [vm(window, emulator, "HV-DEMO-02", "jumpbox")]
    dialog = actions(window).open_bulk_dialog(chosen)
    for item in chosen:
        dialog.model.set_desired(item.key, GSI, True)
    plan = dialog.plan()
    assert [c.vm_name for c in plan] == [*names, "jumpbox"]
    slow = host_model(emulator, "HV-DEMO-01")
    server = emulator.server("HV-DEMO-01")
    slow.delay = 0.5  # every pipeline of HV-DEMO-01 now takes half a second

    def on_started(index: int) -> None:
        if plan[index].vm_name == "dc02":  # drop the host while dc02's change is under way
            asyncio.get_event_loop().call_later(0.2, server.stop)

    dialog.controller.changeStarted.connect(on_started)
    assert dialog.apply() is None
    try:
        loop.run_until_complete(wait_until(lambda: dialog.last_results(), what="the results"))
    finally:
        slow.delay = 0.0
    assert outcomes_by_vm(dialog) == {
        ("dc01", GSI): Outcome.Ok,
        ("dc02", GSI): Outcome.Unconfirmed,
        ("sql01", GSI): Outcome.NotAttempted,
        ("web01", GSI): Outcome.NotAttempted,
        ("jumpbox", GSI): Outcome.Ok,
    }
    by_vm = {r.change.vm_name: r for r in dialog.last_results()}
    assert "cannot tell whether it was made" in by_vm["dc02"].message
    label = window.controller.settings(host_key(emulator, "HV-DEMO-01")).label
    assert by_vm["sql01"].message == (
        f"Enable Guest Service Interface on 'sql01' was not attempted: the connection to {label} failed "
        "during an earlier change, so it was not sent."
    )
    assert dialog.summary.text() == "2 changes made, 1 unconfirmed, 2 not attempted."
    assert emulated_enabled(emulator, "HV-DEMO-01", "dc01", GSI) is True
    assert emulated_enabled(emulator, "HV-DEMO-01", "sql01", GSI) is False
    assert emulated_enabled(emulator, "HV-DEMO-01", "web01", GSI) is False
    assert emulated_enabled(emulator, "HV-DEMO-02", "jumpbox", GSI) is True
    assert not dialog.model.locked  # the admin can retry the rest once the host is back


def test_stop_lets_the_change_under_way_finish_and_sends_nothing_more(loop, window, emulator) -> None:
    chosen = [vm(window, emulator, "HV-DEMO-01", n) for n in ("dc01", "dc02", "sql01")]
    dialog = actions(window).open_bulk_dialog(chosen)
    for item in chosen:
        dialog.model.set_desired(item.key, GSI, True)
    finished: list[list[ChangeResult]] = []
    dialog.controller.finished.connect(finished.append)
    closed: list[int] = []
    dialog.finished.connect(closed.append)
    # closing the dialog while the first change is being sent stops the apply; the dialog waits for it
    dialog.controller.changeStarted.connect(lambda index: dialog.close() if index == 0 else None)
    assert dialog.apply() is None
    loop.run_until_complete(wait_until(lambda: finished, what="the results"))
    (results,) = finished
    assert [r.kind for r in results] == [ResultKind.Done, ResultKind.NotAttempted, ResultKind.NotAttempted]
    assert results[1].message.endswith("was not attempted: the apply was stopped before it was sent.")
    assert closed, "the dialog closes once every change has its result"
    assert emulated_enabled(emulator, "HV-DEMO-01", "dc01", GSI) is True
    assert emulated_enabled(emulator, "HV-DEMO-01", "dc02", GSI) is False


def test_cancel_reports_the_change_under_way_as_unconfirmed(loop, window, emulator) -> None:
    chosen = [vm(window, emulator, "HV-DEMO-03", n) for n in ("backup01", "print01")]
    dialog = actions(window).open_bulk_dialog(chosen)
    for item in chosen:
        dialog.model.set_desired(item.key, GSI, True)
    slow = host_model(emulator, "HV-DEMO-03")
    slow.delay = 0.5
    dialog.controller.changeStarted.connect(
        lambda index: asyncio.get_event_loop().call_later(0.1, dialog.controller.cancel) if index == 0 else None
    )
    assert dialog.apply() is None
    try:
        loop.run_until_complete(wait_until(lambda: dialog.last_results(), what="the results"))
    finally:
        slow.delay = 0.0
    first, second = dialog.last_results()
    assert first.kind is ResultKind.Unknown and "cancelled while the change was under way" in first.message
    assert second.kind is ResultKind.NotAttempted
    assert second.message.endswith("the apply was cancelled before it was sent.")
    assert dialog.results_model.outcomes() == [Outcome.Unconfirmed, Outcome.NotAttempted]


def test_the_window_action_opens_the_dialog_for_the_selection(loop, qtbot, window, emulator) -> None:
    bulk = actions(window).bulk_action
    assert bulk.shortcut().toString() == "Ctrl+Shift+I"
    assert bulk in window.vm_menu.actions()
    window.table.clearSelection()
    assert not bulk.isEnabled()
    assert actions(window).open_bulk_dialog() is None
    chosen = [vm(window, emulator, "HV-DEMO-02", "jumpbox"), vm(window, emulator, "HV-DEMO-03", "print01")]
    assert window.select_vms([v.key for v in chosen]) == 2  # across hosts
    assert bulk.isEnabled()
    before = set(window.findChildren(BulkServicesDialog))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    (dialog,) = set(window.findChildren(BulkServicesDialog)) - before
    assert {v.key for v in dialog.model.vms()} == {v.key for v in chosen}
    assert {dialog.model.index(r, 0).data() for r in range(2)} == {"HV-DEMO-02", "HV-DEMO-03"}
    assert dialog.windowTitle() == "Integration services \u2014 2 VMs"
