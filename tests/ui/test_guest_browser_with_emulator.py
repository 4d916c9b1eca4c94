"""The guest browser of "Copy from VM" against the emulator: the account asked for first, a lazy tree driven
with the keyboard, two files chosen into the dialog's list and copied to this computer byte for byte; a
refused account asked for again in place; a typed path and Backspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import connect, emulated_vm, vm_key
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication
from qasync_loop import wait_until

from hvgui.domain.operations import CopyFromGuestOperation
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.guest import DEFAULT_GUEST_PASSWORD
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.copy.from_vm_dialog import CopyFromVmDialog
from hvgui.ui.copy.guest_browser import GuestBrowserDialog
from hvgui.ui.copy.guest_tree import LOADING, PathRole
from hvgui.ui.credentials_dialog import CredentialsDialog
from hvgui.ui.main_window import MainWindow

FOLDER = "C:\\Browse me"
FILES = {
    "first file.txt": b"first $(whoami) 'q'\r\n" * 300,
    "second \u00fc.txt": bytes(range(256)) * 40,
    "evil\u202etxt.exe": b"MZ",
}


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        guest = emulated_vm(running, "HV-DEMO-01", "dc01")
        for name, data in FILES.items():
            guest.files.write(f"{FOLDER}\\{name}", data)
        guest.files.make_dirs(f"{FOLDER}\\Inner")
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def _open_dialog(loop, window: MainWindow, emulator: RunningEmulator) -> CopyFromVmDialog:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    assert window.select_vm(vm_key(emulator, "HV-DEMO-01", "dc01"))
    dialog = window.copy_actions.copy_from_selected()
    assert dialog is not None
    return dialog


def _key(widget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    from PySide6.QtTest import QTest

    QTest.keyClick(widget, key, modifier)


def _rows(browser: GuestBrowserDialog, parent: QModelIndex) -> list[str]:
    model = browser.model
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def _account_dialog(parent) -> CredentialsDialog | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, CredentialsDialog) and w.isVisible()]
    found += [w for w in parent.findChildren(CredentialsDialog) if w.isVisible()]
    return found[0] if found else None


def test_two_files_chosen_with_the_keyboard_are_copied_to_this_computer(
    loop, window, emulator, tmp_path, qtmodeltester
) -> None:
    dialog = _open_dialog(loop, window, emulator)
    assert dialog.browse_guest_button.isEnabled()
    assert dialog.browse_guest() is None  # no account yet: it is asked for first
    account = _account_dialog(dialog)
    assert account is not None
    account.username_edit.setText(".\\Administrator")
    account.password_edit.setText(DEFAULT_GUEST_PASSWORD)
    account.accept()
    browser = dialog.guest_browser
    assert browser is not None and dialog.user.text() == ".\\Administrator"  # the copy signs in with it too
    tree, model = browser.tree, browser.model
    assert _rows(browser, QModelIndex()) in (["C:"], [LOADING])
    loop.run_until_complete(wait_until(lambda: _rows(browser, QModelIndex()) == ["C:"], what="the drives"))
    drive = model.index(0, 0)
    assert tree.currentIndex() == drive

    tree.setFocus()
    _key(tree, Qt.Key.Key_Return)  # opens the drive
    assert tree.isExpanded(drive)
    loop.run_until_complete(wait_until(lambda: model.is_listed(drive), what="C:\\"))
    names = _rows(browser, drive)
    assert "Browse me" in names
    for _ in range(names.index("Browse me") + 1):
        _key(tree, Qt.Key.Key_Down)
    folder = tree.currentIndex()
    assert folder.data(PathRole) == FOLDER and browser.path_edit.text() == FOLDER
    _key(tree, Qt.Key.Key_Return)  # opens the folder
    loop.run_until_complete(wait_until(lambda: model.is_listed(folder), what=FOLDER))
    shown = _rows(browser, folder)
    assert shown == ["Inner", "evil\u27e8U+202E\u27e9txt.exe", "first file.txt", "second \u00fc.txt"]  # folders first
    qtmodeltester.check(model)

    for _ in range(shown.index("first file.txt") + 1):
        _key(tree, Qt.Key.Key_Down)
    _key(tree, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = [f"{FOLDER}\\first file.txt", f"{FOLDER}\\second \u00fc.txt"]
    assert browser.chosen_paths() == chosen
    assert browser.path_edit.text() == FOLDER
    browser.add_button.click()
    assert dialog.paths() == chosen

    dialog.local_folder.setText(str(tmp_path))
    assert dialog.copy_button.isEnabled(), dialog.input_problem()
    dialog.copy_button.click()

    def copies() -> list:
        return [r for r in window.vm_actions.records() if isinstance(r.operation, CopyFromGuestOperation)]

    loop.run_until_complete(wait_until(lambda: copies() and copies()[0].state.is_final, timeout=30, what="the copy"))
    assert copies()[0].state.name == "Succeeded", copies()[0].message
    for name in ("first file.txt", "second \u00fc.txt"):
        assert (tmp_path / name).read_bytes() == FILES[name]
    assert not (tmp_path / "evil\u202etxt.exe").exists()


def test_a_refused_account_is_asked_for_again_in_place(loop, window, emulator) -> None:
    dialog = _open_dialog(loop, window, emulator)
    dialog.user.setText(".\\Administrator")
    dialog.password.setText("not the password")
    browser = dialog.browse_guest()
    assert browser is not None
    loop.run_until_complete(wait_until(browser.problem.isVisible, what="the refusal"))
    assert "refused the account '.\\Administrator'" in browser.problem.text()
    assert "not the password" not in browser.problem.text()
    assert browser.account_button.isVisible()
    account = browser.ask_account()
    account.password_edit.setText(DEFAULT_GUEST_PASSWORD)
    account.accept()
    loop.run_until_complete(wait_until(lambda: _rows(browser, QModelIndex()) == ["C:"], what="the drives"))
    assert not browser.problem.isVisible()
    assert dialog.password.text() == DEFAULT_GUEST_PASSWORD


def test_a_typed_path_opens_the_folders_on_the_way_and_backspace_goes_up(loop, window, emulator) -> None:
    dialog = _open_dialog(loop, window, emulator)
    dialog.user.setText(".\\Administrator")
    dialog.password.setText(DEFAULT_GUEST_PASSWORD)
    browser = dialog.browse_guest()
    assert browser is not None
    browser.path_edit.setText("c:\\browse ME\\inner")
    _key(browser.path_edit, Qt.Key.Key_Return)
    loop.run_until_complete(
        wait_until(lambda: browser.tree.currentIndex().data(PathRole) == f"{FOLDER}\\Inner", what="Inner")
    )
    assert browser.path_edit.text() == f"{FOLDER}\\Inner"
    _key(browser.tree, Qt.Key.Key_Backspace)
    assert browser.tree.currentIndex().data(PathRole) == FOLDER and browser.path_edit.text() == FOLDER
    browser.path_edit.setText("C:\\Nope\\deeper")
    _key(browser.path_edit, Qt.Key.Key_Return)
    loop.run_until_complete(wait_until(browser.problem.isVisible, what="the missing folder"))
    assert "'C:\\Nope' is not in the guest" in browser.problem.text()
    assert dialog.isVisible()  # Enter in the browser never reaches the copy dialog


def test_copy_to_vm_chooses_its_destination_folder_in_a_windows_guest(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    assert window.select_vm(vm_key(emulator, "HV-DEMO-01", "dc01"))
    dialog = window.copy_actions.copy_to_selected()
    assert dialog is not None and dialog.browse_destination_button.isEnabled()
    dialog.destination.setText(f"{FOLDER}\\Inner")
    assert dialog.browse_destination() is None  # the account first
    account = _account_dialog(dialog)
    assert account is not None
    account.username_edit.setText(".\\Administrator")
    account.password_edit.setText(DEFAULT_GUEST_PASSWORD)
    account.accept()
    browser = dialog.guest_browser
    assert isinstance(browser, GuestBrowserDialog) and browser.folders_only
    loop.run_until_complete(
        wait_until(lambda: browser.tree.currentIndex().data(PathRole) == f"{FOLDER}\\Inner", what="the typed folder")
    )
    _key(browser.tree, Qt.Key.Key_Backspace)
    assert browser.chosen_paths() == [FOLDER]
    browser.add_button.click()
    assert dialog.destination.text() == FOLDER


def test_copy_to_vm_offers_no_guest_browser_for_a_linux_guest(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    linux = next(vm.name for vm in emulated_host_model(emulator).vms if not vm.guest.os.is_windows)
    assert window.select_vm(vm_key(emulator, "HV-DEMO-01", linux))
    dialog = window.copy_actions.copy_to_selected()
    assert dialog is not None
    assert not dialog.browse_destination_button.isEnabled()
    assert dialog.browse_destination() is None and dialog.guest_browser is None


def emulated_host_model(emulator: RunningEmulator):
    return next(h for h in emulator.scenario.hosts if h.model.name == "HV-DEMO-01").model
