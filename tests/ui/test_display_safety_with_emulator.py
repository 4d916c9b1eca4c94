"""Host text that could pass for something else is shown so that it cannot, in every place it reaches:
the VM table, the VM panel, the services tab's *Why?* text, questions, the status bar and tooltips, while
Copy as PowerShell keeps the exact value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import connect, message_box, shown, vm_key
from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from qasync_loop import wait_until

from hvgui.domain.power import PowerAction
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.confirm import reject_button
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.service_rows import RowKeyRole, WhyRole
from hvgui.ui.models.vm_table import Column
from hvgui.ui.power_actions import CONFIRM_POWER

HOST = "HV-TEXT"
SPOOF = "\u202eexe.gpj\u202c rtl"  # shows as "jpg.exe rtl" when the override is obeyed
SHOWN = "\u27e8U+202E\u27e9exe.gpj\u27e8U+202C\u27e9 rtl"
RAW_CONTROLS = ("\u202e", "\u202c")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "display-safety",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": SPOOF, "state": "Paused", "uptime": 3600},
                    {"name": "zero\u200bwidth", "state": "Running", "uptime": 3600},
                ],
            }
        ],
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path)) as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    yield w
    loop.run_until_complete(w.controller.aclose())


def no_raw_controls(text: str) -> bool:
    return not any(c in text for c in RAW_CONTROLS)


def test_a_spoofing_name_is_shown_by_its_code_points_everywhere(loop, window, emulator, qapp) -> None:
    loop.run_until_complete(connect(window, emulator, HOST))
    key = vm_key(emulator, HOST, SPOOF)
    assert window.select_vm(key)

    # The table.
    proxy = window.table.model()
    names = [proxy.index(row, Column.Name).data() for row in range(proxy.rowCount())]
    assert SHOWN in names and all(no_raw_controls(n) for n in names)
    assert "zero\u27e8U+200B\u27e9width" in names  # not the same as a VM called "zerowidth"

    # The panel's title and the services tab's Why? text (a paused guest cannot answer).
    panel = window.vm_panel
    assert panel.summary.title.text() == SHOWN
    panel.show_tab("services")
    tab = panel.services
    model = tab.view.model()
    explained = [
        model.index(row, 0).data(RowKeyRole)
        for row in range(model.rowCount())
        if SPOOF in (model.index(row, 0).data(WhyRole) or "")
    ]
    assert explained, "a paused VM's services say why they report nothing, naming the VM"
    assert tab.select_row(explained[0])
    assert SHOWN in tab.detail.why.text() and no_raw_controls(tab.detail.why.text())

    # A question names the VM the same way.
    window.power.trigger(PowerAction.TurnOff, [shown(window, key)])
    loop.run_until_complete(wait_until(lambda: message_box(CONFIRM_POWER) is not None, what="the question"))
    box = message_box(CONFIRM_POWER)
    assert SHOWN in box.text() and no_raw_controls(box.text())
    reject_button(box).click()

    # The status bar, whoever posts to it.
    window.statusBar().showMessage(f"Started '{SPOOF}'.")
    assert window.statusBar().currentMessage() == f"Started '{SHOWN}'."

    # A tooltip of the table (the model's text goes through the same shaping).
    viewport = window.table.viewport()
    row = names.index(SHOWN)
    rect = window.table.visualRect(proxy.index(row, Column.Name))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), viewport.mapToGlobal(rect.center()))
    QApplication.sendEvent(viewport, event)
    assert QToolTip.isVisible() and no_raw_controls(QToolTip.text()) and "U+202E" in QToolTip.text()
    QToolTip.hideText()

    # Copy as PowerShell keeps exact values: a checkpoint named with the override is created by that name.
    panel.show_tab("checkpoints")
    panel.checkpoints.name_edit.setText(SPOOF)
    script = panel.checkpoints.copy_create_command()
    assert script is not None and SPOOF in script
