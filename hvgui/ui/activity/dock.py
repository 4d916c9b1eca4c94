"""The Activity dock: operations across hosts with their progress, result and duration, and what to do with them.

The dock listens to an `OperationSource` (the window's `VmActionsController`): `operation_changed` brings
each new snapshot of every operation, `records()` what happened before the dock attached, and
`cancel_operation(op_id)` asks the runner to stop one. Cancel is offered only where the record says the host
can still cancel; a greyed Cancel says why (the host's job runs and would finish anyway). "Copy as PowerShell"
copies the selected operations' commands, grouped per host; "Copy details" copies the full text of each,
failed ones with their whole error. Every action has a button, a context-menu entry and a key.

Copies. Under the details, the selected copy's files are listed, each with its progress and outcome
(`FileListModel`, updated in place). "Retry" runs a failed or cancelled copy again (`retry_operation`): after
a dropped connection it goes on from what stayed staged on the host. "Dismiss" and "Clear finished" take
finished entries off the list; for a failed copy that also removes what it kept staged (`discard_staged`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer, SignalInstance
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.operations import OperationRecord, OperationState, can_retry, records_script, staged_transfers
from hvgui.ui.activity.delegate import BAR_WIDTH, ProgressDelegate
from hvgui.ui.activity.details import NOT_CANCELLABLE_NOTE, record_details
from hvgui.ui.activity.files import FileColumn, FileListModel
from hvgui.ui.activity.model import ActivityColumn, ActivityModel, RecordRole
from hvgui.ui.row_table import style_row_table

#: Shows and hides the dock (View > Activity).
ACTIVITY_SHORTCUT = "Ctrl+Shift+A"
#: Keys inside the dock.
CANCEL_SHORTCUT = "Del"
COPY_SHORTCUT = "Ctrl+C"
COPY_DETAILS_SHORTCUT = "Ctrl+Shift+C"
CLEAR_SHORTCUT = "Ctrl+Shift+Del"
RETRY_SHORTCUT = "Ctrl+Shift+R"  # Ctrl+R restarts the selected VM
DISMISS_SHORTCUT = "Ctrl+Backspace"  # Ctrl+D shuts the selected VM down

#: Starting widths, as the text each column should show in full in the table's font (Result takes the rest):
#: a typical title, a host name, the longest state, a bar with a short progress text, a long duration.
_COLUMN_SAMPLES = {
    ActivityColumn.What: "Disable Time Synchronization on 'web02'",
    ActivityColumn.Host: "HV-DEMO-01",
    ActivityColumn.State: max((state.label for state in OperationState), key=len),
    ActivityColumn.Progress: "37% \u00b7 Create a snapshot",  # beside a bar of BAR_WIDTH
    ActivityColumn.Duration: "59 min 59 s",
}


class OperationSource(Protocol):
    """What the dock needs from the runner of operations (the window's `VmActionsController`)."""

    #: Emits an `OperationRecord` on every change of any operation, on every host.
    operation_changed: SignalInstance

    def records(self) -> list[OperationRecord]:
        """Every operation the runner still knows, oldest first."""

    def cancel_operation(self, op_id: int) -> object:
        """Ask the runner to stop an operation that has not reached the host's job yet."""

    def retry_operation(self, op_id: int) -> object:
        """Run a failed or cancelled copy again, going on from what it kept staged."""

    def discard_staged(self, op_id: int) -> object:
        """Remove what a failed copy kept staged on the host for a retry (best effort)."""


class ActivityDock(QDockWidget):
    """The table of operations, its actions and a details pane for the current one."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        host_label: Callable[[str], str] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__("Activity", parent)
        self.setObjectName("activityDock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea)
        self._now = now
        self._source: OperationSource | None = None
        self.model = ActivityModel(self, host_label=host_label, now=now)
        self.view = self._make_view()
        self.details = QPlainTextEdit()
        self.details.setObjectName("activityDetails")
        self.details.setReadOnly(True)
        self.details.setTextInteractionFlags(  # read with the keyboard too: select and copy part of an error
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.details.setPlaceholderText("Select an operation to see everything about it, its full error included.")
        self.details.setAccessibleName("Operation details")
        self.files_model = FileListModel(self)
        self.files_view = self._make_files_view()
        self.note = QLabel()
        self.note.setObjectName("activityNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self._build_actions()
        self._build_layout()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_current())
        self.model.rowsInserted.connect(lambda *_: self._update_actions())
        self.model.rowsRemoved.connect(lambda *_: self._after_rows_removed())
        self.model.dataChanged.connect(self._data_changed)
        self._update_actions()

    # ---- construction --------------------------------------------------------------------------

    def _make_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("activityTable")
        view.setModel(self.model)
        style_row_table(
            view, row_height=24, selection=QAbstractItemView.SelectionMode.ExtendedSelection, context_menu=True
        )
        view.customContextMenuRequested.connect(self._context_menu)
        view.setItemDelegateForColumn(ActivityColumn.Progress, ProgressDelegate(view))
        header = view.horizontalHeader()
        metrics = view.fontMetrics()
        for column, sample in _COLUMN_SAMPLES.items():
            bar = BAR_WIDTH + 8 if column == ActivityColumn.Progress else 0
            header.resizeSection(column, bar + metrics.horizontalAdvance(sample) + 16)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(ActivityColumn.What, QHeaderView.ResizeMode.Interactive)
        view.setAccessibleName("Operations")
        return view

    def _make_files_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("activityFiles")
        view.setModel(self.files_model)
        style_row_table(view, row_height=22, selection=QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setItemDelegateForColumn(FileColumn.Progress, ProgressDelegate(view))
        header = view.horizontalHeader()
        metrics = view.fontMetrics()
        header.resizeSection(FileColumn.File, metrics.horizontalAdvance("C:\\Temp\\release\\setup.exe") + 16)
        header.resizeSection(FileColumn.Size, metrics.horizontalAdvance("256 MB") + 16)
        header.resizeSection(FileColumn.Progress, BAR_WIDTH + 8 + metrics.horizontalAdvance("100%") + 16)
        header.setStretchLastSection(True)
        view.setAccessibleName("Files of the selected copy")
        view.setToolTip("Each file of the selected copy: its progress and its outcome")
        return view

    def _action(self, text: str, shortcut: str, name: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        # The keys belong to the table: in the details pane Ctrl+C copies the selected text, as everywhere.
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.view.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.cancel_action = self._action("Cancel", CANCEL_SHORTCUT, "activityCancel", self.cancel_selected)
        self.copy_action = self._action(
            "Copy as PowerShell", COPY_SHORTCUT, "activityCopyPowerShell", self.copy_powershell
        )
        self.copy_action.setToolTip(f"Copy the selected operations as PowerShell, grouped per host ({COPY_SHORTCUT})")
        self.details_action = self._action(
            "Copy details", COPY_DETAILS_SHORTCUT, "activityCopyDetails", self.copy_details
        )
        self.details_action.setToolTip(
            f"Copy everything about the selected operations, full errors included ({COPY_DETAILS_SHORTCUT})"
        )
        self.clear_action = self._action("Clear finished", CLEAR_SHORTCUT, "activityClear", self.clear_finished)
        self.clear_action.setToolTip(f"Forget the finished operations ({CLEAR_SHORTCUT})")
        self.retry_action = self._action("Retry", RETRY_SHORTCUT, "activityRetry", self.retry_selected)
        self.retry_action.setToolTip(
            f"Run the selected failed or cancelled copies again; after a dropped connection each goes on from what "
            f"stayed on the host ({RETRY_SHORTCUT})"
        )
        self.dismiss_action = self._action("Dismiss", DISMISS_SHORTCUT, "activityDismiss", self.dismiss_selected)
        self.dismiss_action.setToolTip(
            f"Take the selected finished operations off the list; a failed copy's files kept on the host for a "
            f"retry are removed ({DISMISS_SHORTCUT})"
        )

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QToolButton] = {}
        for action in (
            self.cancel_action,
            self.retry_action,
            self.copy_action,
            self.details_action,
            self.dismiss_action,
            self.clear_action,
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setObjectName(action.objectName() + "Button")
            buttons.addWidget(button)
            self.buttons[action.objectName()] = button
        buttons.addWidget(self.note, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        beside = QSplitter(Qt.Orientation.Vertical)  # the details above the files of the selected copy
        beside.setChildrenCollapsible(False)
        beside.addWidget(self.details)
        beside.addWidget(self.files_view)
        for pane in (self.details, self.files_view):
            pane.setMinimumHeight(48)  # the dock stays low under the VM table; the splitter gives room to either
        beside.setSizes([200, 200])
        split.addWidget(self.view)
        split.addWidget(beside)
        split.setStretchFactor(0, 4)  # the table gets the room; the details are read one operation at a time
        split.setStretchFactor(1, 1)
        split.setSizes([1000, 250])

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self.setWidget(body)

    # ---- the source ----------------------------------------------------------------------------

    def attach(self, source: OperationSource) -> None:
        """Show what `source` has run so far and follow every change from now on."""
        self._source = source
        self.model.extend(source.records())
        source.operation_changed.connect(self.show_record)
        self._update_actions()

    def show_record(self, record: OperationRecord) -> None:
        """Take one snapshot of an operation (the slot of `operation_changed`)."""
        self.model.upsert(record)
        if self.model.has_running() and not self._timer.isActive():
            self._timer.start()

    # ---- selection -----------------------------------------------------------------------------

    def selected_records(self) -> list[OperationRecord]:
        """The selected operations, top to bottom (newest first)."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.model.records()[row] for row in rows]

    def select_operations(self, op_ids: list[int]) -> None:
        """Select these operations' rows (for tests and for other views that point at an operation)."""
        selection = QItemSelection()
        for op_id in op_ids:
            row = self.model.row_of(op_id)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, len(ActivityColumn) - 1))
        model = self.view.selectionModel()
        model.select(selection, model.SelectionFlag.ClearAndSelect)
        if op_ids and (row := self.model.row_of(op_ids[0])) is not None:
            model.setCurrentIndex(self.model.index(row, 0), model.SelectionFlag.NoUpdate)
        self._show_current()

    def current_record(self) -> OperationRecord | None:
        index = self.view.selectionModel().currentIndex()
        record = index.data(RecordRole) if index.isValid() else None
        if record is None:
            chosen = self.selected_records()
            record = chosen[0] if chosen else None
        return record if isinstance(record, OperationRecord) else None

    def _selection_changed(self, *_args: object) -> None:
        self._show_current()

    def _data_changed(self, *_args: object) -> None:
        self._show_current()  # the current record may be the one that changed; the details follow it

    def _after_rows_removed(self) -> None:
        self._show_current()

    def _show_current(self) -> None:
        record = self.current_record()
        text = "" if record is None else record_details(record, self.model.host_label(record), self._now())
        if self.details.toPlainText() != text:
            self.details.setPlainText(text)
        self.files_model.show(record)
        self._update_actions()

    def _update_actions(self) -> None:
        chosen = self.selected_records()
        cancellable = [r for r in chosen if r.cancellable and not r.state.is_final]
        under_way = [r for r in chosen if not r.state.is_final]
        self.cancel_action.setEnabled(bool(cancellable))
        if cancellable:
            tip = f"Stop the selected operations that have not reached the host's job yet ({CANCEL_SHORTCUT})"
            note = ""
        elif under_way:
            tip = NOT_CANCELLABLE_NOTE
            note = NOT_CANCELLABLE_NOTE
        else:
            tip = "Select an operation that is queued or running to cancel it."
            note = ""
        self.cancel_action.setToolTip(tip)
        self.note.setText(note)
        self.copy_action.setEnabled(bool(chosen))
        self.details_action.setEnabled(bool(chosen))
        self.clear_action.setEnabled(any(r.state.is_final for r in self.model.records()))
        self.retry_action.setEnabled(self._source is not None and any(can_retry(r) for r in chosen))
        self.dismiss_action.setEnabled(any(r.state.is_final for r in chosen))

    # ---- intents -------------------------------------------------------------------------------

    def cancel_selected(self) -> list[int]:
        """Ask the runner to stop every selected operation that can still be stopped; returns their ids."""
        ids = [r.op_id for r in self.selected_records() if r.cancellable and not r.state.is_final]
        if self._source is not None:
            for op_id in ids:
                self._source.cancel_operation(op_id)
        return ids if self._source is not None else []

    def copy_powershell(self) -> str | None:
        """The selected operations' commands on the clipboard, grouped per host (oldest first)."""
        chosen = list(reversed(self.selected_records()))
        if not chosen:
            return None
        text = records_script(chosen)
        QGuiApplication.clipboard().setText(text)
        count = len(chosen)
        self.note.setText(f"Copied {count} command{'s' if count != 1 else ''} as PowerShell.")
        return text

    def copy_details(self) -> str | None:
        """Everything about the selected operations on the clipboard, failed ones with their full error."""
        chosen = list(reversed(self.selected_records()))
        if not chosen:
            return None
        now = self._now()
        text = "\n\n".join(record_details(r, self.model.host_label(r), now) for r in chosen)
        QGuiApplication.clipboard().setText(text)
        return text

    def clear_finished(self) -> int:
        """Forget every finished operation (removing what failed copies kept staged); returns how many."""
        self._discard_staged([r for r in self.model.records() if r.state.is_final])
        return self.model.clear_finished()

    def retry_selected(self) -> list[int]:
        """Run every selected failed or cancelled copy again; returns the ids of the operations retried."""
        ids = [r.op_id for r in self.selected_records() if can_retry(r)]
        if self._source is None:
            return []
        for op_id in ids:
            self._source.retry_operation(op_id)
        return ids

    def dismiss_selected(self) -> int:
        """Take the selected finished operations off the list (removing what failed copies kept staged)."""
        chosen = [r for r in self.selected_records() if r.state.is_final]
        self._discard_staged(chosen)
        return self.model.remove([r.op_id for r in chosen])

    def _discard_staged(self, records: list[OperationRecord]) -> None:
        if self._source is None:
            return
        for record in records:
            if staged_transfers(record):
                self._source.discard_staged(record.op_id)

    def build_context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("activityContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.cancel_action, self.retry_action, self.copy_action, self.details_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.dismiss_action)
        menu.addAction(self.clear_action)
        return menu

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if index.isValid() and not self.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.select_operations([self.model.records()[index.row()].op_id])
        self.build_context_menu().popup(self.view.viewport().mapToGlobal(position))

    def _tick(self) -> None:
        if not self.model.has_running():
            self._timer.stop()
            return
        self.model.tick()
