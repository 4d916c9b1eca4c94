"""The Progress cell: a short bar, and beside it the percent and the host's progress text.

The text is painted beside the bar, never across it: drawn over a bar, text half on the filled part and half
on the empty part is hard to read, and a long text ("37% · Shut down a virtual machine") does not fit a bar
the width of the column. The bar is busy (indeterminate) until the host gives a percent. Queued and finished rows
show their text only: a bar there would suggest work that is not happening.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from hvgui.ui.activity.model import ProgressRole
from hvgui.ui.models.table_base import ModelIndex

#: The bar's width at most.
BAR_WIDTH = 48
#: Between the bar and the text.
_GAP = 6


def progress_rects(cell: QRect) -> tuple[QRect, QRect]:
    """The bar (left, at most `BAR_WIDTH`, a third of a narrow cell) and the text's room right of it."""
    inner = cell.adjusted(2, 3, -2, -3)
    width = max(0, min(BAR_WIDTH, inner.width() // 3))
    bar = QRect(inner.left(), inner.top(), width, inner.height())
    text = QRect(bar.right() + 1 + _GAP, cell.top(), max(0, cell.right() - bar.right() - _GAP), cell.height())
    return bar, text


def progress_option(
    option: QStyleOptionViewItem, percent: int | None, rect: QRect | None = None
) -> QStyleOptionProgressBar:
    """The bar for a running operation: 0-100 with its percent, busy (minimum == maximum == 0) without one."""
    bar = QStyleOptionProgressBar()
    bar.rect = rect if rect is not None else option.rect.adjusted(2, 3, -2, -3)
    bar.state = option.state | QStyle.StateFlag.State_Horizontal
    bar.direction = option.direction
    bar.fontMetrics = option.fontMetrics
    bar.palette = option.palette
    bar.minimum = 0
    bar.maximum = 0 if percent is None else 100
    bar.progress = 0 if percent is None else max(0, min(100, percent))
    bar.text = ""
    bar.textVisible = False  # the percent is in the text beside the bar
    return bar


def elided(text: str, metrics: QFontMetrics, width: int) -> str:
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, width))


class ProgressDelegate(QStyledItemDelegate):
    """Paints `ProgressRole` as a short bar and the progress text while the operation runs."""

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
        bar_rect, text_rect = progress_rects(option.rect)
        style.drawControl(
            QStyle.ControlElement.CE_ProgressBar, progress_option(option, percent, bar_rect), painter, widget
        )
        if not text or text_rect.width() <= 0:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(option.palette.color(role))
        shown = elided(text, QFontMetrics(opt.font), text_rect.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width(), 160), size.height())
