"""The VM panel's Heartbeat tab: the selected VM's strip and transitions, by span, updated live."""

from __future__ import annotations

import dataclasses
import time

import pytest
from history_window_support import close, connected, history_window, publish

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import EventKind, LaneStatus, Transition
from hvgui.ui.history.spans import SPANS

KEY = "https://hv01:5986"
OK = HeartbeatStatus.OkApplicationsHealthy
LOST = HeartbeatStatus.LostCommunication


@pytest.fixture
def setup(qtbot, tmp_path):
    window, history = history_window(qtbot, tmp_path / "history.sqlite")
    yield window, history
    close(history)


def _past(vm, at: float, old, new) -> Transition:
    return Transition(vm.host, vm.vm_id, vm.name, at, EventKind.Heartbeat, int(old), int(new), VmState.Running, new)


def test_the_tab_lists_the_selected_vms_transitions_by_span_and_follows_new_ones(qtbot, setup, vm_factory) -> None:
    window, history = setup
    vm = vm_factory(host=KEY, name="web\u202e01")
    other = vm_factory(host=KEY, name="db01")
    now = time.time()
    # Earlier sessions recorded: lost and back 3 hours ago, lost and back 20 minutes ago.
    history.store.record(
        [
            _past(vm, now - 3 * 3600, OK, LOST),
            _past(vm, now - 3 * 3600 + 60, LOST, OK),
            _past(vm, now - 1200, OK, LOST),
            _past(vm, now - 1100, LOST, OK),
        ]
    )
    assert history.store.flush()
    window.controller.hostStatusChanged.emit(connected(KEY, "HV-01"))
    first = publish(window, KEY, [vm, other])
    tab = history.heartbeat_tab
    assert window.vm_panel.indexOf(tab) >= 0 and window.vm_panel.tabText(window.vm_panel.indexOf(tab)) == "Heartbeat"
    window.select_vm(vm.key)
    window.vm_panel.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 4)
    assert tab.span is SPANS[1]
    assert tab.summary.text() == "4 transitions in the last 24 h"
    newest = [tab.table.item(0, c).text() for c in range(4)]
    assert newest[1:] == ["Heartbeat", "Lost Communication", "OK (Applications Healthy)"]
    assert [s.status for s in tab.strip.segments] == [
        LaneStatus.Ok,
        LaneStatus.Lost,
        LaneStatus.Ok,
        LaneStatus.Lost,
        LaneStatus.Ok,
    ]
    assert not tab.strip.grab().isNull()

    tab.span_buttons.button(0).click()  # the last hour
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2)
    assert tab.summary.text() == "2 transitions in the last 1 h"

    # Live: the guest stops answering; the tab lists it without being asked.
    publish(window, KEY, [dataclasses.replace(vm, heartbeat=LOST), other], old=first)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3)
    assert tab.table.item(0, 3).text() == "Lost Communication"
    assert tab.strip.segments[-1].status is LaneStatus.Lost

    # Another VM: its own (empty) history; the list never shows the first VM's rows under it.
    window.select_vm(other.key)
    qtbot.waitUntil(lambda: tab.summary.text() == "0 transitions in the last 1 h")
    assert tab.table.rowCount() == 0


def test_without_a_selection_the_tab_shows_its_placeholder(setup, vm_factory) -> None:
    _window, history = setup
    tab = history.heartbeat_tab
    tab.show_vm(vm_factory(host=KEY))
    assert tab._stack.currentIndex() == 1
    tab.show_vm(None)
    assert tab._stack.currentIndex() == 0
