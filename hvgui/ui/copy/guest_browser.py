"""The guest browser: pick files and folders of a running Windows guest (for "Copy from VM"), or a folder of it
(for "Copy to VM"), from a tree that lists each folder when it is opened.

Every listing goes through `GuestBrowseController` (PowerShell Direct on the host's work lane); the tree shows
"Loading…" under a folder until its entries arrive, so the window never waits. The path field follows the
current folder and takes a typed path (Enter goes there, listing each folder on the way). Keyboard: the arrows
move and open or close folders, Enter opens a folder, Backspace goes up. A folder that cannot be listed says
why under the tree; when the guest wants an account (none yet, or it refused the one given), "Enter guest
account…" asks for it and lists again. Names from the guest are shown through `untrusted_name`; the paths
handed back are the guest's own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.guest_files import GuestFolder, is_rooted, parent_folder
from hvgui.ui.controllers.guest_browse import BrowseFailure, GuestBrowseController
from hvgui.ui.copy.dialog import _plain_label
from hvgui.ui.copy.guest_tree import GuestTreeModel, IsFolderRole, PathRole, path_key
from hvgui.ui.credentials_dialog import CredentialsDialog
from hvgui.ui.text import one_line, untrusted_name

#: Called with the account the admin entered in the browser (user, password), so the copy dialog uses it too.
AccountEntered = Callable[[str, str], None]


def ancestry(path: str) -> list[str]:
    """The folders from the drive's root down to `path`: `C:\\A\\B` -> `C:\\`, `C:\\A`, `C:\\A\\B`."""
    chain = []
    current = path
    while current:
        chain.append(current)
        current = parent_folder(current)
    return list(reversed(chain))


def ask_guest_account(
    parent: QWidget, vm_name: str, user: str, on_account: Callable[[str, str], None], *, refused: bool = False
) -> CredentialsDialog:
    """Ask for an account of the guest (window-modal, non-blocking); `on_account(user, password)` on OK."""
    why = (
        f"The guest of '{one_line(vm_name)}' refused the account. "
        if refused
        else f"hvgui signs in to the guest of '{one_line(vm_name)}' with PowerShell Direct. "
    )
    dialog = CredentialsDialog(
        f"the guest of '{one_line(vm_name)}'",
        user,
        parent,
        intro=why + "Enter an account of the guest (for example .\\Administrator); hvgui keeps it in memory "
        "for this session only.",
        accept_text="Sign in",
    )
    dialog.setObjectName("guestAccountDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: on_account(dialog.username(), dialog.password()))
    dialog.open()
    return dialog


class GuestBrowserDialog(QDialog):
    """Browse one guest; `chosen_paths()` holds what was picked when it is accepted."""

    def __init__(
        self,
        controller: GuestBrowseController,
        *,
        start: str = "",
        folders_only: bool = False,
        user: str = "",
        on_account: AccountEntered | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("guestBrowser")
        self.controller = controller
        controller.setParent(self)
        self.folders_only = folders_only
        self._user = user
        self._on_account = on_account
        #: Where a typed path leads, while the folders on the way are listed.
        self._target: str | None = None
        #: The path whose listing failed for want of an account (listed again once one is entered).
        self._needs_account_for: str | None = None
        self._refused = False
        self._problem_about: str | None = None
        vm_name = controller.vm.name
        self.setWindowTitle(f"Browse '{one_line(vm_name)}'")
        self.resize(640, 480)

        self.heading = _plain_label("guestBrowserHeading")
        what = "a folder" if folders_only else "files and folders"
        self.heading.setText(f"Choose {what} in the guest of '{one_line(vm_name)}' (PowerShell Direct).")

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("guestBrowserPath")
        self.path_edit.setPlaceholderText("C:\\Users\\Public")
        self.path_edit.setClearButtonEnabled(True)
        path_label = QLabel("&Folder:")
        path_label.setBuddy(self.path_edit)
        self.up_button = QPushButton("&Up")
        self.up_button.setObjectName("guestBrowserUp")
        self.up_button.setToolTip("The folder that holds this one (Backspace)")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("guestBrowserRefresh")
        self.refresh_button.setToolTip("List this folder again (F5)")
        path_row = QHBoxLayout()
        path_row.addWidget(path_label)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.up_button)
        path_row.addWidget(self.refresh_button)

        self.model = GuestTreeModel(self)
        self.tree = QTreeView()
        self.tree.setObjectName("guestBrowserTree")
        self.tree.setModel(self.model)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setExpandsOnDoubleClick(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        self.problem = _plain_label("guestBrowserProblem", error=True)
        self.problem.hide()
        self.account_button = QPushButton("Enter guest &account\u2026")
        self.account_button.setObjectName("guestBrowserAccount")
        self.account_button.hide()
        problem_row = QHBoxLayout()
        problem_row.addWidget(self.problem, 1)
        problem_row.addWidget(self.account_button)

        self.buttons = QDialogButtonBox()
        self.add_button = self.buttons.addButton(
            "&Choose folder" if folders_only else "&Add", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.add_button.setObjectName("guestBrowserAdd")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("guestBrowserCancel")
        # Enter belongs to the tree (open a folder) and the path field (go there), never to a default button.
        for button in (self.add_button, cancel, self.up_button, self.refresh_button, self.account_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(path_row)
        layout.addWidget(self.tree, 1)
        layout.addLayout(problem_row)
        layout.addWidget(self.buttons)

        self.model.loadRequested.connect(controller.list)
        controller.listed.connect(self._listed)
        controller.failed.connect(self._failed)
        self.tree.expanded.connect(self.model.request)
        self.tree.selectionModel().currentChanged.connect(lambda current, _previous: self._follow(current))
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.tree.installEventFilter(self)
        self.path_edit.installEventFilter(self)
        self.up_button.clicked.connect(self.go_up)
        self.refresh_button.clicked.connect(self.refresh)
        self.account_button.clicked.connect(self.ask_account)
        self.finished.connect(lambda _result: controller.close())

        self.model.start()
        if start and is_rooted(start):
            self.navigate(start)
        self.tree.setFocus()
        self._update()

    # ---- what was chosen -----------------------------------------------------------------------------

    def chosen_paths(self) -> list[str]:
        """The guest paths of the selected rows (folders only when choosing a folder), as the guest wrote
        them, in the tree's order; when choosing a folder and nothing is selected, the current folder."""
        rows = sorted(self.tree.selectionModel().selectedRows(0), key=self._order)
        paths = [
            str(index.data(PathRole))
            for index in rows
            if index.data(PathRole) and (index.data(IsFolderRole) or not self.folders_only)
        ]
        if self.folders_only and not paths:
            current = self.current_folder()
            return [current] if current else []
        return paths

    def _order(self, index: QModelIndex) -> tuple[int, ...]:
        rows: list[int] = []
        while index.isValid():
            rows.append(index.row())
            index = index.parent()
        return tuple(reversed(rows))

    def current_folder(self) -> str:
        """The folder the current row is in (the row itself when it is a folder); "" at the drives."""
        index = self.tree.currentIndex()
        if not index.isValid() or not index.data(PathRole):
            return ""
        if index.data(IsFolderRole):
            return str(index.data(PathRole))
        return parent_folder(str(index.data(PathRole)))

    # ---- listings ------------------------------------------------------------------------------------

    def _listed(self, path: str, folder: GuestFolder) -> None:
        self.model.apply_listing(path, folder)
        if self._problem_about is not None and path_key(self._problem_about) == path_key(path):
            self._needs_account_for = None
            self._say(None)  # what failed there works now
        if not path and not self.tree.currentIndex().isValid() and self._target is None:
            first = self.model.index(0, 0)
            if first.isValid():
                self.tree.setCurrentIndex(first)
        self._continue()
        self._update()

    def _failed(self, path: str, failure: BrowseFailure) -> None:
        self.model.apply_failure(path)
        index = self.model.find(path)
        if index.isValid():
            self.tree.collapse(index)
        self._target = None
        self._needs_account_for = path if failure.needs_account else None
        self._refused = failure.refused
        self._say(failure.message, account=failure.needs_account, about=path)
        self._update()

    def _say(self, message: str | None, *, account: bool = False, about: str | None = None) -> None:
        """Show a problem under the tree (None: clear it); `about`: the path whose listing it concerns, so
        that listing it successfully clears it."""
        self._problem_about = about if message else None
        self.problem.setText(message or "")
        self.problem.setVisible(bool(message))
        self.account_button.setVisible(bool(message) and account)

    # ---- moving around -------------------------------------------------------------------------------

    def navigate(self, path: str) -> None:
        """Go to a typed guest path, listing each folder on the way (unlisted ones are listed first)."""
        text = path.strip()
        if not text:
            self._target = None
            return
        if not is_rooted(text):
            self._say(f"'{untrusted_name(text)}' is not a full guest path; start with a drive, for example C:\\.")
            return
        self._say(None)
        self._target = text
        self._continue()

    def _continue(self) -> None:
        target = self._target
        if target is None:
            return
        parent = QModelIndex()
        index = QModelIndex()
        steps = ancestry(target)
        for number, step in enumerate(steps, start=1):
            index = self.model.find(step)
            if not index.isValid():
                if self.model.is_loading(parent):
                    return  # the listing on the way is under way: go on when it arrives
                if parent.isValid() and not self.model.is_listed(parent):
                    self.tree.expand(parent)  # lists it; go on when it arrives
                    return
                if not parent.isValid() and not self.model.is_listed(parent):
                    return
                self._target = None
                self._say(f"'{untrusted_name(step)}' is not in the guest (or not among the entries listed).")
                return
            if number < len(steps) and index.data(IsFolderRole):
                self.tree.expand(index)
            parent = index
        self._target = None
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        if index.data(IsFolderRole):
            self.tree.expand(index)

    def _follow(self, current: QModelIndex | QPersistentModelIndex) -> None:
        """The path field shows the current folder."""
        folder = self.current_folder()
        if self.path_edit.text() != folder:
            self.path_edit.setText(folder)
        self.path_edit.setToolTip(untrusted_name(folder))
        self._update()

    def go_up(self) -> None:
        """To the folder that holds the current one (Backspace)."""
        folder = self.current_folder()
        index = self.tree.currentIndex()
        if not folder:
            return
        target = parent_folder(folder)
        if not target:  # at a drive's root: stay on the drive, closed
            drive = self.model.find(folder)
            if drive.isValid():
                self.tree.collapse(drive)
                self.tree.setCurrentIndex(drive)
            return
        up = self.model.find(target)
        if up.isValid():
            if index.isValid() and index.data(IsFolderRole):
                self.tree.collapse(index)
            self.tree.setCurrentIndex(up)
            self.tree.scrollTo(up)
        else:
            self.navigate(target)

    def refresh(self) -> None:
        """List the current folder again (the drives when there is none)."""
        folder = self.current_folder()
        index = self.model.find(folder) if folder else QModelIndex()
        self._say(None)
        if folder and index.isValid():
            self.model.refresh(index)
            self.tree.expand(index)
        else:
            self.model.refresh(QModelIndex())

    def ask_account(self) -> CredentialsDialog:
        """Ask for an account of the guest, keep it for this session and list again what needed it."""
        refused = self._refused

        def entered(user: str, password: str) -> None:
            self.controller.set_account(user, password)
            self._user = user
            if self._on_account is not None:
                self._on_account(user, password)
            self._say(None)
            again = self._needs_account_for
            self._needs_account_for = None
            if again is None or not again:
                self.model.refresh(QModelIndex())
            else:
                index = self.model.find(again)
                if index.isValid():
                    self.model.request(index)
                    self.tree.expand(index)

        return ask_guest_account(self, self.controller.vm.name, self._user, entered, refused=refused)

    def _open_current(self) -> None:
        """Enter: open the current folder (list it and show its entries); on a file, add the selection."""
        index = self.tree.currentIndex()
        if not index.isValid():
            return
        if index.data(IsFolderRole):
            self.tree.expand(index)
            self._follow(index)
        elif self.add_button.isEnabled():
            self.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.tree:
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    self._open_current()
                    return True
                if key == Qt.Key.Key_Backspace:
                    self.go_up()
                    return True
                if key == Qt.Key.Key_F5:
                    self.refresh()
                    return True
            elif watched is self.path_edit and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.navigate(self.path_edit.text())
                self.tree.setFocus()
                return True
        return super().eventFilter(watched, event)

    def _update(self) -> None:
        self.add_button.setEnabled(bool(self.chosen_paths()))
        self.up_button.setEnabled(bool(self.current_folder()))
