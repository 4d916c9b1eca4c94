"""The Activity panel's table: one row per operation, newest first, updated in place as operations advance.

Records arrive as immutable snapshots (`OperationRecord`), every change of every operation on every host.
`upsert` inserts a new operation at the top and replaces a known one where it is, emitting `dataChanged` for
that row only: a progress tick never resets the model, so the selection and the scroll
position stay where the admin left them. Finished operations are kept for review up to `cap`; beyond it the
oldest finished ones are dropped. Running durations move with `tick()` (the dock calls it once a second).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush

from hvgui.domain.operations import OperationRecord, OperationState
from hvgui.ui.activity.details import (
    NOT_CANCELLABLE_NOTE,
    STILL_RUNNING_NOTE,
    elapsed,
    error_lines,
    format_duration,
    multi_line,
    progress_text,
    result_text,
)
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line
from hvgui.ui.theme import readable


class ActivityColumn(enum.IntEnum):
    What = 0
    Host = 1
    State = 2
    Progress = 3
    Duration = 4
    Result = 5


#: The `OperationRecord` of a row (any column).
RecordRole = Qt.ItemDataRole.UserRole + 1
#: `(percent or None, text, active)` for the progress delegate: `active` is False for queued and final rows.
ProgressRole = Qt.ItemDataRole.UserRole + 2

#: Finished operations kept for review; beyond it the oldest finished ones are dropped.
DEFAULT_CAP = 500

_STATE_COLOURS: dict[OperationState, str] = {
    OperationState.Failed: "#b3261e",
    OperationState.StillRunning: "#8a5a00",
    OperationState.Cancelled: "#5f6368",
}


def _default_label(record: OperationRecord) -> str:
    return record.operation.target.computer_name


class ActivityModel(ColumnTableModel[OperationRecord]):
    """Operation records by `op_id`, newest first."""

    _columns = ActivityColumn
    _headers = {
        ActivityColumn.What: "What",
        ActivityColumn.Host: "Host",
        ActivityColumn.State: "State",
        ActivityColumn.Progress: "Progress",
        ActivityColumn.Duration: "Duration",
        ActivityColumn.Result: "Result",
    }
    _header_tooltips = {
        ActivityColumn.State: "Queued, Running, Still running on the host, Succeeded, Failed or Cancelled",
        ActivityColumn.Progress: "What the host last reported about its job",
        ActivityColumn.Duration: "From the moment the host started the operation",
    }

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        host_label: Callable[[str], str] | None = None,
        cap: int = DEFAULT_CAP,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._host_label = host_label
        self._cap = cap
        self._now = now
        self._row_of: dict[int, int] = {}

    # ---- reading -------------------------------------------------------------------------------

    def records(self) -> list[OperationRecord]:
        return list(self._rows)

    def record(self, op_id: int) -> OperationRecord | None:
        row = self._row_of.get(op_id)
        return None if row is None else self._rows[row]

    def row_of(self, op_id: int) -> int | None:
        return self._row_of.get(op_id)

    def host_label(self, record: OperationRecord) -> str:
        target = record.operation.target
        label = self._host_label(target.host) if self._host_label is not None else ""
        return label or target.computer_name

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        record = self._row_for(index)
        if record is None:
            return None
        column = index.column()
        if role == RecordRole:
            return record
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, column)
        if role == ProgressRole and column == ActivityColumn.Progress:
            active = record.state in (OperationState.Running, OperationState.StillRunning)
            return (record.progress.percent, progress_text(record), active)
        if role == Qt.ItemDataRole.ForegroundRole and column in (ActivityColumn.State, ActivityColumn.Result):
            colour = _STATE_COLOURS.get(record.state)
            return QBrush(readable(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ActivityColumn.Duration:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, record: OperationRecord, column: int) -> str:
        if column == ActivityColumn.What:
            return one_line(record.operation.title)
        if column == ActivityColumn.Host:
            return one_line(self.host_label(record))
        if column == ActivityColumn.State:
            return record.state.label
        if column == ActivityColumn.Progress:
            return progress_text(record)
        if column == ActivityColumn.Duration:
            return format_duration(elapsed(record, self._now()))
        return result_text(record)

    def _tooltip(self, record: OperationRecord, column: int) -> str | None:
        if column == ActivityColumn.State:
            if record.state is OperationState.StillRunning:
                return STILL_RUNNING_NOTE
            if not record.state.is_final and not record.cancellable:
                return NOT_CANCELLABLE_NOTE
            return None
        if column == ActivityColumn.Result:
            lines = [multi_line(record.message)] if record.message else []
            lines.extend(f"Warning: {multi_line(w)}" for w in record.warnings)
            lines.extend(error_lines(record))
            return "\n".join(lines) or None
        if column == ActivityColumn.What:
            return record.operation.powershell()
        if column == ActivityColumn.Progress:
            return progress_text(record) or None  # in full: the cell may elide the host's text
        if column == ActivityColumn.Host:
            return one_line(self.host_label(record))  # in full: a long host name is elided in the cell
        return None

    # ---- changes -------------------------------------------------------------------------------

    def upsert(self, record: OperationRecord) -> None:
        """Show `record`: a new operation goes on top, a known one is replaced in place (that row only)."""
        row = self._row_of.get(record.op_id)
        if row is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._rows.insert(0, record)
            self._reindex()
            self.endInsertRows()
            self._enforce_cap()
            return
        old = self._rows[row]
        if old == record:
            return
        self._rows[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(ActivityColumn) - 1))
        if record.state.is_final and not old.state.is_final:
            self._enforce_cap()

    def extend(self, records: Iterable[OperationRecord]) -> None:
        """Show several records in the order given (oldest first, as a runner lists them)."""
        for record in records:
            self.upsert(record)

    def tick(self) -> None:
        """Move the Duration cell of every operation still under way (once a second)."""
        for row, record in enumerate(self._rows):
            if not record.state.is_final and record.started_at is not None:
                index = self.index(row, ActivityColumn.Duration)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def has_running(self) -> bool:
        return any(not r.state.is_final for r in self._rows)

    def clear_finished(self) -> int:
        """Forget every finished operation; returns how many rows went."""
        return self._remove_rows([row for row, r in enumerate(self._rows) if r.state.is_final])

    def remove(self, op_ids: Iterable[int]) -> int:
        """Forget these operations (the admin dismissed them); returns how many rows went."""
        return self._remove_rows(sorted(row for op_id in op_ids if (row := self._row_of.get(op_id)) is not None))

    def _enforce_cap(self) -> None:
        finished = [row for row, r in enumerate(self._rows) if r.state.is_final]
        excess = len(finished) - self._cap
        if excess > 0:
            self._remove_rows(finished[-excess:])  # the bottom rows are the oldest

    def _remove_rows(self, rows: list[int]) -> int:
        """Remove rows in contiguous runs, bottom first, so the indices of the rest stay valid."""
        runs: list[list[int]] = []
        for row in sorted(rows):
            if runs and runs[-1][-1] == row - 1:
                runs[-1].append(row)
            else:
                runs.append([row])
        for run in reversed(runs):
            self.beginRemoveRows(QModelIndex(), run[0], run[-1])
            del self._rows[run[0] : run[-1] + 1]
            self._reindex()
            self.endRemoveRows()
        return len(rows)

    def _reindex(self) -> None:
        self._row_of = {record.op_id: row for row, record in enumerate(self._rows)}
