"""The window against the real emulator over loopback, through the real SessionManager and pypsrp.

Every VM the emulator's demo scenario holds must reach the table; a change on a host must reach its row
without a model reset; a host that drops must show its banner while the others keep working, and Retry
must bring it back once it listens again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy
from qasync_loop import wait_until

from hvgui.domain.connection import HostState
from hvgui.domain.errors import ConnectionFailed, OperationTimedOut
from hvgui.domain.vm import VmKey, VmState
from hvgui.emulator import Endpoint, RunningEmulator, start_emulator
from hvgui.remoting import InventoryDeadline, SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column, VmRole
from hvgui.ui.text import one_line


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


async def connect_all(window: MainWindow, endpoints: list[Endpoint]) -> None:
    """Connect to every endpoint (sessions start on the running loop) and wait for all their VMs."""
    for endpoint in endpoints:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
    await wait_until(lambda: all_arrived(window), what="every host's inventory")


def all_arrived(window: MainWindow) -> bool:
    keys = window.controller.host_keys()
    return bool(keys) and all(window.controller.inventory(key) is not None for key in keys)


def key_of(window: MainWindow, endpoint: Endpoint) -> str:
    return endpoint.connection_settings().key


def run_cmdlet(endpoint: Endpoint, cmdlet: str, **parameters: object) -> None:
    """Run one cmdlet on an emulated host with plain pypsrp, as another administrator would."""
    wsman = WSMan(
        endpoint.address,
        port=endpoint.port,
        ssl=endpoint.use_https,
        auth="basic",
        username=endpoint.username,
        password=endpoint.password,
        cert_validation=endpoint.ca_file or True,
        encryption="auto" if endpoint.use_https else "never",
    )
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet(cmdlet)
        for name, value in parameters.items():
            ps.add_parameter(name, value)
        ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]


def test_every_demo_vm_appears_in_the_table(loop, window, emulator) -> None:
    loop.run_until_complete(connect_all(window, emulator.endpoints))
    expected = {
        (key_of(window, endpoint), str(vm.id).lower(), vm.name)
        for endpoint, host in zip(emulator.endpoints, emulator.scenario.hosts, strict=True)
        for vm in host.model.vms
    }
    shown = {(vm.host, vm.vm_id, vm.name) for vm in window.vm_model.vms()}
    assert shown == expected
    assert window.proxy.rowCount() == len(expected) > 0
    labels = {window.vm_model.index(r, Column.Host).data() for r in range(window.vm_model.rowCount())}
    assert labels == {endpoint.host_name for endpoint in emulator.endpoints}
    assert all(s.state == HostState.Connected for s in window.host_model.statuses())
    window.flush_status_bar()
    hosts, vms, _ = window.status_bar_texts()
    assert hosts == f"{len(emulator.endpoints)} of {len(emulator.endpoints)} hosts connected"
    assert vms == f"{len(expected)} VMs"
    # Names are shown verbatim (one line in the cell, exact in the tooltip and the panel).
    for row in range(window.vm_model.rowCount()):
        vm = window.vm_model.index(row, 0).data(VmRole)
        assert window.vm_model.index(row, Column.Name).data() == one_line(vm.name)
        assert window.vm_model.index(row, Column.Name).data(Qt.ItemDataRole.ToolTipRole) == vm.name
    shown_vm = window.select_showcase_vm()
    assert shown_vm is not None
    assert window.vm_panel.summary.name.text() == shown_vm.name
    assert window.vm_panel.summary.services_model.rowCount() == len(shown_vm.integration_services) > 0


def test_a_state_change_on_the_host_reaches_the_table_without_a_reset(loop, window, emulator) -> None:
    loop.run_until_complete(connect_all(window, emulator.endpoints))
    endpoint, host = emulator.endpoints[0], emulator.scenario.hosts[0]
    now = host.model.now()
    off = next(
        (vm for vm in host.model.vms if vm.state(now) == VmState.Off and vm.name.isascii() and vm.name.isalnum()),
        None,
    )
    if off is None:
        target = next(vm for vm in host.model.vms if vm.state(now) == VmState.Running and vm.name.isalnum())
        cmdlet, parameters, before = "Stop-VM", {"Name": target.name, "TurnOff": True, "Force": True}, VmState.Running
    else:
        target, cmdlet, parameters, before = off, "Start-VM", {"Name": off.name}, VmState.Off
    key = VmKey(key_of(window, endpoint), str(target.id).lower())
    assert window.vm_model.vm(key).state == before
    window.select_vm(key)
    rows = window.vm_model.rowCount()
    resets = QSignalSpy(window.vm_model.modelReset)
    changes = QSignalSpy(window.vm_model.dataChanged)

    async def scenario() -> None:
        await asyncio.to_thread(run_cmdlet, endpoint, cmdlet, **parameters)
        await wait_until(lambda: window.vm_model.vm(key).state != before, what=f"{cmdlet} to reach the table")

    loop.run_until_complete(scenario())
    assert resets.count() == 0
    assert changes.count() > 0
    assert window.vm_model.rowCount() == rows
    assert window.selected_vm().key == key  # the selection survived
    assert window.vm_panel.summary.state.text() == window.vm_model.vm(key).state.label


def test_a_host_that_drops_shows_its_banner_and_retry_brings_it_back(loop, window, emulator) -> None:
    loop.run_until_complete(connect_all(window, emulator.endpoints))
    assert len(emulator.endpoints) >= 2, "the demo scenario has several hosts"
    down, up = emulator.endpoints[0], emulator.endpoints[1]
    down_key, up_key = key_of(window, down), key_of(window, up)
    rows_before = window.row_count_for_host(down_key)
    server = emulator.server(down.host_name)

    async def drop_and_check_others() -> None:
        server.stop()
        await wait_until(lambda: window.hosts_pane.banner(down_key) is not None, what="the banner")
        fetched = window.controller.inventory(up_key).fetched_at
        await wait_until(lambda: window.controller.inventory(up_key).fetched_at > fetched, what="the other host")

    loop.run_until_complete(drop_and_check_others())
    banner = window.hosts_pane.banner(down_key)
    assert banner.isVisible()
    assert down.host_name in banner.title.text()
    assert banner.message.text()
    status = window.host_model.status(down_key)
    assert isinstance(status.error, ConnectionFailed)
    assert window.host_model.status(up_key).state == HostState.Connected
    # The last good rows stay, muted.
    assert window.row_count_for_host(down_key) == rows_before
    row = next(r for r, vm in enumerate(window.vm_model.vms()) if vm.host == down_key)
    assert window.vm_model.index(row, Column.Name).data(Qt.ItemDataRole.ForegroundRole) is not None

    async def come_back() -> None:
        server.start()
        await wait_until(lambda: window.host_model.status(down_key).state == HostState.Failed, what="Failed")
        await wait_until(lambda: banner.retry_button.isEnabled(), what="Retry enabled")
        banner.retry_button.click()
        await wait_until(lambda: window.host_model.status(down_key).state == HostState.Connected, what="Connected")

    loop.run_until_complete(come_back())
    assert window.hosts_pane.banner(down_key) is None
    assert window.vm_model.index(row, Column.Name).data(Qt.ItemDataRole.ForegroundRole) is None


def test_a_wrong_password_is_a_clear_banner_and_other_hosts_work(qtbot, loop, emulator) -> None:
    controller = HostsController(SessionManager(refresh_interval=0.3, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller)
    qtbot.addWidget(window)
    good, bad = emulator.endpoints[0], emulator.endpoints[1]
    bad_key = bad.connection_settings().key

    async def scenario() -> None:
        window.connect_host(good.connection_settings(), good.password)
        window.connect_host(bad.connection_settings(), bad.password + "-wrong")
        await wait_until(lambda: window.hosts_pane.banner(bad_key) is not None, what="the banner")
        await wait_until(lambda: controller.inventory(good.connection_settings().key) is not None, what="good host")

    try:
        loop.run_until_complete(scenario())
        message = window.hosts_pane.banner(bad_key).message.text()
        assert "user name or password" in message
        assert bad.password not in message
        assert window.row_count_for_host(good.connection_settings().key) > 0
    finally:
        loop.run_until_complete(controller.aclose())


def test_a_host_that_stops_answering_times_out_into_its_banner(qtbot, loop, emulator) -> None:
    manager = SessionManager(
        refresh_interval=0.3,
        connect_timeout=5,
        operation_timeout=2,
        inventory_deadline=lambda: InventoryDeadline(base=2.0),  # the inventory's own deadline, kept short
    )
    controller = HostsController(manager)
    window = MainWindow(controller)
    qtbot.addWidget(window)
    slow_endpoint, other = emulator.endpoints[0], emulator.endpoints[1]
    slow_host = emulator.scenario.hosts[0]
    slow_key, other_key = slow_endpoint.connection_settings().key, other.connection_settings().key

    async def scenario() -> None:
        await connect_all(window, [slow_endpoint, other])
        slow_host.delay = 30.0  # every pipeline now waits far longer than the operation timeout
        await wait_until(lambda: window.hosts_pane.banner(slow_key) is not None, what="the banner")
        assert isinstance(window.host_model.status(slow_key).error, OperationTimedOut)
        assert "did not" in window.hosts_pane.banner(slow_key).message.text()
        fetched = controller.inventory(other_key).fetched_at
        await wait_until(lambda: controller.inventory(other_key).fetched_at > fetched, what="the other host")
        slow_host.delay = 0.0
        controller.retry(slow_key)
        await wait_until(lambda: window.host_model.status(slow_key).state == HostState.Connected, what="recovery")

    try:
        loop.run_until_complete(scenario())
        assert window.hosts_pane.banner(slow_key) is None
        assert window.row_count_for_host(slow_key) > 0
    finally:
        slow_host.delay = 0.0
        loop.run_until_complete(controller.aclose())
