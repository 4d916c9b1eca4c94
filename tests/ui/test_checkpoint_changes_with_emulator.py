"""Managing checkpoints from the tab: the tree, Apply, Rename, Delete and Delete Subtree by keyboard, each
asked first with what is lost; and the checkpoint type as a pending edit that a refresh never overwrites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import ScriptedConfirmer, connect, emulated_vm, sent, shown, vm_key
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog
from qasync_loop import wait_until

from hvgui.domain.vm import CheckpointType, VmState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.checkpoints_tab import (
    CONFIRM_APPLY_CHECKPOINT,
    CONFIRM_DELETE_CHECKPOINT,
    RENAME_CHECKPOINT_DIALOG,
    CheckpointsTab,
)
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow

HOST, VM = "HV-DEMO-03", "print01"


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
    loop.run_until_complete(w.controller.aclose())


def idle(window: MainWindow) -> bool:
    return not window.vm_actions.running()


def with_checkpoints(loop, window: MainWindow, emulator, *names: str) -> CheckpointsTab:
    """The tab of print01 with checkpoints taken one after another (each below the one before)."""
    loop.run_until_complete(connect(window, emulator, HOST))
    key = vm_key(emulator, HOST, VM)
    assert window.select_vm(key)
    window.vm_panel.show_tab("checkpoints")
    tab = window.vm_panel.checkpoints
    for name in names:
        tab.name_edit.setText(name)
        tab.create_checkpoint()
        loop.run_until_complete(wait_until(lambda: idle(window), what=f"checkpoint {name}"))
    loop.run_until_complete(
        wait_until(lambda: idle(window) and len(tab.model.checkpoints()) == len(names), what="the tree")
    )
    return tab


def select(tab: CheckpointsTab, name: str) -> None:
    [checkpoint] = [c for c in tab.model.checkpoints() if c.name == name]
    assert tab.select_checkpoint(checkpoint.checkpoint_id)
    tab.view.setFocus()


def test_the_tree_and_delete_subtree_from_the_keyboard(loop, window, emulator, confirmer, command_log) -> None:
    tab = with_checkpoints(loop, window, emulator, "base", "patched", "tested")
    # Each checkpoint sits under the one it was taken from.
    base = tab.model.index(0, 0)
    assert tab.model.rowCount() == 1 and base.data() == "base"
    assert tab.model.index(0, 0, tab.model.index(0, 0, base)).data() == "tested"
    assert tab.view.isExpanded(base)

    select(tab, "tested")
    assert not tab.delete_subtree_button.isEnabled()  # nothing below it
    select(tab, "patched")
    assert tab.delete_subtree_button.isEnabled()
    QTest.keyClick(tab.view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    question = confirmer.questions[-1]
    assert question.object_name == CONFIRM_DELETE_CHECKPOINT
    assert "'patched'" in question.text and "'tested'" in question.text and "can no longer go back" in question.text
    loop.run_until_complete(
        wait_until(lambda: idle(window) and tab.model.names() == ["base"], what="the subtree to go")
    )
    assert [s.name for s in emulated_vm(emulator, HOST, VM).snapshots] == ["base"]
    [removed] = sent(command_log, "Remove-VMSnapshot")
    assert removed["parameters"] == {"IncludeAllChildSnapshots": True, "Confirm": False}
    assert all("Id" in e["parameters"] for e in sent(command_log, "Get-VMSnapshot") if e["parameters"])
    assert "Deleted checkpoint 'patched' and the 1 below it" in tab.message.text()


def test_apply_asks_what_is_lost_and_the_vm_goes_back(loop, window, emulator, confirmer) -> None:
    tab = with_checkpoints(loop, window, emulator, "before", "after")
    select(tab, "before")
    QTest.keyClick(tab.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    question = confirmer.questions[-1]
    assert question.object_name == CONFIRM_APPLY_CHECKPOINT
    assert question.text.startswith("Apply checkpoint 'before' to 'print01'?")
    assert "current state is lost" in question.text
    loop.run_until_complete(wait_until(lambda: idle(window), what="the apply"))
    model_vm = emulated_vm(emulator, HOST, VM)
    before = next(s for s in model_vm.snapshots if s.name == "before")
    assert model_vm.parent_snapshot_id == before.id
    key = vm_key(emulator, HOST, VM)
    loop.run_until_complete(
        wait_until(lambda: shown(window, key).state is not VmState.Running, what="the table to follow")
    )
    assert tab.message.text() == "Applied checkpoint 'before' to 'print01'."


def test_a_refused_apply_leaves_everything(loop, window, emulator, confirmer, command_log) -> None:
    tab = with_checkpoints(loop, window, emulator, "only")
    confirmer.answer = False
    select(tab, "only")
    tab.apply_checkpoint()
    assert confirmer.questions[-1].object_name == CONFIRM_APPLY_CHECKPOINT
    assert sent(command_log, "Restore-VMSnapshot") == []


def test_rename_with_f2_keeps_the_name_exact(loop, window, emulator, command_log) -> None:
    tab = with_checkpoints(loop, window, emulator, "old")
    select(tab, "old")
    QTest.keyClick(tab.view, Qt.Key.Key_F2)
    dialog = next(w for w in QApplication.topLevelWidgets() if w.objectName() == RENAME_CHECKPOINT_DIALOG)
    assert isinstance(dialog, QInputDialog) and dialog.textValue() == "old"
    new_name = "before KB5034441 'x' $(whoami)"
    dialog.setTextValue(new_name)
    dialog.accept()
    loop.run_until_complete(wait_until(lambda: idle(window) and tab.model.names() == [new_name], what="the rename"))
    assert [s.name for s in emulated_vm(emulator, HOST, VM).snapshots] == [new_name]
    assert [e["parameters"]["NewName"] for e in sent(command_log, "Rename-VMSnapshot")] == [new_name]


def test_an_empty_name_is_refused_before_anything_is_sent(loop, window, emulator, command_log) -> None:
    tab = with_checkpoints(loop, window, emulator, "keep")
    select(tab, "keep")
    dialog = tab.rename_checkpoint()
    assert dialog is not None
    dialog.setTextValue("   ")
    dialog.accept()
    assert "needs a name" in tab.message.text()
    assert sent(command_log, "Rename-VMSnapshot") == []


def test_the_checkpoint_type_is_a_pending_edit(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, HOST))
    key = vm_key(emulator, HOST, VM)
    assert window.select_vm(key)
    window.vm_panel.show_tab("checkpoints")
    tab = window.vm_panel.checkpoints
    host_type = shown(window, key).checkpoint_type
    assert not tab.type_apply.isEnabled() and not tab.type_revert.isEnabled()
    tab.choose_checkpoint_type(CheckpointType.Standard)
    assert tab.pending_checkpoint_type() is CheckpointType.Standard
    assert tab.type_apply.isEnabled() and tab.type_revert.isEnabled()
    # Refreshes come and go; the choice stays, and nothing was sent.
    loop.run_until_complete(window.controller.manager.host(key.host).next_inventory())
    loop.run_until_complete(window.controller.manager.host(key.host).next_inventory())
    assert tab.type_combo.currentData() is CheckpointType.Standard
    assert sent(command_log, "Set-VM") == []
    tab.type_revert.click()
    assert tab.type_combo.currentData() is host_type and tab.pending_checkpoint_type() is None
    tab.choose_checkpoint_type(CheckpointType.Standard)
    tab.type_apply.click()
    loop.run_until_complete(
        wait_until(lambda: idle(window) and shown(window, key).checkpoint_type is CheckpointType.Standard)
    )
    assert [e["parameters"]["CheckpointType"] for e in sent(command_log, "Set-VM")] == ["Standard"]
    assert not tab.type_apply.isEnabled()
