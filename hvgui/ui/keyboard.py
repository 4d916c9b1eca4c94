"""The main window from the keyboard alone.

- Tab and Shift+Tab move between panes and controls; no list keeps them to walk its cells (arrow keys move
  within a list).
- F6 and Shift+F6 cycle the panes: hosts, filter, VM table, VM panel (a collapsed hosts pane is skipped).
- Ctrl+Tab, Ctrl+Shift+Tab, Ctrl+PgDn and Ctrl+PgUp switch the VM panel's tabs from anywhere in the window.
- Esc in the filter clears it; when the filter hides every VM, a message over the table says so.
- A dialog of the window gives the keyboard back, when it closes, to the control that had it.

Every piece is installed by `install_keyboard` on a finished `MainWindow`, so the window's own module stays
about what the window shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QLabel, QWidget

from hvgui.ui.text import one_line

if TYPE_CHECKING:
    from hvgui.ui.main_window import MainWindow

NEXT_PANE = "F6"
PREVIOUS_PANE = "Shift+F6"
NEXT_TAB = ("Ctrl+Tab", "Ctrl+PgDown")
#: Qt reports Shift+Tab as Backtab; both spellings are listed so that every platform's event matches.
PREVIOUS_TAB = ("Ctrl+Shift+Backtab", "Ctrl+Shift+Tab", "Ctrl+PgUp")


def no_tab_trap(root: QWidget) -> None:
    """Tab leaves every list and table under `root` instead of moving from cell to cell."""
    for view in root.findChildren(QAbstractItemView):
        view.setTabKeyNavigation(False)


class KeyboardNavigation(QObject):
    """F6 pane cycling, panel tab switching, Esc in the filter, the no-match message and focus after dialogs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        no_tab_trap(window)
        self.next_pane_action = self._action("nextPaneAction", "Next pane", (NEXT_PANE,), lambda: self.cycle(1))
        self.previous_pane_action = self._action(
            "previousPaneAction", "Previous pane", (PREVIOUS_PANE,), lambda: self.cycle(-1)
        )
        self.next_tab_action = self._action("nextPanelTabAction", "Next VM tab", NEXT_TAB, lambda: self.switch_tab(1))
        self.previous_tab_action = self._action(
            "previousPanelTabAction", "Previous VM tab", PREVIOUS_TAB, lambda: self.switch_tab(-1)
        )
        self.empty_message = NoMatchMessage(window)
        window.filter_edit.installEventFilter(self)
        window.installEventFilter(self)  # dialogs the window opens are its children: see `eventFilter`
        self._focus_before: dict[int, QWidget] = {}

    def _action(self, name: str, text: str, keys: tuple[str, ...], slot) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    # ---- panes ---------------------------------------------------------------------------------

    def panes(self) -> list[QWidget]:
        """The panes F6 visits, in order; a collapsed or hidden hosts pane is left out."""
        w = self.window
        panes: list[QWidget] = []
        if w.hosts_pane.isVisible() and w.hosts_pane_shown():
            panes.append(w.hosts_pane)
        panes += [w.filter_edit, w.table, w.vm_panel]
        return panes

    def current_pane(self) -> QWidget | None:
        focus = QApplication.focusWidget()
        for pane in self.panes():
            if focus is not None and (focus is pane or pane.isAncestorOf(focus)):
                return pane
        return None

    def cycle(self, step: int) -> None:
        panes = self.panes()
        current = self.current_pane()
        at = panes.index(current) + step if current in panes else (0 if step > 0 else -1)
        self.focus_pane(panes[at % len(panes)])

    def focus_pane(self, pane: QWidget) -> None:
        w = self.window
        reason = Qt.FocusReason.ShortcutFocusReason
        if pane is w.hosts_pane:
            target: QWidget = w.hosts_pane.list if w.hosts_pane.list.isVisible() else w.hosts_pane.connect_button
        elif pane is w.vm_panel:
            target = w.vm_panel.tabBar()
        else:
            target = pane
        target.setFocus(reason)

    # ---- panel tabs ----------------------------------------------------------------------------

    def switch_tab(self, step: int) -> None:
        panel = self.window.vm_panel
        focus = QApplication.focusWidget()
        inside = focus is not None and panel.isAncestorOf(focus)
        panel.setCurrentIndex((panel.currentIndex() + step) % panel.count())
        if inside:  # the control that had the keyboard is hidden now: the tab bar takes it
            panel.tabBar().setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---- events --------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.window.filter_edit and kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and self.window.filter_edit.text():
                self.window.filter_edit.clear()
                return True
        elif watched is self.window and kind == QEvent.Type.ChildPolished:  # built whole by now, unlike at ChildAdded
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QDialog):
                child.installEventFilter(self)
        elif isinstance(watched, QDialog) and watched.parent() is self.window:
            if kind == QEvent.Type.Show:
                focus = QApplication.focusWidget()
                if focus is not None and not watched.isAncestorOf(focus):
                    self._focus_before[id(watched)] = focus
            elif kind == QEvent.Type.Hide:
                self._give_focus_back(watched)
        return False

    def _give_focus_back(self, dialog: QDialog) -> None:
        widget = self._focus_before.pop(id(dialog), None)
        if widget is None:
            return
        try:
            usable = widget.isVisible() and widget.isEnabled()
        except RuntimeError:  # deleted while the dialog was open
            return
        if usable:
            self.window.activateWindow()
            widget.setFocus(Qt.FocusReason.PopupFocusReason)


class NoMatchMessage(QLabel):
    """Over the empty VM table: "No VM matches 'xyz' — Esc clears the filter" (or that the selected host
    has none), so an empty table is never taken for hosts without VMs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window.table.viewport())
        self.window = window
        self.setObjectName("noMatchMessage")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet("color: palette(mid); padding: 24px;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        proxy = window.proxy
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset, proxy.layoutChanged):
            signal.connect(self.update_message)
        window.filter_edit.textChanged.connect(self.update_message)
        window.table.viewport().installEventFilter(self)

    def update_message(self, *_args) -> None:
        w = self.window
        text = self.message(w.filter_edit.text().strip(), w.proxy.host() is not None)
        self.setText(text)
        self.setVisible(bool(text))
        self.setGeometry(w.table.viewport().rect())

    def message(self, filter_text: str, one_host: bool) -> str:
        w = self.window
        if w.proxy.rowCount() > 0 or w.vm_model.rowCount() == 0:
            return ""
        if filter_text:
            shown = one_line(filter_text)
            where = " on the selected host" if one_host else ""
            return f"No VM{where} matches '{shown}' \u2014 Esc clears the filter"
        if one_host:
            return "The selected host has no VMs \u2014 choose \u201cAll hosts\u201d to see every VM"
        return ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.window.table.viewport().rect())
        return False


def install_keyboard(window: MainWindow) -> KeyboardNavigation:
    """Make the finished window usable from the keyboard alone (see the module docstring)."""
    return KeyboardNavigation(window)
