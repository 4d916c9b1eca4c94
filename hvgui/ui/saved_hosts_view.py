"""The hosts pane's "Saved hosts" list: every saved host under each of its groups, with what can be done to it.

Groups are the top-level rows, in alphabetical order, and hosts without a group come last under "Other
hosts"; a host filed under two groups shows under both. Double-click (or Enter) connects; the context menu
offers Connect, Edit…, Edit credentials…, Duplicate and Remove. The view only emits the key of the host a
person picked: `SavedHosts` does the work.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from hvgui.domain.host_profiles import HostProfile
from hvgui.ui.resources import icon
from hvgui.ui.text import one_line

#: The heading of hosts that have no group.
UNGROUPED = "Other hosts"
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class SavedHostsView(QTreeWidget):
    """Saved hosts grouped by group."""

    connectRequested = Signal(str)
    editRequested = Signal(str)
    editCredentialsRequested = Signal(str)
    duplicateRequested = Signal(str)
    removeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("savedHosts")
        self.setAccessibleName("Saved hosts")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.itemActivated.connect(self._activated)
        self._connected: set[str] = set()

    def set_profiles(self, profiles: Iterable[HostProfile], connected: Iterable[str] = ()) -> None:
        """Show these hosts (keys in `connected` are marked as open in the window)."""
        self._connected = set(connected)
        by_group: dict[str, list[HostProfile]] = {}
        for profile in profiles:
            for group in profile.groups or (UNGROUPED,):
                by_group.setdefault(group, []).append(profile)
        order = sorted((g for g in by_group if g != UNGROUPED), key=str.casefold)
        if UNGROUPED in by_group:
            order.append(UNGROUPED)
        self.clear()
        for group in order:
            heading = QTreeWidgetItem([one_line(group)])
            font = QFont(heading.font(0))
            font.setBold(True)
            heading.setFont(0, font)
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(heading)
            for profile in sorted(by_group[group], key=lambda p: p.label.casefold()):
                heading.addChild(self._host_item(profile))
            heading.setExpanded(True)

    def groups(self) -> list[str]:
        return [self.topLevelItem(i).text(0) for i in range(self.topLevelItemCount())]

    def hosts_in(self, group: str) -> list[str]:
        """The keys listed under a group, in order."""
        for i in range(self.topLevelItemCount()):
            heading = self.topLevelItem(i)
            if heading.text(0) == group:
                return [heading.child(j).data(0, KEY_ROLE) for j in range(heading.childCount())]
        return []

    def _host_item(self, profile: HostProfile) -> QTreeWidgetItem:
        open_now = profile.key in self._connected
        item = QTreeWidgetItem([one_line(profile.label) + (" \u2022 open" if open_now else "")])
        item.setData(0, KEY_ROLE, profile.key)
        item.setIcon(0, icon("host"))
        user = f"{profile.settings.username} @ " if profile.settings.username else ""
        tooltip = [one_line(profile.label), one_line(user + profile.key)]
        if profile.connect_at_start:
            tooltip.append("Opens when hvgui starts")
        item.setToolTip(0, "\n".join(tooltip))
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.connectRequested.emit(key)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        key = item.data(0, KEY_ROLE) if item is not None else None
        if not key:
            return
        menu = self.menu_for(key)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.viewport().mapToGlobal(pos))

    def menu_for(self, key: str) -> QMenu:
        """The context menu of one saved host (tests trigger its actions)."""
        menu = QMenu(self)
        menu.setObjectName("savedHostMenu")
        connect = menu.addAction(icon("connect"), "&Connect")
        connect.setEnabled(key not in self._connected)
        connect.triggered.connect(lambda: self.connectRequested.emit(key))
        menu.addAction("&Edit\u2026").triggered.connect(lambda: self.editRequested.emit(key))
        menu.addAction("Edit &credentials\u2026").triggered.connect(lambda: self.editCredentialsRequested.emit(key))
        menu.addAction("&Duplicate").triggered.connect(lambda: self.duplicateRequested.emit(key))
        menu.addSeparator()
        menu.addAction("&Remove").triggered.connect(lambda: self.removeRequested.emit(key))
        return menu
