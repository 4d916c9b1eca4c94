"""A host whose first inventory takes a while: the host pane says "Loading… 12 s" while it loads and how long
it took once it arrived; and a 1,000-VM host under the `realistic` profile loads into the VM table, its
inventory deadline growing past the time-outs it starts with.

The emulated hosts are `large:N` scenarios under the `realistic` cost profile (slowed down with a time scale
where a longer first load is wanted), reached over loopback with the real SessionManager and pypsrp.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy
from qasync_loop import wait_until

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import OperationTimedOut
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import Backoff, InventoryDeadline, SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.host_list import DetailRole, HostListModel, detail_text, is_loading


@pytest.fixture
def window_for(qtbot, loop) -> Iterator[Callable[[SessionManager], MainWindow]]:
    """Makes the test's window on a manager of its own; closes its connections at the end."""
    windows: list[MainWindow] = []

    def make(manager: SessionManager) -> MainWindow:
        window = MainWindow(HostsController(manager))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        loop.run_until_complete(window.controller.aclose())


def _row(window: MainWindow, key: str):
    return window.host_model.index(window.host_model.row_of(key), 0)


def test_loading_and_first_load_texts() -> None:
    now = time.time()
    connecting = HostStatus("http://hv01:5985", "hv01", HostState.Connecting, loading_since=now - 1)
    assert detail_text(connecting, now) == "Connecting\u2026"  # a quick host never shows "Loading…"
    assert detail_text(dataclasses.replace(connecting, loading_since=now - 12.4), now) == "Loading\u2026 12 s"
    assert detail_text(dataclasses.replace(connecting, loading_since=now - 200), now) == "Loading\u2026 3 min 20 s"
    retrying = dataclasses.replace(connecting, error=OperationTimedOut("no answer"), loading_since=now - 12)
    assert detail_text(retrying, now).startswith("Reconnecting\u2026")
    connected = HostStatus("http://hv01:5985", "hv01", HostState.Connected, vm_count=3, last_refresh_at=now)
    assert detail_text(dataclasses.replace(connected, first_load_seconds=0.4), now) == "Connected \u00b7 3 VMs"
    slow = dataclasses.replace(connected, first_load_seconds=14.2)
    assert detail_text(slow, now) == "Connected \u00b7 3 VMs \u00b7 loaded in 14 s"
    model = HostListModel()
    model.apply_status(slow)
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole).endswith("First inventory took 14 s")


def test_the_loading_time_is_repainted_with_the_clock(qtbot) -> None:
    model = HostListModel()
    model.apply_status(HostStatus("http://hv01:5985", "hv01", HostState.Connected, last_refresh_at=time.time()))
    model.apply_status(HostStatus("http://hv02:5985", "hv02", HostState.Connecting, loading_since=time.time() - 5))
    spy = QSignalSpy(model.dataChanged)
    model.refresh_ages()
    assert [spy.at(i)[0].row() for i in range(spy.count())] == [1]  # only the loading row


@pytest.fixture
def slow_host() -> Iterator[RunningEmulator]:
    """About 4 s per inventory: a host that loads long enough to say so."""
    with start_emulator("large:50", cost_profile="realistic", time_scale=0.12) as running:
        yield running


@pytest.fixture
def thousand_vm_host() -> Iterator[RunningEmulator]:
    """A realistic 1,000-VM host: about 2 s per inventory."""
    with start_emulator("large:1000", cost_profile="realistic") as running:
        yield running


def test_a_slow_first_inventory_shows_loading_then_how_long_it_took(loop, slow_host, window_for) -> None:
    endpoint = slow_host.endpoints[0]
    window = window_for(SessionManager(refresh_interval=5.0, connect_timeout=5))
    key = endpoint.connection_settings().key
    seen: list[str] = []

    async def loading() -> None:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
        await wait_until(lambda: str(_row(window, key).data(DetailRole)).startswith("Loading\u2026 "), what="Loading…")
        seen.append(_row(window, key).data(DetailRole))
        assert is_loading(window.host_model.status(key))
        window.flush_status_bar()
        assert "1 loading\u2026" in window.status_bar_texts()[0]
        await wait_until(lambda: _row(window, key).data(DetailRole) != seen[0], what="the loading time to grow")
        seen.append(_row(window, key).data(DetailRole))
        await wait_until(lambda: window.vm_model.rowCount() == 50, what="the host's VMs")

    loop.run_until_complete(loading())
    first, later = (int(text.split()[1]) for text in seen if text.startswith("Loading\u2026 "))
    assert 2 <= first < later
    status = window.host_model.status(key)
    took = status.first_load_seconds
    assert status.state is HostState.Connected and took is not None and took >= later
    row = _row(window, key)
    assert row.data(DetailRole) == f"Connected \u00b7 50 VMs \u00b7 loaded in {round(took)} s"
    assert f"First inventory took {round(took)} s" in row.data(Qt.ItemDataRole.ToolTipRole)
    window.flush_status_bar()
    assert "loading" not in window.status_bar_texts()[0]


def test_a_thousand_vm_host_loads_into_the_vm_table(loop, thousand_vm_host, window_for) -> None:
    # The session starts from a 1 s inventory deadline, so this host loads only because its deadline grows
    # after each time-out.
    endpoint = thousand_vm_host.endpoints[0]
    manager = SessionManager(
        refresh_interval=2.0,
        connect_timeout=5,
        backoff=lambda: Backoff(initial=0.05, maximum=0.05),
        inventory_deadline=lambda: InventoryDeadline(base=1.0, cap=16.0),
    )
    window = window_for(manager)
    statuses: list[HostStatus] = []
    window.controller.hostStatusChanged.connect(statuses.append)
    key = endpoint.connection_settings().key

    async def loads() -> None:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
        await wait_until(lambda: window.vm_model.rowCount() == 1000, what="1,000 VMs in the table")

    loop.run_until_complete(loads())
    timed_out = [status.error for status in statuses if isinstance(status.error, OperationTimedOut)]
    assert timed_out and "within 1 s" in timed_out[0].message
    assert window.controller.session(key).inventory_deadline > 1.0  # it learnt that this host is slow
    assert window.proxy.rowCount() == 1000
    assert len({vm.vm_id for vm in window.vm_model.vms()}) == 1000
    window.flush_status_bar()
    assert window.status_bar_texts()[1] == "1000 VMs"
    status = window.host_model.status(key)
    assert status.state is HostState.Connected and status.vm_count == 1000
    assert status.first_load_seconds is not None
    assert "First inventory took" in _row(window, key).data(Qt.ItemDataRole.ToolTipRole)
