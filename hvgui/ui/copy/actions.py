"""The main window's ways into a copy, installed by one call: "VM > Copy to VM..." (Ctrl+Shift+U, also in the
VM table's context menu and on the VM panel), and drops of local files on a VM row or on the VM panel.

Each opens `CopyToVmDialog` for one VM, kept up to date with the host's refreshes while it is open. A copy
whose "If a file exists" is Ask puts its questions through the window's one `ExistingFileAsker`.
"VM > Copy from VM..." (Ctrl+Shift+D, also in the context menu and on the VM panel) opens `CopyFromVmDialog`
the same way, to bring files of a Windows guest to this computer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QRect, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from hvgui.domain.vm import Vm
from hvgui.ui.controllers.vm_actions import ActionKind, VmAction
from hvgui.ui.copy.dialog import CopyToVmDialog
from hvgui.ui.copy.drop import VmDropTarget
from hvgui.ui.copy.existing_question import ExistingFileAsker
from hvgui.ui.copy.from_vm_dialog import CopyFromVmDialog
from hvgui.ui.guest_keyring import remember_guest_accounts
from hvgui.ui.models.vm_table import VmRole
from hvgui.ui.text import one_line

if TYPE_CHECKING:
    from hvgui.ui.main_window import MainWindow

COPY_SHORTCUT = "Ctrl+Shift+U"
#: "Copy from VM..." (D as in download: Ctrl+Shift+C copies an operation's details in the Activity dock).
COPY_FROM_SHORTCUT = "Ctrl+Shift+D"
_COPY_KINDS = frozenset({ActionKind.CopyToGuest, ActionKind.CopyFromGuest})


class CopyActions(QObject):
    """Owns "Copy to VM...", the two drop targets and the open copy dialog."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: CopyToVmDialog | None = None
        #: Asks about files that exist in a guest, for every copy of the window (one question at a time).
        self.asker = ExistingFileAsker(window)
        self.copy_action = QAction("Cop&y to VM\u2026", window)
        self.copy_action.setObjectName("copyToVmAction")
        self.copy_action.setShortcut(QKeySequence(COPY_SHORTCUT))
        self.copy_action.setToolTip(
            f"Copy files and folders of this computer into the selected VM ({COPY_SHORTCUT}); "
            "you can also drop them on a VM"
        )
        self.copy_action.triggered.connect(lambda _checked=False: self.copy_to_selected())
        window.addAction(self.copy_action)
        self.from_dialog: CopyFromVmDialog | None = None
        self.copy_from_action = QAction("Copy &from VM\u2026", window)
        self.copy_from_action.setObjectName("copyFromVmAction")
        self.copy_from_action.setShortcut(QKeySequence(COPY_FROM_SHORTCUT))
        self.copy_from_action.setToolTip(
            f"Copy files or folders of the selected Windows guest to this computer ({COPY_FROM_SHORTCUT})"
        )
        self.copy_from_action.triggered.connect(lambda _checked=False: self.copy_from_selected())
        window.addAction(self.copy_from_action)

        self.table_drops = VmDropTarget(window.table.viewport(), self._vm_at_row, self._row_outline)
        self.table_drops.dropped.connect(self.open_dialog)
        self.panel_drops = VmDropTarget(window.vm_panel, lambda _pos: window.vm_panel.vm())
        self.panel_drops.dropped.connect(self.open_dialog)
        window.vm_panel.copyRequested.connect(lambda vm: self.open_dialog(vm, []))
        window.vm_panel.copyFromRequested.connect(self.open_from_dialog)
        window.table.selectionModel().selectionChanged.connect(lambda *_: self.update_enabled())
        window.vm_actions.finished.connect(lambda result: self._say(result.action, result.message))
        window.vm_actions.failed.connect(lambda failure: self._say(failure.action, failure.message))
        self.update_enabled()

    def _say(self, action: VmAction, message: str) -> None:
        """A copy's outcome in the status bar (the dialog is closed by then; the Activity dock keeps it)."""
        if action.kind in _COPY_KINDS:
            self.window.statusBar().showMessage(one_line(message), 20000)

    def populate_menu(self, menu: QMenu) -> None:
        menu.addAction(self.copy_action)
        menu.addAction(self.copy_from_action)

    def update_enabled(self) -> None:
        one = len(self.window.selected_vms()) == 1
        self.copy_action.setEnabled(one)
        self.copy_from_action.setEnabled(one)

    def copy_to_selected(self) -> CopyToVmDialog | None:
        vms = self.window.selected_vms()
        if len(vms) != 1:
            self.window.statusBar().showMessage("Select one VM to copy files into.", 5000)
            return None
        return self.open_dialog(vms[0], [])

    def open_dialog(self, vm: Vm, paths: Sequence[str]) -> CopyToVmDialog:
        """Open the dialog for `vm` with `paths` listed (window-modal, non-blocking); one at a time."""
        if self.dialog is not None:
            self.dialog.close()
        window = self.window
        current = window.vm_model.vm(vm.key) or vm
        dialog = CopyToVmDialog(
            current,
            list(paths),
            window.vm_actions,
            preferences=window.preferences,
            confirmer=window.confirmer,
            host_label=window.vm_model.host_label(vm.host),
            ask_existing=self.asker.ask,
            parent=window,
        )
        self.dialog = dialog
        self._show(dialog, "dialog")
        return dialog

    def copy_from_selected(self) -> CopyFromVmDialog | None:
        vms = self.window.selected_vms()
        if len(vms) != 1:
            self.window.statusBar().showMessage("Select one VM to copy files from.", 5000)
            return None
        return self.open_from_dialog(vms[0])

    def open_from_dialog(self, vm: Vm) -> CopyFromVmDialog:
        """Open "Copy from VM" for `vm` (window-modal, non-blocking), following the host's refreshes; one at a
        time."""
        if self.from_dialog is not None:
            self.from_dialog.close()
        window = self.window
        current = window.vm_model.vm(vm.key) or vm
        dialog = CopyFromVmDialog(
            current,
            window.vm_actions,
            preferences=window.preferences,
            host_label=window.vm_model.host_label(vm.host),
            parent=window,
        )
        remember_guest_accounts(dialog, current, window.saved_hosts)  # "Remember in the keyring"
        self.from_dialog = dialog
        self._show(dialog, "from_dialog")
        return dialog

    def _show(self, dialog: CopyToVmDialog | CopyFromVmDialog, slot: str) -> None:
        """Open `dialog` window-modal, following the host's refreshes until it closes; `slot` is the attribute
        that holds it while it is open."""
        controller = self.window.controller
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        controller.inventoryChanged.connect(dialog.on_inventory)
        controller.hostRemoved.connect(dialog.on_host_removed)

        def forget(_result: int) -> None:
            controller.inventoryChanged.disconnect(dialog.on_inventory)
            controller.hostRemoved.disconnect(dialog.on_host_removed)
            if getattr(self, slot) is dialog:
                setattr(self, slot, None)

        dialog.finished.connect(forget)
        dialog.open()

    def _vm_at_row(self, position: QPoint) -> Vm | None:
        index = self.window.table.indexAt(position)
        vm = index.data(VmRole) if index.isValid() else None
        return vm if isinstance(vm, Vm) else None

    def _row_outline(self, position: QPoint) -> QRect | None:
        table = self.window.table
        index = table.indexAt(position)
        if not index.isValid():
            return None
        rect = table.visualRect(index)
        return QRect(0, rect.top(), table.viewport().width(), rect.height())


def install_copy_actions(window: MainWindow) -> CopyActions:
    return CopyActions(window)
