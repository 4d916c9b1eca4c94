"""The fleet compliance grid (every VM x the six integration services) and the main window's entry points."""

from hvgui.ui.fleet.actions import FleetActions, install_fleet_actions
from hvgui.ui.fleet.feed import FleetFeed
from hvgui.ui.fleet.filter_proxy import FleetFilterProxy
from hvgui.ui.fleet.model import CellTone, FleetModel
from hvgui.ui.fleet.window import FleetWindow

__all__ = [
    "CellTone",
    "FleetActions",
    "FleetFeed",
    "FleetFilterProxy",
    "FleetModel",
    "FleetWindow",
    "install_fleet_actions",
]
