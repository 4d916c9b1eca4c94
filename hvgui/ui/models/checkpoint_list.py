"""The checkpoints of the selected VM, as `Get-VMSnapshot` listed them (fetched on demand, not every refresh)."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt

from hvgui.domain.checkpoints import Checkpoint, SnapshotType
from hvgui.domain.vm import VmKey
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line

#: The `Checkpoint` behind any cell of a row.
CheckpointRole = Qt.ItemDataRole.UserRole + 1
#: A value that sorts the column naturally (the creation time as a number).
CheckpointSortRole = Qt.ItemDataRole.UserRole + 2


class CheckpointColumn(enum.IntEnum):
    Name = 0
    Created = 1
    Kind = 2
    Parent = 3


HEADERS = {
    CheckpointColumn.Name: "Name",
    CheckpointColumn.Created: "Created",
    CheckpointColumn.Kind: "Type",
    CheckpointColumn.Parent: "Parent",
}


def kind_text(checkpoint: Checkpoint) -> str:
    """`Standard`, `Recovery`, ... plus "automatic" for the checkpoints Hyper-V takes on its own."""
    text = checkpoint.snapshot_type.name if isinstance(checkpoint.snapshot_type, SnapshotType) else "Unknown"
    return f"{text} (automatic)" if checkpoint.is_automatic else text


def created_text(checkpoint: Checkpoint) -> str:
    if checkpoint.creation_time is None:
        return ""
    return checkpoint.creation_time.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class CheckpointListModel(ColumnTableModel[Checkpoint]):
    """One row per checkpoint of one VM, in the host's order."""

    _columns = CheckpointColumn
    _headers = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vm_key: VmKey | None = None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        checkpoint = self._row_for(index)
        if checkpoint is None:
            return None
        column = CheckpointColumn(index.column())
        if role == CheckpointRole:
            return checkpoint
        if role == Qt.ItemDataRole.DisplayRole:
            match column:
                case CheckpointColumn.Name:
                    return one_line(checkpoint.name)
                case CheckpointColumn.Created:
                    return created_text(checkpoint)
                case CheckpointColumn.Kind:
                    return kind_text(checkpoint)
                case CheckpointColumn.Parent:
                    return one_line(checkpoint.parent_name)
        if role == CheckpointSortRole:
            if column == CheckpointColumn.Created:
                return checkpoint.creation_time.timestamp() if checkpoint.creation_time else 0.0
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == CheckpointColumn.Name:
                return f"{checkpoint.name}\nCheckpoint {checkpoint.checkpoint_id}"
            if column == CheckpointColumn.Parent and checkpoint.parent_name:
                return checkpoint.parent_name
        return None

    def vm_key(self) -> VmKey | None:
        return self._vm_key

    def checkpoints(self) -> Sequence[Checkpoint]:
        return tuple(self._rows)

    def names(self) -> list[str]:
        return [c.name for c in self._rows]

    def set_checkpoints(self, vm_key: VmKey | None, checkpoints: Sequence[Checkpoint]) -> None:
        """Show the checkpoints of `vm_key` (a fresh list from the host replaces the rows)."""
        checkpoints = list(checkpoints)
        if vm_key == self._vm_key and checkpoints == self._rows:
            return
        self.beginResetModel()
        self._vm_key = vm_key
        self._rows = checkpoints
        self.endResetModel()
