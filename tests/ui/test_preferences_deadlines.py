"""Deadlines an admin sets in the settings file reach the operations; nonsense there is ignored."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from hvgui.domain.operations import DEFAULT_DEADLINES, PowerOperation, VmTarget
from hvgui.domain.power import PowerAction
from hvgui.remoting import OperationsConfig
from hvgui.ui.preferences import Preferences


def test_the_defaults_hold_until_the_admin_sets_a_deadline(tmp_path: Path) -> None:
    assert Preferences(QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)).deadlines == dict(
        DEFAULT_DEADLINES
    )


def test_a_deadline_from_the_settings_file_applies_to_its_operation_kind(tmp_path: Path) -> None:
    ini = tmp_path / "hvgui.ini"
    ini.write_text("[deadlines]\npower.ShutDown=900\npower.Save=-5\ncheckpoint=soon\n", encoding="utf-8")
    deadlines = Preferences(QSettings(str(ini), QSettings.Format.IniFormat)).deadlines
    assert deadlines["power:ShutDown"] == 900.0
    assert deadlines["power:Save"] == DEFAULT_DEADLINES["power:Save"]  # not a positive number: ignored
    assert deadlines["checkpoint"] == DEFAULT_DEADLINES["checkpoint"]
    shutdown = PowerOperation(VmTarget("k", "hv01", "id", "web01"), action=PowerAction.ShutDown)
    assert shutdown.deadline(OperationsConfig(deadlines=deadlines).deadlines) == 900.0


def test_set_deadlines_writes_what_deadlines_reads_back(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    Preferences(settings).set_deadlines({"power:Restart": 420.0})
    assert "power.Restart=420" in (tmp_path / "hvgui.ini").read_text(encoding="utf-8")
    assert Preferences(settings).deadlines["power:Restart"] == 420.0
