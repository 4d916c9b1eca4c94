"""The VM panel's "Heartbeat" tab: the selected VM's strip for the last hour, day or week, and its
transitions listed (time, from -> to), updated as they are recorded.

The tab asks `HistoryQueries` (a worker thread) and paints what comes back; a newer question supersedes an
older one, so a slow answer for the VM selected before never shows under another VM.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)

from hvgui.domain.vm import Vm, VmKey
from hvgui.history import EventKind, HistoryReader, Lane, Transition
from hvgui.ui.history.feed import HistoryFeed
from hvgui.ui.history.paint import Legend
from hvgui.ui.history.queries import HistoryQueries
from hvgui.ui.history.spans import SPANS, Span, row_time
from hvgui.ui.history.strip import HeartbeatStrip
from hvgui.ui.vm_tab_frame import build_vm_tab_frame

#: How often a shown tab moves its strip's end to now.
FOLLOW_INTERVAL_MS = 30_000
#: The list shows at most this many transitions (the newest); the strip shows them all.
MAX_LISTED = 2000
_KIND_TEXT = {EventKind.State: "State", EventKind.Heartbeat: "Heartbeat"}


def _answer(reader: HistoryReader, key: VmKey, t0: float, t1: float) -> tuple[Lane | None, list[Transition]]:
    row = reader.vm(key.host, key.vm_id)
    if row is None:
        return None, []
    lane = reader.lanes([row.id], t0, t1)[row.id]
    return lane, reader.transitions(key.host, key.vm_id, t0, t1)[-MAX_LISTED:]


class HeartbeatTab(QWidget):
    def __init__(
        self,
        queries: HistoryQueries,
        feed: HistoryFeed | None = None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._clock = clock
        self._key: VmKey | None = None
        self._span = SPANS[1]
        self._asked = 0  # the newest question; older answers are dropped
        self.lane: Lane | None = None
        self.transitions: list[Transition] = []

        frame = build_vm_tab_frame(self, "Select a virtual machine to see its heartbeat history.")
        self._stack = frame.stack
        self.message = frame.message

        bar = QHBoxLayout()
        bar.setSpacing(2)
        self.span_buttons = QButtonGroup(self)
        for number, span in enumerate(SPANS):
            button = QToolButton()
            button.setText(span.label)
            button.setToolTip(f"The last {span.label}")
            button.setCheckable(True)
            button.setChecked(span is self._span)
            self.span_buttons.addButton(button, number)
            bar.addWidget(button)
        self.span_buttons.idClicked.connect(lambda number: self.set_span(SPANS[number]))
        self.summary = QLabel()
        bar.addSpacing(10)
        bar.addWidget(self.summary, 1)
        frame.content.addLayout(bar)

        self.strip = HeartbeatStrip()
        frame.content.addWidget(self.strip)
        frame.content.addWidget(Legend())

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("heartbeatTransitions")
        self.table.setHorizontalHeaderLabels(["Time", "Change", "From", "To"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        frame.content.addWidget(self.table, 1)

        self._reload_soon = QTimer(self)
        self._reload_soon.setSingleShot(True)
        self._reload_soon.setInterval(200)  # rows arrive in bursts: one question per burst
        self._reload_soon.timeout.connect(self.reload)
        # Time moves on while nothing changes: the strip's end follows "now" while the tab is shown.
        self._follow = QTimer(self)
        self._follow.setInterval(FOLLOW_INTERVAL_MS)
        self._follow.timeout.connect(self.reload)
        if feed is not None:
            feed.recorded.connect(self._on_recorded)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._follow.start()
        self.reload()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._follow.stop()

    # ---- VmTab ---------------------------------------------------------------------------------

    def show_vm(self, vm: Vm | None) -> None:
        key = None if vm is None else vm.key
        if key == self._key:
            return  # the same VM refreshed: new rows come through `recorded`
        self._key = key
        self.lane, self.transitions = None, []
        self.strip.set_lane(None, self._span)
        self.table.setRowCount(0)
        self.summary.clear()
        self._stack.setCurrentIndex(0 if key is None else 1)
        if key is not None:
            self.reload()

    # ---- intents -------------------------------------------------------------------------------

    def set_span(self, span: Span) -> None:
        self._span = span
        self.span_buttons.button(SPANS.index(span)).setChecked(True)
        self.reload()

    @property
    def span(self) -> Span:
        return self._span

    def reload(self) -> None:
        key = self._key
        if key is None:
            return
        t1 = self._clock()
        t0 = t1 - self._span.seconds
        span = self._span
        self._asked = ticket = self._queries.ask(
            lambda reader: _answer(reader, key, t0, t1),
            lambda result: self._show(ticket, key, span, result),
            lambda error: self._failed(ticket, error),
        )

    def _on_recorded(self, rows: list[Transition]) -> None:
        key = self._key
        if key is not None and any(r.vm_id == key.vm_id and r.host == key.host for r in rows):
            self._reload_soon.start()

    # ---- answers -------------------------------------------------------------------------------

    def _show(self, ticket: int, key: VmKey, span: Span, result: tuple[Lane | None, list[Transition]]) -> None:
        if ticket != self._asked or key != self._key:
            return
        self.lane, self.transitions = result
        self.strip.set_lane(self.lane, span)
        count = len(self.transitions)
        if self.lane is None:
            self.summary.setText("No history yet for this VM.")
        else:
            noun = "transition" if count == 1 else "transitions"
            self.summary.setText(f"{count} {noun} in the last {span.label}")
        self.table.setRowCount(count)
        for row, transition in enumerate(reversed(self.transitions)):  # newest first
            before, after = transition.describe()
            for column, text in enumerate(
                (row_time(transition.at), _KIND_TEXT.get(transition.kind, ""), before, after)
            ):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)

    def _failed(self, ticket: int, error: BaseException) -> None:
        if ticket == self._asked:
            self.summary.setText(f"The heartbeat history could not be read ({error}).")
