"""The table of the KVP history view: one row per key added, removed or changed between two snapshots.

Keys and values are guest and host text: cells show them through `one_line`, tooltips through `visible`,
and `RAW_ROLE` gives the exact text (what Copy takes).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from hvgui.domain.kvp import Pool
from hvgui.domain.kvp_history import DiffKind, KeyChange, PoolDiff
from hvgui.ui.kvp.models import RAW_ROLE, TOOLTIP_LIMIT
from hvgui.ui.text import one_line, visible

_Index = QModelIndex | QPersistentModelIndex

#: Short pool names for a column (the tab's section titles are sentences).
POOL_LABELS = {
    Pool.Intrinsic: "Guest reports",
    Pool.GuestToHost: "Guest software",
    Pool.HostToGuest: "Host \u2192 guest",
    Pool.HostOnly: "Host-only",
}
ABSENT = "(absent)"
_COLOURS = {
    DiffKind.Added: QColor("#dff6dd"),
    DiffKind.Removed: QColor("#fde7e9"),
    DiffKind.Changed: QColor("#fff4ce"),
}


class DiffColumn(enum.IntEnum):
    Pool = 0
    Change = 1
    Key = 2
    Before = 3
    After = 4


def _tooltip(text: str) -> str:
    return visible(text[:TOOLTIP_LIMIT]) + ("\u2026" if len(text) > TOOLTIP_LIMIT else "")


class KvpDiffModel(QAbstractTableModel):
    """Read-only: the key changes of every pool, pool by pool."""

    HEADERS = ("Pool", "Change", "Key", "Before", "After")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[KeyChange] = []

    def set_diff(self, diffs: Sequence[PoolDiff]) -> None:
        self.beginResetModel()
        self._rows = [change for diff in diffs for change in diff.changes]
        self.endResetModel()

    def changes(self) -> list[KeyChange]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def _raw(self, change: KeyChange, column: int) -> str | None:
        if column == DiffColumn.Pool:
            return POOL_LABELS[change.pool]
        if column == DiffColumn.Change:
            return change.kind.value
        if column == DiffColumn.Key:
            return change.key
        return change.old if column == DiffColumn.Before else change.new

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        change = self._rows[index.row()]
        column = index.column()
        raw = self._raw(change, column)
        untrusted = column >= DiffColumn.Key
        if role == Qt.ItemDataRole.DisplayRole:
            if raw is None:
                return ABSENT
            return one_line(raw) if untrusted else raw
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(raw) if untrusted and raw is not None else None
        if role == RAW_ROLE:
            return raw
        if role == Qt.ItemDataRole.BackgroundRole and column == DiffColumn.Change:
            return QBrush(_COLOURS[change.kind])
        if role == Qt.ItemDataRole.ForegroundRole and column == DiffColumn.Change:
            return QBrush(QColor("#1b1b1b"))
        return None
