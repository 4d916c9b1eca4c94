"""The VM table: one row per VM of every connected host, changed only through `apply(diff)`.

Rows are keyed by `VmKey` with a key→row index, so a refresh touches exactly the rows that changed:
inserts and removals go through beginInsertRows/beginRemoveRows and changes emit `dataChanged` for those
rows only. The model is never reset by a refresh, which keeps the selection, the scroll position and the
sort of the view stable while heartbeats tick.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from hvgui.domain.display import format_memory, format_uptime
from hvgui.domain.heartbeat import heartbeat_indicator
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Vm, VmKey, VmState
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line

#: The Vm behind any cell of a row; survives sort/filter proxies.
VmRole = Qt.ItemDataRole.UserRole + 1
#: A value that sorts the column naturally (numbers for CPU, memory and uptime).
SortRole = Qt.ItemDataRole.UserRole + 2
#: A `HeartbeatIndicator` (tone + text) for the heartbeat delegate.
HeartbeatRole = Qt.ItemDataRole.UserRole + 3
#: Text the filter box matches against (name, host, state and heartbeat text).
FilterRole = Qt.ItemDataRole.UserRole + 4


class Column(enum.IntEnum):
    Host = 0
    Name = 1
    State = 2
    Heartbeat = 3
    Status = 4
    Uptime = 5
    Cpu = 6
    Memory = 7


HEADERS = {
    Column.Host: "Host",
    Column.Name: "Name",
    Column.State: "State",
    Column.Heartbeat: "Heartbeat",
    Column.Status: "Status",
    Column.Uptime: "Uptime",
    Column.Cpu: "CPU %",
    Column.Memory: "Memory assigned",
}

#: Which Vm fields feed which column; used to find the cells a change touches.
_COLUMN_FIELDS: dict[Column, tuple[str, ...]] = {
    Column.Host: ("host",),
    Column.Name: ("name",),
    Column.State: ("state",),
    Column.Heartbeat: ("state", "heartbeat"),
    Column.Status: ("status",),
    Column.Uptime: ("uptime_seconds",),
    Column.Cpu: ("cpu_usage",),
    Column.Memory: ("memory_assigned",),
}

_NUMERIC = {Column.Uptime, Column.Cpu, Column.Memory}

#: Roles whose value depends on the Vm; every dataChanged of a changed row names these.
CHANGED_ROLES: list[int] = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    SortRole,
    HeartbeatRole,
    FilterRole,
    VmRole,
]
#: Roles that depend on whether the row's host is stale (its last refresh failed).
STALE_ROLES: list[int] = [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole]


def changed_columns(old: Vm, new: Vm) -> list[Column]:
    """The columns whose content differs between two versions of the same VM."""
    return [col for col, fields in _COLUMN_FIELDS.items() if any(getattr(old, f) != getattr(new, f) for f in fields)]


class VmTableModel(ColumnTableModel[Vm]):
    """Every VM of every host, in arrival order; the view sorts through a proxy."""

    _columns = Column
    _headers = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index: dict[VmKey, int] = {}
        self._host_labels: dict[str, str] = {}
        self._stale_hosts: set[str] = set()

    # ---- reading -------------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        """Numeric columns align their header to the right, over their numbers."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().headerData(section, orientation, role)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        vm = self._row_for(index)
        if vm is None:
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(vm, column)
        if role == VmRole:
            return vm
        if role == SortRole:
            return self._sort_value(vm, column)
        if role == HeartbeatRole:
            return heartbeat_indicator(vm.state, vm.heartbeat) if column == Column.Heartbeat else None
        if role == FilterRole:
            return self._filter_text(vm) if column == Column.Name else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(vm, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and vm.host in self._stale_hosts:
            return _muted_colour()
        if role == Qt.ItemDataRole.FontRole and vm.host in self._stale_hosts:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def vm(self, key: VmKey) -> Vm | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row]

    def row_of(self, key: VmKey) -> int | None:
        return self._index.get(key)

    def vms(self) -> Sequence[Vm]:
        return tuple(self._rows)

    def host_label(self, host: str) -> str:
        return self._host_labels.get(host, host)

    def is_stale(self, host: str) -> bool:
        return host in self._stale_hosts

    # ---- changing ------------------------------------------------------------------------------

    def apply(self, diff: InventoryDiff) -> None:
        """Bring the rows of `diff.host` up to date: remove, then change, then append; never reset."""
        self._remove(diff.removed)
        self._change(diff.changed)
        self._add(diff.added)

    def set_host_label(self, host: str, label: str) -> None:
        """Name the Host column shows for the VMs of `host` (a display name chosen by the user)."""
        if self._host_labels.get(host, host) == label:
            return
        self._host_labels[host] = label
        self._emit_for_host(host, [Qt.ItemDataRole.DisplayRole, SortRole, FilterRole, Qt.ItemDataRole.ToolTipRole])

    def set_host_stale(self, host: str, stale: bool) -> None:
        """Mark the rows of a host whose last refresh failed: they show the last good values, muted."""
        if stale == (host in self._stale_hosts):
            return
        if stale:
            self._stale_hosts.add(host)
        else:
            self._stale_hosts.discard(host)
        self._emit_for_host(host, STALE_ROLES)

    def _remove(self, keys: Iterable[VmKey]) -> None:
        rows = sorted({self._index[key] for key in keys if key in self._index}, reverse=True)
        if not rows:
            return
        # Remove contiguous runs from the bottom up so earlier row numbers stay valid.
        for first, last in _runs_descending(rows):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._reindex()

    def _change(self, vms: Iterable[Vm]) -> None:
        changed_rows: list[int] = []
        to_add: list[Vm] = []
        for vm in vms:
            row = self._index.get(vm.key)
            if row is None:  # a change for a row we never saw: treat it as an arrival
                to_add.append(vm)
                continue
            if self._rows[row] != vm:
                self._rows[row] = vm
                changed_rows.append(row)
        for first, last in _runs_ascending(sorted(changed_rows)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1), CHANGED_ROLES)
        self._add(to_add)

    def _add(self, vms: Iterable[Vm]) -> None:
        fresh: list[Vm] = []
        seen: set[VmKey] = set()
        for vm in vms:
            if vm.key in self._index:  # already shown: an arrival we know is a change
                self._change([vm])
            elif vm.key not in seen:
                seen.add(vm.key)
                fresh.append(vm)
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, vm in enumerate(fresh):
            self._rows.append(vm)
            self._index[vm.key] = first + offset
        self.endInsertRows()

    def _reindex(self) -> None:
        self._index = {vm.key: row for row, vm in enumerate(self._rows)}

    def _emit_for_host(self, host: str, roles: list[int]) -> None:
        rows = [row for row, vm in enumerate(self._rows) if vm.host == host]
        for first, last in _runs_ascending(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1), roles)

    # ---- presentation --------------------------------------------------------------------------

    def _display(self, vm: Vm, column: Column) -> str:
        match column:
            case Column.Host:
                return one_line(self.host_label(vm.host))
            case Column.Name:
                return one_line(vm.name)
            case Column.State:
                return vm.state.label
            case Column.Heartbeat:
                return heartbeat_indicator(vm.state, vm.heartbeat).text
            case Column.Status:
                return one_line(vm.status)
            case Column.Uptime:
                return format_uptime(vm.uptime_seconds) if _is_up(vm) else ""
            case Column.Cpu:
                return str(vm.cpu_usage) if _is_up(vm) else ""
            case Column.Memory:
                return format_memory(vm.memory_assigned)

    def _sort_value(self, vm: Vm, column: Column):
        match column:
            case Column.Host:
                return (natural_key(self.host_label(vm.host)), natural_key(vm.name))
            case Column.Name:
                return (natural_key(vm.name), vm.name)
            case Column.State:
                return vm.state.label
            case Column.Heartbeat:
                indicator = heartbeat_indicator(vm.state, vm.heartbeat)
                return (int(indicator.tone), indicator.text)
            case Column.Status:
                return natural_key(vm.status)
            case Column.Uptime:
                return vm.uptime_seconds if _is_up(vm) else -1
            case Column.Cpu:
                return vm.cpu_usage if _is_up(vm) else -1
            case Column.Memory:
                return vm.memory_assigned

    def _filter_text(self, vm: Vm) -> str:
        parts = (
            vm.name,
            vm.host,
            self.host_label(vm.host),
            vm.state.label,
            vm.state.name,
            heartbeat_indicator(vm.state, vm.heartbeat).text,
        )
        return "\n".join(parts).casefold()

    def _tooltip(self, vm: Vm, column: Column) -> str | None:
        stale = (
            f"\n{self.host_label(vm.host)} is not answering: these are the last values it reported."
            if vm.host in self._stale_hosts
            else ""
        )
        if column == Column.Name:
            return vm.name + stale
        if column == Column.Host:
            return self.host_label(vm.host) + stale
        if column == Column.Status:
            return vm.status + stale
        return stale.strip() or None


def natural_key(text: str) -> str:
    """Sort key that ignores case and accents, so "Ångström" sorts with the a's as a person expects."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _is_up(vm: Vm) -> bool:
    return vm.state not in (VmState.Off, VmState.OffCritical, VmState.Saved, VmState.SavedCritical)


def _muted_colour() -> QColor:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    return QColor("#888888")


def _runs_ascending(rows: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs `(first, last)` of sorted row numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _runs_descending(rows: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs `(first, last)` of row numbers sorted high to low, highest run first."""
    return [(first, last) for first, last in reversed(_runs_ascending(sorted(rows)))]
