"""How a strip looks: a colour and a pattern per `LaneStatus`, so it reads without colour too.

OK is plain; trouble is hatched (lost: crossed, warning: diagonal); not running is a thin horizontal
rule; no data is left empty. The legend widget shows the same swatches with their words.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from hvgui.history import LaneStatus, Segment

#: Fill colour and (pattern, pattern colour) per status.
LANE_STYLES: dict[LaneStatus, tuple[str | None, Qt.BrushStyle, str]] = {
    LaneStatus.Ok: ("#2e9d4f", Qt.BrushStyle.NoBrush, "#000000"),
    LaneStatus.Warning: ("#f0c24b", Qt.BrushStyle.BDiagPattern, "#5c4200"),
    LaneStatus.Lost: ("#e0484c", Qt.BrushStyle.DiagCrossPattern, "#3a0000"),
    LaneStatus.Neutral: ("#b9bec4", Qt.BrushStyle.Dense6Pattern, "#40454a"),
    LaneStatus.Off: ("#e4e6e8", Qt.BrushStyle.HorPattern, "#7a8087"),
    LaneStatus.Unknown: (None, Qt.BrushStyle.NoBrush, "#000000"),
}

#: Order of the legend: the states an admin looks for first.
LEGEND_ORDER = (
    LaneStatus.Ok,
    LaneStatus.Warning,
    LaneStatus.Lost,
    LaneStatus.Neutral,
    LaneStatus.Off,
    LaneStatus.Unknown,
)


def paint_status(painter: QPainter, rect: QRectF, status: LaneStatus) -> None:
    fill, pattern, pattern_colour = LANE_STYLES[status]
    if fill is not None:
        painter.fillRect(rect, QColor(fill))
    if pattern is not Qt.BrushStyle.NoBrush:
        painter.fillRect(rect, QBrush(QColor(pattern_colour), pattern))


def paint_segments(painter: QPainter, rect: QRectF, segments: Sequence[Segment], t0: float, t1: float) -> None:
    """Paint [t0, t1] across `rect`; a segment is at least one pixel wide so short blips stay visible."""
    span = max(t1 - t0, 1e-9)
    width = rect.width()
    for segment in segments:
        x0 = rect.left() + (segment.start - t0) / span * width
        x1 = rect.left() + (segment.end - t0) / span * width
        if x1 - x0 < 1.0:
            x1 = x0 + 1.0
        paint_status(painter, QRectF(x0, rect.top(), x1 - x0, rect.height()), segment.status)
    painter.setPen(QPen(QColor("#8a9096"), 0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect.adjusted(0, 0, -0.5, -0.5))


class _Swatch(QWidget):
    def __init__(self, status: LaneStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self.setFixedSize(QSize(22, 12))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        paint_segments(painter, QRectF(0, 0, 22, 12), [Segment(0, 1, self.status)], 0, 1)


class Legend(QWidget):
    """One swatch and its words per status."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for status in LEGEND_ORDER:
            layout.addWidget(_Swatch(status))
            label = QLabel(status.label)
            label.setContentsMargins(0, 0, 8, 0)
            layout.addWidget(label)
        layout.addStretch(1)
