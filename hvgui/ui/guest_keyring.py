"""Copy from VM's guest account, remembered in the OS keyring when the admin ticks "Remember in the keyring".

The "Copy from VM" dialog asks for a guest account (PowerShell Direct signs in to the guest). This module adds
the tick box to it (off by default), looks the password up in the keyring, off the Qt thread, once the guest
user is known (at open, and whenever the user name is finished), and on Copy stores it, or forgets it when the
box is clear. The entry is per host, VM and guest user (`guest_secret_key`), in the same store as the hosts'
passwords; without a keyring it lasts for the session, as the window says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QFormLayout, QWidget

from hvgui.domain.vm import Vm
from hvgui.remoting.secret_store import guest_secret_key

if TYPE_CHECKING:
    from hvgui.ui.copy.from_vm_dialog import CopyFromVmDialog
    from hvgui.ui.saved_hosts import SavedHosts

REMEMBER_TEXT = "Remember in the &keyring"


def remember_guest_accounts(dialog: CopyFromVmDialog, vm: Vm, saved: SavedHosts) -> QCheckBox:
    """Give the dialog its "Remember in the keyring" box and fill the password the keyring holds."""
    check = QCheckBox(REMEMBER_TEXT)
    check.setObjectName("copyFromRemember")
    check.setToolTip("Keep this guest account's password in the operating system's keyring for this VM")
    form = _form_of(dialog.password)
    if form is not None:
        form.addRow("", check)
    typed = {"password": ""}

    def track(text: str) -> None:
        if text:  # the dialog clears the field once the copy holds the password: keep the last one typed
            typed["password"] = text

    def entry() -> str:
        return guest_secret_key(vm.host, vm.vm_id, dialog.user.text())

    async def load(user: str) -> None:
        secret = await saved.secrets.get(guest_secret_key(vm.host, vm.vm_id, user))
        if secret and not dialog.password.text() and dialog.user.text().strip() == user:
            dialog.password.setText(secret)
            check.setChecked(True)

    def look_up() -> None:
        user = dialog.user.text().strip()
        if user:
            saved.spawn(load(user), "guest account")

    def keep_or_forget() -> None:
        if not dialog.user.text().strip():
            return
        if check.isChecked() and typed["password"]:
            saved.spawn(saved.secrets.set(entry(), typed["password"]), "remember guest account")
        elif not check.isChecked():
            saved.spawn(saved.secrets.delete(entry()), "forget guest account")

    dialog.password.textChanged.connect(track)
    dialog.user.editingFinished.connect(look_up)
    dialog.accepted.connect(keep_or_forget)
    look_up()
    return check


def _form_of(widget: QWidget) -> QFormLayout | None:
    """The form layout that holds `widget` (the dialog builds its rows in one)."""
    parent = widget.parentWidget()
    layout = parent.layout() if parent is not None else None
    pending = [layout] if layout is not None else []
    while pending:
        current = pending.pop()
        if isinstance(current, QFormLayout) and current.indexOf(widget) >= 0:
            return current
        pending.extend(current.itemAt(i).layout() for i in range(current.count()) if current.itemAt(i).layout())
    return None
