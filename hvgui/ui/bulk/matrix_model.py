"""The VMs x services matrix of the bulk dialog: what each VM has now, and what the admin wants.

Rows are the VMs the admin selected (with their host), columns the six integration components by IC GUID.
A cell holds the state the host last reported and, when the admin wants something else, the desired
state. Only differences are stored, so a desire that the host's truth catches up with (after an apply,
or a change made elsewhere) stops being a change by itself. Refreshes update rows in place
(`apply_inventory`); a VM that vanished from its host keeps its row, marked, so a change planned for it
is still reported rather than dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QFont

from hvgui.domain.bulk import (
    IC_GUIDS,
    Baseline,
    ChangeResult,
    PlannedChange,
    ResultKind,
    desired_from_baseline,
    impact_warning,
    plan_changes,
)
from hvgui.domain.integration import Impact, service_for_guid
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory, Vm, VmKey
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line
from hvgui.ui.theme import readable, row_tint, tint_text

#: The row's Vm (the newest version the hosts reported).
VmRole = Qt.ItemDataRole.UserRole + 1
#: A service cell's reported state: True, False, or None when the host does not report the service.
CurrentRole = Qt.ItemDataRole.UserRole + 2
#: A service cell's desired state (the reported one unless the admin changed it).
DesiredRole = Qt.ItemDataRole.UserRole + 3
#: A service cell's `CellChange`.
ChangeRole = Qt.ItemDataRole.UserRole + 4
#: The `ChangeResult` of the cell's last apply, or None.
ResultRole = Qt.ItemDataRole.UserRole + 5
#: The IC GUID of a service column (also answered by headerData).
GuidRole = Qt.ItemDataRole.UserRole + 6

#: Columns before the services.
HOST_COLUMN = 0
VM_COLUMN = 1
FIRST_SERVICE_COLUMN = 2

CHANGED_COLOUR = "#fff1b8"  # a pending change
RISKY_COLOUR = "#ffd6d6"  # a pending change that disables a High-impact service
DONE_COLOUR = "#d5f0dc"
FAILED_COLOUR = "#f8c9c9"
UNSETTLED_COLOUR = "#e8e2f4"  # unconfirmed or not attempted
GONE_COLOUR = "#9aa0a6"

_CELL_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.AccessibleTextRole,
    CurrentRole,
    DesiredRole,
    ChangeRole,
    ResultRole,
    VmRole,
]


class CellChange(enum.Enum):
    """What Apply would do to one cell."""

    Keep = "keep"
    Enable = "enable"
    Disable = "disable"


@dataclass
class _Row:
    vm: Vm
    gone: bool = False  # the host no longer reports the VM


def _shown(vm: Vm) -> tuple[object, ...]:
    """What the matrix shows of a VM (and what its impact warnings depend on)."""
    return (vm.name, vm.integration_services, vm.guest_product_type, vm.guest_os_name, vm.checkpoint_type)


def on_off(value: bool | None) -> str:
    return "?" if value is None else ("On" if value else "Off")


class ServiceMatrixModel(ColumnTableModel[_Row]):
    """Selected VMs x the six integration services; the admin edits desired states through CheckStateRole."""

    #: The desired states changed (by an edit, a baseline or a refresh that caught up): the plan changed.
    desiredChanged = Signal()

    _columns = range(FIRST_SERVICE_COLUMN + len(IC_GUIDS))
    _headers = {HOST_COLUMN: "Host", VM_COLUMN: "VM"}

    def __init__(
        self, vms: Sequence[Vm], host_labels: dict[str, str] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._index: dict[VmKey, int] = {}
        for vm in vms:
            if vm.key not in self._index:
                self._index[vm.key] = len(self._rows)
                self._rows.append(_Row(vm))
        self._host_labels = dict(host_labels or {})
        self._desired: dict[VmKey, dict[str, bool]] = {}
        self._results: dict[tuple[VmKey, str], ChangeResult] = {}
        self._locked = False

    # ---- reading -------------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        """A service column names its component, explains what disabling it costs, and carries its IC GUID."""
        if orientation != Qt.Orientation.Horizontal or not (FIRST_SERVICE_COLUMN <= section < self.columnCount()):
            return super().headerData(section, orientation, role)
        guid = IC_GUIDS[section - FIRST_SERVICE_COLUMN]
        info = service_for_guid(guid)
        if role == Qt.ItemDataRole.DisplayRole:
            return info.name if info is not None else guid
        if role == GuidRole:
            return guid
        if role == Qt.ItemDataRole.ToolTipRole and info is not None:
            return f"{info.purpose}\nImpact when disabled: {info.impact.value}. {info.impact_text}"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Service cells are checkboxes, except while an apply runs."""
        flags = super().flags(index)
        if index.column() >= FIRST_SERVICE_COLUMN and not self._locked:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = self._row_for(index)
        if row is None:
            return None
        if role == VmRole:
            return row.vm
        if index.column() == HOST_COLUMN:
            return self._host_data(row, role)
        if index.column() == VM_COLUMN:
            return self._vm_data(row, role)
        return self._cell_data(row, IC_GUIDS[index.column() - FIRST_SERVICE_COLUMN], role)

    def _host_data(self, row: _Row, role: int):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            label = self.host_label(row.vm.host)
            return one_line(label) if role == Qt.ItemDataRole.DisplayRole else label
        return None

    def _vm_data(self, row: _Row, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(row.vm.name) + (" (gone)" if row.gone else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            text = row.vm.name
            if row.vm.is_domain_controller:
                text += "\nDomain controller"
            if row.gone:
                text += f"\n{self.host_label(row.vm.host)} no longer reports this VM; a change for it will fail."
            return text
        if role == Qt.ItemDataRole.ForegroundRole and row.gone:
            return QBrush(readable(GONE_COLOUR))
        return None

    def _cell_data(self, row: _Row, guid: str, role: int):
        vm = row.vm
        current = self._current(vm, guid)
        desired = self._desired.get(vm.key, {}).get(guid)
        effective = current if desired is None else desired
        change = self._change(current, desired)
        result = self._results.get((vm.key, guid))
        if role == Qt.ItemDataRole.DisplayRole:
            return on_off(current) if change is CellChange.Keep else f"{on_off(current)} \u2192 {on_off(desired)}"
        if role == Qt.ItemDataRole.CheckStateRole:
            if effective is None:
                return Qt.CheckState.PartiallyChecked
            return Qt.CheckState.Checked if effective else Qt.CheckState.Unchecked
        if role == CurrentRole:
            return current
        if role == DesiredRole:
            return effective
        if role == ChangeRole:
            return change
        if role == ResultRole:
            return result
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = self._background(guid, change, result)
            return QBrush(row_tint(colour)) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole and change is not CellChange.Keep:
            return QBrush(tint_text())  # text that reads on the highlight, in either scheme
        if role == Qt.ItemDataRole.FontRole and change is not CellChange.Keep:
            font = QFont()
            font.setBold(True)
            return font
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._cell_text(vm, guid, current, desired, change, result)
        return None

    @staticmethod
    def _current(vm: Vm, guid: str) -> bool | None:
        state = vm.service(guid)
        return None if state is None else state.enabled

    @staticmethod
    def _change(current: bool | None, desired: bool | None) -> CellChange:
        if desired is None or desired == current:
            return CellChange.Keep
        return CellChange.Enable if desired else CellChange.Disable

    @staticmethod
    def _background(guid: str, change: CellChange, result: ChangeResult | None) -> str | None:
        if result is not None and result.kind is not ResultKind.Done:
            return FAILED_COLOUR if result.kind is ResultKind.Failed else UNSETTLED_COLOUR
        if change is CellChange.Disable:
            info = service_for_guid(guid)
            return RISKY_COLOUR if info is not None and info.impact is Impact.High else CHANGED_COLOUR
        if change is CellChange.Enable:
            return CHANGED_COLOUR
        return DONE_COLOUR if result is not None else None

    def _cell_text(
        self,
        vm: Vm,
        guid: str,
        current: bool | None,
        desired: bool | None,
        change: CellChange,
        result: ChangeResult | None,
    ) -> str:
        state = vm.service(guid)
        info = service_for_guid(guid)
        name = state.name if state is not None and state.name else (info.name if info is not None else guid)
        reported = "not reported by the host" if current is None else on_off(current)
        lines = [f"{name} on '{vm.name}': {reported}."]
        if change is not CellChange.Keep:
            lines.append(f"Will be switched {on_off(desired).lower()}.")
            warning = impact_warning(vm, guid, bool(desired))
            if warning:
                lines.append(warning)
        if result is not None:
            lines.append(f"Last apply: {result.message}")
        return "\n".join(lines)

    # ---- queries -------------------------------------------------------------------------------

    def vms(self) -> list[Vm]:
        return [row.vm for row in self._rows]

    def vm(self, key: VmKey) -> Vm | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row].vm

    def row_of(self, key: VmKey) -> int | None:
        return self._index.get(key)

    def is_gone(self, key: VmKey) -> bool:
        row = self._index.get(key)
        return row is not None and self._rows[row].gone

    def host_label(self, host: str) -> str:
        return self._host_labels.get(host, host)

    def hosts(self) -> list[str]:
        """The hosts of the rows, in row order."""
        return list(dict.fromkeys(row.vm.host for row in self._rows))

    def column_of(self, ic_guid: str) -> int:
        return FIRST_SERVICE_COLUMN + IC_GUIDS.index(ic_guid.upper())

    def cell(self, key: VmKey, ic_guid: str) -> QModelIndex:
        row = self._index.get(key)
        return QModelIndex() if row is None else self.index(row, self.column_of(ic_guid))

    def desired_matrix(self) -> dict[VmKey, dict[str, bool]]:
        """The admin's desired states that differ from what the hosts reported (a copy)."""
        return {key: dict(cells) for key, cells in self._desired.items() if cells}

    def plan(self) -> list[PlannedChange]:
        """Exactly the changes Apply would send: the domain's plan over the rows, in row order."""
        return plan_changes(self.vms(), self.desired_matrix())

    def result(self, key: VmKey, ic_guid: str) -> ChangeResult | None:
        return self._results.get((key, ic_guid.upper()))

    @property
    def locked(self) -> bool:
        return self._locked

    # ---- editing -------------------------------------------------------------------------------

    def setData(self, index: ModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self._row_for(index)
        if role != Qt.ItemDataRole.CheckStateRole or row is None or self._locked:
            return False
        if index.column() < FIRST_SERVICE_COLUMN:
            return False
        state = Qt.CheckState(value.value if isinstance(value, Qt.CheckState) else int(value))
        if state == Qt.CheckState.PartiallyChecked:
            return False
        vm = row.vm
        self.set_desired(vm.key, IC_GUIDS[index.column() - FIRST_SERVICE_COLUMN], state == Qt.CheckState.Checked)
        return True

    def set_desired(self, key: VmKey, ic_guid: str, enabled: bool | None) -> None:
        """Want `enabled` for one cell (None: keep what the host reports)."""
        if self._locked or key not in self._index:
            return
        if self._store(key, ic_guid.upper(), enabled):
            self._emit_cell(key, ic_guid.upper())
            self.desiredChanged.emit()

    def set_cells(self, indexes: Iterable[QModelIndex], enabled: bool | None) -> int:
        """Set several service cells at once (None: back to what the host reports); returns how many changed."""
        if self._locked:
            return 0
        changed = 0
        for index in indexes:
            if not index.isValid() or index.model() is not self or index.column() < FIRST_SERVICE_COLUMN:
                continue
            vm = self._rows[index.row()].vm
            guid = IC_GUIDS[index.column() - FIRST_SERVICE_COLUMN]
            if self._store(vm.key, guid, enabled):
                self._emit_cell(vm.key, guid)
                changed += 1
        if changed:
            self.desiredChanged.emit()
        return changed

    def toggle_cells(self, indexes: Sequence[QModelIndex], lead: QModelIndex | None = None) -> int:
        """Flip the desired state of cells: all take the opposite of the lead cell's (or the first cell's)."""
        cells = [i for i in indexes if i.isValid() and i.model() is self and i.column() >= FIRST_SERVICE_COLUMN]
        if not cells:
            return 0
        anchor = lead if lead is not None and lead in cells else cells[0]
        return self.set_cells(cells, not bool(anchor.data(DesiredRole)))

    def reset(self) -> None:
        """Forget every desired change: the matrix shows what the hosts report."""
        if self._locked or not self._desired:
            return
        self._desired.clear()
        self._emit_all()
        self.desiredChanged.emit()

    def apply_baseline(self, baseline: Baseline) -> list[str]:
        """Replace the desired states with what `baseline` wants for each VM; returns its notes (what it
        deliberately left as it is, and why)."""
        if self._locked:
            return []
        desired, notes = desired_from_baseline(baseline, self.vms())
        self._desired.clear()
        for key, cells in desired.items():
            for guid, enabled in cells.items():
                self._store(key, guid.upper(), enabled)
        self._emit_all()
        self.desiredChanged.emit()
        return notes

    def _store(self, key: VmKey, guid: str, enabled: bool | None) -> bool:
        """Record a desire (dropping it when it equals the reported state); True when the cell changed."""
        current = self._current(self._rows[self._index[key]].vm, guid)
        cells = self._desired.get(key, {})
        before = cells.get(guid)
        after = None if enabled is None or enabled == current else enabled
        if after == before:
            return False
        if after is None:
            cells.pop(guid, None)
        else:
            cells[guid] = after
        if cells:
            self._desired[key] = cells
        else:
            self._desired.pop(key, None)
        return True

    # ---- what the hosts say --------------------------------------------------------------------

    def set_host_label(self, host: str, label: str) -> None:
        if self._host_labels.get(host, host) == label:
            return
        self._host_labels[host] = label
        for row, item in enumerate(self._rows):
            if item.vm.host == host:
                self.dataChanged.emit(self.index(row, HOST_COLUMN), self.index(row, HOST_COLUMN))

    def apply_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        """Bring the rows up to date with a refresh; VMs that were not selected are ignored."""
        for vm in (*diff.changed, *diff.added):
            row = self._index.get(vm.key)
            if row is None:
                continue
            item = self._rows[row]
            shown_changed = item.gone or _shown(item.vm) != _shown(vm)
            item.vm = vm  # the newest version either way (CPU figures and the like change on every refresh)
            item.gone = False
            if shown_changed:
                self._settle(vm.key)
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1), _CELL_ROLES)
        for key in diff.removed:
            row = self._index.get(key)
            if row is None or self._rows[row].gone:
                continue
            self._rows[row].gone = True
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1), _CELL_ROLES)

    def _settle(self, key: VmKey) -> None:
        """Drop desires the host's report now matches (the change was made, here or elsewhere)."""
        cells = self._desired.get(key)
        if not cells:
            return
        vm = self._rows[self._index[key]].vm
        settled = [guid for guid, enabled in cells.items() if self._current(vm, guid) == enabled]
        for guid in settled:
            del cells[guid]
        if not cells:
            del self._desired[key]
        if settled:
            self.desiredChanged.emit()

    # ---- applying ------------------------------------------------------------------------------

    def set_locked(self, locked: bool) -> None:
        """While an apply runs the matrix is read-only: the plan under way must not change under the admin."""
        if locked != self._locked:
            self._locked = locked
            self._emit_all()

    def clear_results(self) -> None:
        if self._results:
            self._results.clear()
            self._emit_all()

    def set_result(self, result: ChangeResult) -> None:
        key, guid = result.change.vm_key, result.change.ic_guid.upper()
        self._results[(key, guid)] = result
        if key in self._index and guid in IC_GUIDS:
            self._emit_cell(key, guid)

    # ---- signals -------------------------------------------------------------------------------

    def _emit_cell(self, key: VmKey, guid: str) -> None:
        index = self.cell(key, guid)
        if index.isValid():
            self.dataChanged.emit(index, index, _CELL_ROLES)

    def _emit_all(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1))
