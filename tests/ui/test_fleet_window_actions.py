"""The fleet grid's filter tooltips, context menu (show, bulk change, copy) and CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication

from hvgui.domain.bulk import FLEET_FILTERS
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Vm
from hvgui.ui.fleet import FleetModel, FleetWindow
from hvgui.ui.fleet.model import VM_COLUMN


@pytest.fixture
def vms(vm_factory) -> list[Vm]:
    return [vm_factory("=cmd|' /C calc'!A0"), vm_factory("app01"), vm_factory("web\n02", host="HV02")]


@pytest.fixture
def window(qtbot, vms) -> FleetWindow:
    model = FleetModel()
    model.apply(InventoryDiff("HV01", added=tuple(v for v in vms if v.host == "HV01")))
    model.apply(InventoryDiff("HV02", added=tuple(v for v in vms if v.host == "HV02")))
    model.set_host_label("HV02", "@second")
    w = FleetWindow(model)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def select(window: FleetWindow, *names: str) -> None:
    selection = window.table.selectionModel()
    selection.clearSelection()
    for row in range(window.proxy.rowCount()):
        index = window.proxy.index(row, VM_COLUMN)
        if index.data(Qt.ItemDataRole.UserRole + 1).name in names:
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            selection.select(index, flags)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)


def test_each_filter_says_which_vms_it_keeps(window) -> None:
    for fleet_filter in FLEET_FILTERS:
        box = window.filter_boxes[fleet_filter.key]
        assert box.toolTip() == fleet_filter.description
        assert box.toolTip().startswith("Keeps the ")
    assert "disabled (Shutdown, Heartbeat" in window.filter_boxes["any-not-ok"].toolTip()


def test_the_context_menu_acts_on_the_selection(window, vms) -> None:
    select(window, "app01", "web\n02")
    menu = window.context_menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["&Show in main window", "&Integration services of 2 VMs\u2026", "&Copy", "E&xport CSV\u2026"]
    requested: list[list[Vm]] = []
    shown: list = []
    window.bulkRequested.connect(requested.append)
    window.vmActivated.connect(shown.append)
    window.bulk_action.trigger()
    assert [sorted(vm.name for vm in batch) for batch in requested] == [["app01", "web\n02"]]
    window.show_action.trigger()
    assert shown == [window.table.currentIndex().data(Qt.ItemDataRole.UserRole + 1).key]
    # nothing selected: the bulk change is offered but disabled, and asking anyway says why
    window.table.selectionModel().clearSelection()
    menu = window.context_menu()
    assert not window.bulk_action.isEnabled() and not window.copy_action.isEnabled()
    assert window.request_bulk() is False and len(requested) == 1
    assert "Select one or more VMs" in window.status_label.text()


def test_copy_puts_exact_rows_on_the_clipboard(window) -> None:
    select(window, "=cmd|' /C calc'!A0")
    text = window.copy_selected()
    assert QGuiApplication.clipboard().text() == text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    assert len(rows) == 2 and rows[1][3] == "'=cmd|' /C calc'!A0"


def test_export_writes_the_vms_shown_with_exact_values(qtbot, window, tmp_path) -> None:
    window.text_filter.setText("02")  # only web\n02 is shown
    path = tmp_path / "fleet.csv"
    with qtbot.waitSignal(window.exported, timeout=10_000) as signal:
        window.export_csv(path)
    assert signal.args == [str(path), f"Saved 1 VM to {path}"]
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    assert len(rows) == 2
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["vm_name"] == "web\n02" and exported["host"] == "'@second" and exported["host_uri"] == "HV02"
    # a file that cannot be written is reported
    with qtbot.waitSignal(window.exported, timeout=10_000) as signal:
        window.export_csv(tmp_path / "missing" / "fleet.csv")
    assert signal.args[1].startswith("Could not export to ")
    assert window.status_label.text() == signal.args[1]
