"""The files of the selected copy, under the Activity panel's details: each file's progress and outcome.

A copy's record carries every file (`OperationProgress.files`); this model shows those of one operation. When
a new snapshot of the same operation arrives, the model compares the files row by row (a file that did not
change is the same object, so the comparison is cheap) and emits `dataChanged` for the rows that changed:
a progress tick never resets the model, so the admin's selection and scroll position in a list of thousands
of files stay put. Only showing another operation resets it. File names come from the admin's computer or the
guest, so they are shown as untrusted text: control and bidirectional formatting characters made visible.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush

from hvgui.domain.operations import FileProgress, FileState, OperationRecord
from hvgui.ui.activity.model import ProgressRole
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line
from hvgui.ui.theme import readable


class FileColumn(enum.IntEnum):
    File = 0
    Size = 1
    Progress = 2
    Outcome = 3


_COLOURS = {FileState.Failed: "#b3261e", FileState.Interrupted: "#8a5a00"}


def file_name(name: str) -> str:
    """A file name for a one-line cell, shaped like every other host text (`one_line`)."""
    return one_line(name)


def size_text(size: int) -> str:
    """`512 B`, `12.3 MB`, `256 MB` (decimal megabytes, as the progress text counts them)."""
    if size < 10_000:
        return f"{size} B"
    value = size / 1_000_000
    return f"{value:.1f} MB" if value < 100 else f"{value:.0f} MB"


def outcome_text(file: FileProgress) -> str:
    """`Copied`, `Failed: <reason>`, `Interrupted: <reason> (staged on the host for Retry)`."""
    if file.state is FileState.Interrupted:
        text = "Interrupted: kept on the host; Retry goes on from it"
        return f"{text} ({one_line(file.reason)})" if file.reason else text
    if file.state is FileState.Exists:
        return "Not copied: it exists (choose Overwrite to replace it)"
    if file.state is FileState.Skipped:
        return "Skipped: it exists"
    if file.reason:
        return f"{file.state.label}: {one_line(file.reason)}"
    return file.state.label


class FileListModel(ColumnTableModel[FileProgress]):
    """The files of one operation (`show`), updated in place."""

    _columns = FileColumn
    _headers = {
        FileColumn.File: "File",
        FileColumn.Size: "Size",
        FileColumn.Progress: "Progress",
        FileColumn.Outcome: "Outcome",
    }
    _header_tooltips = {
        FileColumn.File: "In the guest for a copy into a guest; on this computer for a copy out",
        FileColumn.Outcome: "Copied, skipped, not copied because it exists, failed (with the reason) or interrupted",
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.op_id: int | None = None

    def files(self) -> list[FileProgress]:
        return list(self._rows)

    def show(self, record: OperationRecord | None) -> None:
        """Show `record`'s files: another operation resets the list; a new snapshot of the same one changes only
        the rows whose file changed (and appends new ones)."""
        files = list(record.progress.files) if record is not None else []
        op_id = record.op_id if record is not None else None
        if op_id != self.op_id:
            self.beginResetModel()
            self.op_id = op_id
            self._rows = files
            self.endResetModel()
            return
        shared = min(len(files), len(self._rows))
        changed = [row for row in range(shared) if files[row] is not self._rows[row] and files[row] != self._rows[row]]
        self._rows[:shared] = files[:shared]
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(FileColumn) - 1))
        if len(files) > len(self._rows):
            self.beginInsertRows(QModelIndex(), len(self._rows), len(files) - 1)
            self._rows.extend(files[len(self._rows) :])
            self.endInsertRows()
        elif len(files) < len(self._rows):
            self.beginRemoveRows(QModelIndex(), len(files), len(self._rows) - 1)
            del self._rows[len(files) :]
            self.endRemoveRows()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        file = self._row_for(index)
        if file is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == FileColumn.File:
                return file_name(file.name)
            if column == FileColumn.Size:
                return size_text(file.size)
            if column == FileColumn.Progress:
                return f"{file.percent}%"
            return outcome_text(file)
        if role == ProgressRole and column == FileColumn.Progress:
            active = file.state is FileState.Copying
            return (file.percent, f"{file.percent}%" if active else outcome_text(file), active)
        if role == Qt.ItemDataRole.ForegroundRole and column == FileColumn.Outcome:
            colour = _COLOURS.get(file.state)
            return QBrush(readable(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == FileColumn.Size:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of neighbours: one `dataChanged` per run."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
