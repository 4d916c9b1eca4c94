"""Table models of the Key-Value Pairs tab: a read-only pool, and the editable host-to-guest pool.

Keys and values come from guests and hosts: cells show them through `untrusted_line` (line breaks, control
and bidi characters made visible) and tooltips through `untrusted_text`; `RAW_ROLE` (and the edit role) give
the exact text, which editing and export use.

`KvpEditModel` keeps the pairs as loaded (the baseline) and the rows as edited. A row knows whether it was
added, modified or marked for removal; `changes()` says what Apply sends. `load()` from a periodic refresh
never touches rows that hold unapplied edits: while the model is dirty it only remembers what the host holds
now (`host_now`), and the Apply path compares that with the baseline.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from hvgui.domain.kvp import KvpChange, KvpPair, changes_between
from hvgui.ui.text import untrusted_line, untrusted_text
from hvgui.ui.theme import row_tint

RAW_ROLE = Qt.ItemDataRole.UserRole + 1
#: Longest tooltip text (a value may hold a thousand characters).
TOOLTIP_LIMIT = 600
_Index = QModelIndex | QPersistentModelIndex


def _tooltip(text: str) -> str:
    shown = untrusted_text(text[:TOOLTIP_LIMIT])
    return shown + ("\u2026" if len(text) > TOOLTIP_LIMIT else "")


class PairColumn(enum.IntEnum):
    Key = 0
    Value = 1


class KvpPairsModel(QAbstractTableModel):
    """One pool, read-only."""

    HEADERS = ("Key", "Value")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._pairs: list[KvpPair] = []

    def set_pairs(self, pairs: Sequence[KvpPair]) -> None:
        if list(pairs) == self._pairs:
            return
        self.beginResetModel()
        self._pairs = list(pairs)
        self.endResetModel()

    def pairs(self) -> list[KvpPair]:
        return list(self._pairs)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._pairs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 2:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._pairs):
            return None
        pair = self._pairs[index.row()]
        text = pair.key if index.column() == PairColumn.Key else pair.value
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return untrusted_line(text)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(text)
        if role == RAW_ROLE:
            return text
        return None


class EditColumn(enum.IntEnum):
    Key = 0
    Value = 1
    Change = 2


@dataclass
class _Row:
    key: str
    value: str
    loaded_key: str | None = None  # None: added here
    loaded_value: str | None = None
    removed: bool = False

    @property
    def change(self) -> str:
        if self.loaded_key is None:
            return "Added"
        if self.removed:
            return "Removed"
        if self.key != self.loaded_key or self.value != self.loaded_value:
            return "Modified"
        return ""


_DIRTY = "#fff4ce"  # tints of a light scheme; `row_tint` darkens them in a dark one
_REMOVED = "#fdecea"


class KvpEditModel(QAbstractTableModel):
    """The host-to-guest pool as edited: add, modify, mark for removal, revert."""

    HEADERS = ("Key", "Value", "Change")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._baseline: dict[str, str] = {}
        self._rows: list[_Row] = []
        #: What the host held at the last refresh while edits were pending (None: the baseline is current).
        self.host_now: dict[str, str] | None = None

    # --- loading ------------------------------------------------------------------------------------

    def load(self, pairs: Sequence[KvpPair], *, force: bool = False) -> bool:
        """Take the host's pairs. Returns False when unapplied edits were kept (then `host_now` holds them)."""
        incoming = {p.key: p.value for p in pairs}
        if self.is_dirty() and not force:
            self.host_now = incoming if incoming != self._baseline else None
            return False
        self.host_now = None
        if incoming == self._baseline and [r.key for r in self._rows] == list(incoming):
            return True
        self.beginResetModel()
        self._baseline = incoming
        self._rows = [_Row(k, v, k, v) for k, v in incoming.items()]
        self.endResetModel()
        return True

    @property
    def baseline(self) -> dict[str, str]:
        return dict(self._baseline)

    def revert(self) -> None:
        self.load([KvpPair(k, v) for k, v in (self.host_now or self._baseline).items()], force=True)

    # --- edits --------------------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return any(r.change for r in self._rows)

    def add_row(self, key: str = "", value: str = "") -> QModelIndex:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(_Row(key, value))
        self.endInsertRows()
        return self.index(row, EditColumn.Key)

    def set_pairs(self, pairs: Sequence[KvpPair]) -> None:
        """Edit towards `pairs` (an import): a key there gets its value (added when new); others stay."""
        by_key = {r.key: r for r in self._rows}
        for pair in pairs:
            row = by_key.get(pair.key)
            if row is None:
                self.add_row(pair.key, pair.value)
            else:
                row.value, row.removed = pair.value, False
        self._changed_all()

    def toggle_removed(self, rows: Sequence[int]) -> None:
        """Mark loaded rows for removal (or unmark them); rows added here are dropped."""
        for row in sorted(set(rows), reverse=True):
            if not 0 <= row < len(self._rows):
                continue
            if self._rows[row].loaded_key is None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
            else:
                self._rows[row].removed = not self._rows[row].removed
        self._changed_all()

    def set_value(self, row: int, value: str) -> None:
        self.setData(self.index(row, EditColumn.Value), value)

    def edited_pairs(self) -> list[tuple[str, str]]:
        return [(r.key, r.value) for r in self._rows if not r.removed]

    def changes(self) -> list[KvpChange]:
        return changes_between(self._baseline, self.edited_pairs())

    def raw(self, row: int, column: EditColumn) -> str:
        r = self._rows[row]
        return r.key if column == EditColumn.Key else r.value

    def row_change(self, row: int) -> str:
        return self._rows[row].change

    # --- Qt -----------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 3:
            return self.HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row = self._rows[index.row()]
        # A value over several lines is edited in the value editor (a line edit would join its lines).
        multi_line = index.column() == EditColumn.Value and ("\n" in row.value or "\r" in row.value)
        if index.column() != EditColumn.Change and not row.removed and not multi_line:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if column == EditColumn.Change:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return row.change
        else:
            text = row.key if column == EditColumn.Key else row.value
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return untrusted_line(text)
            if role in (Qt.ItemDataRole.EditRole, RAW_ROLE):
                return text
            if role == Qt.ItemDataRole.ToolTipRole:
                return _tooltip(text)
        if role == Qt.ItemDataRole.BackgroundRole and row.change:
            return QBrush(row_tint(_REMOVED if row.removed else _DIRTY))
        if role == Qt.ItemDataRole.FontRole and row.removed:
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() == EditColumn.Change:
            return False
        row = self._rows[index.row()]
        if row.removed:
            return False
        text = "" if value is None else str(value)
        if index.column() == EditColumn.Key:
            row.key = text
        else:
            row.value = text
        first = self.index(index.row(), 0)
        self.dataChanged.emit(first, self.index(index.row(), EditColumn.Change))
        return True

    def _changed_all(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, EditColumn.Change))
