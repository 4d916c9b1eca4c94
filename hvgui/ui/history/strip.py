"""`HeartbeatStrip`: one VM's strip over a window, with a time axis under it."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from hvgui.history import Lane, Segment, segments
from hvgui.ui.history.paint import paint_segments
from hvgui.ui.history.spans import Span, ticks

_BAR = 22
_AXIS = 16


class HeartbeatStrip(QWidget):
    """Paints the segments of one `Lane`; with no lane yet (loading), an empty frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(_BAR + _AXIS + 4)
        self._lane: Lane | None = None
        self._span: Span | None = None
        self.segments: list[Segment] = []

    def sizeHint(self) -> QSize:
        return QSize(400, _BAR + _AXIS + 4)

    def set_lane(self, lane: Lane | None, span: Span) -> None:
        self._lane, self._span = lane, span
        self.segments = [] if lane is None else segments(lane.t0, lane.t1, lane.start, lane.changes)
        self.setToolTip(self._tooltip())
        self.update()

    def _tooltip(self) -> str:
        if self._lane is None:
            return ""
        lines = [f"{seg.status.label}: {time.strftime('%H:%M:%S', time.localtime(seg.start))}" for seg in self.segments]
        return "\n".join(lines[-12:])

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        bar = QRectF(1, 1, self.width() - 2, _BAR)
        lane, span = self._lane, self._span
        if lane is None or span is None:
            painter.setPen(QPen(QColor("#8a9096"), 0, Qt.PenStyle.DotLine))
            painter.drawRect(bar)
            return
        paint_segments(painter, bar, self.segments, lane.t0, lane.t1)
        painter.setPen(self.palette().color(self.foregroundRole()))
        width = bar.width()
        for at in ticks(lane.t0, lane.t1, span):
            x = bar.left() + (at - lane.t0) / (lane.t1 - lane.t0) * width
            painter.drawLine(int(x), int(bar.bottom()), int(x), int(bar.bottom()) + 3)
            painter.drawText(
                int(x) + 2, int(bar.bottom()) + _AXIS - 2, time.strftime(span.tick_format, time.localtime(at))
            )
