"""The Activity panel in the main window: docked at the bottom, View > Activity (Ctrl+Shift+A), room to spare."""

from __future__ import annotations

import pytest
from activity_support import OperationFeed, shutdown_record
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from hvgui.domain.connection import HostState, HostStatus
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(HostsController(SessionManager()), preferences=Preferences(settings))
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    return w


def test_docked_at_the_bottom_of_a_1280x720_window_without_crowding_the_vm_table(window) -> None:
    dock = window.activity_dock
    assert window.dockWidgetArea(dock) is Qt.DockWidgetArea.BottomDockWidgetArea
    assert not dock.isVisible()  # nothing to show yet: the VM table keeps the room
    window.vm_actions.operation_changed.emit(shutdown_record("web01", n=1))  # the first operation opens it
    assert dock.isVisible() and dock.windowTitle() == "Activity"
    assert dock.height() <= 720 // 4
    rows = window.table.viewport().height() // window.table.verticalHeader().defaultSectionSize()
    assert rows >= 6
    header = dock.view.horizontalHeader()
    assert [dock.model.headerData(c, Qt.Orientation.Horizontal) for c in range(header.count())] == [
        "What",
        "Host",
        "State",
        "Progress",
        "Duration",
        "Result",
    ]


def test_view_activity_toggles_the_dock_from_the_keyboard(qtbot, window) -> None:
    action = window.activity_action
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()
    assert action.shortcut() == QKeySequence("Ctrl+Shift+A") and not action.isChecked()
    window.table.setFocus()
    QTest.keySequence(window.table, QKeySequence("Ctrl+Shift+A"))
    assert window.activity_dock.isVisible() and action.isChecked()
    qtbot.waitUntil(lambda: window.activity_dock.view.hasFocus())
    QTest.keySequence(window.activity_dock.view, QKeySequence("Ctrl+Shift+A"))
    assert not window.activity_dock.isVisible() and not action.isChecked()
    # closed by the admin: a new operation does not force it open again
    window.vm_actions.operation_changed.emit(shutdown_record("web01", n=3))
    assert not window.activity_dock.isVisible()


def test_the_host_column_uses_the_window_s_name_for_the_host(window) -> None:
    feed = OperationFeed([shutdown_record("web01", n=1)])
    window.activity_dock.attach(feed)
    assert window.activity_dock.model.index(0, 1).data() == "hv01"  # no status yet: the -ComputerName
    status = HostStatus(key="https://hv01:5986", label="HV01 (lab)", state=HostState.Connected, vm_count=1)
    window.controller.hostStatusChanged.emit(status)
    feed.publish(shutdown_record("db01", n=2))
    assert window.activity_dock.model.index(0, 1).data() == "HV01 (lab)"
