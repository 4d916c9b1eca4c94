"""Copying out of a Windows guest against the emulator: the window's dialog, the guest account, PowerShell
Direct on the host, the verified download, and a password that appears nowhere but the session's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import connect, emulated_vm, vm_key
from qasync_loop import wait_until

from hvgui.domain.operations import CopyFromGuestOperation
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.guest import DEFAULT_GUEST_PASSWORD
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def test_a_guest_file_reaches_this_computer_and_the_password_stays_out_of_sight(
    loop, window, emulator, command_log, tmp_path
) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    guest = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    payload = "report $(whoami) 'q' ü\r\n".encode() * 1000
    guest.files.write("C:\\Temp\\Monthly report.txt", payload)

    assert window.select_vm(key)
    dialog = window.copy_actions.copy_from_selected()
    assert dialog is not None
    dialog.guest_paths.setPlainText("C:\\Temp\\Monthly report.txt")
    dialog.local_folder.setText(str(tmp_path))
    dialog.user.setText(".\\Administrator")
    dialog.password.setText(DEFAULT_GUEST_PASSWORD)
    assert dialog.copy_button.isEnabled(), dialog.input_problem()
    dialog.copy_button.click()

    def copies() -> list:
        return [r for r in window.vm_actions.records() if isinstance(r.operation, CopyFromGuestOperation)]

    loop.run_until_complete(wait_until(lambda: copies() and copies()[0].state.is_final, timeout=30, what="the copy"))
    (record,) = copies()
    assert record.state.name == "Succeeded", record.message
    assert (tmp_path / "Monthly report.txt").read_bytes() == payload
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".hvgui-part")]  # no partial file left
    loop.run_until_complete(
        wait_until(lambda: "Copy from 'dc01'" in window.statusBar().currentMessage(), what="the outcome")
    )

    shown = [str(record), record.message, record.operation.powershell(), window.statusBar().currentMessage()]
    shown += [window.activity_dock.model.index(0, c).data() or "" for c in range(6)]
    assert all(DEFAULT_GUEST_PASSWORD not in text for text in shown)
    assert DEFAULT_GUEST_PASSWORD not in command_log.read_text(encoding="utf-8")
