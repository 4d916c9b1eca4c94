"""Keeps a FleetModel in step with a HostsController: the same inventory updates as the VM table.

The feed starts from what the sessions already hold (a grid opened later is complete at once) and then
applies each `inventoryChanged` diff, so the grid changes row by row and is never reset.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from hvgui.domain.connection import HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory
from hvgui.ui.controllers.hosts_controller import HostsController
from hvgui.ui.fleet.model import FleetModel
from hvgui.ui.models.host_list import rows_stale


class FleetFeed(QObject):
    def __init__(self, controller: HostsController, model: FleetModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        for key in controller.host_keys():
            status = controller.status(key)
            self.on_host_status(status)
            inventory = controller.inventory(key)
            if inventory is not None:
                model.apply(InventoryDiff(inventory.host, added=inventory.vms))
        controller.inventoryChanged.connect(self.on_inventory)
        controller.hostStatusChanged.connect(self.on_host_status)

    def on_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.model.apply(diff)

    def on_host_status(self, status: HostStatus) -> None:
        self.model.set_host_label(status.key, status.label)
        self.model.set_host_stale(status.key, rows_stale(status))
