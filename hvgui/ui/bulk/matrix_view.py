"""The matrix table: a click on a service cell switches it, Space switches every selected cell.

Qt's default check-box handling reacts only to a click on the small indicator and to Space on the current
cell; an admin editing dozens of cells wants the whole cell to be the target and a selection to switch
as one (all cells take the opposite of the current cell's desired state).
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
    """Paints like a plain check cell; a left click anywhere in a service cell switches its desired state."""

    def editorEvent(
        self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem, index: ModelIndex
    ) -> bool:
        if index.column() < FIRST_SERVICE_COLUMN or not isinstance(model, ServiceMatrixModel):
            return super().editorEvent(event, model, option, index)
        if not (index.flags() & Qt.ItemFlag.ItemIsUserCheckable):
            return False
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            if event.button() == Qt.MouseButton.LeftButton and option.rect.contains(event.position().toPoint()):
                model.toggle_cells([model.index(index.row(), index.column())])
                return True
            return False
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            # Swallowed so a double click does not also start an edit; selection already happened.
            return event.type() == QEvent.Type.MouseButtonDblClick
        return False


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
