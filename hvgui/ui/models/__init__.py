"""Qt item models; each changes only through its own apply-style methods, never by a reset on refresh."""

from hvgui.ui.models.host_list import HostListModel
from hvgui.ui.models.integration_services import IntegrationServicesModel
from hvgui.ui.models.vm_filter import VmFilterProxyModel
from hvgui.ui.models.vm_table import Column, HeartbeatRole, SortRole, VmRole, VmTableModel

__all__ = [
    "Column",
    "HeartbeatRole",
    "HostListModel",
    "IntegrationServicesModel",
    "SortRole",
    "VmFilterProxyModel",
    "VmRole",
    "VmTableModel",
]
