"""The rows of the VM panel's "Integration services" tab: one per integration component, plus PowerShell Direct.

Rows are identified by the integration-component GUID the host reports (never by name, which a German host
words differently), so a refresh of the same VM updates rows in place with `dataChanged`. The Enabled
checkbox shows what the host last reported; a toggle does not change it. Instead the model emits
`toggleRequested`, the tab runs the command, and while it runs the row carries a `PendingRole` (the checkbox
shows "partially checked" and the text says "Enabling…"). The next refresh decides the checkbox: the model
never guesses. A change the host rejected leaves its reason on the row (`ErrorRole`) until the next attempt.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont

from hvgui.domain.heartbeat import NO_HEARTBEAT_TEXT, HeartbeatIndicator, HeartbeatTone
from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    POWERSHELL_DIRECT,
    ComponentStatus,
    Impact,
    IntegrationServiceState,
    ServiceInfo,
)
from hvgui.domain.vm import Vm, VmKey, VmState
from hvgui.domain.why import (
    WINDOWS_SERVICE_NAMES,
    GuestFamily,
    ServiceCondition,
    explain,
    explain_powershell_direct,
    guest_family,
    service_condition,
)
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line
from hvgui.ui.theme import readable

#: The key of the PowerShell Direct row (it is a guest feature, not an integration component with a GUID).
POWERSHELL_DIRECT_KEY = "POWERSHELL-DIRECT"

#: The row's key: the IC GUID (upper case) or `POWERSHELL_DIRECT_KEY`.
RowKeyRole = Qt.ItemDataRole.UserRole + 1
#: The `ServiceRow` behind any cell.
ServiceRowRole = Qt.ItemDataRole.UserRole + 2
#: The desired enabled state while a change runs (True/False), None otherwise.
PendingRole = Qt.ItemDataRole.UserRole + 3
#: The "Why?" text of a row that is not OK, None for a row that is.
WhyRole = Qt.ItemDataRole.UserRole + 4
#: Why the host rejected the last change of this row, None if it did not.
ErrorRole = Qt.ItemDataRole.UserRole + 5
#: A `HeartbeatIndicator` (tone + text) for the status dot.
IndicatorRole = Qt.ItemDataRole.UserRole + 6


class ServiceColumn(enum.IntEnum):
    Name = 0
    Enabled = 1
    Status = 2
    Why = 3
    Impact = 4
    Component = 5
    Since = 6
    Purpose = 7


HEADERS = {
    ServiceColumn.Name: "Service",
    ServiceColumn.Enabled: "Enabled",
    ServiceColumn.Status: "Status",
    ServiceColumn.Why: "Why?",
    ServiceColumn.Impact: "Impact",
    ServiceColumn.Component: "Guest component",
    ServiceColumn.Since: "Since",
    ServiceColumn.Purpose: "What it does",
}

HEADER_TOOLTIPS = {
    ServiceColumn.Name: "The service's name as the host reports it (in the host's language)",
    ServiceColumn.Enabled: "Whether the host offers the service to the guest; Space toggles it",
    ServiceColumn.Status: "Primary and secondary operational status, as the host reports them",
    ServiceColumn.Why: "What a status that is not OK means, and what to do",
    ServiceColumn.Impact: "What the VM loses when the service is disabled",
    ServiceColumn.Component: "The service or daemon inside the guest that answers the host",
    ServiceColumn.Since: "The Windows release that introduced the service",
}

IMPACT_COLOURS: dict[Impact, str] = {
    Impact.High: "#c42b1c",
    Impact.Medium: "#b86e00",
    Impact.Low: "#2b7a3d",
    Impact.Varies: "#5a6b8c",
}

GSI_NOTE = "Off by default in Hyper-V; the host needs it to copy files into the guest (Copy-VMFile)."

NOT_A_SWITCH = (
    "PowerShell Direct is not an integration component the host switches on or off: it works whenever the "
    "guest runs Windows 10 or Windows Server 2016 or later and its Hyper-V PowerShell Direct Service "
    "(vmicvmsession) runs. Manage that service inside the guest."
)

#: Statuses that leave the service working at least in part: a warning, not a failure.
_WARNING_STATUSES = {
    ComponentStatus.ProtocolMismatch,
    ComponentStatus.Degraded,
    ComponentStatus.ApplicationCritical,
    ComponentStatus.CommunicationTimedOut,
    ComponentStatus.Dormant,
}

_ALL_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.FontRole,
    ServiceRowRole,
    PendingRole,
    WhyRole,
    ErrorRole,
    IndicatorRole,
]


@dataclass(frozen=True)
class ServiceRow:
    """One row as shown: what the host reported and what hvgui derives from it."""

    key: str
    info: ServiceInfo | None  # None for a component hvgui does not know
    state: IntegrationServiceState | None  # None for PowerShell Direct
    name: str
    why: str | None
    status_text: str
    status_tooltip: str
    tone: HeartbeatTone
    component: str
    component_tooltip: str

    @property
    def toggleable(self) -> bool:
        return self.state is not None

    @property
    def enabled(self) -> bool | None:
        return None if self.state is None else self.state.enabled

    @property
    def is_ok(self) -> bool:
        return self.why is None


def build_rows(vm: Vm) -> list[ServiceRow]:
    """The rows of one VM: its integration components in the host's order, then PowerShell Direct."""
    family = guest_family(vm)
    rows = [_component_row(vm, state, family) for state in vm.integration_services]
    rows.append(_powershell_direct_row(vm, family))
    return rows


def _component_row(vm: Vm, state: IntegrationServiceState, family: GuestFamily) -> ServiceRow:
    info = state.info
    condition = service_condition(vm, state)
    text, tooltip = status_texts(state)
    component, component_tooltip = guest_component(info, family)
    return ServiceRow(
        key=state.ic_guid.upper(),
        info=info,
        state=state,
        name=state.name or (info.name if info is not None else state.ic_guid),
        why=explain(vm, state),
        status_text=text,
        status_tooltip=tooltip,
        tone=_tone(condition, state),
        component=component,
        component_tooltip=component_tooltip,
    )


def _powershell_direct_row(vm: Vm, family: GuestFamily) -> ServiceRow:
    why = explain_powershell_direct(vm)
    if why is None:
        text, tone = "Available", HeartbeatTone.Good
    elif family is GuestFamily.Linux:
        text, tone = "Not available (Linux guest)", HeartbeatTone.Neutral
    elif not vm.state.is_running or vm.state in (VmState.Paused, VmState.PausedCritical):
        text, tone = NO_HEARTBEAT_TEXT, HeartbeatTone.Neutral
    elif family is GuestFamily.Unknown:
        text, tone = "Unknown (no OS data)", HeartbeatTone.Neutral
    elif _major_version(vm.guest_os_version) is None:
        text, tone = "Unknown (no OS version)", HeartbeatTone.Neutral
    else:
        text, tone = "Not available (older Windows)", HeartbeatTone.Neutral
    if family is GuestFamily.Linux:
        component = "none (Windows guests only)"
        component_tooltip = "Linux guests have no PowerShell Direct service."
    else:
        component = POWERSHELL_DIRECT.windows_service
        component_tooltip = f"{WINDOWS_SERVICE_NAMES[component]} ({component}), Windows 10 / Server 2016 and later"
    return ServiceRow(
        key=POWERSHELL_DIRECT_KEY,
        info=POWERSHELL_DIRECT,
        state=None,
        name=POWERSHELL_DIRECT.name,
        why=why,
        status_text=text,
        status_tooltip=why or "Nothing speaks against PowerShell Direct: the guest runs a recent Windows.",
        tone=tone,
        component=component,
        component_tooltip=component_tooltip,
    )


def status_texts(state: IntegrationServiceState) -> tuple[str, str]:
    """The status cell ("OK", "No Contact", "OK · <secondary>") and its tooltip, in the host's words."""
    if state.primary is None and not state.primary_text:
        return NO_HEARTBEAT_TEXT, "The host reports no status: the VM is not running."
    primary = state.primary_text or _enum_words(state.primary)
    text = primary
    lines = [f"Primary status: {primary}" + _enum_suffix(state.primary, primary)]
    if state.secondary is not None or state.secondary_text:
        secondary = state.secondary_text or _enum_words(state.secondary)
        lines.append(f"Secondary status: {secondary}" + _enum_suffix(state.secondary, secondary))
        if secondary and secondary != primary and state.secondary is not ComponentStatus.Ok:
            text = f"{primary} \u00b7 {secondary}"
    return text, "\n".join(lines)


def _enum_words(status: ComponentStatus | None) -> str:
    if status is None:
        return ""
    return "OK" if status is ComponentStatus.Ok else status.name


def _enum_suffix(status: ComponentStatus | None, shown: str) -> str:
    """The operational status code beside the host's (possibly localized) words."""
    if status is None:
        return ""
    return f" ({status.name}, {int(status)})" if status.name != shown else f" ({int(status)})"


def guest_component(info: ServiceInfo | None, family: GuestFamily) -> tuple[str, str]:
    """The guest-side component for the guest's OS family, and a tooltip naming both families."""
    if info is None:
        return "", ""
    windows = info.windows_service
    windows_long = f"{WINDOWS_SERVICE_NAMES.get(windows, windows)} ({windows})"
    linux = info.linux_daemon
    linux_long = "the hv_utils kernel module" if linux == "hv_utils" else (linux or "none")
    if info is GUEST_SERVICE_INTERFACE:
        linux_long += " (older kernels: hv_fcopy_daemon)"
    tooltip = f"Windows guests: {windows_long}\nLinux guests: {linux_long}"
    if family is GuestFamily.Windows:
        return windows, tooltip
    if family is GuestFamily.Linux:
        return linux or "none", tooltip
    return f"{windows} / {linux}" if linux else windows, tooltip


def _tone(condition: ServiceCondition, state: IntegrationServiceState) -> HeartbeatTone:
    if condition is ServiceCondition.Ok:
        return HeartbeatTone.Good
    if condition in (ServiceCondition.Disabled, ServiceCondition.NotRunning):
        return HeartbeatTone.Neutral
    if condition is ServiceCondition.Unknown:
        return HeartbeatTone.Warning
    status = state.primary if state.primary is not ComponentStatus.Ok else state.secondary
    return HeartbeatTone.Warning if status in _WARNING_STATUSES else HeartbeatTone.Bad


def _major_version(version: str | None) -> int | None:
    head = (version or "").strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


def short_release(release: str) -> str:
    """`Windows Server 2012 / Windows 8` -> `WS2012 / Win8`, as the product's reference writes releases."""
    text = release.replace("Windows Server Technical Preview ", "WS TP").replace("Windows Server ", "WS")
    return text.replace("Windows ", "Win")


def purpose_text(info: ServiceInfo | None) -> str:
    if info is None:
        return ""
    if info is GUEST_SERVICE_INTERFACE:
        return f"{info.purpose} {GSI_NOTE}"
    return info.purpose


class ServiceRowsModel(ColumnTableModel[ServiceRow]):
    """The selected VM's services; toggles leave the model through `toggleRequested`."""

    #: The user asked to switch a service: (IC GUID, enable).
    toggleRequested = Signal(str, bool)

    _columns = ServiceColumn
    _headers = HEADERS
    _header_tooltips = HEADER_TOOLTIPS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vm: Vm | None = None
        self._pending: dict[tuple[VmKey, str], bool] = {}
        self._errors: dict[tuple[VmKey, str], str] = {}

    # ---- reading -------------------------------------------------------------------------------

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """The Enabled checkbox of a component can be clicked, unless a change of it is under way."""
        flags = super().flags(index)
        row = self._row_for(index)
        if row is not None and index.column() == ServiceColumn.Enabled and self._toggleable_now(row):
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = self._row_for(index)
        if row is None:
            return None
        column = ServiceColumn(index.column())
        if role == ServiceRowRole:
            return row
        if role == RowKeyRole:
            return row.key
        if role == PendingRole:
            return self.pending(row.key)
        if role == WhyRole:
            return row.why
        if role == ErrorRole:
            return self.error(row.key)
        if role == IndicatorRole:
            return HeartbeatIndicator(row.tone, one_line(row.status_text)) if column == ServiceColumn.Status else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.CheckStateRole:
            return self._check_state(row) if column == ServiceColumn.Enabled else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, column)
        if role == Qt.ItemDataRole.FontRole:
            return self._font(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == ServiceColumn.Enabled:
            return f"{row.name}: {self._display(row, column)}"
        return None

    def setData(self, index: ModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A click (or Space) on the checkbox: ask for the change; the checkbox waits for the host's truth."""
        row = self._row_for(index)
        if role != Qt.ItemDataRole.CheckStateRole or row is None or index.column() != ServiceColumn.Enabled:
            return False
        if not self._toggleable_now(row):
            return False
        enable = _check_value(value) == Qt.CheckState.Checked
        if enable != row.enabled:
            self.toggleRequested.emit(row.key, enable)
        return False  # nothing changed yet: the host decides

    def _toggleable_now(self, row: ServiceRow) -> bool:
        """A component whose checkbox takes a click: one change at a time per row, the host decides the rest."""
        return row.toggleable and self.pending(row.key) is None

    # ---- queries -------------------------------------------------------------------------------

    def vm(self) -> Vm | None:
        return self._vm

    def rows(self) -> Sequence[ServiceRow]:
        return tuple(self._rows)

    def row_of(self, key: str) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.key == key.upper()), None)

    def row(self, key: str) -> ServiceRow | None:
        number = self.row_of(key)
        return None if number is None else self._rows[number]

    def pending(self, key: str) -> bool | None:
        """The desired state of a change under way on this row of the shown VM, None if none runs."""
        return None if self._vm is None else self.pending_for(self._vm.key, key)

    def pending_for(self, vm_key: VmKey, key: str) -> bool | None:
        return self._pending.get((vm_key, key.upper()))

    def error(self, key: str) -> str | None:
        if self._vm is None:
            return None
        return self._errors.get((self._vm.key, key.upper()))

    # ---- changing ------------------------------------------------------------------------------

    def set_vm(self, vm: Vm | None) -> None:
        """Show `vm`'s services: the same rows are updated in place; other rows (another VM) replace them."""
        rows = build_rows(vm) if vm is not None else []
        same_vm = vm is not None and self._vm is not None and vm.key == self._vm.key
        if not same_vm or [r.key for r in rows] != [r.key for r in self._rows]:
            self.beginResetModel()
            self._vm = vm
            self._rows = rows
            self.endResetModel()
            return
        self._vm = vm
        for number, row in enumerate(rows):
            if self._rows[number] != row:
                self._rows[number] = row
                self._emit_row(number)

    def set_pending(self, vm_key: VmKey, key: str, desired: bool | None) -> None:
        """Mark a change under way (the desired state) or finished (None) for a row of any VM."""
        slot = (vm_key, key.upper())
        if desired is None:
            self._pending.pop(slot, None)
        else:
            self._pending[slot] = desired
        self._emit_key(vm_key, key)

    def set_error(self, vm_key: VmKey, key: str, message: str | None) -> None:
        """Leave the reason a change was rejected on its row (None clears it)."""
        slot = (vm_key, key.upper())
        if message is None:
            self._errors.pop(slot, None)
        else:
            self._errors[slot] = message
        self._emit_key(vm_key, key)

    def _emit_key(self, vm_key: VmKey, key: str) -> None:
        if self._vm is None or self._vm.key != vm_key:
            return
        number = self.row_of(key)
        if number is not None:
            self._emit_row(number)

    def _emit_row(self, number: int) -> None:
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(ServiceColumn) - 1), _ALL_ROLES)

    # ---- presentation --------------------------------------------------------------------------

    def _display(self, row: ServiceRow, column: ServiceColumn) -> str:
        match column:
            case ServiceColumn.Name:
                return one_line(row.name)
            case ServiceColumn.Enabled:
                return self._enabled_text(row)
            case ServiceColumn.Status:
                return one_line(row.status_text)
            case ServiceColumn.Why:
                return "Why?" if row.why else ""
            case ServiceColumn.Impact:
                return row.info.impact.value if row.info is not None else ""
            case ServiceColumn.Component:
                return row.component
            case ServiceColumn.Purpose:
                return purpose_text(row.info)
            case ServiceColumn.Since:
                return short_release(row.info.since) if row.info is not None else ""

    def _enabled_text(self, row: ServiceRow) -> str:
        if not row.toggleable:
            return "Not a setting"
        pending = self.pending(row.key)
        if pending is not None:
            return "Enabling\u2026" if pending else "Disabling\u2026"
        text = "On" if row.enabled else "Off"
        if self.error(row.key):
            text += " \u00b7 change rejected"
        return text

    def _check_state(self, row: ServiceRow) -> Qt.CheckState | None:
        if not row.toggleable:
            return None
        if self.pending(row.key) is not None:
            return Qt.CheckState.PartiallyChecked
        return Qt.CheckState.Checked if row.enabled else Qt.CheckState.Unchecked

    def _tooltip(self, row: ServiceRow, column: ServiceColumn) -> str | None:
        info = row.info
        match column:
            case ServiceColumn.Name:
                lines = [row.name]
                if info is not None and info.name != row.name:
                    lines[0] += f" ({info.name})"
                if info is not None:
                    lines.append(info.purpose)
                if row.state is not None:
                    lines.append(f"Integration component {row.key}")
                return "\n".join(lines)
            case ServiceColumn.Enabled:
                if not row.toggleable:
                    return NOT_A_SWITCH
                error = self.error(row.key)
                if error:
                    return f"The host rejected the last change: {error}"
                if self.pending(row.key) is not None:
                    return "The host is carrying out the change; the next refresh shows the result."
                return "Enabled on the host (Space or click to change)" if row.enabled else "Disabled on the host"
            case ServiceColumn.Status:
                return row.status_tooltip if row.why is None else f"{row.status_tooltip}\n\n{row.why}"
            case ServiceColumn.Why:
                return row.why
            case ServiceColumn.Impact:
                return f"Impact when disabled: {info.impact.value}. {info.impact_text}" if info else None
            case ServiceColumn.Component:
                return row.component_tooltip or None
            case ServiceColumn.Purpose:
                return purpose_text(info) or None
            case ServiceColumn.Since:
                return f"Introduced with {info.since}" if info is not None else None

    def _foreground(self, row: ServiceRow, column: ServiceColumn) -> QColor | None:
        if column == ServiceColumn.Impact and row.info is not None:
            return readable(IMPACT_COLOURS[row.info.impact])
        if column == ServiceColumn.Why and row.why:
            return readable("#1a5fb4")
        if column == ServiceColumn.Enabled and self.error(row.key) and self.pending(row.key) is None:
            return readable("#c42b1c")
        return None

    def _font(self, row: ServiceRow, column: ServiceColumn) -> QFont | None:
        if column == ServiceColumn.Enabled and self.pending(row.key) is not None:
            font = QFont()
            font.setItalic(True)
            return font
        if column == ServiceColumn.Impact and row.info is not None and row.info.impact is Impact.High:
            font = QFont()
            font.setBold(True)
            return font
        if column == ServiceColumn.Why and row.why:
            font = QFont()
            font.setUnderline(True)
            return font
        return None


def _check_value(value: object) -> Qt.CheckState:
    if isinstance(value, Qt.CheckState):
        return value
    try:
        return Qt.CheckState(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return Qt.CheckState.Unchecked
