"""Copying files of this computer into a VM, and out of a Windows guest: the dialogs, the drops that open
the first, and the window's actions."""

from hvgui.ui.copy.actions import COPY_FROM_SHORTCUT, COPY_SHORTCUT, CopyActions, install_copy_actions
from hvgui.ui.copy.dialog import CONFIRM_ENABLE_GSI, CopyToVmDialog
from hvgui.ui.copy.existing_question import EXISTING_FILE_QUESTION, ExistingFileAsker
from hvgui.ui.copy.from_vm_dialog import CopyFromVmDialog

__all__ = [
    "CONFIRM_ENABLE_GSI",
    "COPY_FROM_SHORTCUT",
    "COPY_SHORTCUT",
    "EXISTING_FILE_QUESTION",
    "CopyActions",
    "CopyFromVmDialog",
    "CopyToVmDialog",
    "ExistingFileAsker",
    "install_copy_actions",
]
