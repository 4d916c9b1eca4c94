"""Copying files out of a Windows guest: "Copy from VM..." from the menu, the context menu, the panel and the
keyboard; the dialog's refusals (Linux guests, VMs that are off) and checks; what it remembers and what it never
stores (the password); and the operation handed to the host session.

The engine that performs the copy is the host runner's business; these tests stop at the submission. The host's
session is a stand-in that records the guest credentials put in its store and the operation submitted to it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QSignalSpy, QTest
from PySide6.QtWidgets import QLineEdit, QMenu

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import HvGuiError
from hvgui.domain.inventory import diff_inventory
from hvgui.domain.operations import (
    CopyFromGuestOperation,
    ExistingFile,
    Operation,
    OperationRecord,
    OperationState,
)
from hvgui.domain.vm import Inventory, Vm, VmState
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.controllers.vm_actions import ActionKind, VmAction
from hvgui.ui.copy import COPY_FROM_SHORTCUT, COPY_SHORTCUT, CopyFromVmDialog
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column
from hvgui.ui.preferences import Preferences

KEY1 = "https://hv01:5986"
PASSWORD = "S3cr3t-pa55!word"


class FakeGuestCredentials:
    """The session's in-memory guest credentials, as `HostSession.guest_credentials` offers them."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[str, str]] = {}

    def set(self, vm_id: str, user: str, password: str) -> None:
        self.stored[vm_id] = (user, password)

    def get(self, vm_id: str) -> tuple[str, str] | None:
        return self.stored.get(vm_id)


class FakeRunner:
    """Takes the operation and refuses it as a closing session would, so the window reports an outcome."""

    def __init__(self) -> None:
        self.submitted: list[Operation] = []

    def submit(self, operation: Operation, notice: str = "") -> None:
        self.submitted.append(operation)
        raise HvGuiError("The host's session is closing.")


class FinishedHandle:
    def __init__(self, record: OperationRecord) -> None:
        self.record = record

    async def done(self) -> OperationRecord:
        return self.record


class CopyReport:
    def summary(self) -> str:
        return "2 files copied, 1 skipped."


class SucceedingRunner(FakeRunner):
    """Finishes each operation at once with a copy's report, as the host's runner would."""

    def submit(self, operation: Operation, notice: str = "") -> FinishedHandle:
        self.submitted.append(operation)
        now = time.time()
        return FinishedHandle(
            OperationRecord(
                operation,
                state=OperationState.Succeeded,
                queued_at=now,
                started_at=now,
                ended_at=now,
                result=CopyReport(),
            )
        )


class FakeSession:
    def __init__(self) -> None:
        self.guest_credentials = FakeGuestCredentials()
        self.operations = FakeRunner()


def publish(window: MainWindow, vms) -> None:
    inventory = Inventory(host=KEY1, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(None, inventory))


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def window(qtbot, loop, session, monkeypatch) -> MainWindow:
    controller = HostsController(SessionManager())
    monkeypatch.setattr(controller, "session", lambda key: session if key == KEY1 else {}[key])
    w = MainWindow(controller, preferences=Preferences())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    loop.run_until_complete(controller.aclose())


@pytest.fixture
def vms(window, vm_factory) -> list[Vm]:
    made = [
        vm_factory(host=KEY1, name="win01", guest_os_name="Windows Server 2022 Datacenter"),
        vm_factory(host=KEY1, name="ubuntu01", guest_os_name="Ubuntu 22.04.4 LTS"),
        vm_factory(host=KEY1, name="win02-off", state=VmState.Off, guest_os_name="Windows 11 Enterprise"),
    ]
    window.controller.hostStatusChanged.emit(HostStatus(key=KEY1, label="HV-ONE", state=HostState.Connected))
    publish(window, made)
    return made


def row_centre(window: MainWindow, vm: Vm) -> QPoint:
    row = window.vm_model.row_of(vm.key)
    index = window.proxy.mapFromSource(window.vm_model.index(row, Column.Name))
    return window.table.visualRect(index).center()


def fill(dialog: CopyFromVmDialog, folder: Path, paths: str = "C:\\Logs\\setup.log") -> None:
    dialog.guest_paths.setPlainText(paths)
    dialog.local_folder.setText(str(folder))
    dialog.user.setText(".\\Administrator")
    dialog.password.setText(PASSWORD)


# ---- starting ----------------------------------------------------------------------------------------


def test_copy_from_vm_from_the_menu_the_keyboard_the_panel_and_the_context_menu(window, vms) -> None:
    action = window.copy_actions.copy_from_action
    assert action in window.vm_menu.actions()
    assert action.shortcut() == QKeySequence(COPY_FROM_SHORTCUT)
    assert QKeySequence(COPY_FROM_SHORTCUT) != QKeySequence(COPY_SHORTCUT)
    shortcuts = [a.shortcut() for a in window.findChildren(QAction) if a is not action]
    assert action.shortcut() not in shortcuts  # no other command of the window answers Ctrl+Shift+D
    assert not action.isEnabled()  # nothing selected
    window.select_vms([vms[0].key, vms[1].key])
    assert not action.isEnabled()  # one VM at a time
    window.select_vm(vms[0].key)
    assert action.isEnabled()

    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.copy_actions.from_dialog
    assert dialog is not None and dialog.isVisible() and dialog.vm().key == vms[0].key
    assert "'win01' on HV-ONE" in dialog.heading.text()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    assert not dialog.isVisible() and window.copy_actions.from_dialog is None

    window.vm_panel.copy_from_button.click()
    assert window.copy_actions.from_dialog is not None and window.copy_actions.from_dialog.vm().key == vms[0].key
    window.copy_actions.from_dialog.reject()

    window._table_context_menu(row_centre(window, vms[2]))
    menu = window.findChild(QMenu, "vmContextMenu")
    assert menu is not None and action in menu.actions()
    assert window.selected_vm().key == vms[2].key and action.isEnabled()
    menu.close()


# ---- refusals from the inventory -------------------------------------------------------------------------


def test_a_linux_guest_is_refused_with_the_reason(window, vms, tmp_path) -> None:
    dialog = window.copy_actions.open_from_dialog(vms[1])
    fill(dialog, tmp_path)
    assert dialog.input_problem() is None
    assert not dialog.copy_button.isEnabled()
    assert dialog.precondition.isVisible()
    assert "PowerShell Direct does not support Linux guests" in dialog.precondition.text()
    assert dialog.submit() is None and dialog.isVisible()
    assert "Windows Server 2016" in dialog.note.text() and "Windows 10" in dialog.note.text()


def test_a_vm_that_is_off_is_explained_and_copy_waits_until_it_runs(window, vms, tmp_path) -> None:
    dialog = window.copy_actions.open_from_dialog(vms[2])
    fill(dialog, tmp_path)
    assert not dialog.copy_button.isEnabled()
    assert "only out of a running guest" in dialog.precondition.text()
    publish(window, [vms[0], vms[1], replace(vms[2], state=VmState.Running)])  # the next refresh: it runs
    assert dialog.copy_button.isEnabled() and not dialog.precondition.isVisible()


# ---- the dialog's checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ("", "Type at least one file or folder"),
        ("Logs\\setup.log", "starts with a drive"),
        ("C:\\Logs\\a|b.txt", "|"),
        ("C:\\Logs\\ok.txt\nC:\\CON\\x.txt", "CON"),
        ("C:\\" + "x" * 256, "255"),
        ("C:\\" + "\\".join(["d" * 50] * 6), "260"),
    ],
)
def test_invalid_guest_paths_are_refused_inline(window, vms, tmp_path, paths, expected) -> None:
    dialog = window.copy_actions.open_from_dialog(vms[0])
    fill(dialog, tmp_path, paths)
    assert not dialog.copy_button.isEnabled()
    assert dialog.problem.isVisible() and expected in dialog.problem.text()
    dialog.guest_paths.setPlainText("C:\\Logs\\setup.log\n\n  C:\\Users\\Public\\My $(docs) 'ü'  \n")
    assert dialog.copy_button.isEnabled() and not dialog.problem.isVisible()
    assert dialog.paths() == ["C:\\Logs\\setup.log", "C:\\Users\\Public\\My $(docs) 'ü'"]


def test_a_missing_folder_user_or_password_keeps_copy_disabled(window, vms, tmp_path) -> None:
    dialog = window.copy_actions.open_from_dialog(vms[0])
    fill(dialog, tmp_path)
    assert dialog.copy_button.isEnabled()
    for field, value, expected in (
        (dialog.local_folder, "", "Choose the folder"),
        (dialog.local_folder, str(tmp_path / "absent"), "is not a folder"),
        (dialog.user, "", "guest account"),
        (dialog.password, "", "password"),
    ):
        before = field.text()
        field.setText(value)
        assert not dialog.copy_button.isEnabled()
        assert expected in dialog.problem.text()
        field.setText(before)
        assert dialog.copy_button.isEnabled()


def test_the_password_field_hides_what_is_typed(window, vms) -> None:
    dialog = window.copy_actions.open_from_dialog(vms[0])
    assert dialog.password.echoMode() is QLineEdit.EchoMode.Password


def test_browse_fills_the_local_folder(window, vms, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args, **kwargs: str(tmp_path)))
    dialog = window.copy_actions.open_from_dialog(vms[0])
    dialog.browse_button.click()
    assert dialog.local_folder.text() == str(tmp_path)


# ---- submission ------------------------------------------------------------------------------------------


def test_copy_submits_the_fields_keeps_the_password_in_the_session_only_and_remembers_user_and_folder(
    window, vms, tmp_path, session, qtbot, loop
) -> None:
    pending = QSignalSpy(window.vm_actions.pending)
    dialog = window.copy_actions.open_from_dialog(vms[0])
    fill(dialog, tmp_path, "C:\\Logs\\setup.log\nC:\\Users\\Public\\Documents")
    dialog.existing.setCurrentIndex(dialog.existing.findText("Skip"))
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    action = pending.at(0)[0]
    assert isinstance(action, VmAction) and action.kind is ActionKind.CopyFromGuest
    operation = action.operation
    assert isinstance(operation, CopyFromGuestOperation)
    assert operation.guest_paths == ("C:\\Logs\\setup.log", "C:\\Users\\Public\\Documents")
    assert operation.local_folder == str(tmp_path)
    assert operation.guest_user == ".\\Administrator"
    assert operation.existing is ExistingFile.Skip
    assert operation.target.vm_id == vms[0].vm_id
    assert session.guest_credentials.get(vms[0].vm_id) == (".\\Administrator", PASSWORD)

    # The outcome reaches the status bar (the Activity dock keeps the operation).
    qtbot.waitUntil(lambda: "closing" in window.statusBar().currentMessage())
    assert session.operations.submitted == [operation]
    message = window.statusBar().currentMessage()
    for shown in (repr(operation), operation.powershell(), operation.title, repr(action), message):
        assert PASSWORD not in shown

    # Remembered: the folder and, per VM, the user; the password is in no preference file.
    settings = Preferences().settings
    settings.sync()
    stored = Path(settings.fileName()).read_text(encoding="utf-8")
    assert PASSWORD not in stored
    assert "Administrator" in stored and str(tmp_path) in stored
    assert all(PASSWORD not in str(settings.value(key)) for key in settings.allKeys())
    again = window.copy_actions.open_from_dialog(vms[0])
    assert again.local_folder.text() == str(tmp_path)
    assert again.user.text() == ".\\Administrator"
    assert again.password.text() == ""
    other = window.copy_actions.open_from_dialog(vms[2])
    assert other.user.text() == ""  # the user is remembered per VM
    assert other.local_folder.text() == str(tmp_path)


def test_the_whole_dialog_works_from_the_keyboard(window, vms, tmp_path, session, qtbot) -> None:
    pending = QSignalSpy(window.vm_actions.pending)
    window.select_vm(vms[0].key)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.copy_actions.from_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    chain, widget = [], dialog.guest_paths
    while widget is not dialog.copy_button and len(chain) < 40:
        if widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value and widget.isVisible():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    fields = [dialog.guest_paths, dialog.local_folder, dialog.browse_button, dialog.existing, dialog.user]
    assert [w for w in chain if w in (*fields, dialog.password)] == [*fields, dialog.password]  # Tab, in reading order
    assert dialog.guest_paths.tabChangesFocus()  # Tab leaves the list of paths, it does not indent
    QTest.keyClicks(dialog.guest_paths, "C:\\Logs\\setup.log")
    QTest.keyClicks(dialog.local_folder, str(tmp_path))
    QTest.keyClicks(dialog.user, "guest\\ops")
    QTest.keyClicks(dialog.password, PASSWORD)
    assert dialog.copy_button.isEnabled()
    QTest.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter is Copy
    assert not dialog.isVisible()
    assert pending.count() == 1
    assert pending.at(0)[0].operation.guest_user == "guest\\ops"
    assert session.guest_credentials.get(vms[0].vm_id) == ("guest\\ops", PASSWORD)


def test_without_a_session_for_the_host_the_copy_fails_and_the_password_is_dropped(
    window, vm_factory, tmp_path, qtbot
) -> None:
    failed = QSignalSpy(window.vm_actions.failed)
    elsewhere = vm_factory(host="https://hv09:5986", name="win09", guest_os_name="Windows Server 2019")
    action = window.vm_actions.copy_from_vm(elsewhere, ["C:\\a.txt"], str(tmp_path), "admin", PASSWORD)
    assert action.kind is ActionKind.CopyFromGuest
    qtbot.waitUntil(lambda: failed.count() == 1)
    failure = failed.at(0)[0]
    assert failure.action is action and not failure.sent
    assert "no longer connected" in failure.message and PASSWORD not in failure.message


def test_a_finished_copy_says_what_it_did_in_the_status_bar(window, vms, tmp_path, session, qtbot) -> None:
    session.operations = SucceedingRunner()
    finished = QSignalSpy(window.vm_actions.finished)
    dialog = window.copy_actions.open_from_dialog(vms[0])
    fill(dialog, tmp_path)
    assert dialog.submit() is not None
    qtbot.waitUntil(lambda: finished.count() == 1)
    expected = f"Copy from 'win01' to {tmp_path}: 2 files copied, 1 skipped."
    assert finished.at(0)[0].message == expected
    assert window.statusBar().currentMessage() == expected
