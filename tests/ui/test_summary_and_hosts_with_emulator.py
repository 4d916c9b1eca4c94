"""The Summary tab's figures and the hosts pane's menu against the emulator, over loopback with pypsrp."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from emulator_support import ScriptedConfirmer, connect, emulated_host, endpoint_for, vm_key
from PySide6.QtWidgets import QApplication
from qasync_loop import wait_until

from hvgui.domain.display import format_memory
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.text import visible

HOST = "HV-DEMO-01"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo", tls=True) as running:
        yield running


@pytest.fixture
def window(qtbot, loop, emulator) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.3, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def test_summary_shows_os_memory_demand_checkpoints_services_version_and_notes(loop, window, emulator) -> None:
    model = emulated_host(emulator, HOST).model
    notes_vm = next(vm for vm in model.vms if vm.name == "dc01")
    notes_vm.hardware.notes = "Patched on Tuesday.\nAsk \u202eOps before a restart"
    loop.run_until_complete(connect(window, emulator, HOST))
    now = time.time()
    summary = window.vm_panel.summary
    demands = 0
    for emulated in model.vms:
        key = vm_key(emulator, HOST, emulated.name)
        assert window.select_vm(key)
        vm = window.vm_panel.vm()
        assert vm is not None and vm.key == key
        assert vm.checkpoint_count == len(emulated.snapshots)
        assert summary.checkpoint_count.text() == str(len(emulated.snapshots))
        if vm.memory_demand:
            demands += 1
            assert summary.memory_demand.text() == format_memory(vm.memory_demand)
            assert emulated.memory_demand(now) > 0  # only dynamic-memory guests report a demand
        else:
            assert summary.memory_demand.text() == "\u2014"
        if vm.guest_os_name:
            assert summary.os.text().startswith(vm.guest_os_name)
        if vm.integration_services_version:
            assert summary.services_version.text() == vm.integration_services_version
    assert demands > 0
    window.select_vm(vm_key(emulator, HOST, "dc01"))
    assert summary.notes.text() == visible(notes_vm.hardware.notes)
    assert "\u202e" not in summary.notes.text() and summary.notes.isVisibleTo(summary)
    assert summary.os.text() == "Windows Server 2022 Datacenter 10.0.20348"
    assert summary.services_version.text()[0].isdigit()
    window.select_vm(vm_key(emulator, HOST, "legacy-app"))  # off: no demand, no guest report
    assert summary.memory_demand.text() == "\u2014" and not summary.notes.isVisibleTo(summary)


def test_host_menu_refreshes_the_host_and_copies_its_uri(qtbot, loop, emulator) -> None:
    # No periodic refresh during the test: a new inventory can only come from the menu's Refresh.
    controller = HostsController(SessionManager(refresh_interval=3600, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    try:
        _refresh_and_copy(loop, window, emulator)
    finally:
        loop.run_until_complete(controller.aclose())


def _refresh_and_copy(loop, window: MainWindow, emulator: RunningEmulator) -> None:
    loop.run_until_complete(connect(window, emulator, HOST))
    settings = endpoint_for(emulator, HOST).connection_settings()
    key = settings.key
    before = window.controller.inventory(key).fetched_at
    menu = window.hosts_pane.context_menu(key, window.host_model.status(key).state)
    actions = {a.objectName(): a for a in menu.actions()}
    actions["copyHostUriAction"].trigger()
    assert QApplication.clipboard().text() == settings.url
    assert endpoint_for(emulator, HOST).password not in QApplication.clipboard().text()
    actions["refreshHostAction"].trigger()
    loop.run_until_complete(
        wait_until(lambda: window.controller.inventory(key).fetched_at != before, what="the refreshed inventory")
    )


def test_a_checkpoint_taken_in_the_panel_counts_in_the_summary(qtbot, loop, emulator) -> None:
    controller = HostsController(SessionManager(refresh_interval=3600, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller, confirmer=ScriptedConfirmer(answer=True))
    qtbot.addWidget(window)
    window.show()
    try:
        loop.run_until_complete(connect(window, emulator, HOST))
        key = vm_key(emulator, HOST, "dc01")
        window.select_vm(key)
        summary = window.vm_panel.summary
        assert summary.checkpoint_count.text() == "0"
        window.vm_panel.show_tab("checkpoints")
        tab = window.vm_panel.checkpoints
        loop.run_until_complete(wait_until(lambda: tab.count_label.text() == "none", what="the list"))
        tab.create_checkpoint()
        # The command refreshes the host's inventory (no periodic refresh runs in this test).
        loop.run_until_complete(wait_until(lambda: summary.checkpoint_count.text() == "1", what="the count"))
        assert window.vm_model.vm(key).checkpoint_count == 1
    finally:
        loop.run_until_complete(controller.aclose())
