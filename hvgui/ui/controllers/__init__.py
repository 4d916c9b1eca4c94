"""QObjects that own the asynchronous work and speak to widgets only through signals."""

from hvgui.ui.controllers.hosts_controller import HostAlreadyAdded, HostsController

__all__ = ["HostAlreadyAdded", "HostsController"]
