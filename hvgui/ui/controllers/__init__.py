"""QObjects that own the asynchronous work and speak to widgets only through signals."""

from hvgui.ui.controllers.hosts_controller import HostAlreadyAdded, HostsController
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionKind, ActionResult, VmAction, VmActionsController

__all__ = [
    "ActionFailure",
    "ActionKind",
    "ActionResult",
    "HostAlreadyAdded",
    "HostsController",
    "VmAction",
    "VmActionsController",
]
