"""`TimelineView`: the fleet's heartbeat swimlanes, one per VM, grouped by host, painting only what is seen.

Why a custom scroll area: with 5,000 VMs a table with a widget or a model row per lane would create and
measure thousands of items. Here a row is a small record; `paintEvent` works out which rows the viewport
shows, paints those, and asks the history (on the worker thread) only for the visible lanes it has not got
yet. Answers fill a cache for the current window; a new window (zoom, or time moving on) empties it, and a
VM whose rows were just recorded drops out of it, so the next paint asks for it again.

The worker thread also rasterises each lane into a `QImage` at the lane's current width (QPainter on a
QImage is allowed off the GUI thread): a week of a flapping VM is hundreds of hatched segments, and the Qt
thread then only blits one image per visible lane. After a resize a lane is painted from its segments until
its image is redrawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from hvgui.domain.vm import VmKey
from hvgui.history import HistoryReader, Segment, VmRow, segments
from hvgui.ui.history.paint import paint_segments
from hvgui.ui.history.queries import HistoryQueries
from hvgui.ui.history.spans import SPANS, Span, ticks
from hvgui.ui.text import one_line

ROW_HEIGHT = 20
NAME_WIDTH = 260
_BADGE_TEXT = "flapping"


@dataclass(frozen=True)
class PaintedLane:
    """A lane ready to paint: its segments, and an image of them at `image.width()` pixels (or None)."""

    segments: list[Segment]
    image: QImage | None


def render_lanes(
    reader: HistoryReader, vms: tuple[int, ...], t0: float, t1: float, width: int, height: int
) -> dict[int, PaintedLane]:
    """Read and rasterise lanes; runs on the reader thread."""
    out = {}
    for vm, lane in reader.lanes(vms, t0, t1).items():
        parts = segments(lane.t0, lane.t1, lane.start, lane.changes)
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        paint_segments(painter, QRectF(0, 0, width, height), parts, t0, t1)
        painter.end()
        out[vm] = PaintedLane(parts, image)
    return out


@dataclass(frozen=True)
class TimelineRow:
    """A host's header row (`vm` None) or a VM's lane."""

    host: str
    vm: VmRow | None = None


def build_rows(vms: Sequence[VmRow]) -> list[TimelineRow]:
    """Header + lanes per host, in the order given (the reader sorts by host, then name)."""
    rows: list[TimelineRow] = []
    host = None
    for vm in vms:
        if vm.host != host:
            host = vm.host
            rows.append(TimelineRow(host))
        rows.append(TimelineRow(vm.host, vm))
    return rows


class TimelineView(QAbstractScrollArea):
    """The lanes. `lane_paints` and `asked` let tests see that only visible lanes are painted and fetched."""

    #: A lane was double-clicked: reveal that VM in the main window.
    vmActivated = Signal(VmKey)

    def __init__(
        self,
        queries: HistoryQueries,
        host_label: Callable[[str], str] = str,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("heartbeatTimeline")
        self._queries = queries
        self._host_label = host_label
        self._clock = clock
        self._rows: list[TimelineRow] = []
        self._span: Span = SPANS[1]
        self._t1 = clock()
        self._window_number = 0
        self._lanes: dict[int, PaintedLane] = {}
        self._in_flight: set[int] = set()
        self._counts: dict[int, int] = {}
        self._threshold = 0
        #: Extra context-menu entries for a VM row: (row) -> list of (text, checked or None, callback).
        self.menu_entries: Callable[[TimelineRow], list[tuple[str, bool | None, Callable[[], None]]]] | None = None
        #: How many lanes were painted with data, and every question sent (vm ids, t0, t1): for tests.
        self.lane_paints = 0
        self.asked: list[tuple[tuple[int, ...], float, float]] = []
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(ROW_HEIGHT)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Base)
        self.viewport().setAutoFillBackground(True)
        self.setMouseTracking(True)

    # ---- content -------------------------------------------------------------------------------

    def rows(self) -> list[TimelineRow]:
        return list(self._rows)

    def set_rows(self, rows: list[TimelineRow]) -> None:
        self._rows = rows
        self._update_scroll_range()
        self.viewport().update()

    @property
    def time_window(self) -> tuple[float, float]:
        """(t0, t1) of the lanes shown."""
        return self._t1 - self._span.seconds, self._t1

    @property
    def span(self) -> Span:
        return self._span

    def set_window(self, span: Span, t1: float | None = None) -> None:
        """Show `span` ending at `t1` (default: now); every cached lane is for another window, so it goes."""
        self._span = span
        self._t1 = self._clock() if t1 is None else t1
        self._window_number += 1
        self._lanes.clear()
        self._in_flight.clear()
        self.viewport().update()

    def set_counts(self, counts: dict[int, int], threshold: int) -> None:
        self._counts, self._threshold = counts, threshold
        self.viewport().update()

    def is_flapping(self, vm: int) -> bool:
        return self._threshold > 0 and self._counts.get(vm, 0) >= self._threshold

    def forget_lanes(self, vms: set[int]) -> None:
        """These VMs have new rows: ask again when they are painted."""
        dropped = vms & self._lanes.keys()
        for vm in dropped:
            del self._lanes[vm]
        if dropped:
            self.viewport().update()

    def cached_lanes(self) -> set[int]:
        return set(self._lanes)

    # ---- geometry ------------------------------------------------------------------------------

    def visible_rows(self) -> range:
        top = self.verticalScrollBar().value()
        first = max(top // ROW_HEIGHT, 0)
        last = min((top + self.viewport().height()) // ROW_HEIGHT + 1, len(self._rows))
        return range(first, last)

    def row_at(self, y: int) -> TimelineRow | None:
        index = (self.verticalScrollBar().value() + y) // ROW_HEIGHT
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def lane_rect(self) -> QRect:
        """Where lanes are painted, horizontally (the axis above uses the same)."""
        return QRect(NAME_WIDTH, 0, max(self.viewport().width() - NAME_WIDTH - 8, 10), ROW_HEIGHT)

    def _update_scroll_range(self) -> None:
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setRange(0, max(len(self._rows) * ROW_HEIGHT - self.viewport().height(), 0))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_scroll_range()

    def scrollContentsBy(self, _dx: int, _dy: int) -> None:
        self.viewport().update()

    # ---- painting ------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        palette = self.palette()
        top = self.verticalScrollBar().value()
        lanes = self.lane_rect()
        missing: list[int] = []
        stale_images: list[int] = []
        t0, t1 = self.time_window
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1.5, 6.0))
        metrics = self.fontMetrics()
        for index in self.visible_rows():
            row = self._rows[index]
            y = index * ROW_HEIGHT - top
            if row.vm is None:
                painter.fillRect(QRect(0, y, self.viewport().width(), ROW_HEIGHT), palette.alternateBase())
                painter.setFont(bold)
                painter.setPen(palette.text().color())
                painter.drawText(
                    QRect(6, y, self.viewport().width() - 12, ROW_HEIGHT),
                    Qt.AlignmentFlag.AlignVCenter,
                    one_line(self._host_label(row.host)),
                )
                painter.setFont(self.font())
                continue
            vm = row.vm
            name_width = NAME_WIDTH - 20
            if self.is_flapping(vm.id):
                painter.setFont(small)
                badge_width = painter.fontMetrics().horizontalAdvance(_BADGE_TEXT) + 8
                badge = QRect(NAME_WIDTH - badge_width - 6, y + 3, badge_width, ROW_HEIGHT - 6)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#d13438"))
                painter.drawRoundedRect(badge, 4, 4)
                painter.setPen(QColor("white"))
                painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, _BADGE_TEXT)
                painter.setFont(self.font())
                name_width = badge.left() - 20
            painter.setPen(palette.text().color())
            name = metrics.elidedText(one_line(vm.name), Qt.TextElideMode.ElideRight, max(name_width, 20))
            painter.drawText(QRect(16, y, name_width, ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter, name)
            rect = QRectF(lanes.left(), y + 3, lanes.width(), ROW_HEIGHT - 6)
            cached = self._lanes.get(vm.id)
            if cached is None:
                missing.append(vm.id)
                painter.setPen(QPen(QColor("#b0b4b8"), 0, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect)
            else:
                image = cached.image
                if image is not None and image.width() == int(rect.width()) and image.height() == int(rect.height()):
                    painter.drawImage(rect.topLeft(), image)
                else:  # resized since: paint the segments now (exact), and redraw the image later
                    paint_segments(painter, rect, cached.segments, t0, t1)
                    stale_images.append(vm.id)
                self.lane_paints += 1
        painter.end()
        if missing or stale_images:
            self._ask(missing + stale_images)

    def _ask(self, vms: list[int]) -> None:
        wanted = tuple(vm for vm in vms if vm not in self._in_flight)
        if not wanted:
            return
        self._in_flight.update(wanted)
        t0, t1 = self.time_window
        number = self._window_number
        lanes = self.lane_rect()
        width, height = lanes.width(), ROW_HEIGHT - 6
        self.asked.append((wanted, t0, t1))
        self._queries.ask(
            lambda reader: render_lanes(reader, wanted, t0, t1, width, height),
            lambda painted: self._arrived(number, wanted, painted),
            lambda _error: self._in_flight.difference_update(wanted),
        )

    def _arrived(self, number: int, wanted: tuple[int, ...], painted: dict[int, PaintedLane]) -> None:
        if number != self._window_number:
            return  # for a window no longer shown
        self._in_flight.difference_update(wanted)
        self._lanes.update(painted)
        self.viewport().update()

    # ---- mouse ---------------------------------------------------------------------------------

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        row = self.row_at(int(event.position().y()))
        if row is not None and row.vm is not None:
            self.vmActivated.emit(VmKey(row.vm.host, row.vm.vm_id))

    def context_menu_for(self, row: TimelineRow) -> QMenu | None:
        if self.menu_entries is None:
            return None
        entries = self.menu_entries(row)
        if not entries:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for text, checked, callback in entries:
            action = menu.addAction(text)
            if checked is not None:
                action.setCheckable(True)
                action.setChecked(checked)
            action.triggered.connect(lambda _checked=False, cb=callback: cb())
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        row = self.row_at(event.pos().y())
        menu = None if row is None else self.context_menu_for(row)
        if menu is not None:
            menu.popup(event.globalPos())


class TimeAxis(QWidget):
    """The ticks above the lanes, aligned with the view's lane area."""

    def __init__(self, view: TimelineView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self.setFixedHeight(18)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        lanes = self._view.lane_rect()
        offset = self._view.viewport().mapTo(self._view, QPoint(0, 0)).x() + self._view.x() - self.x()
        t0, t1 = self._view.time_window
        span = self._view.span
        painter.setPen(self.palette().color(self.foregroundRole()))
        for at in ticks(t0, t1, span):
            x = offset + lanes.left() + int((at - t0) / (t1 - t0) * lanes.width())
            painter.drawLine(x, self.height() - 4, x, self.height())
            painter.drawText(x + 2, self.height() - 5, time.strftime(span.tick_format, time.localtime(at)))
