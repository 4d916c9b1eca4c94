"""Copy from VM's "Remember in the keyring": off by default, fills the password from the keyring (off the Qt
thread), stores it on Copy when ticked and forgets it when cleared."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox
from qasync_loop import wait_until

from hvgui.remoting import SessionManager
from hvgui.remoting.secret_store import SERVICE, guest_secret_key
from hvgui.ui.controllers import HostsController
from hvgui.ui.copy.from_vm_dialog import CopyFromVmDialog
from hvgui.ui.guest_keyring import remember_guest_accounts
from hvgui.ui.main_window import MainWindow


def open_dialog(qtbot, window: MainWindow, vm, user: str = "") -> tuple[CopyFromVmDialog, QCheckBox]:
    if user:
        window.preferences.set_guest_user(vm.key, user)
    dialog = CopyFromVmDialog(vm, None, preferences=window.preferences, parent=window)
    qtbot.addWidget(dialog)
    check = remember_guest_accounts(dialog, vm, window.saved_hosts)
    return dialog, check


def test_remembered_guest_accounts_round_trip(qtbot, loop, vm_factory, memory_keyring) -> None:
    window = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(window)
    vm = vm_factory("dc01", host="https://hv01:5986")
    entry = (SERVICE, guest_secret_key(vm.host, vm.vm_id, ".\\Administrator"))

    dialog, check = open_dialog(qtbot, window, vm)
    assert not check.isChecked()  # off by default
    assert check.text().replace("&", "") == "Remember in the keyring"
    dialog.user.setText(".\\Administrator")
    dialog.password.setText("guest-pw")
    check.setChecked(True)
    dialog.password.clear()  # as the dialog does once the copy holds it
    dialog.accept()
    loop.run_until_complete(window.saved_hosts.settle())
    assert memory_keyring.entries[entry] == "guest-pw"

    again, check = open_dialog(qtbot, window, vm, ".\\Administrator")
    loop.run_until_complete(wait_until(lambda: again.password.text() == "guest-pw", what="the stored password"))
    assert check.isChecked()
    check.setChecked(False)
    again.accept()
    loop.run_until_complete(window.saved_hosts.settle())
    assert entry not in memory_keyring.entries
    loop.run_until_complete(window.controller.aclose())
