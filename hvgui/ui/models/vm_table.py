"""The VM table: one row per VM of every connected host, changed only through `apply(diff)`.

Rows are keyed by `VmKey` with a key→row index, so a refresh touches exactly the rows that changed:
inserts and removals go through beginInsertRows/beginRemoveRows and changes emit `dataChanged` for those
rows only. The model is never reset by a refresh, which keeps the selection, the scroll position and the
sort of the view stable while heartbeats tick.
"""

from __future__ import annotations

import enum
import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from hvgui.domain.display import format_memory, format_uptime
from hvgui.domain.heartbeat import heartbeat_indicator
from hvgui.domain.vm import Vm
from hvgui.ui.models.table_base import ModelIndex
from hvgui.ui.models.vm_rows import VmRowsModel, contiguous_runs
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


class VmTableModel(VmRowsModel):
    """Every VM of every host, in arrival order; the view sorts through a proxy."""

    _columns = Column
    _headers = HEADERS

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

    # ---- what a change repaints ----------------------------------------------------------------

    def _rows_changed(self, changes: list[tuple[int, Vm, Vm]]) -> None:
        for first, last in contiguous_runs(row for row, _, _ in changes):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1), CHANGED_ROLES)

    def _host_label_changed(self, host: str) -> None:
        roles = [Qt.ItemDataRole.DisplayRole, SortRole, FilterRole, Qt.ItemDataRole.ToolTipRole]
        self._emit_for_host(host, 0, len(Column) - 1, roles)

    def _host_stale_changed(self, host: str) -> None:
        self._emit_for_host(host, 0, len(Column) - 1, STALE_ROLES)

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
                return format_uptime(vm.uptime_seconds) if vm.state.is_running else ""
            case Column.Cpu:
                return str(vm.cpu_usage) if vm.state.is_running else ""
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
                return vm.uptime_seconds if vm.state.is_running else -1
            case Column.Cpu:
                return vm.cpu_usage if vm.state.is_running else -1
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


def _muted_colour() -> QColor:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    return QColor("#888888")
