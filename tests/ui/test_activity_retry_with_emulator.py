"""Retry from the Activity dock, against the emulator: a copy into a guest fails because the host dropped in the
middle of a file (and stayed away while hvgui tried to resume), the dock lists its files (one copied, one
interrupted), the host comes back, Ctrl+Shift+R in the dock retries it, and the retry goes on from what stayed
staged: the bytes staged before the drop are not sent again, and the guest file is byte-identical."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from emulator_support import ScriptedConfirmer, emulated_host, sent
from PySide6.QtCore import QSettings, Qt
from qasync_loop import wait_until
from relay_support import DroppingProxy

from hvgui.domain.operations import CopyToGuestOperation, OperationState
from hvgui.domain.vm import VmKey
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting import OperationsConfig, SessionManager
from hvgui.remoting.transfers import upload
from hvgui.ui.activity.files import FileColumn
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences

HOST = "HV-RETRY-UI"
CHUNK = 1024


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "retry-ui",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "retry.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        yield running


@pytest.fixture
def window(qtbot, loop, tmp_path: Path) -> Iterator[MainWindow]:
    # One work connection: the files go one after another, so the drop finds the first one copied and the
    # second one part-way (a copy of several files otherwise sends them at once).
    operations = OperationsConfig(limit=1)
    manager = SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10, operations=operations)
    controller = HostsController(manager)
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(controller, confirmer=ScriptedConfirmer(answer=True), preferences=Preferences(settings))
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(w.controller.aclose())


def test_a_copy_the_host_dropped_is_retried_from_the_dock_and_goes_on_from_what_is_staged(
    loop, window, emulator, command_log, tmp_path, qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(upload, "RESUME_PAUSE", 0.01)
    monkeypatch.setitem(upload.copy_to_guest.__kwdefaults__, "chunk_bytes", CHUNK)
    first = tmp_path / "first.txt"
    first.write_bytes(b"arrives before the drop")
    data = bytes(range(256)) * 32  # 8 KiB: 8 chunks
    second = tmp_path / "second.bin"
    second.write_bytes(data)
    model = emulated_host(emulator, HOST).model
    endpoint = emulator.endpoints[0]
    proxy = DroppingProxy(endpoint.connection_settings().port)
    writes = 0
    write_at = model.files.write_at

    def write_then_drop(path: str, offset: int, chunk: bytes) -> int:
        nonlocal writes
        length = write_at(path, offset, chunk)
        writes += 1
        if writes == 4:  # the first file, then three chunks of the second
            proxy.drop()
        return length

    model.files.write_at = write_then_drop
    try:
        settings = replace(endpoint.connection_settings(), port=proxy.port)
        window.connect_host(settings, endpoint.password)
        loop.run_until_complete(
            wait_until(lambda: window.controller.inventory(settings.key) is not None, what="the inventory")
        )
        key = VmKey(settings.key, str(model.vms[0].id).lower())
        vm = window.vm_model.vm(key)
        assert vm is not None
        window.vm_actions.copy_to_vm(vm, [str(first), str(second)], "C:\\Temp")
        dock = window.activity_dock

        def copies() -> list:
            return [r for r in dock.model.records() if isinstance(r.operation, CopyToGuestOperation)]

        loop.run_until_complete(
            wait_until(lambda: copies() and copies()[0].state is OperationState.Failed, what="the copy fails")
        )
        (failed,) = copies()
        assert model.files.files_under(STAGING_FOLDER)  # kept for the retry
        dock.select_operations([failed.op_id])
        files = dock.files_model
        outcomes = [files.index(row, FileColumn.Outcome).data() for row in range(files.rowCount())]
        assert outcomes[0] == "Copied" and outcomes[1].startswith("Interrupted: kept on the host")
        assert dock.retry_action.isEnabled()

        proxy.refusing.clear()  # the host is back
        before = len(sent(command_log, "Write-HvGuiStagedChunk"))
        window.activateWindow()
        loop.run_until_complete(wait_until(window.isActiveWindow, what="the window is active"))
        dock.view.setFocus()
        qtbot.keyClick(dock.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        loop.run_until_complete(
            wait_until(
                lambda: len(copies()) == 2 and copies()[0].state is OperationState.Succeeded,
                what="the retry succeeds",
            )
        )
        retried = copies()[0]
        assert retried.op_id != failed.op_id and retried.operation.attempt == 2
        offsets = [e["parameters"]["Offset"] for e in sent(command_log, "Write-HvGuiStagedChunk")[before:]]
        assert offsets == [CHUNK * i for i in range(3, 8)]  # not from zero
        guest = model.vms[0].files
        assert guest.read("C:\\Temp\\second.bin") == data
        assert guest.read("C:\\Temp\\first.txt") == b"arrives before the drop"
        assert model.files.files_under(STAGING_FOLDER) == {}
    finally:
        proxy.close()
