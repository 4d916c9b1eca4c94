"""The window comes back as the admin left it: size, splitters, and the VM table's columns and sort order."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSplitter

from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column
from hvgui.ui.window_state import WindowState, column_menu


def make_window(qtbot) -> MainWindow:
    window = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(window)
    return window


def test_layout_columns_and_sort_survive_a_restart(qtbot, loop, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    first = make_window(qtbot)
    first.restore_window_state(WindowState(settings))  # nothing saved yet: defaults stay
    first.show()
    first.resize(1300, 700)
    size = (first.width(), first.height())
    header = first.table.horizontalHeader()
    header.moveSection(header.visualIndex(Column.Memory), 0)
    header.resizeSection(Column.State, 140)
    menu = column_menu(first.table)
    uptime = next(a for a in menu.actions() if a.text() == "Uptime")
    uptime.setChecked(False)
    assert not next(a for a in menu.actions() if a.text() == "Name").isEnabled()  # Name always stays
    first.table.sortByColumn(Column.Cpu, Qt.SortOrder.DescendingOrder)
    splitter = first.findChild(QSplitter, "mainSplitter")
    splitter.setSizes([330, 670])
    sizes = splitter.sizes()
    first.close()

    # The offscreen screen is smaller than the window, so Qt clamps a restored geometry: the size is checked
    # to be kept, and the rest is restored into a window of the first one's size.
    assert not settings.value("window/geometry").isEmpty()
    settings.remove("window/geometry")
    second = make_window(qtbot)
    second.resize(*size)
    second.restore_window_state(WindowState(settings))
    second.show()
    header = second.table.horizontalHeader()
    assert header.visualIndex(Column.Memory) == 0
    assert header.sectionSize(Column.State) == 140
    assert header.isSectionHidden(Column.Uptime)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (Column.Cpu, Qt.SortOrder.DescendingOrder)
    assert second.proxy.sortColumn() == Column.Cpu
    assert second.findChild(QSplitter, "mainSplitter").sizes() == sizes


def test_a_table_with_other_columns_keeps_its_defaults(qtbot, loop, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    window = make_window(qtbot)
    WindowState(settings).save(window)
    settings.setValue("window/vmTable/columns", 99)  # saved by a version with another set of columns
    window.table.horizontalHeader().setSectionHidden(Column.Cpu, True)
    settings.setValue("window/vmTable/header", window.table.horizontalHeader().saveState())
    other = make_window(qtbot)
    WindowState(settings).restore(other)
    assert not other.table.horizontalHeader().isSectionHidden(Column.Cpu)
