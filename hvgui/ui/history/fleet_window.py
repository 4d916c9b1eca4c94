"""The fleet heartbeat window (View > Heartbeat timeline): every VM's swimlane across hosts, zoom, filter,
the flapping badge, and export of the picture (PNG) and the data (CSV).

The VM list comes from the history (every VM it knows, connected or not), read off the Qt thread, and is
read again when a VM it does not know yet is recorded. Flapping counts are one grouped query per window,
also off the Qt thread. The lanes themselves are `TimelineView`'s business: visible ones only.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.vm import VmKey
from hvgui.history import HistoryReader, Transition, VmRow, flapping_threshold
from hvgui.ui.history.feed import HistoryFeed
from hvgui.ui.history.paint import Legend
from hvgui.ui.history.queries import HistoryQueries
from hvgui.ui.history.spans import SPANS, Span, row_time
from hvgui.ui.history.timeline import TimeAxis, TimelineView, build_rows
from hvgui.ui.resources import app_icon

#: How often the window moves on to "now" (and asks its visible lanes again) while shown.
FOLLOW_INTERVAL_MS = 15_000

CSV_HEADER = ("host", "vm_id", "vm_name", "time_utc", "time_local", "change", "from", "to")
_KINDS = {1: "state", 2: "heartbeat"}


def _csv_cell(text: str) -> str:
    """A VM name is untrusted: a spreadsheet must not take `=cmd|...` for a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(
    reader: HistoryReader, path: Path, vms: list[VmRow], t0: float, t1: float, host_label: dict[str, str]
) -> int:
    """Every transition of `vms` in [t0, t1] to `path`; returns the number of rows. Runs on the reader thread."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        for vm in vms:
            rows: list[Transition] = reader.transitions(vm.host, vm.vm_id, t0, t1)
            for row in rows:
                before, after = row.describe()
                writer.writerow(
                    (
                        _csv_cell(host_label.get(vm.host, vm.host)),
                        vm.vm_id,
                        _csv_cell(vm.name),
                        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.at)),
                        row_time(row.at),
                        _KINDS.get(int(row.kind), ""),
                        before,
                        after,
                    )
                )
                count += 1
    return count


class FleetHeartbeatWindow(QWidget):
    vmActivated = Signal(VmKey)
    #: An export finished: (path, message).
    exported = Signal(str, str)

    def __init__(
        self,
        queries: HistoryQueries,
        feed: HistoryFeed | None = None,
        parent: QWidget | None = None,
        *,
        host_label: Callable[[str], str] = str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Heartbeat timeline \u2014 hvgui")
        self.setWindowIcon(app_icon())
        self.resize(1200, 720)
        self._queries = queries
        self._host_label = host_label
        self._clock = clock
        self._vms: list[VmRow] = []
        self._known: dict[tuple[str, str], int] = {}

        self.view = TimelineView(queries, host_label, clock=clock)
        self.view.vmActivated.connect(self.vmActivated)
        self.axis = TimeAxis(self.view)

        self.span_buttons = QButtonGroup(self)
        bar = QHBoxLayout()
        for number, span in enumerate(SPANS):
            button = QToolButton()
            button.setText(span.label)
            button.setCheckable(True)
            button.setChecked(span is self.view.span)
            button.setToolTip(f"Show the last {span.label} (Ctrl+{number + 1})")
            button.setShortcut(f"Ctrl+{number + 1}")
            self.span_buttons.addButton(button, number)
            bar.addWidget(button)
        self.span_buttons.idClicked.connect(lambda number: self.set_span(SPANS[number]))
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("timelineFilter")
        self.filter_edit.setPlaceholderText("Filter by VM or host name")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(lambda _text: self._apply_filter())
        self.flapping_only = QCheckBox("&Flapping only")
        self.flapping_only.toggled.connect(lambda _on: self._apply_filter())
        self.count_label = QLabel()
        self.png_button = QPushButton("Export &picture\u2026")
        self.png_button.clicked.connect(lambda: self._choose_file("PNG image (*.png)", ".png", self.export_png))
        self.csv_button = QPushButton("Export &data\u2026")
        self.csv_button.clicked.connect(lambda: self._choose_file("CSV (*.csv)", ".csv", self.export_csv))
        bar.addSpacing(12)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.flapping_only)
        bar.addWidget(self.count_label)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)

        self.picture = QWidget()  # what "Export picture" saves: the axis and the lanes
        picture_layout = QVBoxLayout(self.picture)
        picture_layout.setContentsMargins(0, 0, 0, 0)
        picture_layout.setSpacing(0)
        picture_layout.addWidget(self.axis)
        picture_layout.addWidget(self.view, 1)

        self.note = QLabel()
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        footer = QHBoxLayout()
        footer.addWidget(Legend(), 1)
        footer.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.picture, 1)
        layout.addLayout(footer)
        layout.addWidget(self.status_label)

        self._follow = QTimer(self)
        self._follow.setInterval(FOLLOW_INTERVAL_MS)
        self._follow.timeout.connect(self.follow_now)
        self._reload_vms_soon = QTimer(self)
        self._reload_vms_soon.setSingleShot(True)
        self._reload_vms_soon.setInterval(1000)
        self._reload_vms_soon.timeout.connect(self.reload_vms)
        if feed is not None:
            feed.recorded.connect(self._on_recorded)
        self._update_note()
        self.reload_vms()

    # ---- showing -------------------------------------------------------------------------------

    def show_and_raise(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.follow_now()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._follow.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._follow.stop()

    def set_span(self, span: Span) -> None:
        self.span_buttons.button(SPANS.index(span)).setChecked(True)
        self.view.set_window(span)
        self.axis.update()
        self._update_note()
        self._ask_counts()

    def follow_now(self) -> None:
        """Move the window's end to now (the visible lanes are asked again) and count transitions again."""
        self.view.set_window(self.view.span)
        self.axis.update()
        self._ask_counts()

    def _update_note(self) -> None:
        span = self.view.span
        self.note.setText(f"Flapping: at least {flapping_threshold(span.seconds)} transitions in the last {span.label}")

    # ---- data ----------------------------------------------------------------------------------

    def reload_vms(self) -> None:
        self._queries.ask(lambda reader: reader.vms(), self._vms_arrived)

    def _vms_arrived(self, vms: list[VmRow]) -> None:
        self._vms = vms
        self._known = {(vm.host, vm.vm_id): vm.id for vm in vms}
        self._apply_filter()
        self._ask_counts()

    def _ask_counts(self) -> None:
        t0, t1 = self.view.time_window
        threshold = flapping_threshold(t1 - t0)
        self._queries.ask(
            lambda reader: reader.transition_counts(t0, t1), lambda counts: self._counts_arrived(counts, threshold)
        )

    def _counts_arrived(self, counts: dict[int, int], threshold: int) -> None:
        self.view.set_counts(counts, threshold)
        if self.flapping_only.isChecked():
            self._apply_filter()
        else:
            self._update_count()

    def _on_recorded(self, rows: list[Transition]) -> None:
        ids = set()
        for row in rows:
            vm = self._known.get((row.host, row.vm_id))
            if vm is None:
                self._reload_vms_soon.start()  # a VM the list does not have yet
            else:
                ids.add(vm)
        if ids:
            self.view.forget_lanes(ids)

    # ---- filter --------------------------------------------------------------------------------

    def shown_vms(self) -> list[VmRow]:
        return [row.vm for row in self.view.rows() if row.vm is not None]

    def _apply_filter(self) -> None:
        words = self.filter_edit.text().casefold().split()
        flapping = self.flapping_only.isChecked()
        shown = []
        for vm in self._vms:
            haystack = f"{vm.name} {self._host_label(vm.host)}".casefold()
            if words and not all(word in haystack for word in words):
                continue
            if flapping and not self.view.is_flapping(vm.id):
                continue
            shown.append(vm)
        self.view.set_rows(build_rows(shown))
        self._update_count()

    def _update_count(self) -> None:
        shown, total = len(self.shown_vms()), len(self._vms)
        flapping = sum(1 for vm in self._vms if self.view.is_flapping(vm.id))
        text = f"{total} VMs" if shown == total else f"{shown} of {total} VMs"
        self.count_label.setText(f"{text} \u00b7 {flapping} flapping")

    # ---- export --------------------------------------------------------------------------------

    def _choose_file(self, filter_text: str, suffix: str, then: Callable[[Path], None]) -> QFileDialog:
        dialog = QFileDialog(self, "Export", "", filter_text)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: then(Path(name)))
        dialog.open()
        return dialog

    def export_png(self, path: Path) -> bool:
        """Save the picture as shown (the axis and the visible lanes)."""
        saved = self.picture.grab().save(str(path), "PNG")
        message = f"Saved the picture to {path}" if saved else f"Could not save the picture to {path}"
        self.status_label.setText(message)
        self.exported.emit(str(path), message)
        return saved

    def export_csv(self, path: Path) -> None:
        """Write the transitions of the VMs shown (filter applied) in the window, on the reader thread."""
        vms = self.shown_vms()
        t0, t1 = self.view.time_window
        labels = {vm.host: self._host_label(vm.host) for vm in vms}
        self.status_label.setText(f"Exporting {len(vms)} VMs\u2026")

        def done(count: int) -> None:
            message = f"Saved {count} transitions of {len(vms)} VMs to {path}"
            self.status_label.setText(message)
            self.exported.emit(str(path), message)

        def failed(error: BaseException) -> None:
            message = f"Could not export to {path}: {error}"
            self.status_label.setText(message)
            self.exported.emit(str(path), message)

        self._queries.ask(lambda reader: write_csv(reader, path, vms, t0, t1, labels), done, failed)
