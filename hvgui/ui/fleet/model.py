"""The fleet compliance grid: every VM of every host x the six integration services, coloured by state.

Fed by the same inventory updates as the VM table (`apply(diff)`), keyed by `VmKey` with a key->row index:
arrivals and departures insert and remove rows, and a refresh emits `dataChanged` for exactly the cells
that changed. The model is never reset by a refresh.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from hvgui.domain.bulk import IC_GUIDS
from hvgui.domain.integration import ComponentStatus, IntegrationServiceState, service_for_guid
from hvgui.domain.vm import Vm
from hvgui.domain.why import ServiceCondition, explain, service_condition
from hvgui.ui.models.table_base import ModelIndex
from hvgui.ui.models.vm_rows import VmRowsModel, cell_runs
from hvgui.ui.text import one_line
from hvgui.ui.theme import is_dark, readable, row_tint, tint_text

#: The row's Vm; survives proxies.
VmRole = Qt.ItemDataRole.UserRole + 1
#: A service cell's `ServiceCondition`.
ConditionRole = Qt.ItemDataRole.UserRole + 2
#: A service cell's `CellTone` (its colour family).
ToneRole = Qt.ItemDataRole.UserRole + 3
#: A service cell's `IntegrationServiceState` (None when the host does not report the service).
ServiceRole = Qt.ItemDataRole.UserRole + 4
#: A value that sorts the column naturally.
SortRole = Qt.ItemDataRole.UserRole + 5
#: Text the free-text filter matches (name, host, state, guest OS), on the VM column.
FilterTextRole = Qt.ItemDataRole.UserRole + 6

HOST_COLUMN = 0
VM_COLUMN = 1
STATE_COLUMN = 2
GUEST_COLUMN = 3
FIRST_SERVICE_COLUMN = 4
COLUMN_COUNT = FIRST_SERVICE_COLUMN + len(IC_GUIDS)

_HEADERS = {HOST_COLUMN: "Host", VM_COLUMN: "VM", STATE_COLUMN: "State", GUEST_COLUMN: "Guest"}


class CellTone(enum.IntEnum):
    """Colour families of a service cell, ordered so that sorting descending puts the worst first."""

    Neutral = 0  # the VM does not run (no status to judge), or the host reports none
    Disabled = 1  # switched off on the host
    Good = 2  # enabled and OK
    Warning = 3  # enabled, not OK, but answering in part (no contact yet, protocol mismatch, degraded...)
    Bad = 4  # enabled and broken or silent after having answered (lost communication, error)


#: Statuses that mean the component stopped working, rather than works in part or has not answered yet.
BAD_STATUSES = frozenset(
    {
        ComponentStatus.LostCommunication,
        ComponentStatus.Error,
        ComponentStatus.NonRecoverableError,
        ComponentStatus.CommunicationFailed,
        ComponentStatus.CommunicationTimedOut,
    }
)

TONE_COLOURS: dict[CellTone, str | None] = {
    CellTone.Neutral: None,
    CellTone.Disabled: "#e1e3e6",
    CellTone.Good: "#cdebd5",
    CellTone.Warning: "#fbe3a6",
    CellTone.Bad: "#f6c0bd",
}
_TONE_TEXT = {
    CellTone.Disabled: "#4d5156",
    CellTone.Good: "#1e5631",
    CellTone.Warning: "#6b4a00",
    CellTone.Bad: "#8c1d18",
}
_MUTED = "#8a8f95"


def cell_tone(vm: Vm, state: IntegrationServiceState | None) -> CellTone:
    """The colour family of one service of one VM, from the domain's reading of the host's report."""
    condition = service_condition(vm, state)
    if condition is ServiceCondition.Ok:
        return CellTone.Good
    if condition is ServiceCondition.Disabled:
        return CellTone.Disabled
    if condition is ServiceCondition.Problem and state is not None:
        return CellTone.Bad if {state.primary, state.secondary} & BAD_STATUSES else CellTone.Warning
    return CellTone.Neutral


def cell_text(vm: Vm, state: IntegrationServiceState | None) -> str:
    """Short text of a cell: OK / Off / On (VM not running) / the host's words for what is wrong."""
    condition = service_condition(vm, state)
    if state is None:
        return "Not reported"
    if condition is ServiceCondition.Ok:
        return "OK"
    if condition is ServiceCondition.Disabled:
        return "Off"
    if condition is ServiceCondition.NotRunning:
        return "On"
    if condition is ServiceCondition.Unknown:
        return "On (no status)"
    return problem_text(state)


def problem_text(state: IntegrationServiceState) -> str:
    """A short name for the status that is not OK; the host's own (possibly long, localized) wording is in the
    tooltip. A protocol mismatch, for instance, comes as a whole sentence."""
    for status, text in ((state.primary, state.primary_text), (state.secondary, state.secondary_text)):
        if status is not None and status is not ComponentStatus.Ok:
            return _words(status) if status in _WORDS or not text else text
    return state.primary_text or "Not OK"


_WORDS = {
    ComponentStatus.NoContact: "No Contact",
    ComponentStatus.LostCommunication: "Lost Communication",
    ComponentStatus.ProtocolMismatch: "Protocol Mismatch",
    ComponentStatus.ApplicationCritical: "Application Critical",
    ComponentStatus.NonRecoverableError: "Non-Recoverable Error",
    ComponentStatus.CommunicationTimedOut: "Communication Timed Out",
    ComponentStatus.CommunicationFailed: "Communication Failed",
    ComponentStatus.Degraded: "Degraded",
    ComponentStatus.Error: "Error",
    ComponentStatus.Dormant: "Dormant",
}


def _words(status: ComponentStatus) -> str:
    return _WORDS.get(status, status.name)


def guest_text(vm: Vm) -> str:
    os_name = vm.guest_os_name or ""
    if vm.is_domain_controller:  # first, so a narrow column still shows it
        return f"Domain controller \u00b7 {os_name}" if os_name else "Domain controller"
    return os_name


def _cell_signature(vm: Vm, guid: str) -> tuple[object, ...]:
    """What a service cell shows depends on this; equal signatures need no repaint."""
    return (vm.service(guid), service_condition(vm, vm.service(guid)), vm.name, vm.guest_os_name)


def _service_inputs(vm: Vm) -> tuple[object, ...]:
    """Everything `_cell_signature` reads, for every service at once."""
    return (vm.integration_services, vm.state, vm.name, vm.guest_os_name)


def changed_columns(old: Vm, new: Vm) -> list[int]:
    columns: list[int] = []
    if old.name != new.name:
        columns.append(VM_COLUMN)
    if old.state != new.state:
        columns.append(STATE_COLUMN)
    if (old.guest_os_name, old.guest_product_type) != (new.guest_os_name, new.guest_product_type):
        columns.append(GUEST_COLUMN)
    if _service_inputs(old) == _service_inputs(new):
        # What every service cell is made of is unchanged (a refresh where only CPU, memory or the heartbeat
        # moved): no signature needs computing. This is the common case on every refresh.
        return columns
    for offset, guid in enumerate(IC_GUIDS):
        if _cell_signature(old, guid) != _cell_signature(new, guid):
            columns.append(FIRST_SERVICE_COLUMN + offset)
    return columns


class FleetModel(VmRowsModel):
    """All VMs of all connected hosts, in arrival order; a proxy filters and sorts."""

    _columns = range(COLUMN_COUNT)
    _headers = _HEADERS

    # ---- reading -------------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        """The service columns name their component and say what it does; the others are plain text."""
        if orientation != Qt.Orientation.Horizontal or not (FIRST_SERVICE_COLUMN <= section < COLUMN_COUNT):
            return super().headerData(section, orientation, role)
        info = service_for_guid(IC_GUIDS[section - FIRST_SERVICE_COLUMN])
        if info is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return info.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return info.purpose
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        vm = self._row_for(index)
        if vm is None:
            return None
        column = index.column()
        if role == VmRole:
            return vm
        if column >= FIRST_SERVICE_COLUMN:
            return self._service_data(vm, IC_GUIDS[column - FIRST_SERVICE_COLUMN], role)
        stale = vm.host in self._stale_hosts
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(self._text(vm, column))
        if role == SortRole:
            return self._text(vm, column).casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._text(vm, column)
            if stale:
                text += f"\n{self.host_label(vm.host)} is not answering: these are the last values it reported."
            return text or None
        if role == FilterTextRole and column == VM_COLUMN:
            return self._filter_text(vm)
        if role == Qt.ItemDataRole.ForegroundRole and stale:
            return QBrush(readable(_MUTED))
        if role == Qt.ItemDataRole.FontRole and stale:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _text(self, vm: Vm, column: int) -> str:
        if column == HOST_COLUMN:
            return self.host_label(vm.host)
        if column == VM_COLUMN:
            return vm.name
        if column == STATE_COLUMN:
            return vm.state.label
        return guest_text(vm)

    def _service_data(self, vm: Vm, guid: str, role: int):
        state = vm.service(guid)
        if role == ServiceRole:
            return state
        if role == ConditionRole:
            return service_condition(vm, state)
        tone = cell_tone(vm, state)
        if role == ToneRole:
            return tone
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(cell_text(vm, state))
        if role == SortRole:
            return (int(tone), cell_text(vm, state))
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = TONE_COLOURS[tone]
            return QBrush(row_tint(colour)) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if vm.host in self._stale_hosts or tone is CellTone.Neutral:
                return QBrush(readable(_MUTED))
            return QBrush(QColor(_TONE_TEXT[tone]) if not is_dark() else tint_text())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._service_tooltip(vm, guid, state)
        return None

    def _service_tooltip(self, vm: Vm, guid: str, state: IntegrationServiceState | None) -> str:
        info = service_for_guid(guid)
        name = state.name if state is not None and state.name else (info.name if info is not None else guid)
        if state is None:
            lines = [f"{name} on '{vm.name}': not reported by the host."]
        else:
            status = " / ".join(t for t in (state.primary_text, state.secondary_text) if t) or "no status"
            lines = [f"{name} on '{vm.name}': {'enabled' if state.enabled else 'disabled'}; {status}."]
            why = explain(vm, state)
            if why:
                lines.append(why)
        if vm.host in self._stale_hosts:
            lines.append(f"{self.host_label(vm.host)} is not answering: these are the last values it reported.")
        return "\n".join(lines)

    def _filter_text(self, vm: Vm) -> str:
        parts = (vm.name, vm.host, self.host_label(vm.host), vm.state.label, guest_text(vm))
        return "\n".join(parts).casefold()

    # ---- queries -------------------------------------------------------------------------------

    def service_column(self, ic_guid: str) -> int:
        return FIRST_SERVICE_COLUMN + IC_GUIDS.index(ic_guid.upper())

    # ---- what a change repaints ----------------------------------------------------------------

    def _rows_changed(self, changes: list[tuple[int, Vm, Vm]]) -> None:
        """Only the cells whose content differs, in as few rectangles as they allow (`cell_runs`): a refresh
        where only CPU figures moved repaints nothing here, one where a service changed repaints its cell."""
        cells: dict[int, list[int]] = {}
        for row, old, new in changes:
            for column in changed_columns(old, new):
                cells.setdefault(column, []).append(row)
        for first, last, left, right in cell_runs(cells):
            self.dataChanged.emit(self.index(first, left), self.index(last, right))

    def _host_label_changed(self, host: str) -> None:
        self._emit_for_host(host, HOST_COLUMN, HOST_COLUMN)
