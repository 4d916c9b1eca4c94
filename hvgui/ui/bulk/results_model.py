"""One row per planned change and what became of it: pending, under way, done, failed, unconfirmed or
not attempted. Rows appear when an apply starts and fill in as the hosts answer, so a partial failure
reads row by row and no change disappears from the report."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush

from hvgui.domain.bulk import ChangeResult, PlannedChange, ResultKind
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line
from hvgui.ui.theme import readable

#: The row's `PlannedChange`.
ChangeRole = Qt.ItemDataRole.UserRole + 1
#: The row's `ChangeResult`, or None while it has none.
ResultRole = Qt.ItemDataRole.UserRole + 2
#: The row's `Outcome`.
OutcomeRole = Qt.ItemDataRole.UserRole + 3


class ResultColumn(enum.IntEnum):
    Vm = 0
    Host = 1
    Service = 2
    Change = 3
    Outcome = 4
    Message = 5


_HEADERS = {
    ResultColumn.Vm: "VM",
    ResultColumn.Host: "Host",
    ResultColumn.Service: "Service",
    ResultColumn.Change: "Change",
    ResultColumn.Outcome: "Result",
    ResultColumn.Message: "Details",
}


class Outcome(enum.Enum):
    """A row's state: before a result arrives, and then the kind of result."""

    Pending = "Waiting"
    Running = "Applying\u2026"
    Ok = "OK"
    Failed = "Failed"
    Unconfirmed = "Unconfirmed"
    NotAttempted = "Not attempted"


_OUTCOME_OF_KIND = {
    ResultKind.Done: Outcome.Ok,
    ResultKind.Failed: Outcome.Failed,
    ResultKind.Unknown: Outcome.Unconfirmed,
    ResultKind.NotAttempted: Outcome.NotAttempted,
}

OUTCOME_COLOURS = {
    Outcome.Ok: "#2e7d32",
    Outcome.Failed: "#c62828",
    Outcome.Unconfirmed: "#8e5b00",
    Outcome.NotAttempted: "#8e5b00",
}


def outcome_of(result: ChangeResult | None, running: bool = False) -> Outcome:
    if result is None:
        return Outcome.Running if running else Outcome.Pending
    return _OUTCOME_OF_KIND[result.kind]


class BulkResultsModel(ColumnTableModel[PlannedChange]):
    """The report of one apply; `start` replaces the rows (a new report), the rest updates them in place."""

    _columns = ResultColumn
    _headers = _HEADERS

    def __init__(self, host_label: Callable[[str], str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host_label = host_label or (lambda host: host)
        self._results: list[ChangeResult | None] = []
        self._running: set[int] = set()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        change = self._row_for(index)
        if change is None:
            return None
        result = self._results[index.row()]
        outcome = outcome_of(result, index.row() in self._running)
        column = ResultColumn(index.column())
        if role == ChangeRole:
            return change
        if role == ResultRole:
            return result
        if role == OutcomeRole:
            return outcome
        if role == Qt.ItemDataRole.DisplayRole:
            match column:
                case ResultColumn.Vm:
                    return one_line(change.vm_name)
                case ResultColumn.Host:
                    return one_line(self._host_label(change.host))
                case ResultColumn.Service:
                    return one_line(change.service_name)
                case ResultColumn.Change:
                    return "Enable" if change.enable else "Disable"
                case ResultColumn.Outcome:
                    return outcome.value
                case ResultColumn.Message:
                    return one_line(result.message) if result is not None else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.message if result is not None else f"{change.description}: {outcome.value.lower()}"
        if role == Qt.ItemDataRole.ForegroundRole and column == ResultColumn.Outcome and outcome in OUTCOME_COLOURS:
            return QBrush(readable(OUTCOME_COLOURS[outcome]))
        return None

    # ---- the report ----------------------------------------------------------------------------

    def start(self, plan: Sequence[PlannedChange]) -> None:
        """A new apply: one waiting row per change."""
        self.beginResetModel()
        self._rows = list(plan)
        self._results = [None] * len(self._rows)
        self._running.clear()
        self.endResetModel()

    def mark_running(self, row: int) -> None:
        if 0 <= row < len(self._rows) and self._results[row] is None:
            self._running.add(row)
            self._emit_row(row)

    def set_result(self, row: int, result: ChangeResult) -> None:
        if 0 <= row < len(self._rows):
            self._running.discard(row)
            self._results[row] = result
            self._emit_row(row)

    def changes(self) -> list[PlannedChange]:
        return list(self._rows)

    def results(self) -> list[ChangeResult | None]:
        return list(self._results)

    def outcomes(self) -> list[Outcome]:
        return [outcome_of(r, i in self._running) for i, r in enumerate(self._results)]

    def _emit_row(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(ResultColumn) - 1))
