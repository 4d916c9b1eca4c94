"""The "Copy from VM" dialog: which files or folders of a Windows guest come to this computer, and as whom.

Copying out of a guest goes through PowerShell Direct on the host (`New-PSSession -VMId -Credential`,
`Copy-Item -FromSession`), so it needs a running Windows guest and a guest account. The dialog checks every
guest path against Windows' rules, asks for the local folder (remembered) and the guest user (remembered per VM)
and password. The password is only handed to `VmActionsController.copy_from_vm`, which keeps it in the host
session's memory: it is never written to the preferences, nor part of the operation. A Linux guest is refused
here, with the reason, because PowerShell Direct does not reach Linux guests.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.guest_files import is_rooted, parent_folder
from hvgui.domain.guest_paths import GuestOs, check_folder
from hvgui.domain.operations import ExistingFile
from hvgui.domain.vm import Vm
from hvgui.ui.controllers.guest_browse import GuestBrowseController
from hvgui.ui.controllers.vm_actions import VmAction, VmActionsController
from hvgui.ui.copy.dialog import _EXISTING_LABELS, _plain_label
from hvgui.ui.copy.follows_vm import FollowsVm
from hvgui.ui.copy.guest_browser import GuestBrowserDialog, ask_guest_account
from hvgui.ui.copy.preconditions import powershell_direct_blocker as precondition
from hvgui.ui.preferences import Preferences
from hvgui.ui.text import one_line

#: What PowerShell Direct needs on both sides; shown under the form.
REQUIREMENTS_NOTE = (
    "Copying out of a guest uses PowerShell Direct: the host must run Windows Server 2016 or later (or Windows 10), "
    "and the guest Windows 10 or Windows Server 2016 or later."
)


class CopyFromVmDialog(FollowsVm, QDialog):
    """Choose what to copy out of one VM, where it goes and the guest account; Copy submits it."""

    def __init__(
        self,
        vm: Vm,
        actions: VmActionsController | None,
        *,
        preferences: Preferences,
        host_label: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("copyFromVmDialog")
        self.setWindowTitle("Copy from VM")
        self.resize(600, 460)
        self._vm: Vm | None = vm
        self._key = vm.key
        self._actions = actions
        self._preferences = preferences
        #: The copy this dialog submitted (None until Copy is pressed).
        self.action: VmAction | None = None

        self.heading = _plain_label("copyFromHeading")
        where = f" on {host_label}" if host_label else ""
        self.heading.setText(f"Copy files or folders out of '{one_line(vm.name)}'{where} to this computer.")

        self.guest_paths = QPlainTextEdit()
        self.guest_paths.setObjectName("copyFromGuestPaths")
        self.guest_paths.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.guest_paths.setPlaceholderText("C:\\Logs\\setup.log\nC:\\Users\\Public\\Documents")
        self.guest_paths.setFixedHeight(96)
        paths_label = QLabel("&Guest files or folders (one per line):")
        paths_label.setBuddy(self.guest_paths)
        self.browse_guest_button = QPushButton("Bro&wse the guest\u2026")
        self.browse_guest_button.setObjectName("copyFromBrowseGuest")
        self.browse_guest_button.setAutoDefault(False)
        self.browse_guest_button.setToolTip("Pick files and folders of the guest from its folders (PowerShell Direct)")
        self.browse_guest_button.clicked.connect(lambda _checked=False: self.browse_guest())
        paths_row = QHBoxLayout()
        paths_row.addWidget(paths_label, 1)
        paths_row.addWidget(self.browse_guest_button)
        #: The guest browser while it is open.
        self.guest_browser: GuestBrowserDialog | None = None

        self.local_folder = QLineEdit()
        self.local_folder.setObjectName("copyFromLocalFolder")
        self.local_folder.setClearButtonEnabled(True)
        self.browse_button = QPushButton("&Browse\u2026")
        self.browse_button.setObjectName("copyFromBrowse")
        self.browse_button.setAutoDefault(False)  # Enter means Copy, never "open a folder chooser"
        self.browse_button.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.local_folder, 1)
        folder_row.addWidget(self.browse_button)

        self.existing = QComboBox()
        self.existing.setObjectName("copyFromExisting")
        for choice, label in _EXISTING_LABELS.items():
            self.existing.addItem(label, choice)

        self.user = QLineEdit()
        self.user.setObjectName("copyFromUser")
        self.user.setPlaceholderText(".\\Administrator")
        self.password = QLineEdit()
        self.password.setObjectName("copyFromPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)

        form = QFormLayout()
        folder_label = QLabel("&Local folder:")
        folder_label.setBuddy(self.local_folder)
        form.addRow(folder_label, folder_row)
        existing_label = QLabel("If a file &exists here:")
        existing_label.setBuddy(self.existing)
        form.addRow(existing_label, self.existing)
        user_label = QLabel("Guest &user:")
        user_label.setBuddy(self.user)
        form.addRow(user_label, self.user)
        password_label = QLabel("&Password:")
        password_label.setBuddy(self.password)
        form.addRow(password_label, self.password)

        self.problem = _plain_label("copyFromProblem", error=True)
        self.precondition = _plain_label("copyFromPrecondition", error=True)
        self.note = _plain_label("copyFromNote")
        self.note.setText(REQUIREMENTS_NOTE)

        self.buttons = QDialogButtonBox()
        self.copy_button = self.buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.setObjectName("copyFromButton")
        self.copy_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("copyFromCancel")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(paths_row)
        layout.addWidget(self.guest_paths)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.precondition)
        layout.addWidget(self.note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.local_folder.setText(preferences.copy_from_folder or "")
        self.user.setText(preferences.guest_user(vm.key) or "")
        self.guest_paths.textChanged.connect(self._update)
        for field in (self.local_folder, self.user, self.password):
            field.textChanged.connect(lambda _text: self._update())
        self._update()

    # ---- checks --------------------------------------------------------------------------------

    def paths(self) -> list[str]:
        """The guest paths typed, one per line, without blank lines or surrounding spaces."""
        return [line.strip() for line in self.guest_paths.toPlainText().splitlines() if line.strip()]

    def input_problem(self) -> str | None:
        """What the admin still has to fix in the form, in one sentence, or None."""
        paths = self.paths()
        if not paths:
            return "Type at least one file or folder in the guest, for example C:\\Logs\\setup.log."
        for path in paths:
            problem = check_folder(path, GuestOs.Windows)
            if problem is not None:
                return f"'{one_line(path)}': {one_line(problem.reason)}"
        folder = self.local_folder.text().strip()
        if not folder:
            return "Choose the folder of this computer the files go to."
        if not os.path.isdir(folder):
            return f"'{one_line(folder)}' is not a folder on this computer."
        if not self.user.text().strip():
            return "Type the guest account to sign in with, for example .\\Administrator."
        if not self.password.text():
            return "Type the guest account's password."
        return None

    def _update(self) -> None:
        blocked = precondition(self._vm)
        self.precondition.setText(blocked or "")
        self.precondition.setVisible(blocked is not None)
        problem = self.input_problem()
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        self.copy_button.setEnabled(
            blocked is None and problem is None and self._actions is not None and self.action is None
        )
        self.browse_guest_button.setEnabled(blocked is None and self._actions is not None and self.action is None)

    # ---- intents -------------------------------------------------------------------------------

    def existing_choice(self) -> ExistingFile:
        choice = self.existing.currentData()
        return choice if isinstance(choice, ExistingFile) else ExistingFile.Ask

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Copy into this folder", self.local_folder.text())
        if folder:
            self.local_folder.setText(folder)

    def browse_guest(self) -> GuestBrowserDialog | None:
        """ "Browse the guest…": open the guest browser; without a guest account for the VM, first use the one
        typed here, or ask for one. Chosen items are added to the list of guest paths."""
        vm = self._vm
        if vm is None or self._actions is None or precondition(vm) is not None:
            return None
        controller = self._actions.guest_browser(vm, self)
        user, password = self.user.text().strip(), self.password.text()
        if user and password:
            controller.set_account(user, password)  # what the copy will sign in with, too
        elif not controller.has_account():

            def entered(new_user: str, new_password: str) -> None:
                self._account_entered(new_user, new_password)
                controller.set_account(new_user, new_password)
                self._open_browser(controller)

            ask_guest_account(self, vm.name, user, entered)
            return None
        return self._open_browser(controller)

    def _account_entered(self, user: str, password: str) -> None:
        """An account entered for browsing is the one the copy signs in with."""
        self.user.setText(user)
        self.password.setText(password)

    def _open_browser(self, controller: GuestBrowseController) -> GuestBrowserDialog:
        if self.guest_browser is not None:
            self.guest_browser.close()
        typed = self.paths()
        start = parent_folder(typed[-1]) if typed and is_rooted(typed[-1]) else ""
        dialog = GuestBrowserDialog(
            controller, start=start, user=self.user.text().strip(), on_account=self._account_entered, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add_guest_paths(dialog.chosen_paths()))

        def forget(_result: int) -> None:
            if self.guest_browser is dialog:
                self.guest_browser = None

        dialog.finished.connect(forget)
        self.guest_browser = dialog
        dialog.open()
        return dialog

    def add_guest_paths(self, paths: list[str]) -> None:
        """Add guest paths to the list (each once, whatever its case), keeping what is there."""
        current = self.paths()
        known = {p.casefold() for p in current}
        added = []
        for path in paths:
            if path.casefold() not in known:
                known.add(path.casefold())
                added.append(path)
        if added:
            self.guest_paths.setPlainText("\n".join(current + added))

    def submit(self) -> VmAction | None:
        """Copy: remember the folder and the user (never the password), hand the copy over, close."""
        self._update()
        vm = self._vm
        if not self.copy_button.isEnabled() or vm is None or self._actions is None:
            return None
        folder = self.local_folder.text().strip()
        user = self.user.text().strip()
        self._preferences.set_copy_from_folder(folder)
        self._preferences.set_guest_user(vm.key, user)
        password = self.password.text()
        self.password.clear()  # the dialog keeps no copy once the session holds it
        self.action = self._actions.copy_from_vm(vm, self.paths(), folder, user, password, self.existing_choice())
        self.accept()
        return self.action
