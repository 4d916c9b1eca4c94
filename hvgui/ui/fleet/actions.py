"""The main window's entry points to the bulk and fleet views, installed by one call.

`install_fleet_actions(window)` adds "VM > Integration services..." (Ctrl+Shift+I, for the VMs selected in
the table, across hosts) and "View > Fleet compliance" (Ctrl+Shift+F), keeps a fleet grid model fed from
the window's HostsController, and makes sure any bulk apply still running ends before the hosts close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from hvgui.domain.vm import Vm, VmKey
from hvgui.ui.bulk.controller import BulkApplyController
from hvgui.ui.bulk.dialog import BulkServicesDialog
from hvgui.ui.fleet.feed import FleetFeed
from hvgui.ui.fleet.model import FleetModel
from hvgui.ui.fleet.window import FleetWindow

if TYPE_CHECKING:
    from hvgui.remoting import HostSession
    from hvgui.ui.main_window import MainWindow

BULK_SHORTCUT = "Ctrl+Shift+I"
FLEET_SHORTCUT = "Ctrl+Shift+F"


class FleetActions(QObject):
    """Owns the two actions, the fleet model and its window, and the bulk dialogs' apply controllers."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.hosts = window.controller
        # The grid's model is made, and fed, when the grid is first opened: until then no refresh pays for it
        # (the feed starts from what the sessions hold, so the grid is complete at once).
        self._fleet_model: FleetModel | None = None
        self.feed: FleetFeed | None = None
        self.fleet_window: FleetWindow | None = None
        self._apply_controllers: set[BulkApplyController] = set()

        self.bulk_action = QAction("&Integration services\u2026", window)
        self.bulk_action.setObjectName("bulkServicesAction")
        self.bulk_action.setShortcut(QKeySequence(BULK_SHORTCUT))
        self.bulk_action.setToolTip(f"Set the integration services of the selected VMs, across hosts ({BULK_SHORTCUT})")
        self.bulk_action.triggered.connect(lambda _checked=False: self.open_bulk_dialog())
        self.fleet_action = QAction("Fleet &compliance", window)
        self.fleet_action.setObjectName("fleetComplianceAction")
        self.fleet_action.setShortcut(QKeySequence(FLEET_SHORTCUT))
        self.fleet_action.setToolTip(f"Every VM's integration services, coloured by state ({FLEET_SHORTCUT})")
        self.fleet_action.triggered.connect(lambda _checked=False: self.show_fleet())
        window.addAction(self.bulk_action)
        window.addAction(self.fleet_action)

        window.table.selectionModel().selectionChanged.connect(lambda *_: self._update_enabled())
        self.hosts.add_close_hook(self.aclose)
        self._update_enabled()

    # ---- the bulk dialog -----------------------------------------------------------------------

    def open_bulk_dialog(self, vms: list[Vm] | None = None) -> BulkServicesDialog | None:
        """Open the bulk dialog for `vms` (default: the selection); None when there is nothing to edit."""
        chosen = self.window.selected_vms() if vms is None else list(vms)
        if not chosen:
            self.window.statusBar().showMessage("Select one or more VMs first.", 5000)
            return None
        dialog = BulkServicesDialog(
            chosen,
            BulkApplyController(self._session),
            host_label=self.window.vm_model.host_label,
            computer_name=self.window.computer_name,
            parent=self.window,
        )
        controller = dialog.controller
        controller.setParent(dialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.hosts.inventoryChanged.connect(dialog.on_inventory)
        self.hosts.hostStatusChanged.connect(dialog.on_host_status)
        self._apply_controllers.add(controller)
        controllers = self._apply_controllers
        controller.destroyed.connect(lambda *_: controllers.discard(controller))
        dialog.show()
        return dialog

    def _session(self, key: str) -> HostSession | None:
        if self.hosts.is_closed or not self.hosts.has_host(key):
            return None
        return self.hosts.session(key)

    def _update_enabled(self) -> None:
        self.bulk_action.setEnabled(bool(self.window.table.selectionModel().selectedRows()))

    # ---- the fleet grid ------------------------------------------------------------------------

    @property
    def fleet_model(self) -> FleetModel:
        """The grid's model, made and fed from the first time it is asked for."""
        if self._fleet_model is None:
            self._fleet_model = FleetModel(self)
            self.feed = FleetFeed(self.hosts, self._fleet_model, self)
        return self._fleet_model

    def show_fleet(self) -> FleetWindow:
        """Open the fleet compliance window, or bring it to the front."""
        if self.fleet_window is None:
            self.fleet_window = FleetWindow(self.fleet_model, self.window)
            self.fleet_window.vmActivated.connect(self.reveal_vm)
            self.fleet_window.bulkRequested.connect(lambda vms: self.open_bulk_dialog(vms))
        self.fleet_window.show_and_raise()
        return self.fleet_window

    def reveal_vm(self, key: VmKey) -> bool:
        """Select a VM in the main window and bring the window forward (from a double-click in the grid)."""
        shown = self.window.select_vm(key)
        self.window.raise_()
        self.window.activateWindow()
        return shown

    # ---- lifetime ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """End every bulk apply still running (its changes are reported) before the hosts close."""
        for controller in list(self._apply_controllers):
            await controller.aclose()


def install_fleet_actions(
    window: MainWindow, *, vm_menu: QMenu | None = None, view_menu: QMenu | None = None
) -> FleetActions:
    """Add the bulk and fleet actions to `window` (and to the given menus) and return their owner."""
    actions = FleetActions(window)
    for menu, action in ((vm_menu, actions.bulk_action), (view_menu, actions.fleet_action)):
        if menu is not None:
            if not menu.isEmpty():
                menu.addSeparator()
            menu.addAction(action)
    return actions
