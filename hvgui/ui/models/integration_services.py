"""Integration services of the selected VM, read-only, as the Summary tab lists them.

The rows follow the VM shown; a refresh of the same VM emits `dataChanged` for the services that changed,
and only showing a different VM replaces the rows.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from PySide6.QtCore import Qt

from hvgui.domain.integration import ComponentStatus, IntegrationServiceState
from hvgui.ui.models.table_base import ColumnTableModel, ModelIndex
from hvgui.ui.text import one_line

#: The `IntegrationServiceState` of the row.
ServiceRole = Qt.ItemDataRole.UserRole + 1


class ServiceColumn(enum.IntEnum):
    Name = 0
    Enabled = 1
    Status = 2


_HEADERS = {ServiceColumn.Name: "Service", ServiceColumn.Enabled: "Enabled", ServiceColumn.Status: "Status"}
_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, ServiceRole]


def service_status_text(service: IntegrationServiceState) -> str:
    """Status text such as "OK" or "Lost Communication" as the host words it, or "—" when the host reports nothing."""
    if service.primary_text:
        text = service.primary_text
    elif service.primary is not None:
        text = _status_words(service.primary)
    else:
        return "\u2014"
    if service.secondary_text and service.secondary_text != text:
        text = f"{text} ({service.secondary_text})"
    return text


def _status_words(status: ComponentStatus) -> str:
    return "OK" if status == ComponentStatus.Ok else status.name


class IntegrationServicesModel(ColumnTableModel[IntegrationServiceState]):
    _columns = ServiceColumn
    _headers = _HEADERS

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        service = self._row_for(index)
        if service is None:
            return None
        column = ServiceColumn(index.column())
        if role == ServiceRole:
            return service
        if role == Qt.ItemDataRole.DisplayRole:
            match column:
                case ServiceColumn.Name:
                    return one_line(service.name)
                case ServiceColumn.Enabled:
                    return "Yes" if service.enabled else "No"
                case ServiceColumn.Status:
                    return one_line(service_status_text(service))
        if role == Qt.ItemDataRole.ToolTipRole:
            info = service.info
            return info.purpose if info is not None else service.name
        return None

    def services(self) -> tuple[IntegrationServiceState, ...]:
        return tuple(self._rows)

    def set_services(self, services: Sequence[IntegrationServiceState]) -> None:
        """Show `services`: changed rows emit dataChanged; a different set of services replaces the rows."""
        services = list(services)
        if [s.ic_guid for s in services] != [s.ic_guid for s in self._rows]:
            self.beginResetModel()  # a different VM (or a host that reports other services): new rows
            self._rows = services
            self.endResetModel()
            return
        for row, service in enumerate(services):
            if self._rows[row] != service:
                self._rows[row] = service
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(ServiceColumn) - 1), _ROLES)
