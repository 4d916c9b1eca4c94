"""The KVP history of one VM: when its pools changed, and what changed between any two snapshots.

It opens on "what changed since yesterday": the latest snapshot against the one in force 24 hours earlier
(`default_comparison`). The list shows every snapshot (newest first); choosing one compares it with the
"To" snapshot, and the From and To boxes pick any two. Every read runs on the history's reader thread
(`HistoryQueries`), and so does the diff; the dialog only shows answers, and drops an answer to a question it
no longer asks. Keys and values are guest and host text, shown through `one_line` and `visible`.

Keyboard: Alt+F and Alt+T choose the snapshots, Alt+Y goes back to "since yesterday", F5 reads the list again,
Escape closes; the list and the table take the focus with Tab.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.kvp_history import KvpSnapshot, PoolDiff, default_comparison, diff_snapshots
from hvgui.history import HistoryReader, SnapshotRow
from hvgui.ui.kvp.history_model import POOL_LABELS, DiffColumn, KvpDiffModel
from hvgui.ui.row_table import style_row_table
from hvgui.ui.text import one_line

if TYPE_CHECKING:
    from hvgui.ui.history.queries import HistoryQueries

OBJECT_NAME = "kvpHistoryDialog"
SNAPSHOT_ID_ROLE = Qt.ItemDataRole.UserRole + 2


def snapshot_label(at: float, *, latest: bool = False) -> str:
    stamp = datetime.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} (latest)" if latest else stamp


def describe(diffs: Sequence[PoolDiff], before: KvpSnapshot, after: KvpSnapshot) -> tuple[str, str]:
    """(summary, notes): counts of what changed, and the pools one of the two snapshots lacks."""
    changes = [c for d in diffs for c in d.changes]
    counts = {kind: sum(1 for c in changes if c.kind.value == kind) for kind in ("Added", "Removed", "Changed")}
    if changes:
        summary = f"{counts['Added']} added, {counts['Removed']} removed, {counts['Changed']} changed"
    else:
        summary = "No key changed between these snapshots."
    notes = []
    for diff in diffs:
        if diff.comparable:
            continue
        missing = before.at if not diff.reported_before else after.at
        notes.append(
            f"{POOL_LABELS[diff.pool]}: not reported at {snapshot_label(missing)} (the VM was not running, or the "
            "guest did not answer), so its keys are not compared."
        )
    return summary, "\n".join(notes)


class KvpHistoryDialog(QDialog):
    def __init__(
        self,
        queries: HistoryQueries,
        host: str,
        vm_id: str,
        vm_name: str,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle(f"Key-value pair history of {one_line(vm_name)}")
        self._queries = queries
        self._host, self._vm_id = host, vm_id
        self._clock = clock
        self._snapshots: list[SnapshotRow] = []
        self._asked = 0  # the latest question; older answers are dropped
        #: The last comparison shown: (before, after, diffs), for tests and Copy.
        self.shown: tuple[KvpSnapshot, KvpSnapshot, list[PoolDiff]] | None = None

        intro = QLabel(
            f"Snapshots of the pools of \u201c{one_line(vm_name)}\u201d, stored each time hvgui read them and "
            "they had changed."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)

        self.times = QListWidget()
        self.times.setObjectName("kvpHistoryTimes")
        self.times.setAccessibleName("Snapshots, newest first")
        self.times.setToolTip("Choose a snapshot to see what changed since it")
        times_label = QLabel("&Snapshots:")
        times_label.setBuddy(self.times)

        self.from_box = QComboBox()
        self.from_box.setObjectName("kvpHistoryFrom")
        self.from_box.setAccessibleName("From snapshot")
        self.to_box = QComboBox()
        self.to_box.setObjectName("kvpHistoryTo")
        self.to_box.setAccessibleName("To snapshot")
        from_label = QLabel("&From:")
        from_label.setBuddy(self.from_box)
        to_label = QLabel("&To:")
        to_label.setBuddy(self.to_box)
        self.yesterday_button = QPushButton("Since &yesterday")
        self.yesterday_button.setObjectName("kvpHistorySinceYesterday")
        self.yesterday_button.setToolTip("The latest snapshot against the one in force 24 hours ago")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("kvpHistoryRefresh")
        self.refresh_button.setToolTip("Read the list of snapshots again (F5)")
        choose = QHBoxLayout()
        for widget in (from_label, self.from_box, to_label, self.to_box):
            choose.addWidget(widget)
        choose.addStretch(1)
        choose.addWidget(self.yesterday_button)
        choose.addWidget(self.refresh_button)

        self.summary = QLabel("Reading the history\u2026")
        self.summary.setObjectName("kvpHistorySummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.notes = QLabel()
        self.notes.setObjectName("kvpHistoryNotes")
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        self.notes.hide()

        self.model = KvpDiffModel(self)
        self.table = QTableView()
        self.table.setObjectName("kvpHistoryDiff")
        self.table.setAccessibleName("What changed between the two snapshots")
        style_row_table(self.table, row_height=22, selection=QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((DiffColumn.Pool, 110), (DiffColumn.Change, 70), (DiffColumn.Key, 180)):
            header.resizeSection(column, width)
        header.resizeSection(DiffColumn.Before, 200)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(times_label)
        left_layout.addWidget(self.times, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(choose)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.notes)
        right_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([200, 640])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(880, 440)

        self.times.currentRowChanged.connect(self._time_chosen)
        self.from_box.currentIndexChanged.connect(lambda _i: self.compare())
        self.to_box.currentIndexChanged.connect(lambda _i: self.compare())
        self.yesterday_button.clicked.connect(self.since_yesterday)
        self.refresh_button.clicked.connect(self.reload)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.reload)
        self.reload()

    # --- the list -------------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotRow]:
        return list(self._snapshots)

    def reload(self) -> None:
        host, vm_id = self._host, self._vm_id
        ticket = self._ask()
        self._queries.ask(
            lambda reader: reader.kvp_snapshots(host, vm_id),
            lambda rows: self._listed(ticket, rows),
            lambda exc: self._failed(ticket, exc),
        )

    def _ask(self) -> int:
        self._asked += 1
        return self._asked

    def _listed(self, ticket: int, rows: list[SnapshotRow]) -> None:
        if ticket != self._asked:
            return
        keep = (self._selected_id(self.from_box), self._selected_id(self.to_box)) if self._snapshots else None
        self._snapshots = list(rows)
        newest_first = list(reversed(self._snapshots))
        for box in (self.from_box, self.to_box, self.times):
            box.blockSignals(True)
        self.times.clear()
        self.from_box.clear()
        self.to_box.clear()
        for position, row in enumerate(newest_first):
            label = snapshot_label(row.at, latest=position == 0)
            item = QListWidgetItem(label)
            item.setData(SNAPSHOT_ID_ROLE, row.id)
            self.times.addItem(item)
            self.from_box.addItem(label, row.id)
            self.to_box.addItem(label, row.id)
        for box in (self.from_box, self.to_box, self.times):
            box.blockSignals(False)
        if keep is not None and all(
            self._select_id(b, i) for b, i in zip((self.from_box, self.to_box), keep, strict=True)
        ):
            self.compare()
        else:
            self.since_yesterday()

    def _failed(self, ticket: int, exc: BaseException) -> None:
        if ticket == self._asked:
            self.summary.setText(f"The history could not be read: {one_line(str(exc))}")

    # --- choosing -------------------------------------------------------------------------------

    @staticmethod
    def _selected_id(box: QComboBox) -> int | None:
        value = box.currentData()
        return None if value is None else int(value)

    @staticmethod
    def _select_id(box: QComboBox, ident: int | None) -> bool:
        index = box.findData(ident)
        if index < 0:
            return False
        box.blockSignals(True)
        box.setCurrentIndex(index)
        box.blockSignals(False)
        return True

    def choose(self, before_id: int, after_id: int) -> None:
        """Compare two snapshots by their ids."""
        self._select_id(self.from_box, before_id)
        self._select_id(self.to_box, after_id)
        self.compare()

    def since_yesterday(self) -> None:
        """The latest snapshot against the one in force 24 hours ago (the default)."""
        times = [row.at for row in self._snapshots]
        pair = default_comparison(times, self._clock())
        if pair is None:
            self.model.set_diff([])
            self.shown = None
            self.notes.hide()
            if times:
                # The list's current row is the From snapshot already, so the list taking the focus (which
                # makes its first row current when none is) does not turn this into a comparison with itself.
                self.times.blockSignals(True)
                self.times.setCurrentRow(self.from_box.currentIndex())
                self.times.blockSignals(False)
            self.summary.setText(
                "No snapshot yet: hvgui stores one each time it reads the pools of this VM and they changed."
                if not times
                else "Only one snapshot: the pools have not changed since hvgui first read them."
            )
            return
        older, newer = pair
        self.choose(self._snapshots[older].id, self._snapshots[newer].id)

    def _time_chosen(self, row: int) -> None:
        item = self.times.item(row)
        if item is None:
            return
        self._select_id(self.from_box, int(item.data(SNAPSHOT_ID_ROLE)))
        self.compare()

    # --- the diff -------------------------------------------------------------------------------

    def compare(self) -> None:
        before_id, after_id = self._selected_id(self.from_box), self._selected_id(self.to_box)
        if before_id is None or after_id is None:
            return
        # The list's current row is the From snapshot (the list and the boxes are in the same order), so the
        # list taking the focus keeps the comparison rather than choosing its first row.
        if self.times.currentRow() != self.from_box.currentIndex():
            self.times.blockSignals(True)
            self.times.setCurrentRow(self.from_box.currentIndex())
            self.times.blockSignals(False)
        if before_id == after_id:
            self._asked += 1
            self.model.set_diff([])
            self.shown = None
            self.notes.hide()
            self.summary.setText("From and To are the same snapshot: choose two different ones.")
            return
        ticket = self._ask()
        self.summary.setText("Comparing\u2026")

        def question(reader: HistoryReader) -> tuple[KvpSnapshot, KvpSnapshot, list[PoolDiff]] | None:
            before, after = reader.kvp_snapshot(before_id), reader.kvp_snapshot(after_id)
            if before is None or after is None:
                return None
            return before, after, diff_snapshots(before, after)

        self._queries.ask(question, lambda answer: self._compared(ticket, answer), lambda e: self._failed(ticket, e))

    def _compared(self, ticket: int, answer: tuple[KvpSnapshot, KvpSnapshot, list[PoolDiff]] | None) -> None:
        if ticket != self._asked:
            return
        if answer is None:  # retention removed one of them meanwhile
            self.reload()
            return
        before, after, diffs = answer
        self.shown = answer
        self.model.set_diff(diffs)
        summary, notes = describe(diffs, before, after)
        direction = "" if before.at <= after.at else " (To is older than From: read it backwards)"
        self.summary.setText(f"{summary}{direction}")
        self.notes.setText(notes)
        self.notes.setVisible(bool(notes))
