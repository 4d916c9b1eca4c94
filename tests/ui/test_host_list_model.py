"""HostListModel: one row per connection, updated in place from HostStatus values."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import HostUnreachable
from hvgui.ui.models.host_list import DetailRole, ErrorRole, HostListModel, HostStatusRole, StateRole, VmCountRole


def status(key: str, state: HostState = HostState.Connected, **kw) -> HostStatus:
    return HostStatus(key=key, label=kw.pop("label", key.split("//")[-1]), state=state, **kw)


@pytest.fixture
def model(qapp) -> HostListModel:
    m = HostListModel()
    m.apply_status(status("https://hv01:5986", vm_count=12))
    m.apply_status(status("https://hv02:5986", HostState.Connecting))
    m.apply_status(
        status(
            "https://hv03:5986",
            HostState.Failed,
            error=HostUnreachable("Cannot reach hv03:5986.", hint="Check the name and port."),
            next_retry_at=1.0,
        )
    )
    return m


def test_qtmodeltester_passes_with_rows(qtmodeltester, model) -> None:
    assert model.rowCount() == 3
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_rows_show_state_count_and_error(model) -> None:
    def data(row: int, role: int):
        return model.data(model.index(row, 0), role)

    assert data(0, Qt.ItemDataRole.DisplayRole) == "hv01:5986"
    assert data(0, DetailRole) == "Connected \u00b7 12 VMs"
    assert data(0, VmCountRole) == 12
    assert data(1, DetailRole) == "Connecting\u2026"
    assert data(2, StateRole) == HostState.Failed
    assert data(2, ErrorRole) == "Cannot reach hv03:5986. Check the name and port."
    assert data(2, DetailRole).startswith("Not connected \u00b7 Cannot reach hv03")
    assert isinstance(data(2, HostStatusRole), HostStatus)


def test_a_status_change_updates_one_row_without_reset(model) -> None:
    reset = QSignalSpy(model.modelReset)
    inserted = QSignalSpy(model.rowsInserted)
    changed = QSignalSpy(model.dataChanged)
    model.apply_status(status("https://hv02:5986", vm_count=1))
    assert reset.count() == 0
    assert inserted.count() == 0
    assert changed.count() == 1
    assert changed.at(0)[0].row() == 1
    assert model.data(model.index(1, 0), DetailRole) == "Connected \u00b7 1 VM"


def test_the_same_status_twice_emits_nothing(model) -> None:
    changed = QSignalSpy(model.dataChanged)
    model.apply_status(model.status("https://hv01:5986"))
    assert changed.count() == 0


def test_remove_drops_one_row(model) -> None:
    removed = QSignalSpy(model.rowsRemoved)
    model.remove("https://hv02:5986")
    model.remove("https://unknown:1")
    assert removed.count() == 1
    assert [s.key for s in model.statuses()] == ["https://hv01:5986", "https://hv03:5986"]
    assert model.row_of("https://hv03:5986") == 1
