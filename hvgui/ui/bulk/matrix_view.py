"""The matrix table: a click selects a cell; Space switches every selected cell, a double click the cell.

A click that also switched would make the common "click, then Space" undo itself, and would change a cell the
admin only meant to look at. So a click selects (as in any table), Space switches the selection as one (all
cells take the opposite of the current cell's desired state), and a double click switches the cell under the
pointer. Qt's default check-box handling (a click on the small indicator) is switched off for the same reason.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from hvgui.ui.bulk.matrix_model import FIRST_SERVICE_COLUMN, ServiceMatrixModel

ModelIndex = QModelIndex | QPersistentModelIndex


def header_width(header: QHeaderView, section: int, minimum: int = 0) -> int:
    """A width that shows the section's whole title (service names are long), never below `minimum`."""
    text = str(header.model().headerData(section, header.orientation()) or "")
    return max(minimum, header.fontMetrics().horizontalAdvance(text) + 28)


class MatrixCellDelegate(QStyledItemDelegate):
    """Paints like a plain check cell; mouse events on a service cell never switch it by themselves.

    The view switches a cell on a double click (`MatrixView.mouseDoubleClickEvent`).
    """

    def editorEvent(
        self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem, index: ModelIndex
    ) -> bool:
        if index.column() < FIRST_SERVICE_COLUMN or not isinstance(model, ServiceMatrixModel):
            return super().editorEvent(event, model, option, index)
        # A press or release only selects (the view does that); the check indicator is not a target of its own.
        return event.type() == QEvent.Type.MouseButtonDblClick


class MatrixView(QTableView):
    """The VMs x services table of the bulk dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bulkMatrix")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setItemDelegate(MatrixCellDelegate(self))
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(True)
        header.setStretchLastSection(False)

    def matrix(self) -> ServiceMatrixModel | None:
        model = self.model()
        return model if isinstance(model, ServiceMatrixModel) else None

    def selected_service_cells(self) -> list[QModelIndex]:
        """The selected service cells, or the current cell when nothing is selected."""
        cells = [i for i in self.selectedIndexes() if i.column() >= FIRST_SERVICE_COLUMN]
        current = self.currentIndex()
        if not cells and current.isValid() and current.column() >= FIRST_SERVICE_COLUMN:
            cells = [current]
        return sorted(cells, key=lambda i: (i.row(), i.column()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double click on a service cell switches that cell (and only it), once."""
        model = self.matrix()
        index = self.indexAt(event.position().toPoint())
        if (
            model is not None
            and event.button() == Qt.MouseButton.LeftButton
            and index.isValid()
            and index.column() >= FIRST_SERVICE_COLUMN
        ):
            if index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                model.toggle_cells([index])
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        model = self.matrix()
        if model is not None and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select) and not event.modifiers():
            cells = self.selected_service_cells()
            if cells:
                current = self.currentIndex()
                model.toggle_cells(cells, current if current.isValid() else None)
                event.accept()
                return
        super().keyPressEvent(event)
