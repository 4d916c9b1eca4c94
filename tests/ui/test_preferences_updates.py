"""How hosts' changes reach the window is a preference: live by default, intervals from `[updates]`, and the
host list says which mode each host is in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QSettings

from hvgui.domain.connection import HostState, HostStatus, UpdateMode
from hvgui.ui.models.host_list import HostListModel, detail_text
from hvgui.ui.preferences import Preferences


def test_live_updates_are_on_with_the_default_intervals(tmp_path: Path) -> None:
    preferences = Preferences(QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat))
    assert (preferences.live_updates, preferences.poll_interval, preferences.safety_interval) == (True, 2.0, 60.0)


def test_the_settings_file_turns_live_updates_off_and_sets_the_intervals(tmp_path: Path) -> None:
    ini = tmp_path / "hvgui.ini"
    ini.write_text("[updates]\nlive=false\npollInterval=5\nsafetyInterval=-1\n", encoding="utf-8")
    preferences = Preferences(QSettings(str(ini), QSettings.Format.IniFormat))
    assert (preferences.live_updates, preferences.poll_interval, preferences.safety_interval) == (False, 5.0, 60.0)
    preferences.set_updates(live=True, poll_interval=3, safety_interval=120)
    again = Preferences(QSettings(str(ini), QSettings.Format.IniFormat))
    assert (again.live_updates, again.poll_interval, again.safety_interval) == (True, 3.0, 120.0)


def test_the_host_list_names_the_update_mode_and_why_it_polls() -> None:
    connected = HostStatus("k", "hv01", HostState.Connected, vm_count=3)
    assert detail_text(connected) == "Connected \u00b7 3 VMs"  # a session that only polls says nothing
    live = dataclasses.replace(connected, update_mode=UpdateMode.Live)
    assert detail_text(live) == "Connected \u00b7 3 VMs \u00b7 live"
    polling = dataclasses.replace(
        connected,
        update_mode=UpdateMode.Polling,
        poll_interval=2.0,
        update_note="the host's change watcher stopped: Generic failure\u202e",
    )
    assert detail_text(polling) == "Connected \u00b7 3 VMs \u00b7 polling every 2 s"
    model = HostListModel()
    model.apply_status(polling)
    tooltip = model.data(model.index(0, 0), 3)  # Qt.ToolTipRole
    assert "Updates: polling every 2 s (the host's change watcher stopped: Generic failure" in tooltip
    assert "\u202e" not in tooltip
