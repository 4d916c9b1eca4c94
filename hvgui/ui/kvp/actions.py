"""The main window's entry point to bulk key-value pair changes, installed by one call.

`install_kvp_actions(window)` adds "VM > Key-value pair on selected VMs..." (Ctrl+Shift+K): one host-to-guest
pair set on, or removed from, the VMs selected in the table, across hosts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from hvgui.domain.vm import Vm
from hvgui.ui.kvp.bulk_dialog import KvpBulkDialog
from hvgui.ui.kvp.controller import KvpController

if TYPE_CHECKING:
    from hvgui.ui.main_window import MainWindow

KVP_BULK_SHORTCUT = "Ctrl+Shift+K"


class KvpActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = KvpController(window.controller, self)
        self.bulk_action = QAction("&Key-value pair on selected VMs\u2026", window)
        self.bulk_action.setObjectName("kvpBulkAction")
        self.bulk_action.setShortcut(QKeySequence(KVP_BULK_SHORTCUT))
        self.bulk_action.setToolTip(f"Set or remove one host-to-guest pair on the selected VMs ({KVP_BULK_SHORTCUT})")
        self.bulk_action.triggered.connect(lambda _checked=False: self.open_bulk_dialog())
        window.addAction(self.bulk_action)
        window.table.selectionModel().selectionChanged.connect(lambda *_: self._update_enabled())
        self._update_enabled()

    def open_bulk_dialog(self, vms: list[Vm] | None = None) -> KvpBulkDialog | None:
        chosen = self.window.selected_vms() if vms is None else list(vms)
        if not chosen:
            self.window.statusBar().showMessage("Select one or more VMs first.", 5000)
            return None
        dialog = KvpBulkDialog(
            chosen,
            self.controller,
            host_label=self.window.vm_model.host_label,
            computer_name=self.window.computer_name,
            parent=self.window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _update_enabled(self) -> None:
        self.bulk_action.setEnabled(bool(self.window.table.selectionModel().selectedRows()))


def install_kvp_actions(window: MainWindow, *, vm_menu: QMenu | None = None) -> KvpActions:
    actions = KvpActions(window)
    if vm_menu is not None:
        vm_menu.addAction(actions.bulk_action)
    return actions
