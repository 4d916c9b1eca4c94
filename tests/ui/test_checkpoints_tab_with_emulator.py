"""The "Checkpoints" tab end to end: checkpoint type, the list, and creating one with and without VSS.

With VSS working a production checkpoint is taken; with VSS disabled the tab warns first, and the host falls
back to a standard checkpoint (Production) or fails (Production only). A fallback is silent on a real host
(hyperv-cim-winrm.md §5), so afterwards the tab claims no kind: its note says what Hyper-V does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import (
    ScriptedConfirmer,
    connect,
    emulated_host,
    emulated_vm,
    endpoint_for,
    message_box,
    sent,
    shown,
    vm_key,
)
from qasync_loop import wait_until

from hvgui.domain.checkpoints import PRODUCTION_FALLBACK_NOTE
from hvgui.domain.integration import VSS
from hvgui.domain.vm import CheckpointType
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.checkpoints_tab import CONFIRM_CHECKPOINT, CheckpointsTab
from hvgui.ui.confirm import accept_button, reject_button
from hvgui.ui.controllers import HostsController
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.checkpoint_list import CheckpointColumn


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


def make_window(qtbot, confirmer=None) -> MainWindow:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller, confirmer=confirmer)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    w = make_window(qtbot)
    yield w
    loop.run_until_complete(w.controller.aclose())


def open_checkpoints(loop, window: MainWindow, key) -> CheckpointsTab:
    assert window.select_vm(key)
    window.vm_panel.show_tab("checkpoints")
    tab = window.vm_panel.checkpoints
    assert tab.shown_vm().key == key
    loop.run_until_complete(wait_until(lambda: tab.count_label.text() not in ("", "loading\u2026"), what="the list"))
    return tab


def idle(window: MainWindow) -> bool:
    return not window.vm_actions.running()


def test_with_vss_a_production_checkpoint_is_taken_and_listed(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    tab = open_checkpoints(loop, window, key)
    assert tab.count_label.text() == "none"
    assert tab.warning.isHidden()  # VSS answers: nothing to warn about
    assert tab.type_combo.currentData() is CheckpointType.Production
    assert "Backup-consistent" in tab.type_description.text()

    tab.name_edit.setText("before patch Tuesday")
    tab.create_button.click()
    assert tab.create_button.text() == "Creating checkpoint\u2026" and not tab.create_button.isEnabled()
    loop.run_until_complete(wait_until(lambda: idle(window) and tab.model.rowCount() == 1, what="the new checkpoint"))
    assert tab.model.names() == ["before patch Tuesday"]
    assert tab.message.kind() is MessageKind.Info
    assert tab.message.text() == "Created checkpoint 'before patch Tuesday' of 'dc01'."
    assert tab.name_edit.text() == ""
    assert tab.create_button.isEnabled()
    snapshots = emulated_vm(emulator, "HV-DEMO-01", "dc01").snapshots
    assert [s.name for s in snapshots] == ["before patch Tuesday"] and snapshots[0].production
    created = sent(command_log, "Checkpoint-VM")
    assert created[0]["parameters"]["SnapshotName"] == "before patch Tuesday"
    assert created[0]["parameters"]["Passthru"] is True
    assert len(sent(command_log, "Get-VMSnapshot")) == 2  # when shown, and after creating
    assert tab.model.data(tab.model.index(0, CheckpointColumn.Kind)) == "Standard"  # as the host lists it
    assert tab.type_note.isVisible() and tab.type_note.text() == PRODUCTION_FALLBACK_NOTE
    # Copy as PowerShell names the host as hvgui reached it and the VM by its Id.
    vm = f"Get-VM -ComputerName '{endpoint_for(emulator, 'HV-DEMO-01').address}' -Id '{key.vm_id}'"
    assert tab.copy_list_command() == f"{vm} | Get-VMSnapshot"
    tab.name_edit.setText("it's [done]")
    assert tab.copy_create_command() == f"{vm} | Checkpoint-VM -SnapshotName 'it''s [done]'"


def test_without_vss_it_warns_then_the_host_falls_back_silently(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-03", "print01")
    tab = open_checkpoints(loop, window, key)
    assert not tab.warning.isHidden()
    assert "standard checkpoint instead" in tab.warning_label.text()

    tab.create_button.click()
    box = message_box(CONFIRM_CHECKPOINT)
    assert box is not None and "standard checkpoint instead" in box.text()
    reject_button(box).click()
    loop.run_until_complete(wait_until(lambda: message_box(CONFIRM_CHECKPOINT) is None, what="the box to close"))
    assert sent(command_log, "Checkpoint-VM") == []

    tab.create_button.click()
    accept_button(message_box(CONFIRM_CHECKPOINT)).click()
    loop.run_until_complete(wait_until(lambda: idle(window) and tab.model.rowCount() == 1, what="the checkpoint"))
    # The host took a standard checkpoint and said nothing, so the tab claims nothing about its kind.
    snapshot = emulated_vm(emulator, "HV-DEMO-03", "print01").snapshots[0]
    assert not snapshot.production and snapshot.saved_state
    assert tab.message.kind() is MessageKind.Info
    assert tab.message.text() == f"Created checkpoint '{snapshot.name}' of 'print01'."
    assert tab.model.data(tab.model.index(0, CheckpointColumn.Kind)) == "Standard"
    assert "does not report which of the two it took" in tab.type_note.text()


def test_production_only_without_vss_fails_with_the_reason(qtbot, loop, emulator) -> None:
    confirmer = ScriptedConfirmer(answer=True)
    window = make_window(qtbot, confirmer)
    try:
        loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
        key = vm_key(emulator, "HV-DEMO-01", "sql01")
        window.select_vm(key)
        window.vm_panel.show_tab("services")
        window.vm_panel.services.request_toggle(VSS.ic_guid, False)  # through the window, end to end
        vss_off = lambda: idle(window) and not shown(window, key).service(VSS.ic_guid).enabled  # noqa: E731
        loop.run_until_complete(wait_until(vss_off, what="VSS off"))
        tab = open_checkpoints(loop, window, key)
        assert tab.type_combo.currentData() is CheckpointType.ProductionOnly
        assert "will fail" in tab.warning_label.text()
        tab.create_checkpoint()
        assert confirmer.questions[-1].object_name == CONFIRM_CHECKPOINT
        loop.run_until_complete(wait_until(lambda: idle(window) and tab.message.kind() is MessageKind.Error))
        assert "Taking a checkpoint of 'sql01' failed." in tab.message.text()
        assert "VSS" in tab.message.text()
        assert emulated_vm(emulator, "HV-DEMO-01", "sql01").snapshots == []
        assert tab.create_button.isEnabled()
    finally:
        loop.run_until_complete(window.controller.aclose())


def test_changing_the_checkpoint_type(loop, window, emulator, command_log, qapp) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-03", "print01")
    tab = open_checkpoints(loop, window, key)
    tab.set_checkpoint_type(CheckpointType.Standard)
    assert not tab.type_combo.isEnabled()  # while the host changes it
    loop.run_until_complete(wait_until(lambda: idle(window) and tab.type_combo.isEnabled(), what="the change"))
    model_vm = emulated_vm(emulator, "HV-DEMO-03", "print01")
    assert model_vm.hardware.checkpoint_type.name == "Standard"
    assert shown(window, key).checkpoint_type is CheckpointType.Standard
    assert tab.type_combo.currentData() is CheckpointType.Standard
    assert tab.warning.isHidden()  # a standard checkpoint does not need VSS
    assert tab.message.text() == "The checkpoint type of 'print01' is now Standard."
    assert [e["parameters"]["CheckpointType"] for e in sent(command_log, "Set-VM")] == ["Standard"]
    vm = f"Get-VM -ComputerName '{endpoint_for(emulator, 'HV-DEMO-03').address}' -Id '{key.vm_id}'"
    assert tab.copy_type_command() == f"{vm} | Set-VM -CheckpointType Standard"
    assert qapp.clipboard().text() == f"{vm} | Set-VM -CheckpointType Standard"
    # Disabled: creating is refused by the host, and the tab says so beforehand.
    tab.set_checkpoint_type(CheckpointType.Disabled)
    loop.run_until_complete(wait_until(lambda: idle(window) and tab.type_combo.isEnabled(), what="the change"))
    assert "disabled" in tab.warning_label.text().lower()
    host = emulated_host(emulator, "HV-DEMO-03")
    assert host.model.vm_by_id(model_vm.id).hardware.checkpoint_type.name == "Disabled"
