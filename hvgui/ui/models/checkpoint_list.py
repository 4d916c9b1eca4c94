"""The checkpoints of the selected VM as a tree, as `Get-VMSnapshot` listed them (fetched on demand).

Hyper-V's checkpoints form a tree: each one records the checkpoint it was taken from (`ParentSnapshotId`), and
applying an older one starts a new branch. The tab shows that tree, as Hyper-V Manager does, so the admin sees
which checkpoints a subtree delete takes along. A checkpoint whose parent is not in the listing (the host left
it out) is shown at the top level rather than hidden.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from hvgui.domain.checkpoints import Checkpoint, SnapshotType
from hvgui.domain.vm import VmKey
from hvgui.ui.text import one_line

ModelIndex = QModelIndex | QPersistentModelIndex

#: The `Checkpoint` behind any cell of a row.
CheckpointRole = Qt.ItemDataRole.UserRole + 1
#: A value that sorts the column naturally (the creation time as a number).
CheckpointSortRole = Qt.ItemDataRole.UserRole + 2


class CheckpointColumn(enum.IntEnum):
    Name = 0
    Created = 1
    Kind = 2


HEADERS = {
    CheckpointColumn.Name: "Name",
    CheckpointColumn.Created: "Created",
    CheckpointColumn.Kind: "Type",
}


def kind_text(checkpoint: Checkpoint) -> str:
    """`Standard`, `Recovery`, ... plus "automatic" for the checkpoints Hyper-V takes on its own."""
    text = checkpoint.snapshot_type.name if isinstance(checkpoint.snapshot_type, SnapshotType) else "Unknown"
    return f"{text} (automatic)" if checkpoint.is_automatic else text


def created_text(checkpoint: Checkpoint) -> str:
    if checkpoint.creation_time is None:
        return ""
    return checkpoint.creation_time.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass(eq=False)
class _Node:
    checkpoint: Checkpoint | None  # None for the invisible root
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0


def _build(checkpoints: Sequence[Checkpoint]) -> _Node:
    """The tree of the listing, each level in the host's (creation) order."""
    root = _Node(None)
    nodes = {c.checkpoint_id: _Node(c) for c in checkpoints}
    for checkpoint in checkpoints:
        node = nodes[checkpoint.checkpoint_id]
        parent = nodes.get(checkpoint.parent_id or "", root)
        if parent is node:
            parent = root
        node.parent = parent
        parent.children.append(node)
    return root


class CheckpointListModel(QAbstractItemModel):
    """The checkpoints of one VM, each under the checkpoint it was taken from."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vm_key: VmKey | None = None
        self._checkpoints: list[Checkpoint] = []
        self._root = _Node(None)

    # ---- the tree ------------------------------------------------------------------------------

    def _node(self, index: ModelIndex) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            if isinstance(node, _Node):
                return node
        return self._root

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self._node(parent).children[row])

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index).parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return len(CheckpointColumn)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(CheckpointColumn(section)) if 0 <= section < len(CheckpointColumn) else None
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        checkpoint = self._node(index).checkpoint if index.isValid() else None
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
        if role == CheckpointSortRole:
            if column == CheckpointColumn.Created:
                return checkpoint.creation_time.timestamp() if checkpoint.creation_time else 0.0
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole and column == CheckpointColumn.Name:
            below = f"\nTaken from '{one_line(checkpoint.parent_name)}'" if checkpoint.parent_name else ""
            return f"{one_line(checkpoint.name)}{below}\nCheckpoint {checkpoint.checkpoint_id}"
        return None

    # ---- contents ------------------------------------------------------------------------------

    def vm_key(self) -> VmKey | None:
        return self._vm_key

    def checkpoints(self) -> Sequence[Checkpoint]:
        """Every checkpoint, in the host's order."""
        return tuple(self._checkpoints)

    def names(self) -> list[str]:
        """Every checkpoint's name, parents before their children (the tree's order, depth first)."""
        return [node.checkpoint.name for node in self._walk(self._root) if node.checkpoint is not None]

    def index_of(self, checkpoint_id: str) -> QModelIndex:
        """The Name cell of a checkpoint, or an invalid index."""
        for node in self._walk(self._root):
            if node.checkpoint is not None and node.checkpoint.checkpoint_id == checkpoint_id:
                return self.createIndex(node.row(), 0, node)
        return QModelIndex()

    def _walk(self, node: _Node) -> list[_Node]:
        found = []
        for child in node.children:
            found.append(child)
            found.extend(self._walk(child))
        return found

    def set_checkpoints(self, vm_key: VmKey | None, checkpoints: Sequence[Checkpoint]) -> None:
        """Show the checkpoints of `vm_key` (a fresh list from the host replaces the tree)."""
        checkpoints = list(checkpoints)
        if vm_key == self._vm_key and checkpoints == self._checkpoints:
            return
        self.beginResetModel()
        self._vm_key = vm_key
        self._checkpoints = checkpoints
        self._root = _build(checkpoints)
        self.endResetModel()
