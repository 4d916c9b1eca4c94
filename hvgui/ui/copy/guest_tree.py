"""`GuestTreeModel`: a Windows guest's drives and folders, loaded one folder at a time as the view expands them.

The model never fetches anything itself. A drive or folder that was never listed says it has children;
`request(index)` puts a "Loading…" row under it and emits `loadRequested(path)`, and the listing comes back
through `apply_listing` (rows replace the placeholder) or `apply_failure` (the placeholder goes, the folder
can be asked for again). Names come from the guest: the Name column shows them through `untrusted_name`, and
`PathRole` holds the path exactly as the guest wrote it, for the copy.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from hvgui.domain.guest_files import LISTING_LIMIT, GuestFolder
from hvgui.ui.copy.items import format_size
from hvgui.ui.text import untrusted_name

#: The raw guest path of a row (str); "" for the placeholder and note rows.
PathRole = Qt.ItemDataRole.UserRole + 1
#: Whether a row is a drive or folder (bool).
IsFolderRole = Qt.ItemDataRole.UserRole + 2

COLUMNS = ("Name", "Size", "Modified")
LOADING = "Loading\u2026"

Index = QModelIndex | QPersistentModelIndex


class Kind(enum.Enum):
    Root = "root"
    Drive = "drive"
    Folder = "folder"
    File = "file"
    Loading = "loading"
    Note = "note"  # "more entries than shown"


class State(enum.Enum):
    Unlisted = "unlisted"
    Loading = "loading"
    Listed = "listed"


class _Node:
    __slots__ = ("children", "hidden", "kind", "length", "modified", "name", "parent", "path", "state", "system")

    def __init__(self, kind: Kind, name: str = "", path: str = "", parent: _Node | None = None) -> None:
        self.kind = kind
        self.name = name
        self.path = path
        self.parent = parent
        self.children: list[_Node] = []
        self.state = State.Unlisted
        self.length: int | None = None
        self.modified: datetime.datetime | None = None
        self.hidden = False
        self.system = False

    @property
    def is_folder(self) -> bool:
        return self.kind in (Kind.Drive, Kind.Folder)


def path_key(path: str) -> str:
    """Windows compares paths without case, and a folder with or without its trailing backslash."""
    text = path.replace("/", "\\")
    if len(text) > 3:
        text = text.rstrip("\\")
    return text.casefold()


class GuestTreeModel(QAbstractItemModel):
    """Drives at the top, then each folder's entries as the guest lists them (folders first)."""

    #: A drive or folder needs listing ("" for the drives).
    loadRequested = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(Kind.Root)
        self._by_path: dict[str, _Node] = {}

    # ---- Qt model ----------------------------------------------------------------------------------

    def _node(self, index: Index) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _Node)
            return node
        return self._root

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        node = self._node(parent)
        if row >= len(node.children):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        grand = parent.parent
        assert grand is not None
        return self.createIndex(grand.children.index(parent), 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        if node.is_folder and node.state is State.Unlisted:
            return True  # not listed yet: the expander shows, and expanding lists it
        return bool(node.children)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        node = self._node(index)
        if node.kind in (Kind.Loading, Kind.Note):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 3:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role == PathRole:
            return node.path
        if role == IsFolderRole:
            return node.is_folder
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(node, column)
        if role == Qt.ItemDataRole.ToolTipRole and node.path:
            flags = [f for f, on in (("hidden", node.hidden), ("system", node.system)) if on]
            return untrusted_name(node.path) + (f" ({', '.join(flags)})" if flags else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(node: _Node, column: int) -> str | None:
        if node.kind in (Kind.Loading, Kind.Note):
            return node.name if column == 0 else None
        if column == 0:
            return untrusted_name(node.name)
        if column == 1:
            return None if node.length is None else format_size(node.length)
        if column == 2 and node.modified is not None:
            return node.modified.astimezone().strftime("%Y-%m-%d %H:%M")
        return None

    # ---- loading -------------------------------------------------------------------------------------

    def start(self) -> None:
        """List the drives (the view's top level)."""
        self._begin(self._root, QModelIndex())

    def request(self, index: Index) -> bool:
        """List the drive or folder at `index` unless it is listed or loading; True when a listing started."""
        node = self._node(index)
        if not node.is_folder or node.state is not State.Unlisted:
            return False
        self._begin(node, self.index(index.row(), 0, index.parent()))
        return True

    def refresh(self, index: Index) -> None:
        """Forget what is listed under `index` (the drives for an invalid index) and list it again."""
        node = self._node(index)
        if node.state is State.Loading or not (node.is_folder or node is self._root):
            return
        parent = self.index(index.row(), 0, index.parent()) if index.isValid() else QModelIndex()
        self._clear(node, parent)
        node.state = State.Unlisted
        self._begin(node, parent)

    def _begin(self, node: _Node, index: QModelIndex) -> None:
        self._clear(node, index)
        node.state = State.Loading
        self.beginInsertRows(index, 0, 0)
        node.children = [_Node(Kind.Loading, LOADING, "", node)]
        self.endInsertRows()
        self.loadRequested.emit(node.path)

    def _clear(self, node: _Node, index: QModelIndex) -> None:
        if node.children:
            self.beginRemoveRows(index, 0, len(node.children) - 1)
            for child in node.children:
                self._forget(child)
            node.children = []
            self.endRemoveRows()

    def _forget(self, node: _Node) -> None:
        for child in node.children:
            self._forget(child)
        if node.path and self._by_path.get(path_key(node.path)) is node:
            del self._by_path[path_key(node.path)]

    def _loading(self, path: str) -> tuple[_Node, QModelIndex] | None:
        node = self._root if not path else self._by_path.get(path_key(path))
        if node is None or node.state is not State.Loading:
            return None
        return node, self.index_of(node)

    def apply_listing(self, path: str, folder: GuestFolder) -> None:
        """The listing of `path` arrived: its rows replace the placeholder."""
        found = self._loading(path)
        if found is None:
            return  # refreshed or forgotten meanwhile
        node, index = found
        self._clear(node, index)
        children: list[_Node] = []
        if folder.is_drives:
            for drive in folder.drives:
                child = _Node(Kind.Drive, f"{drive.name}:", drive.root, node)
                children.append(child)
        else:
            folders = [e for e in folder.entries if e.is_folder]
            files = [e for e in folder.entries if not e.is_folder]
            for entry in folders + files:
                child = _Node(Kind.Folder if entry.is_folder else Kind.File, entry.name, entry.path, node)
                child.length, child.modified = entry.length, entry.modified
                child.hidden, child.system = entry.hidden, entry.system
                if not entry.is_folder:
                    child.state = State.Listed
                children.append(child)
            if folder.truncated:
                note = f"Only the first {len(folder.entries):,} entries are shown (at most {LISTING_LIMIT:,})."
                children.append(_Node(Kind.Note, note, "", node))
        node.state = State.Listed
        if children:
            self.beginInsertRows(index, 0, len(children) - 1)
            node.children = children
            for child in children:
                if child.path:
                    self._by_path[path_key(child.path)] = child
            self.endInsertRows()

    def apply_failure(self, path: str) -> None:
        """Listing `path` failed: the placeholder goes; expanding it again asks again."""
        found = self._loading(path)
        if found is None:
            return
        node, index = found
        self._clear(node, index)
        node.state = State.Unlisted

    # ---- lookups -------------------------------------------------------------------------------------

    def index_of(self, node: _Node) -> QModelIndex:
        if node is self._root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.children.index(node), 0, node)

    def find(self, path: str) -> QModelIndex:
        """The row of a listed guest path (any case; with or without its trailing backslash), or invalid."""
        node = self._by_path.get(path_key(path))
        return self.index_of(node) if node is not None else QModelIndex()

    def is_listed(self, index: Index) -> bool:
        return self._node(index).state is State.Listed

    def is_loading(self, index: Index) -> bool:
        return self._node(index).state is State.Loading
