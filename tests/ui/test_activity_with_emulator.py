"""The Activity panel follows the window's real operations on the emulator, across hosts, to their end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import ScriptedConfirmer, connect, shown, vm_key
from PySide6.QtCore import QSettings
from qasync_loop import wait_until

from hvgui.domain.operations import OperationState, PowerOperation
from hvgui.domain.power import PowerAction
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """The demo hosts with their clock 10 times as fast: saving exchange01's 16 GiB takes 1.7 s, not 17 s."""
    with start_emulator("demo", time_scale=10) as running:
        yield running


@pytest.fixture
def window(qtbot, loop, tmp_path: Path) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(controller, confirmer=ScriptedConfirmer(answer=True), preferences=Preferences(settings))
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(w.controller.aclose())


def test_saves_on_two_hosts_are_listed_until_they_succeed(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-02", "HV-DEMO-03"))
    keys = [vm_key(emulator, "HV-DEMO-02", "exchange01"), vm_key(emulator, "HV-DEMO-03", "print01")]
    vms = [shown(window, key) for key in keys]
    window.power.trigger(PowerAction.Save, vms)
    model = window.activity_dock.model

    def saves() -> list:
        return [r for r in model.records() if isinstance(r.operation, PowerOperation)]

    seen: set[OperationState] = set()
    window.vm_actions.operation_changed.connect(lambda record: seen.add(record.state))
    done = lambda: len(saves()) == 2 and all(r.state is OperationState.Succeeded for r in saves())  # noqa: E731
    loop.run_until_complete(wait_until(done, what="both saves listed and done"))
    assert OperationState.Running in seen  # listed while they ran, not only at the end
    rows = {model.index(model.row_of(r.op_id), 0).data(): model.row_of(r.op_id) for r in saves()}
    assert set(rows) == {"Save 'exchange01'", "Save 'print01'"}
    assert model.index(rows["Save 'print01'"], 1).data() == "HV-DEMO-03"  # the window's name for the host
    assert model.index(rows["Save 'print01'"], 2).data() == "Succeeded"

    window.activity_dock.select_operations([r.op_id for r in saves()])
    assert window.activity_dock.copy_powershell() == window.power.copy_powershell(PowerAction.Save, vms)
