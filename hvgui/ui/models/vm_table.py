"""The VM table: one row per VM of every connected host, changed only through `apply(diff)`.

Rows are keyed by `VmKey` with a key→row index, so a refresh touches exactly the rows that changed:
inserts and removals go through beginInsertRows/beginRemoveRows and changes emit `dataChanged` for those
rows only. The model is never reset by a refresh, which keeps the selection, the scroll position and the
sort of the view stable while heartbeats tick.
"""

from __future__ import annotations

import enum
import math
import time
import unicodedata
from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from hvgui.domain.display import format_memory, format_uptime
from hvgui.domain.heartbeat import HeartbeatHealth, heartbeat_indicator, since_text
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Vm, VmKey
from hvgui.ui.models.table_base import ModelIndex
from hvgui.ui.models.vm_rows import VmRowsModel, cell_runs, contiguous_runs
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
    Column.Memory: "Memory",  # "Memory assigned" does not fit the column of a 1280 px window: see the tooltip
}
HEADER_TOOLTIPS = {
    Column.Uptime: "How long the VM has been running (days.hours:minutes:seconds)",
    Column.Cpu: "Processor load of the VM, in percent of its virtual processors",
    Column.Memory: "Memory assigned to the VM now (with Dynamic Memory it follows the guest's demand)",
}

#: Which Vm fields feed which column; used to find the cells a change touches.
_COLUMN_FIELDS: dict[Column, tuple[str, ...]] = {
    Column.Host: ("host",),
    Column.Name: ("name",),
    Column.State: ("state",),
    Column.Heartbeat: ("state", "heartbeat"),
    Column.Status: ("status",),
    Column.Uptime: ("state", "booted_at"),
    Column.Cpu: ("state", "cpu_usage"),
    Column.Memory: ("memory_assigned",),
}

_NUMERIC = {Column.Uptime, Column.Cpu, Column.Memory}

#: Roles whose value depends on the Vm; every dataChanged of a changed cell names these.
CHANGED_ROLES: list[int] = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    SortRole,
    HeartbeatRole,
    VmRole,
]
#: Vm fields the filter text is made of; only a change of one of them names FilterRole (so the filter proxy
#: re-filters only the rows whose text can have changed).
_FILTER_FIELDS = ("name", "host", "state", "heartbeat")
#: Roles that depend on whether the row's host is stale (its last refresh failed).
STALE_ROLES: list[int] = [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole]
#: Roles the table never answers, which the view asks of every cell it paints all the same (seven roles a
#: cell, through the sort proxy): `data` answers them before it looks at the cell. Every second the view
#: repaints the visible uptimes, and every heartbeat change a visible row; a scroll repaints every cell.
_UNANSWERED_ROLES = frozenset(
    int(role)
    for role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.BackgroundRole)
)
#: Roles answered only for the rows of a stale host.
_STALE_ONLY_ROLES = frozenset((int(Qt.ItemDataRole.ForegroundRole), int(Qt.ItemDataRole.FontRole)))
#: The columns by number (looking a member up here is cheaper than `Column(number)`).
_COLUMN_BY_NUMBER: tuple[Column, ...] = tuple(Column)


def changed_columns(old: Vm, new: Vm) -> list[Column]:
    """The columns whose content differs between two versions of the same VM (`_COLUMN_FIELDS`).

    Spelt out field by field: it runs for every changed VM of every refresh, on the Qt thread.
    """
    state = old.state != new.state
    columns = []
    if old.host != new.host:
        columns.append(Column.Host)
    if old.name != new.name:
        columns.append(Column.Name)
    if state:
        columns.append(Column.State)
    if state or old.heartbeat != new.heartbeat:
        columns.append(Column.Heartbeat)
    if old.status != new.status:
        columns.append(Column.Status)
    if state or old.booted_at != new.booted_at:
        columns.append(Column.Uptime)
    if state or old.cpu_usage != new.cpu_usage:
        columns.append(Column.Cpu)
    if old.memory_assigned != new.memory_assigned:
        columns.append(Column.Memory)
    return columns


def filter_text_changed(old: Vm, new: Vm) -> bool:
    """Whether a field of `_FILTER_FIELDS` differs (spelt out: it runs for every changed VM)."""
    return old.heartbeat != new.heartbeat or old.state != new.state or old.name != new.name or old.host != new.host


class VmTableModel(VmRowsModel):
    """Every VM of every host, in arrival order; the view sorts through a proxy.

    The uptime is derived from each VM's boot time and `clock` (Unix time), not sent by the host, so it
    grows without any refresh; the table view repaints that column's visible cells once a second.
    """

    _columns = Column
    _headers = HEADERS
    _header_tooltips = HEADER_TOOLTIPS

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.clock = clock
        #: Since when each VM's heartbeat cell shows what it shows (this computer's clock), and whether it
        #: was already so when the VM first arrived (then it is "since at least").
        self._since: dict[VmKey, tuple[float, bool]] = {}
        #: How many VMs are in each heartbeat group, kept up to date by `apply` (the status bar reads it).
        self._health: Counter[HeartbeatHealth] = Counter()

    # ---- changing ------------------------------------------------------------------------------

    def apply(self, diff: InventoryDiff) -> None:
        """As `VmRowsModel.apply`, and note when a heartbeat changed and how many VMs each group holds."""
        now = self.clock()
        for key in diff.removed:
            old = self.vm(key)
            if old is not None:
                self._health[_health(old)] -= 1
                self._since.pop(key, None)
        incoming = {vm.key: vm for vm in (*diff.changed, *diff.added)}
        for key, vm in incoming.items():
            old = self.vm(key)
            if old is None:
                self._since[key] = (now, True)
            elif (old.state, old.heartbeat) == (vm.state, vm.heartbeat):
                continue  # most changes (a CPU figure): the heartbeat cell is as it was
            elif heartbeat_indicator(old.state, old.heartbeat) != heartbeat_indicator(vm.state, vm.heartbeat):
                self._since[key] = (now, False)
                self._health[_health(old)] -= 1
            else:
                continue
            self._health[_health(vm)] += 1
        super().apply(diff)

    def health_counts(self) -> dict[HeartbeatHealth, int]:
        """How many VMs of the table are in each heartbeat group (all hosts, whatever the filter)."""
        return {health: self._health.get(health, 0) for health in HeartbeatHealth}

    def heartbeat_since(self, key: VmKey) -> tuple[float, bool] | None:
        """(when, at_least): since when the VM's heartbeat cell shows its value; at_least when it already
        did when the VM first arrived (the value may be older)."""
        return self._since.get(key)

    # ---- reading -------------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        """Numeric columns align their header to the right, over their numbers."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().headerData(section, orientation, role)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role in _UNANSWERED_ROLES or (role in _STALE_ONLY_ROLES and not self._stale_hosts):
            return None
        vm = self._row_for(index)
        if vm is None:
            return None
        column = _COLUMN_BY_NUMBER[index.column()]
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
        """Only the cells whose content differs, in as few rectangles as they allow.

        A refresh where only CPU figures moved repaints the CPU column of those rows and nothing else, so
        a sort by another column stays untouched; FilterRole is named only for rows whose filter text can
        have changed (on the Name column, where the filter reads it).
        """
        cells: dict[int, list[int]] = {}
        filter_rows: list[int] = []
        for row, old, new in changes:
            for column in changed_columns(old, new):
                cells.setdefault(column, []).append(row)
            if filter_text_changed(old, new):
                filter_rows.append(row)
        for first, last, left, right in cell_runs(cells):
            self.dataChanged.emit(self.index(first, left), self.index(last, right), CHANGED_ROLES)
        for first, last in contiguous_runs(filter_rows):
            self.dataChanged.emit(self.index(first, Column.Name), self.index(last, Column.Name), [FilterRole])

    def uptime_now(self, vm: Vm) -> int:
        """The VM's uptime by this model's clock (the view repaints the column once a second)."""
        return vm.uptime(self.clock())

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
                return format_uptime(self.uptime_now(vm)) if vm.state.is_running else ""
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
                # The earlier the boot, the longer the uptime: a value that does not tick, so sorting by
                # uptime never needs a re-sort while time passes.
                return -vm.booted_at if vm.state.is_running and vm.booted_at is not None else -math.inf
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

    def _heartbeat_tooltip(self, vm: Vm) -> str:
        indicator = heartbeat_indicator(vm.state, vm.heartbeat)
        lines = [f"{indicator.text}: {indicator.meaning}" if indicator.meaning else indicator.text]
        since = self._since.get(vm.key)
        if since is not None:
            when, at_least = since
            lines.append(since_text(when, self.clock(), at_least=at_least))
        return "\n".join(lines)

    def _tooltip(self, vm: Vm, column: Column) -> str | None:
        if column == Column.Heartbeat:
            tooltip = self._heartbeat_tooltip(vm)
            if vm.host in self._stale_hosts:
                tooltip += f"\n{self.host_label(vm.host)} is not answering: these are the last values it reported."
            return tooltip
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


def _health(vm: Vm) -> HeartbeatHealth:
    return heartbeat_indicator(vm.state, vm.heartbeat).health


def natural_key(text: str) -> str:
    """Sort key that ignores case and accents, so "Ångström" sorts with the a's as a person expects."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _muted_colour() -> QColor:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    return QColor("#888888")
