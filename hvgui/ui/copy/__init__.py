"""Copying files of this computer into a VM: the dialog, the drops that open it, and the window's actions."""

from hvgui.ui.copy.actions import COPY_SHORTCUT, CopyActions, install_copy_actions
from hvgui.ui.copy.dialog import CONFIRM_ENABLE_GSI, CopyToVmDialog

__all__ = ["CONFIRM_ENABLE_GSI", "COPY_SHORTCUT", "CopyActions", "CopyToVmDialog", "install_copy_actions"]
