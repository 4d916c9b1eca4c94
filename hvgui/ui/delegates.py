"""Painting that item views cannot do from plain text: heartbeat dots and the two-line host rows.

Delegates only read roles; the rules behind the colours live in `hvgui.domain.heartbeat`.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hvgui.domain.connection import HostState
from hvgui.domain.heartbeat import NO_HEARTBEAT_TEXT, HeartbeatIndicator, HeartbeatTone, IndicatorShape
from hvgui.ui.models.host_list import DetailRole, HostStatusRole, SecurityRole, StateRole, is_failing
from hvgui.ui.models.vm_table import HeartbeatRole

ModelIndex = QModelIndex | QPersistentModelIndex

TONE_COLOURS: dict[HeartbeatTone, str] = {
    HeartbeatTone.Good: "#2e9d4f",
    HeartbeatTone.Warning: "#d99a00",
    HeartbeatTone.Bad: "#d13438",
    HeartbeatTone.Neutral: "#9aa0a6",
}

HOST_STATE_COLOURS: dict[HostState, str] = {
    HostState.Connected: "#2e9d4f",
    HostState.Connecting: "#d99a00",
    HostState.Failed: "#d13438",
    HostState.Closed: "#9aa0a6",
}

_DOT = 9  # diameter of a status dot, in device-independent pixels
_GAP = 6


def tone_colour(tone: HeartbeatTone) -> QColor:
    return QColor(TONE_COLOURS[tone])


def _text_colour(option: QStyleOptionViewItem, index: ModelIndex) -> QColor:
    """The colour the view would use for this cell's text, honouring ForegroundRole (muted stale rows)."""
    if option.state & QStyle.StateFlag.State_Selected:
        return option.palette.color(QPalette.ColorRole.HighlightedText)
    foreground = index.data(Qt.ItemDataRole.ForegroundRole)
    if isinstance(foreground, QBrush):
        return foreground.color()
    if isinstance(foreground, QColor):
        return foreground
    return option.palette.color(QPalette.ColorRole.Text)


def _draw_background(option: QStyleOptionViewItem, index: ModelIndex, painter: QPainter, delegate) -> None:
    """Let the style paint selection, focus and hover exactly as for a plain cell, with no text."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    widget = opt.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


def _draw_dot(painter: QPainter, left: int, centre_y: float, colour: QColor) -> None:
    draw_shape(painter, IndicatorShape.Dot, left, centre_y, colour)


def draw_shape(painter: QPainter, shape: IndicatorShape, left: int, centre_y: float, colour: QColor) -> None:
    """One indicator shape in a `_DOT`-sized square: the shape carries the meaning without the colour."""
    box = QRectF(left, centre_y - _DOT / 2, _DOT, _DOT)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if shape is IndicatorShape.Dot:
        painter.drawEllipse(box)
    elif shape is IndicatorShape.Triangle:
        painter.drawPolygon(QPolygonF([QPointF(box.center().x(), box.top()), box.bottomRight(), box.bottomLeft()]))
    elif shape is IndicatorShape.Pause:
        bar = _DOT / 3
        painter.drawRect(QRectF(box.left(), box.top(), bar, _DOT))
        painter.drawRect(QRectF(box.right() - bar, box.top(), bar, _DOT))
    elif shape is IndicatorShape.Bar:
        painter.drawRect(QRectF(box.left(), box.center().y() - 1.5, _DOT, 3))
    else:  # outlines: Ring and Cross
        pen = QPen(colour, 2 if shape is IndicatorShape.Cross else 1.6)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inner = box.adjusted(1, 1, -1, -1)
        if shape is IndicatorShape.Ring:
            painter.drawEllipse(inner)
        else:
            painter.drawLine(inner.topLeft(), inner.bottomRight())
            painter.drawLine(inner.topRight(), inner.bottomLeft())
    painter.restore()


class HeartbeatDelegate(QStyledItemDelegate):
    """A coloured shape and the heartbeat text (the shape and the text read without the colour); a VM that
    does not run shows just its text."""

    #: The role that holds the `HeartbeatIndicator` to paint.
    indicator_role: int = HeartbeatRole

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        indicator = index.data(self.indicator_role)
        if not isinstance(indicator, HeartbeatIndicator):
            super().paint(painter, option, index)
            return
        _draw_background(option, index, painter, self)
        rect = option.rect.adjusted(_GAP, 0, -_GAP, 0)
        text_left = rect.left()
        if indicator.text != NO_HEARTBEAT_TEXT and indicator.shape is not IndicatorShape.Blank:
            colour = tone_colour(indicator.tone)
            if index.data(Qt.ItemDataRole.ForegroundRole) is not None:  # stale host: a faded shape
                colour.setAlphaF(0.45)
            draw_shape(painter, indicator.shape, rect.left(), rect.center().y() + 0.5, colour)
            text_left += _DOT + _GAP
        text_rect = QRect(text_left, rect.top(), max(0, rect.right() - text_left), rect.height())
        painter.save()
        font = index.data(Qt.ItemDataRole.FontRole)
        if isinstance(font, QFont):
            painter.setFont(font)
        painter.setPen(_text_colour(option, index))
        text = option.fontMetrics.elidedText(indicator.text, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + _DOT + 2 * _GAP, size.height())


#: The colour of a host's "unencrypted" / "unverified" badge: a warning, not an error.
SECURITY_BADGE_COLOUR = "#b35c00"


def _draw_badge(painter: QPainter, option: QStyleOptionViewItem, rect: QRect, text: str) -> None:
    """A small outlined word ("unencrypted") at the right of a host's name: its connection is not safe."""
    colour = QColor(SECURITY_BADGE_COLOUR)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(colour)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 1.5, -0.5, -1.5), 3, 3)
    painter.setFont(option.font)
    label = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, rect.width() - 6))
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
    painter.restore()


class HostItemDelegate(QStyledItemDelegate):
    """Two lines per host: a state dot and the name in bold, then the state, VM count or error, muted."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        state = index.data(StateRole)
        if not isinstance(state, HostState):
            super().paint(painter, option, index)
            return
        _draw_background(option, index, painter, self)
        rect = option.rect.adjusted(8, 5, -8, -5)
        name_font = QFont(option.font)
        name_font.setBold(True)
        line = option.fontMetrics.height()
        _draw_dot(painter, rect.left(), rect.top() + line / 2 + 0.5, QColor(HOST_STATE_COLOURS[state]))
        text_left = rect.left() + _DOT + _GAP + 2
        width = max(0, rect.right() - text_left)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setFont(name_font)
        painter.setPen(
            option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        )
        badge = str(index.data(SecurityRole) or "")
        name_width = width
        if badge:
            badge_width = min(width, option.fontMetrics.horizontalAdvance(badge) + 10)
            name_width = max(0, width - badge_width - _GAP)
            _draw_badge(painter, option, QRect(text_left + width - badge_width, rect.top(), badge_width, line), badge)
            painter.setFont(name_font)
            painter.setPen(
                option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
            )
        name = painter.fontMetrics().elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideRight, name_width
        )
        painter.drawText(QRect(text_left, rect.top(), name_width, line), int(Qt.AlignmentFlag.AlignVCenter), name)
        painter.setFont(option.font)
        status = index.data(HostStatusRole)
        failing = status is not None and is_failing(status)
        detail_colour = (
            option.palette.color(QPalette.ColorRole.HighlightedText)
            if selected
            else QColor(HOST_STATE_COLOURS[HostState.Failed])
            if failing
            else option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        )
        painter.setPen(detail_colour)
        detail = option.fontMetrics.elidedText(str(index.data(DetailRole) or ""), Qt.TextElideMode.ElideRight, width)
        painter.drawText(
            QRect(text_left, rect.top() + line + 2, width, line), int(Qt.AlignmentFlag.AlignVCenter), detail
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), 2 * option.fontMetrics.height() + 12)


class StatusDotDelegate(HeartbeatDelegate):
    """The same dot and text for any model that offers a `HeartbeatIndicator` under `indicator_role`."""

    def __init__(self, indicator_role: int, parent=None) -> None:
        super().__init__(parent)
        self.indicator_role = indicator_role
