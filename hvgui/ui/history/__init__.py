"""The heartbeat history in the window: the VM panel's Heartbeat tab, the fleet timeline, alerts and the
event log. `install_history(window, store)` wires them in."""

from hvgui.ui.history.install import HistoryUi, default_history_path, install_history, open_history_store

__all__ = ["HistoryUi", "default_history_path", "install_history", "open_history_store"]
