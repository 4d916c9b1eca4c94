"""A 60 s shutdown in the window: the Activity panel shows the host's progress rising while the VM table keeps
refreshing and shows the guest shutting down, then Off.

The emulated host runs the `realistic` profile at 10 host seconds per real second (the 60 s shutdown takes 6
real seconds); the window refreshes every 0.5 s of real time, so about a dozen refreshes fall inside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import ScriptedConfirmer, connect, sent, shown, vm_key
from PySide6.QtCore import QSettings
from qasync_loop import wait_until

from hvgui.domain.operations import OperationRecord, OperationState, PowerOperation
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.activity.model import ActivityColumn
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences

HOST = "HV-SLOW-01"
PROGRESS_CELL = re.compile(r"^(\d{1,3})% \u00b7 Shut down a virtual machine$")


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = tmp_path / "slow-shutdown.json"
    document = {
        "name": "slow-shutdown",
        "cost_profile": "realistic",
        "time_scale": 10,
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "app01", "os": "windows-server-2022", "state": "Running", "durations": {"shutdown": 60}},
                    {"name": "web01", "os": "ubuntu-22.04", "state": "Running"},
                ],
            }
        ],
    }
    scenario.write_text(json.dumps(document), encoding="utf-8")
    with start_emulator(str(scenario), command_log=str(command_log)) as running:
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


def test_the_activity_panel_shows_a_60_s_shutdowns_progress_while_the_table_refreshes(
    loop, window: MainWindow, emulator: RunningEmulator, command_log: Path
) -> None:
    loop.run_until_complete(connect(window, emulator, HOST))
    key = vm_key(emulator, HOST, "app01")
    model = window.activity_dock.model
    progress_cells: list[str] = []  # the Progress cell of the shutdown's row, each time it changed
    table_states: list[VmState] = []  # app01 in the VM table, each time an inventory came in

    def shutdown() -> OperationRecord | None:
        return next((r for r in model.records() if isinstance(r.operation, PowerOperation)), None)

    def cell_changed(*_args: object) -> None:
        record = shutdown()
        if record is not None:
            text = model.index(model.row_of(record.op_id), ActivityColumn.Progress).data()
            if not progress_cells or progress_cells[-1] != text:
                progress_cells.append(text)

    model.dataChanged.connect(cell_changed)
    window.controller.inventoryChanged.connect(lambda *_: table_states.append(shown(window, key).state))

    window.power.trigger(PowerAction.ShutDown, [shown(window, key)])
    done = lambda: (r := shutdown()) is not None and r.state.is_final  # noqa: E731
    loop.run_until_complete(wait_until(done, what="the shutdown to end"))

    final = shutdown()
    assert final is not None and final.state is OperationState.Succeeded
    assert model.index(model.row_of(final.op_id), ActivityColumn.State).data() == "Succeeded"
    assert shown(window, key).state is VmState.Off
    assert len(sent(command_log, "Stop-VM")) == 1

    percents = [int(m.group(1)) for text in progress_cells if (m := PROGRESS_CELL.match(text or ""))]
    assert len(set(percents)) >= 10 and percents == sorted(percents)  # the host's percentage, only rising
    assert percents[0] < 20 and percents[-1] >= 90
    # the table kept refreshing during the shutdown: it showed the guest shutting down, many times, then Off
    assert table_states.count(VmState.Stopping) >= 3
    assert table_states[-1] is VmState.Off
