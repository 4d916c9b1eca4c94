"""Shut Down asks first, as Hyper-V Manager does: one question naming every VM, with "Don't ask again".

Driven through the real window against the emulator: the question is a real message box, the answer is a
click, what was sent is read from the emulator's command log, and the preference from the settings file
(in a temporary directory: see `own_settings` in conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import connect, message_box, sent
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from qasync_loop import wait_until

from hvgui.domain.operations import PowerOperation
from hvgui.domain.power import PowerAction, confirm_text, shutdown_blocker
from hvgui.domain.vm import Vm, VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.confirm import accept_button, reject_button, remember_checkbox
from hvgui.ui.controllers import HostsController
from hvgui.ui.host_names import vm_target
from hvgui.ui.main_window import MainWindow
from hvgui.ui.power_actions import CONFIRM_SHUTDOWN
from hvgui.ui.preferences import CONFIRM_SHUTDOWN_KEY, Preferences


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    """The demo hosts with their clock 10 times as fast: a guest's 12 s shutdown takes 1.2 s."""
    with start_emulator("demo", command_log=str(command_log), time_scale=10) as running:
        yield running


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "hvgui.ini"


@pytest.fixture
def window(qtbot, loop, settings_file: Path) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    w = MainWindow(controller, preferences=Preferences(settings))
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    yield w
    loop.run_until_complete(w.controller.aclose())


def _one_clean_vm_per_host(window: MainWindow) -> list[Vm]:
    chosen: dict[str, Vm] = {}
    for vm in window.vm_model.vms():
        if vm.state is VmState.Running and shutdown_blocker(vm) is None:
            chosen.setdefault(vm.host, vm)
    return list(chosen.values())


def _press_ctrl_d(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # a closed message box leaves no window active offscreen
    window.table.setFocus()
    QTest.keySequence(window.table, QKeySequence("Ctrl+D"))


def test_shut_down_asks_once_for_the_selection_and_can_stop_asking(
    loop, window, emulator, command_log, settings_file, qtbot
) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01", "HV-DEMO-02"))
    vms = _one_clean_vm_per_host(window)
    assert len(vms) == 2  # one on each host
    assert window.select_vms([vm.key for vm in vms]) == 2
    ask = window.power.ask_before_shutdown
    assert ask.isChecked() and ask in window.vm_menu.actions()

    _press_ctrl_d(qtbot, window)
    box = message_box(CONFIRM_SHUTDOWN)
    assert box is not None, "Shut Down did not ask"
    assert box.text().startswith("Shut down these 2 virtual machines?")
    for vm in vms:
        assert f"\u2022 '{vm.name}'" in box.text()
    # the domain's words, the same an operation asks for one VM
    assert box.text() == confirm_text(PowerAction.ShutDown, [vm.name for vm in window.selected_vms()])
    assert (
        confirm_text(PowerAction.ShutDown, [vms[0].name])
        == PowerOperation(vm_target(vms[0]), PowerAction.ShutDown).confirmation()
    )
    assert not remember_checkbox(box).isChecked()
    reject_button(box).click()
    loop.run_until_complete(wait_until(lambda: message_box(CONFIRM_SHUTDOWN) is None, what="the box to close"))
    assert sent(command_log, "Stop-VM") == []
    assert message_box(CONFIRM_SHUTDOWN) is None  # one question, not one per VM

    _press_ctrl_d(qtbot, window)
    box = message_box(CONFIRM_SHUTDOWN)
    assert box is not None
    remember_checkbox(box).setChecked(True)
    accept_button(box).click()
    loop.run_until_complete(wait_until(lambda: len(sent(command_log, "Stop-VM")) == 2, what="both shutdowns"))
    assert {entry["host"] for entry in sent(command_log, "Stop-VM")} == {"HV-DEMO-01", "HV-DEMO-02"}
    assert not ask.isChecked()
    stored = QSettings(str(settings_file), QSettings.Format.IniFormat)
    assert stored.value(CONFIRM_SHUTDOWN_KEY) in (False, "false")

    # The question is off: Shut Down sends at once. Turning it back on from the VM menu asks again.
    loop.run_until_complete(wait_until(lambda: not window.vm_actions.running(), what="the shutdowns to end"))
    loop.run_until_complete(wait_until(lambda: _one_clean_vm_per_host(window), what="a running VM"))
    ask.trigger()
    assert ask.isChecked() and Preferences(QSettings(str(settings_file), QSettings.Format.IniFormat)).confirm_shutdown
    window.select_vms([_one_clean_vm_per_host(window)[0].key])
    _press_ctrl_d(qtbot, window)
    box = message_box(CONFIRM_SHUTDOWN)
    assert box is not None
    reject_button(box).click()


def test_without_the_question_shut_down_sends_at_once(loop, window, emulator, command_log, qtbot) -> None:
    window.power.ask_before_shutdown.setChecked(False)
    assert not window.preferences.confirm_shutdown
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    (vm,) = _one_clean_vm_per_host(window)
    window.select_vms([vm.key])
    _press_ctrl_d(qtbot, window)
    assert message_box(CONFIRM_SHUTDOWN) is None
    loop.run_until_complete(wait_until(lambda: len(sent(command_log, "Stop-VM")) == 1, what="the shutdown"))
