"""The window as the admin left it: geometry, docks, splitters, and the VM table's column order, widths,
visibility and sort order, kept in QSettings (`[window]` in the preferences file) and restored at start.

Qt's own `saveGeometry`/`saveState` blobs are used, so the restored window is what Qt would restore on this
platform (a window saved on a screen that is gone comes back on one that exists). The VM table's header
state is only restored when the table still has the same number of columns: a newer hvgui with another
column starts from its defaults rather than putting widths on the wrong columns.

The VM table's header gets a context menu to show or hide columns (the Name column always stays).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QSettings, Qt
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter, QTableView

GROUP = "window"
#: Columns that cannot be hidden (a row needs something to name it).
ALWAYS_SHOWN = frozenset({"Name"})


class WindowState:
    """Saves and restores one main window's layout in `settings`."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def save(self, window: QMainWindow) -> None:
        s = self.settings
        s.setValue(f"{GROUP}/geometry", window.saveGeometry())
        s.setValue(f"{GROUP}/state", window.saveState())
        for splitter in _named_splitters(window):
            s.setValue(f"{GROUP}/splitters/{splitter.objectName()}", splitter.saveState())
        table = _vm_table(window)
        if table is not None:
            header = table.horizontalHeader()
            s.setValue(f"{GROUP}/vmTable/header", header.saveState())
            s.setValue(f"{GROUP}/vmTable/columns", header.count())
        s.sync()

    def restore(self, window: QMainWindow) -> None:
        s = self.settings
        geometry = _bytes(s.value(f"{GROUP}/geometry"))
        if geometry is not None:
            window.restoreGeometry(geometry)
        state = _bytes(s.value(f"{GROUP}/state"))
        if state is not None:
            window.restoreState(state)
        splitters = [
            (splitter, saved)
            for splitter in _named_splitters(window)
            if (saved := _bytes(s.value(f"{GROUP}/splitters/{splitter.objectName()}"))) is not None
        ]
        if window.isVisible():
            _restore_splitters(splitters)
        else:  # a splitter squeezes saved sizes into its size before the window has one: wait for the show
            window.installEventFilter(_RestoreOnShow(window, splitters))
        table = _vm_table(window)
        header_state = _bytes(s.value(f"{GROUP}/vmTable/header"))
        if table is None or header_state is None:
            return
        header = table.horizontalHeader()
        try:
            columns = int(s.value(f"{GROUP}/vmTable/columns", -1))
        except (TypeError, ValueError):
            columns = -1
        if columns == header.count() and header.restoreState(header_state):
            # The header remembers the sort indicator; the view must sort by it too.
            table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())


def _restore_splitters(splitters: list[tuple[QSplitter, QByteArray]]) -> None:
    for splitter, saved in splitters:
        splitter.restoreState(saved)


class _RestoreOnShow(QObject):
    """Restores the splitters once, when the window is first shown (and its layout has its real size)."""

    def __init__(self, window: QMainWindow, splitters: list[tuple[QSplitter, QByteArray]]) -> None:
        super().__init__(window)
        self._splitters = splitters

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            watched.removeEventFilter(self)
            _restore_splitters(self._splitters)
            self.deleteLater()
        return False


def install_column_chooser(table: QTableView, always_shown: frozenset[str] = ALWAYS_SHOWN) -> None:
    """Right-click on a table's header (the VM table's, the services'): a checkable entry per column to show
    or hide it; the columns titled in `always_shown` stay."""
    header = table.horizontalHeader()
    header.setSectionsMovable(True)
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show_menu(pos: QPoint) -> None:
        menu = column_menu(table, always_shown)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(header.viewport().mapToGlobal(pos))

    header.customContextMenuRequested.connect(show_menu)


def column_menu(table: QTableView, always_shown: frozenset[str] = ALWAYS_SHOWN) -> QMenu:
    """The header's menu of columns (tests trigger its actions)."""
    header = table.horizontalHeader()
    model = table.model()
    menu = QMenu(table)
    menu.setObjectName("columnsMenu")
    for column in range(header.count()):
        title = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or column)
        action = menu.addAction(title)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(column))
        action.setEnabled(title not in always_shown)
        action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))
    return menu


def _named_splitters(window: QMainWindow) -> list[QSplitter]:
    return [s for s in window.findChildren(QSplitter) if s.objectName() in ("mainSplitter", "vmSplitter")]


def _vm_table(window: QMainWindow) -> QTableView | None:
    return window.findChild(QTableView, "vmTable")


def _bytes(value: object) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None
