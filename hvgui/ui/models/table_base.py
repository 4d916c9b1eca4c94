"""The part every flat table model of hvgui shares: a list of rows, a fixed set of columns, read-only cells.

The models differ in what their cells show and how their rows change; what it means to be a flat,
selectable, childless table (the counts, the header texts, the flags and the bounds of a valid cell) is
written once here, so each model states only its own behaviour and Qt's model contracts hold alike for all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex

RowT = TypeVar("RowT")

#: What a cell of a read-only table allows: it can be selected and has no children (a flat table).
READ_ONLY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class ColumnTableModel(QAbstractTableModel, Generic[RowT]):
    """A flat table of `_rows` (one item per row) under the columns `_columns`.

    Subclasses set `_columns` (a column IntEnum numbered from 0, or a `range` where columns are computed) and
    `_headers` (and optionally `_header_tooltips`), fill `_rows`, and implement `data`, reading the row through
    `_row_for`. A model with checkable or richer headers overrides `flags` or `headerData` and calls super.
    """

    #: The columns, numbered 0..n-1; their count is the model's column count.
    _columns: ClassVar[Collection[int]] = ()
    #: Horizontal header text (DisplayRole) by column number.
    _headers: ClassVar[Mapping[int, str]] = {}
    #: Horizontal header tooltip (ToolTipRole) by column number; a column without one has none.
    _header_tooltips: ClassVar[Mapping[int, str]] = {}

    #: `len(_columns)`, counted once per class: views and proxies ask for it several times for every cell they
    #: paint, and counting an enum's members runs Python code each time.
    _column_count: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._column_count = len(cls._columns)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else self._column_count

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < self._column_count):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers.get(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tooltips.get(section)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return READ_ONLY_FLAGS

    def _cell_index_ok(self, index: ModelIndex) -> bool:
        """Whether `index` names a cell of this table; views and proxies may ask about stale or foreign ones."""
        return index.isValid() and 0 <= index.row() < len(self._rows) and 0 <= index.column() < self._column_count

    def _row_for(self, index: ModelIndex) -> RowT | None:
        """The row item behind a cell, or None when `index` names no cell (see `_cell_index_ok`)."""
        return self._rows[index.row()] if self._cell_index_ok(index) else None
