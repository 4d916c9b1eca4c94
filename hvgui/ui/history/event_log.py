"""The heartbeat event log (View > Heartbeat events): what happened to heartbeats during this session.

One entry per alert (time, host, VM, what happened), muted ones included and marked, plus what the history
store had to say (a locked or damaged file). It lives as long as the window; the history keeps the rest.
The context menu mutes a VM or a whole host (remembered in the settings).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QHeaderView, QMenu, QTableView, QWidget

from hvgui.domain.vm import VmKey
from hvgui.ui.text import one_line

ModelIndex = QModelIndex | QPersistentModelIndex

EVENT_LOG_SHORTCUT = "Ctrl+Shift+E"
#: The log keeps the newest entries up to this many (older ones are in the history).
MAX_ENTRIES = 5000


class EventColumn(enum.IntEnum):
    Time = 0
    Host = 1
    Vm = 2
    What = 3


_HEADERS = {EventColumn.Time: "Time", EventColumn.Host: "Host", EventColumn.Vm: "VM", EventColumn.What: "What happened"}


@dataclass(frozen=True)
class EventEntry:
    at: float
    host: str  # host key ("" for the history itself)
    host_label: str
    vm: VmKey | None
    vm_name: str  # untrusted: shown through `one_line`
    what: str
    muted: bool = False


class EventLogModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[EventEntry] = []

    def entries(self) -> list[EventEntry]:
        return list(self._entries)

    def entry(self, row: int) -> EventEntry:
        return self._entries[row]

    def add(self, entries: list[EventEntry]) -> None:
        if not entries:
            return
        overflow = len(self._entries) + len(entries) - MAX_ENTRIES
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._entries[:overflow]
            self.endRemoveRows()
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._entries.extend(entries)
        self.endInsertRows()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(EventColumn)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[EventColumn(section)]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = EventColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if column == EventColumn.Time:
                return time.strftime("%H:%M:%S", time.localtime(entry.at))
            if column == EventColumn.Host:
                return one_line(entry.host_label)
            if column == EventColumn.Vm:
                return one_line(entry.vm_name)
            return entry.what + (" (muted)" if entry.muted else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == EventColumn.Time:
                return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.at))
            if column == EventColumn.Vm:
                return entry.vm_name  # the exact name, in a tooltip
        return None


class EventLogDock(QDockWidget):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        menu_entries: Callable[[EventEntry], list[tuple[str, bool, Callable[[], None]]]] | None = None,
    ) -> None:
        super().__init__("Heartbeat events", parent)
        self.setObjectName("heartbeatEventsDock")
        self.model = EventLogModel(self)
        self.view = QTableView()
        self.view.setObjectName("heartbeatEvents")
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(EventColumn.Time, 80)
        header.resizeSection(EventColumn.Host, 130)
        header.resizeSection(EventColumn.Vm, 180)
        header.setStretchLastSection(True)
        self.setWidget(self.view)
        self._menu_entries = menu_entries
        #: Whether the view showed the newest entry when more arrived: then it follows them; someone reading
        #: older entries keeps their place.
        self._following = True
        self.model.rowsAboutToBeInserted.connect(self._note_following)
        self.model.rowsInserted.connect(self._follow)
        self.visibilityChanged.connect(self._catch_up)

    def _note_following(self, *_: object) -> None:
        if not self.view.isVisible():
            return  # nobody scrolls a closed log: it keeps following or not as when it closed
        bar = self.view.verticalScrollBar()
        self._following = bar.value() >= bar.maximum()

    def _follow(self, *_: object) -> None:
        # A closed log (as it mostly is) gets an entry per heartbeat alert, several a second on a large fleet:
        # it scrolls once, when it is opened again, not for each of them.
        if self._following and self.view.isVisible():
            self.view.scrollToBottom()

    def _catch_up(self, visible: bool) -> None:
        if visible and self._following:
            self.view.scrollToBottom()

    def menu_for(self, row: int) -> QMenu | None:
        if self._menu_entries is None or not 0 <= row < self.model.rowCount():
            return None
        entries = self._menu_entries(self.model.entry(row))
        if not entries:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for text, checked, callback in entries:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(checked)
            action.triggered.connect(lambda _checked=False, cb=callback: cb())
        return menu

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        menu = self.menu_for(index.row()) if index.isValid() else None
        if menu is not None:
            menu.popup(self.view.viewport().mapToGlobal(position))
