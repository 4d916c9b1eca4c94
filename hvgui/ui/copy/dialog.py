"""The "Copy to VM" dialog: what is copied, where it goes in the guest, and whether the guest can take it.

It lists the dropped (or added) files and folders with their sizes, counting big folders in steps so the
window stays responsive; asks for the destination folder in the guest (remembered per VM, else `C:\\Temp` or
`/tmp` after the guest's OS) and checks it, and every file's path under it, against the guest's rules before
anything is sent; and shows what the last refresh says about the VM (off, Guest Service Interface disabled or
silent). A disabled Guest Service Interface can be enabled from here, after a confirmation, through the same
`set_service` path as the Integration services tab; the dialog follows the VM through later refreshes, so
Copy becomes available once the host reports the service on. Copy hands a `CopyToGuestOperation` to
`VmActionsController.copy_to_vm`, with the callback that asks the admin about files that exist in the guest
(when "If a file exists" is Ask); its progress is the Activity panel's business.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.existing_files import AskExisting
from hvgui.domain.guest_files import is_rooted
from hvgui.domain.guest_paths import GuestOs, check_destinations, check_folder, default_folder
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE
from hvgui.domain.operations import ExistingFile
from hvgui.domain.vm import Vm
from hvgui.ui.confirm import Confirmer, MessageBoxConfirmer, Question
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionResult, VmAction, VmActionsController
from hvgui.ui.copy.drop import local_paths
from hvgui.ui.copy.follows_vm import FollowsVm
from hvgui.ui.copy.items import LocalItem, describe, format_size
from hvgui.ui.copy.preconditions import guest_os, powershell_direct_blocker, readiness
from hvgui.ui.preferences import Preferences
from hvgui.ui.text import one_line
from hvgui.ui.theme import Tone, box_stylesheet, colour_text, follow_theme

#: Object name of the question asked before enabling Guest Service Interface from the dialog.
CONFIRM_ENABLE_GSI = "confirmEnableGuestServiceInterface"

_EXISTING_LABELS = {
    ExistingFile.Ask: "Ask",
    ExistingFile.Overwrite: "Overwrite",
    ExistingFile.Skip: "Skip",
}
#: Entries of a folder counted per timer tick: small enough to keep the window painting.
_COUNT_BUDGET = 2000


def _plain_label(object_name: str, *, error: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # VM names and paths are never markup
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if error:
        colour_text(label, Tone.Error)
    return label


class CopyToVmDialog(FollowsVm, QDialog):
    """Choose what to copy into one VM and where; Copy submits it (window-modal, non-blocking)."""

    def __init__(
        self,
        vm: Vm,
        paths: Sequence[str],
        actions: VmActionsController | None,
        *,
        preferences: Preferences,
        confirmer: Confirmer | None = None,
        host_label: str = "",
        ask_existing: AskExisting | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("copyToVmDialog")
        self._ask_existing = ask_existing
        self.setWindowTitle("Copy to VM")
        self.setAcceptDrops(True)
        self.resize(640, 520)
        self._vm: Vm | None = vm
        self._key = vm.key
        self._actions = actions
        self._preferences = preferences
        self._confirmer: Confirmer = confirmer or MessageBoxConfirmer()
        self._items: list[LocalItem] = []
        self._enable_action: VmAction | None = None
        #: The copy this dialog submitted (None until Copy is pressed).
        self.action: VmAction | None = None
        self._counter = QTimer(self)
        self._counter.setInterval(0)
        self._counter.timeout.connect(self._count_some)

        self.heading = _plain_label("copyHeading")
        where = f" on {host_label}" if host_label else ""
        self.heading.setText(f"Copy files and folders of this computer into '{one_line(vm.name)}'{where}.")

        self.table = QTableWidget(0, 2)
        self.table.setObjectName("copyItems")
        self.table.setHorizontalHeaderLabels(["Name", "Size"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.summary = _plain_label("copySummary")
        self.add_files_button = QPushButton("Add &files\u2026")
        self.add_folder_button = QPushButton("Add f&older\u2026")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setObjectName("copyRemove")
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        item_buttons = QHBoxLayout()
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            button.setAutoDefault(False)  # Enter means Copy, never "open a file chooser"
            item_buttons.addWidget(button)
        item_buttons.addStretch(1)

        self.destination = QLineEdit()
        self.destination.setObjectName("copyDestination")
        self.destination.setClearButtonEnabled(True)
        self.destination_error = _plain_label("copyDestinationError", error=True)
        self.create_folders = QCheckBox("Create &missing folders")
        self.create_folders.setObjectName("copyCreateFolders")
        self.create_folders.setChecked(True)
        self.existing = QComboBox()
        self.existing.setObjectName("copyExisting")
        for choice, label in _EXISTING_LABELS.items():
            self.existing.addItem(label, choice)
        self.existing.setToolTip(
            "Ask: the copy stops at each file that exists in the guest and asks whether to overwrite it, skip it "
            "(also for the rest of the copy) or cancel the copy. Overwrite and Skip decide without asking."
        )
        form = QFormLayout()
        destination_label = QLabel("&Destination in the guest:")
        destination_label.setBuddy(self.destination)
        self.browse_destination_button = QPushButton("Bro&wse\u2026")
        self.browse_destination_button.setObjectName("copyBrowseDestination")
        self.browse_destination_button.setAutoDefault(False)  # Enter means Copy
        self.browse_destination_button.setToolTip(
            "Choose the folder in the guest (a running Windows guest, through PowerShell Direct)"
        )
        self.browse_destination_button.clicked.connect(lambda _checked=False: self.browse_destination())
        #: The guest browser while it is open.
        self.guest_browser: QDialog | None = None
        destination_row = QHBoxLayout()
        destination_row.addWidget(self.destination, 1)
        destination_row.addWidget(self.browse_destination_button)
        form.addRow(destination_label, destination_row)
        form.addRow("", self.destination_error)
        form.addRow("", self.create_folders)
        existing_label = QLabel("If a file &exists:")
        existing_label.setBuddy(self.existing)
        form.addRow(existing_label, self.existing)

        self.precondition_box = QFrame()
        self.precondition_box.setObjectName("copyPreconditionBox")
        box = self.precondition_box
        follow_theme(box, lambda: box.setStyleSheet(box_stylesheet("#copyPreconditionBox", Tone.Note)))
        self.precondition = _plain_label("copyPrecondition")
        self.enable_button = QPushButton("E&nable Guest Service Interface\u2026")
        self.enable_button.setObjectName("copyEnableGsi")
        self.enable_button.setAutoDefault(False)  # a change on the host is never made by Enter
        self.enable_button.clicked.connect(self.enable_guest_service_interface)
        box_layout = QVBoxLayout(self.precondition_box)
        box_layout.setContentsMargins(8, 6, 8, 6)
        box_layout.addWidget(self.precondition)
        box_layout.addWidget(self.enable_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.buttons = QDialogButtonBox()
        self.copy_button = self.buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("copyCancel")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(item_buttons)
        layout.addLayout(form)
        layout.addWidget(self.precondition_box)
        layout.addWidget(self.buttons)

        remembered = preferences.copy_destination(vm.key)
        self.destination.setText(remembered or default_folder(guest_os(vm)))
        self.destination.textChanged.connect(lambda _text: self._update())
        if actions is not None:
            actions.finished.connect(self._on_finished)
            actions.failed.connect(self._on_failed)
        self.add_paths(paths)
        self._update()

    # ---- what is copied ------------------------------------------------------------------------

    def items(self) -> list[LocalItem]:
        return list(self._items)

    def sources(self) -> list[str]:
        return [item.path for item in self._items]

    def add_paths(self, paths: Sequence[str]) -> None:
        """Add local files and folders (a path already listed is not added twice)."""
        known = set(self.sources())
        for path in paths:
            if path in known:
                continue
            known.add(path)
            item = LocalItem.of(path)
            self._items.append(item)
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = QTableWidgetItem(one_line(item.name) + ("/" if item.is_folder else ""))
            name.setToolTip(path)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(describe(item)))
        if any(not item.done for item in self._items):
            self._counter.start()
        self._update()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
            del self._items[row]
        self._update()

    def counting(self) -> bool:
        return any(not item.done for item in self._items)

    def _count_some(self) -> None:
        for row, item in enumerate(self._items):
            if not item.done:
                item.step(_COUNT_BUDGET)
                self.table.item(row, 1).setText(describe(item))
                break
        if not self.counting():
            self._counter.stop()
        self._update()

    def _choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Add files to copy")
        self.add_paths(paths)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder to copy")
        if path:
            self.add_paths([path])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

    # ---- checks --------------------------------------------------------------------------------

    def destination_problem(self) -> str | None:
        """Why the destination (or a file's path under it) is refused, or None."""
        folder = self.destination.text()
        rules = guest_os(self._vm, folder) if self._vm is not None else None
        if rules is None:
            return None
        problem = check_folder(folder, rules)
        if problem is None:
            relatives = (relative for item in self._items for relative in item.relatives)
            problem = check_destinations(folder, relatives, rules)
        return None if problem is None else one_line(problem.reason)

    def _update(self) -> None:
        ready = readiness(self._vm)
        enabling = self._enable_action is not None
        self.precondition.setText(ready.text)
        self.enable_button.setVisible(ready.offer_enable)
        self.enable_button.setEnabled(ready.offer_enable and not enabling and self._actions is not None)
        self.enable_button.setText(
            "Enabling Guest Service Interface\u2026" if enabling else "E&nable Guest Service Interface\u2026"
        )
        self.precondition_box.setVisible(bool(ready.text))
        problem = self.destination_problem()
        self.destination_error.setText(problem or "")
        self.destination_error.setVisible(problem is not None)
        self.summary.setText(self._summary_text())
        self.remove_button.setEnabled(bool(self._items))
        vm = self._vm
        self.browse_destination_button.setEnabled(
            vm is not None
            and self._actions is not None
            and guest_os(vm, self.destination.text().strip()) is GuestOs.Windows
            and powershell_direct_blocker(vm) is None
        )
        self.copy_button.setEnabled(
            ready.ready
            and problem is None
            and bool(self._items)
            and not self.counting()
            and self._actions is not None
            and self.action is None
        )

    def _summary_text(self) -> str:
        if not self._items:
            return "Nothing to copy yet: drop files or folders here, or add them."
        files = sum(item.files for item in self._items)
        size = sum(item.size for item in self._items)
        more = "more than " if any(item.capped for item in self._items) else ""
        text = f"{more}{files:,} file{'s' if files != 1 else ''}, {more}{format_size(size)} in all."
        if self.counting():
            text = "Counting the files\u2026 " + text
        unreadable = sum(item.unreadable for item in self._items)
        if unreadable:
            text += f" {unreadable} folder{'s' if unreadable != 1 else ''} could not be read and will be skipped."
        return text

    # ---- intents -------------------------------------------------------------------------------

    def existing_choice(self) -> ExistingFile:
        choice = self.existing.currentData()
        return choice if isinstance(choice, ExistingFile) else ExistingFile.Ask

    def submit(self) -> VmAction | None:
        """Copy: remember the folder for this VM, hand the copy to the controller, close."""
        self._update()
        vm = self._vm
        if not self.copy_button.isEnabled() or vm is None or self._actions is None:
            return None
        folder = self.destination.text()
        self._preferences.set_copy_destination(vm.key, folder)
        self.action = self._actions.copy_to_vm(
            vm,
            self.sources(),
            folder,
            self.create_folders.isChecked(),
            self.existing_choice(),
            ask_existing=self._ask_existing,
        )
        self.accept()
        return self.action

    def enable_guest_service_interface(self) -> None:
        """Ask, then enable Guest Service Interface on the host (as the Integration services tab does)."""
        vm = self._vm
        if vm is None or self._actions is None or self._enable_action is not None:
            return
        self._confirmer.ask(
            self,
            Question(
                object_name=CONFIRM_ENABLE_GSI,
                title="Enable Guest Service Interface",
                text=f"Enable Guest Service Interface on '{vm.name}'?",
                details=(
                    "The host can then copy files into the guest (Copy-VMFile). The guest needs its file-copy "
                    "service running. You can disable it again in the Integration services tab."
                ),
                accept_label="Enable",
                reject_label="Cancel",
                destructive=False,
            ),
            on_accept=lambda: self._send_enable(vm),
        )

    def _send_enable(self, vm: Vm) -> None:
        if self._actions is None or self._enable_action is not None:
            return
        self._enable_action = self._actions.set_service(vm, GUEST_SERVICE_INTERFACE.ic_guid, True)
        self._update()

    def browse_destination(self) -> QDialog | None:
        """ "Browse…": choose the destination folder in a Windows guest with the guest browser (folders only),
        signing in with the session's guest account for the VM, asked for first when there is none."""
        from hvgui.ui.copy.guest_browser import GuestBrowserDialog, ask_guest_account  # it builds on this module

        vm = self._vm
        if vm is None or self._actions is None or powershell_direct_blocker(vm) is not None:
            return None
        controller = self._actions.guest_browser(vm, self)
        user = self._preferences.guest_user(vm.key) or ""

        def open_browser() -> QDialog:
            if self.guest_browser is not None:
                self.guest_browser.close()
            typed = self.destination.text().strip()
            dialog = GuestBrowserDialog(
                controller, start=typed if is_rooted(typed) else "", folders_only=True, user=user, parent=self
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(lambda: self._destination_chosen(dialog.chosen_paths()))
            dialog.finished.connect(lambda _result: setattr(self, "guest_browser", None))
            self.guest_browser = dialog
            dialog.open()
            return dialog

        if controller.has_account():
            return open_browser()

        def entered(new_user: str, password: str) -> None:
            controller.set_account(new_user, password)
            self._preferences.set_guest_user(vm.key, new_user)
            open_browser()

        ask_guest_account(self, vm.name, user, entered)
        return None

    def _destination_chosen(self, paths: list[str]) -> None:
        if paths:
            self.destination.setText(paths[0])

    def _on_finished(self, result: ActionResult) -> None:
        if self._enable_action is not None and result.action is self._enable_action:
            self._enable_action = None
            self._update()

    def _on_failed(self, failure: ActionFailure) -> None:
        if self._enable_action is not None and failure.action is self._enable_action:
            self._enable_action = None
            self._update()
            self.precondition_box.show()
            self.precondition.setText(f"{failure.message} {self.precondition.text()}".strip())
