"""The Progress cell: a progress bar with the host's progress text, busy (indeterminate) until it gives a percent.

Queued and finished rows show their text only: a bar there would suggest work that is not happening.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from hvgui.ui.activity.model import ProgressRole
from hvgui.ui.models.table_base import ModelIndex


def progress_option(option: QStyleOptionViewItem, percent: int | None, text: str) -> QStyleOptionProgressBar:
    """The bar for a running operation: 0-100 with a percent, busy (minimum == maximum == 0) without one."""
    bar = QStyleOptionProgressBar()
    bar.rect = option.rect.adjusted(2, 3, -2, -3)
    bar.state = option.state | QStyle.StateFlag.State_Horizontal
    bar.direction = option.direction
    bar.fontMetrics = option.fontMetrics
    bar.palette = option.palette
    bar.minimum = 0
    bar.maximum = 0 if percent is None else 100
    bar.progress = 0 if percent is None else max(0, min(100, percent))
    bar.text = text
    bar.textVisible = True
    bar.textAlignment = Qt.AlignmentFlag.AlignCenter
    return bar


class ProgressDelegate(QStyledItemDelegate):
    """Paints `ProgressRole` as a progress bar while the operation runs."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        value = index.data(ProgressRole)
        if not isinstance(value, tuple) or not value[2]:
            super().paint(painter, option, index)
            return
        percent, text, _active = value
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)  # selection and focus
        bar = progress_option(option, percent, text)
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), 160), size.height())
