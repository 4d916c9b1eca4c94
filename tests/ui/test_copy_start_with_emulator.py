"""Starting a copy against the emulator: files dropped on a VM whose Guest Service Interface is off, the
service enabled from the dialog (one `Set-HvGuiIntegrationService` by GUID, after the question), Copy
available once the host reports it on, the copy handed to the host's runner as a typed operation, and the
file in the guest, byte for byte, with the outcome in the status bar.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from copy_support import drop, file_urls
from emulator_support import ScriptedConfirmer, connect, emulated_vm, sent, shown, vm_key
from qasync_loop import wait_until

from hvgui.domain.integration import GUEST_SERVICE_INTERFACE
from hvgui.domain.operations import CopyToGuestOperation, ExistingFile
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.copy import CONFIRM_ENABLE_GSI
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column

GSI = GUEST_SERVICE_INTERFACE.ic_guid


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


@pytest.fixture
def confirmer() -> ScriptedConfirmer:
    return ScriptedConfirmer(answer=True)


@pytest.fixture
def window(qtbot, loop, confirmer) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller, confirmer=confirmer)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def test_drop_enable_guest_service_interface_then_copy(
    loop, window, emulator, confirmer, command_log, tmp_path, qtbot
) -> None:
    source = tmp_path / "setup $(1) 'x' ü.msi"
    source.write_bytes(b"\0" * 4096)
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    model_vm = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    assert shown(window, key).service(GSI).enabled is False  # Hyper-V's default

    row = window.vm_model.row_of(key)
    index = window.proxy.mapFromSource(window.vm_model.index(row, Column.Name))
    window.table.scrollTo(index)
    assert drop(window.table.viewport(), window.table.visualRect(index).center(), file_urls([str(source)]))
    dialog = window.copy_actions.dialog
    assert dialog is not None and dialog.vm().key == key
    assert "Guest Service Interface is off" in dialog.precondition.text()
    assert not dialog.copy_button.isEnabled()

    dialog.enable_button.click()
    assert [q.object_name for q in confirmer.questions] == [CONFIRM_ENABLE_GSI]
    loop.run_until_complete(wait_until(dialog.copy_button.isEnabled, what="Copy once the host reports GSI on"))
    assert model_vm.components[GSI].enabled is True
    (toggle,) = sent(command_log, "Set-HvGuiIntegrationService")
    assert toggle["parameters"]["ComponentId"] == GSI
    assert dialog.precondition_box.isHidden()

    dialog.destination.setText("C:\\Setup files")
    dialog.existing.setCurrentIndex(dialog.existing.findText("Skip"))
    dialog.copy_button.click()

    def copy_records() -> list:
        return [r for r in window.vm_actions.records() if isinstance(r.operation, CopyToGuestOperation)]

    loop.run_until_complete(wait_until(lambda: bool(copy_records()), what="the copy in the Activity records"))
    (record,) = copy_records()
    operation = record.operation
    assert operation.target.vm_id == key.vm_id and operation.target.computer_name == "127.0.0.1"
    assert operation.sources == (str(source),)
    assert operation.guest_folder == "C:\\Setup files"
    assert operation.create_folders is True and operation.existing is ExistingFile.Skip
    assert window.activity_dock.isVisible()

    def finished() -> bool:
        (latest,) = copy_records()
        return latest.state.is_final

    loop.run_until_complete(wait_until(finished, timeout=30, what="the copy to finish"))
    (done,) = copy_records()
    assert done.state.name == "Succeeded", done.message
    guest_file = "C:\\Setup files\\" + source.name
    assert model_vm.files.read(guest_file) == source.read_bytes()
    loop.run_until_complete(
        wait_until(lambda: "1 file copied" in window.statusBar().currentMessage(), what="the outcome in the status bar")
    )
