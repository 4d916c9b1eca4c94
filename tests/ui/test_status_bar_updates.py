"""The status bar follows the hosts a few times a second, not once per heartbeat: many changes in a row show as
one update with the final counts, a steady stream still shows while it lasts, and what the admin does (the
filter) shows at once, with whatever the hosts changed meanwhile."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QApplication

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.heartbeat import HeartbeatHealth
from hvgui.domain.inventory import InventoryDiff, diff_inventory
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import STATUS_BAR_DELAY_MS, MainWindow

KEY = "https://hv01:5986/wsman"
VMS = 40


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def fleet(window: MainWindow, vm_factory) -> list[Vm]:
    """A connected host of healthy VMs, its status bar up to date."""
    window.controller.hostStatusChanged.emit(HostStatus(key=KEY, label="HV01", state=HostState.Connected))
    vms = [vm_factory(host=KEY, name=f"vm{i:02d}") for i in range(VMS)]
    inventory = Inventory(host=KEY, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(None, inventory))
    window.flush_status_bar()
    assert window.health_buttons[HeartbeatHealth.Ok].text() == f"{VMS} OK"
    assert not window.health_buttons[HeartbeatHealth.Lost].isVisible()
    return vms


def lose(window: MainWindow, vm: Vm) -> Vm:
    """What a host's change stream publishes when one guest stops answering."""
    lost = replace(vm, heartbeat=HeartbeatStatus.LostCommunication)
    inventory = Inventory(host=KEY, vms=(lost,), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, InventoryDiff(KEY, changed=(lost,)))
    return lost


def test_many_quick_changes_show_as_one_update_with_the_final_counts(qtbot, window, fleet) -> None:
    before = window.status_bar_updates
    for vm in fleet[:25]:
        lose(window, vm)
    # The table follows each change at once; the status bar waits for the delay.
    assert window.vm_model.health_counts()[HeartbeatHealth.Lost] == 25
    assert window.status_bar_updates == before
    assert not window.health_buttons[HeartbeatHealth.Lost].isVisible()

    qtbot.waitUntil(lambda: window.status_bar_updates > before)
    assert window.status_bar_updates == before + 1
    assert window.health_buttons[HeartbeatHealth.Lost].text() == "25 lost"
    assert window.health_buttons[HeartbeatHealth.Lost].isVisible()
    assert window.health_buttons[HeartbeatHealth.Ok].text() == f"{VMS - 25} OK"
    assert window.status_bar_texts()[:2] == ("1 of 1 hosts connected", f"{VMS} VMs")
    # Nothing changed since: no further update.
    qtbot.wait(2 * STATUS_BAR_DELAY_MS)
    assert window.status_bar_updates == before + 1


def test_a_steady_stream_of_changes_still_shows_while_it_lasts(qtbot, window, fleet) -> None:
    """The delay is not restarted by each change, or a fleet whose heartbeats never rest would never show."""
    before = window.status_bar_updates
    shown: list[str] = []
    for vm in fleet:
        lose(window, vm)
        qtbot.wait(STATUS_BAR_DELAY_MS // 5)
        text = window.health_buttons[HeartbeatHealth.Lost].text()
        if not shown or shown[-1] != text:
            shown.append(text)
        if window.status_bar_updates >= before + 3:
            break
    assert window.status_bar_updates >= before + 3
    assert len(shown) >= 3 and shown[0] == "0 lost"  # the count grew on screen while the stream went on


def test_the_filter_shows_at_once_with_what_the_hosts_changed_meanwhile(qtbot, window, fleet) -> None:
    lose(window, fleet[0])
    lose(window, fleet[1])
    qtbot.keyClicks(window.filter_edit, "vm0")
    assert window.status_bar_texts()[1] == f"10 of {VMS} VMs shown"
    assert window.health_buttons[HeartbeatHealth.Lost].text() == "2 lost"
    updates = window.status_bar_updates
    qtbot.wait(2 * STATUS_BAR_DELAY_MS)
    assert window.status_bar_updates == updates  # what waited was shown with the filter


def test_flushing_shows_what_waits_and_is_a_no_op_otherwise(window, fleet) -> None:
    before = window.status_bar_updates
    window.flush_status_bar()
    assert window.status_bar_updates == before
    lose(window, fleet[0])
    window.flush_status_bar()
    assert window.status_bar_updates == before + 1
    assert window.health_buttons[HeartbeatHealth.Lost].text() == "1 lost"
    QApplication.processEvents()
    window.flush_status_bar()
    assert window.status_bar_updates == before + 1
