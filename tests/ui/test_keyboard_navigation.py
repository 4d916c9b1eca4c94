"""The main window from the keyboard: Tab through panes, F6, the VM panel's tabs, Esc in the filter, focus
after a dialog, accessible names, and the hosts pane narrowing the table.

The window is fed through its controller's signals (as in test_main_window.py); keys are real key events sent
with QTest to whatever widget has the focus, so shortcuts and focus handling are Qt's own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import diff_inventory
from hvgui.domain.vm import Inventory
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column, VmRole

KEY1 = "https://hv01:5986"
KEY2 = "https://hv02:5986"

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractItemView,
    QAbstractSpinBox,
    QAbstractSlider,
    QTabBar,
    QTextEdit,
    QPlainTextEdit,
)


@pytest.fixture
def window(qtbot, loop, vm_factory) -> Iterator[MainWindow]:
    w = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    for key, label, names in ((KEY1, "HV01", ("devbox-01", "devbox-02", "web")), (KEY2, "HV02", ("db",))):
        w.controller.hostStatusChanged.emit(
            HostStatus(key=key, label=label, state=HostState.Connected, vm_count=len(names))
        )
        inventory = Inventory(host=key, vms=tuple(vm_factory(n, host=key) for n in names), fetched_at=time.time())
        w.controller.inventoryChanged.emit(inventory, diff_inventory(None, inventory))
    w.table.selectRow(0)
    yield w
    loop.run_until_complete(w.controller.aclose())  # and the panel's commands with it


def focus() -> QWidget | None:
    return QApplication.focusWidget()


def press(key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    target = focus()
    assert target is not None, "nothing has the keyboard"
    QTest.keyClick(target, key, modifiers)


def pane_of(window: MainWindow, widget: QWidget | None) -> str | None:
    panes = {
        "hosts": window.hosts_pane,
        "filter": window.filter_edit,
        "table": window.table,
        "panel": window.vm_panel,
        "status": window.statusBar(),  # the heartbeat counts, which filter the table
    }
    for name, pane in panes.items():
        if widget is not None and (widget is pane or pane.isAncestorOf(widget)):
            return name
    return None


def test_tab_reaches_every_pane_and_leaves_the_table(window) -> None:
    window.hosts_pane.list.setFocus()
    reached: list[str | None] = []
    stops: list[QWidget | None] = []
    current_row = window.table.currentIndex().row()
    for _ in range(80):
        press(Qt.Key.Key_Tab)
        stops.append(focus())
        reached.append(pane_of(window, focus()))
        if focus() is window.hosts_pane.list:
            break
    assert {"hosts", "filter", "table", "panel"} <= set(reached), reached
    # One Tab takes the keyboard out of the table: it never walks the cells (nor changes the selected VM).
    at = reached.index("table")
    assert reached[at + 1] != "table", reached
    assert window.table.currentIndex().row() == current_row
    # Every stop of the Tab order is in some pane (nothing else in the window takes the keyboard).
    strays = [
        (type(w).__name__, w.objectName() if w is not None else "")
        for r, w in zip(reached, stops, strict=True)
        if r is None
    ]
    assert not strays, strays
    # And the chain is one ring: it came back to where it started.
    assert focus() is window.hosts_pane.list


def test_arrow_keys_move_within_the_table(window) -> None:
    window.table.setFocus()
    before = window.table.currentIndex().row()
    press(Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == before + 1
    assert focus() is window.table
    assert not window.table.tabKeyNavigation()


def test_f6_cycles_the_panes_and_skips_a_collapsed_hosts_pane(window) -> None:
    window.filter_edit.setFocus()
    order = []
    for _ in range(4):
        press(Qt.Key.Key_F6)
        order.append(pane_of(window, focus()))
    assert order == ["table", "panel", "hosts", "filter"]
    press(Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert pane_of(window, focus()) == "hosts"
    window.hosts_pane_action.trigger()  # View > Hosts pane: collapse it
    assert not window.hosts_pane_shown() and not window.hosts_pane_action.isChecked()
    assert pane_of(window, focus()) == "table"  # the keyboard left the folded pane
    order = []
    for _ in range(3):
        press(Qt.Key.Key_F6)
        order.append(pane_of(window, focus()))
    assert order == ["panel", "filter", "table"]
    reached = set()
    for _ in range(60):  # nor does Tab stop in the folded pane
        press(Qt.Key.Key_Tab)
        reached.add(pane_of(window, focus()))
    assert "hosts" not in reached and {"filter", "table", "panel"} <= reached
    window.hosts_pane_action.trigger()
    assert window.hosts_pane_shown() and window.main_splitter.sizes()[0] >= 150


def test_ctrl_tab_and_ctrl_page_keys_switch_the_panel_tabs_from_the_table_and_the_panel(window) -> None:
    panel = window.vm_panel
    window.table.setFocus()
    assert panel.currentIndex() == 0
    press(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert panel.currentIndex() == 1 and focus() is window.table  # from the table: the table keeps the keyboard
    assert window.table.currentIndex().row() == 0  # and its selection
    press(Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert panel.currentIndex() == 2
    press(Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert panel.currentIndex() == 1
    # Inside the panel (a control of a tab has the keyboard) the keys work too, and wrap around.
    panel.services.view.setFocus()
    assert focus() is panel.services.view
    press(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.currentIndex() == 0 and pane_of(window, focus()) == "panel"
    press(Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert panel.currentIndex() == panel.count() - 1


def test_esc_clears_the_filter_and_an_empty_result_says_why(window) -> None:
    message = window.keyboard.empty_message
    window.focus_filter()
    QTest.keyClicks(window.filter_edit, "zzz")
    assert window.proxy.rowCount() == 0
    assert message.isVisible()
    assert message.text() == "No VM matches 'zzz' \u2014 Esc clears the filter"
    press(Qt.Key.Key_Escape)
    assert window.filter_edit.text() == "" and window.proxy.rowCount() == 4
    assert not message.isVisible()
    # What the admin typed is shown as text, never as something that reorders the message.
    window.filter_edit.setText("\u202exyz")
    assert "\u202e" not in message.text() and "\u27e8U+202E\u27e9" in message.text()


def test_focus_returns_where_it_was_after_a_dialog_closes(window, qtbot) -> None:
    window.table.setFocus()
    window.table.selectRow(2)
    window.show_about()
    qtbot.waitUntil(lambda: focus() is not None and focus().window() is not window)
    dialog = focus().window()
    dialog.close()
    qtbot.waitUntil(lambda: focus() is window.table)
    assert window.table.currentIndex().row() == 2
    # A dialog opened from the filter gives the keyboard back to the filter.
    window.filter_edit.setFocus()
    box = window._confirm_remove(KEY2)
    qtbot.waitUntil(lambda: focus() is not None and focus().window() is box)
    box.reject()
    qtbot.waitUntil(lambda: focus() is window.filter_edit)


def _named(widget: QWidget, buddies: set[int]) -> bool:
    if widget.accessibleName().strip():
        return True
    if id(widget) in buddies:
        return True
    return isinstance(widget, QAbstractButton) and bool(widget.text().replace("&", "").strip())


def test_every_interactive_control_has_an_accessible_name(window) -> None:
    """Walks the window and every tab of the VM panel (each tab shown once, so that its controls exist)."""
    for index in range(window.vm_panel.count()):
        window.vm_panel.setCurrentIndex(index)
    widgets = window.findChildren(QWidget)
    buddies = {id(label.buddy()) for label in window.findChildren(QLabel) if label.buddy() is not None}
    interactive = [
        w
        for w in widgets
        if isinstance(w, INTERACTIVE)
        and w.focusPolicy() != Qt.FocusPolicy.NoFocus
        and w.window() is window
        and not w.objectName().startswith("qt_")
        and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))  # a combo's own line edit
    ]
    assert len(interactive) > 20
    unnamed = [f"{type(w).__name__} {w.objectName()!r} in {type(w.parent()).__name__}" for w in interactive]
    unnamed = [text for w, text in zip(interactive, unnamed, strict=True) if not _named(w, buddies)]
    assert unnamed == [], "\n".join(unnamed)


def test_selecting_a_host_narrows_the_table_and_all_hosts_brings_every_vm_back(window) -> None:
    pane = window.hosts_pane
    assert not pane.all_hosts_button.isVisibleTo(pane)
    pane.list.setCurrentIndex(window.host_model.index(1, 0))  # HV02, as a click or an arrow key selects it
    assert pane.filtered_key() == KEY2
    hosts = {window.proxy.index(r, 0).data(VmRole).host for r in range(window.proxy.rowCount())}
    assert hosts == {KEY2} and window.proxy.rowCount() == 1
    assert window.status_bar_texts()[1] == "1 of 4 VMs shown"
    assert pane.all_hosts_button.isVisibleTo(pane)
    pane.all_hosts_button.click()
    assert window.proxy.rowCount() == 4 and pane.filtered_key() is None
    assert not pane.all_hosts_button.isVisibleTo(pane)
    # From the keyboard: select a host, then Esc in the list goes back to every host.
    pane.list.setFocus()
    pane.list.setCurrentIndex(window.host_model.index(0, 0))
    assert window.proxy.rowCount() == 3
    press(Qt.Key.Key_Escape)
    assert window.proxy.rowCount() == 4
    # A filter on top of a host: the message names both.
    pane.list.setCurrentIndex(window.host_model.index(1, 0))
    window.filter_edit.setText("devbox")
    assert window.proxy.rowCount() == 0
    assert window.keyboard.empty_message.text() == (
        "No VM on the selected host matches 'devbox' \u2014 Esc clears the filter"
    )


def test_host_menu_offers_refresh_credentials_save_copy_uri_and_disconnect(window) -> None:
    menu = window.hosts_pane.context_menu(KEY1, HostState.Connected)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Refresh", "Edit credentials\u2026", "Save host\u2026", "Copy URI", "Disconnect"]
    refreshed: list[str] = []
    copied: list[str] = []
    window.hosts_pane.refreshRequested.connect(refreshed.append)
    window.hosts_pane.copyUriRequested.connect(copied.append)
    next(a for a in menu.actions() if a.text() == "Refresh").trigger()
    next(a for a in menu.actions() if a.text() == "Copy URI").trigger()
    assert refreshed == copied == [KEY1]


def test_names_are_elided_in_the_middle_and_the_name_column_keeps_its_width(window) -> None:
    assert window.table.textElideMode() == Qt.TextElideMode.ElideMiddle
    header = window.table.horizontalHeader()
    window.resize(1024, 700)
    QApplication.processEvents()
    assert header.sectionSize(Column.Name) >= 150
    # The window fits a 1024 px screen.
    assert window.minimumSizeHint().width() <= 1024


def test_the_services_table_fits_a_1280_px_window_without_scrolling_sideways(window, qtbot) -> None:
    window.resize(1280, 720)
    window.vm_panel.show_tab("services")
    view = window.vm_panel.services.view
    qtbot.waitUntil(lambda: view.model().rowCount() > 0 and view.isVisible())
    QApplication.processEvents()
    assert view.horizontalScrollBar().maximum() == 0
    # What the hidden columns said is in the detail pane beside the table.
    view.setCurrentIndex(view.model().index(1, 0))
    assert window.vm_panel.services.detail.purpose.text()
