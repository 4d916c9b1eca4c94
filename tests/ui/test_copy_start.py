"""Starting a copy into a VM: drops of local files on a VM row or on the VM panel, "Copy to VM..." from the
menus, the panel and the keyboard, the dialog's checks, and the operation handed to the controller.

The window is driven through its controller's signals with domain objects built here (as in
test_main_window.py); the copy itself is the host runner's business, so these tests stop at the submission.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from copy_support import GSI, drag_over, drop, file_urls, web_urls, with_gsi
from emulator_support import ScriptedConfirmer
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QSignalSpy, QTest
from PySide6.QtWidgets import QMenu

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, ComponentStatus
from hvgui.domain.inventory import diff_inventory
from hvgui.domain.operations import CopyToGuestOperation, ExistingFile, ServiceToggleOperation
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmState
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.controllers.vm_actions import ActionKind, VmAction
from hvgui.ui.copy import CONFIRM_ENABLE_GSI, COPY_SHORTCUT, CopyToVmDialog
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column
from hvgui.ui.preferences import Preferences

KEY1 = "https://hv01:5986"


def publish(window: MainWindow, key: str, vms, old: Inventory | None = None) -> Inventory:
    inventory = Inventory(host=key, vms=tuple(vms), fetched_at=time.time())
    window.controller.inventoryChanged.emit(inventory, diff_inventory(old, inventory))
    return inventory


def connected(key: str, label: str, count: int) -> HostStatus:
    return HostStatus(key=key, label=label, state=HostState.Connected, vm_count=count)


@pytest.fixture
def confirmer() -> ScriptedConfirmer:
    return ScriptedConfirmer(answer=True)


@pytest.fixture
def window(qtbot, loop, confirmer) -> MainWindow:
    controller = HostsController(SessionManager())
    w = MainWindow(controller, confirmer=confirmer, preferences=Preferences())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    loop.run_until_complete(controller.aclose())


@pytest.fixture
def vms(window, vm_factory) -> list[Vm]:
    made = [
        with_gsi(vm_factory(host=KEY1, name="web01")),
        with_gsi(vm_factory(host=KEY1, name="web02")),
        with_gsi(vm_factory(host=KEY1, name="web03")),
    ]
    window.controller.hostStatusChanged.emit(connected(KEY1, "HV-ONE", 3))
    publish(window, KEY1, made)
    return made


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    (tmp_path / "report.txt").write_bytes(b"x" * 1500)
    (tmp_path / "empty.bin").write_bytes(b"")
    tree = tmp_path / "tools"
    (tree / "sub dir").mkdir(parents=True)
    (tree / "a.ps1").write_bytes(b"a" * 10)
    (tree / "sub dir" / "b $(x) 'q'.txt").write_bytes(b"b" * 20)
    return [str(tmp_path / "report.txt"), str(tmp_path / "empty.bin"), str(tree)]


def row_centre(window: MainWindow, vm: Vm) -> QPoint:
    row = window.vm_model.row_of(vm.key)
    index = window.proxy.mapFromSource(window.vm_model.index(row, Column.Name))
    return window.table.visualRect(index).center()


def pending_actions(spy: QSignalSpy) -> list[VmAction]:
    return [spy.at(i)[0] for i in range(spy.count())]


def open_for(window: MainWindow, vm: Vm, paths: list[str], qtbot) -> CopyToVmDialog:
    dialog = window.copy_actions.open_dialog(vm, paths)
    qtbot.waitUntil(lambda: not dialog.counting())
    return dialog


# ---- starting ----------------------------------------------------------------------------------------


def test_files_dropped_on_a_row_open_the_dialog_for_the_vm_under_the_cursor(window, vms, files, qtbot) -> None:
    window.select_vm(vms[0].key)  # the selection is not the target: the row under the cursor is
    viewport = window.table.viewport()
    position = row_centre(window, vms[1])
    assert drag_over(viewport, position, file_urls(files)) == (True, True)
    outline = window.copy_actions.table_drops.outline
    assert outline.isVisible() and outline.geometry().contains(position)
    assert outline.geometry().width() == viewport.width()  # the whole row, not one cell

    assert drop(viewport, position, file_urls(files))
    assert not outline.isVisible()
    dialog = window.copy_actions.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.vm().key == vms[1].key
    assert dialog.sources() == files
    qtbot.waitUntil(lambda: not dialog.counting())
    cells = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text()) for r in range(3)]
    assert cells == [("report.txt", "1.5 KB"), ("empty.bin", "0 bytes"), ("tools/", "2 files, 30 bytes")]
    assert dialog.summary.text() == "4 files, 1.5 KB in all."
    assert "'web02' on HV-ONE" in dialog.heading.text()


def test_drops_of_links_or_off_the_rows_are_refused(window, vms, files) -> None:
    viewport = window.table.viewport()
    on_row = row_centre(window, vms[0])
    assert drag_over(viewport, on_row, web_urls("https://example.com/a.iso")) == (False, False)
    assert not drop(viewport, on_row, web_urls("https://example.com/a.iso"))
    mixed = web_urls("https://example.com/a.iso", Path(files[0]).as_uri())
    assert not drop(viewport, on_row, mixed)  # one link spoils the lot: nothing half-copied
    below_rows = QPoint(on_row.x(), viewport.height() - 3)
    assert window.table.indexAt(below_rows).isValid() is False
    enter, move = drag_over(viewport, below_rows, file_urls(files))
    assert (enter, move) == (True, False)  # files are welcome, but only on a VM
    assert not window.copy_actions.table_drops.outline.isVisible()
    assert not drop(viewport, below_rows, file_urls(files))
    assert window.copy_actions.dialog is None


def test_files_dropped_on_the_vm_panel_go_to_the_vm_it_shows(window, vms, files) -> None:
    panel = window.vm_panel
    centre = panel.rect().center()
    assert not drop(panel, centre, file_urls(files))  # nothing shown yet
    assert window.copy_actions.dialog is None
    window.select_vm(vms[2].key)
    assert drop(panel, centre, file_urls(files[:1]))
    dialog = window.copy_actions.dialog
    assert dialog is not None and dialog.vm().key == vms[2].key and dialog.sources() == files[:1]


def test_copy_to_vm_from_the_menu_the_panel_the_context_menu_and_the_keyboard(window, vms, qtbot) -> None:
    action = window.copy_actions.copy_action
    assert action in window.vm_menu.actions()
    assert action.shortcut() == QKeySequence(COPY_SHORTCUT)
    assert not action.isEnabled()  # nothing selected
    window.select_vms([vms[0].key, vms[1].key])
    assert not action.isEnabled()  # one VM at a time
    window.select_vm(vms[0].key)
    assert action.isEnabled()

    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.copy_actions.dialog
    assert dialog is not None and dialog.vm().key == vms[0].key
    assert dialog.sources() == [] and not dialog.copy_button.isEnabled()
    assert dialog.summary.text().startswith("Nothing to copy yet")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    assert not dialog.isVisible() and window.copy_actions.dialog is None

    window.vm_panel.copy_button.click()
    assert window.copy_actions.dialog is not None and window.copy_actions.dialog.vm().key == vms[0].key
    window.copy_actions.dialog.reject()

    window._table_context_menu(row_centre(window, vms[1]))
    menu = window.findChild(QMenu, "vmContextMenu")
    assert menu is not None and action in menu.actions()
    assert window.selected_vm().key == vms[1].key and action.isEnabled()
    menu.close()


# ---- the dialog ----------------------------------------------------------------------------------------


def test_copy_submits_the_chosen_fields_and_remembers_the_folder_per_vm(window, vms, files, qtbot) -> None:
    pending = QSignalSpy(window.vm_actions.pending)
    dialog = open_for(window, vms[1], files, qtbot)
    assert dialog.destination.text() == "C:\\Temp"  # a Windows guest's default
    assert dialog.create_folders.isChecked() and dialog.existing_choice() is ExistingFile.Ask
    assert dialog.copy_button.isEnabled() and dialog.precondition_box.isHidden()
    dialog.destination.setText("D:\\Drop\\it's a $(test) ü")
    dialog.create_folders.setChecked(False)
    dialog.existing.setCurrentIndex(dialog.existing.findText("Overwrite"))
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    (action,) = pending_actions(pending)
    assert action.kind is ActionKind.CopyToGuest and action.vm_key == vms[1].key
    operation = action.operation
    assert isinstance(operation, CopyToGuestOperation)
    assert operation.target.vm_id == vms[1].vm_id and operation.target.host == KEY1
    assert operation.sources == tuple(files)
    assert operation.guest_folder == "D:\\Drop\\it's a $(test) ü"
    assert operation.create_folders is False and operation.existing is ExistingFile.Overwrite
    assert dialog.action is action

    again = open_for(window, vms[1], files[:1], qtbot)
    assert again.destination.text() == "D:\\Drop\\it's a $(test) ü"
    assert Preferences().copy_destination(vms[1].key) == "D:\\Drop\\it's a $(test) ü"  # outlives the window
    other = open_for(window, vms[2], files[:1], qtbot)
    assert other.destination.text() == "C:\\Temp"
    other.reject()
    assert len(pending_actions(pending)) == 1  # cancelled dialogs send nothing


def test_a_linux_guest_gets_a_posix_folder_and_posix_rules(window, vm_factory, files, qtbot) -> None:
    linux = with_gsi(vm_factory(host=KEY1, name="ubuntu", guest_os_name="Ubuntu 22.04.4 LTS"))
    publish(window, KEY1, [linux])
    dialog = open_for(window, linux, files, qtbot)
    assert dialog.destination.text() == "/tmp"
    dialog.destination.setText("/srv/a:b*?")
    assert dialog.destination_problem() is None and dialog.copy_button.isEnabled()
    dialog.destination.setText("srv")
    assert "relative" in dialog.destination_error.text() and not dialog.copy_button.isEnabled()


def test_invalid_destinations_are_refused_inline_with_the_reason(window, vms, files, tmp_path, qtbot) -> None:
    dialog = open_for(window, vms[0], files, qtbot)
    for folder, words in [
        ("C:\\Temp\\CON", "reserved by Windows (CON)"),
        ("C:\\Temp\\a|b", "Windows refuses these characters"),
        ("Temp", "relative paths are refused"),
        ("C:\\Temp\\dot.", "ends with a space or a dot"),
        ("", "Type the folder in the guest"),
    ]:
        dialog.destination.setText(folder)
        assert dialog.destination_error.isVisibleTo(dialog), folder
        assert words in dialog.destination_error.text(), folder
        assert not dialog.copy_button.isEnabled()
        assert dialog.submit() is None
    dialog.destination.setText("C:\\Temp")
    assert dialog.destination_error.isHidden() and dialog.copy_button.isEnabled()

    reserved = tmp_path / "more"
    reserved.mkdir()
    (reserved / "aux.log").write_bytes(b"")
    dialog.add_paths([str(reserved)])
    qtbot.waitUntil(lambda: not dialog.counting())
    assert "'more/aux.log' cannot be copied there" in dialog.destination_error.text()
    assert not dialog.copy_button.isEnabled()
    dialog.table.selectRow(3)
    dialog.remove_button.click()
    assert dialog.sources() == files and dialog.copy_button.isEnabled()


def test_a_vm_that_is_not_running_cannot_receive_files(window, vms, files, qtbot) -> None:
    off = replace(vms[0], state=VmState.Off, heartbeat=None, booted_at=None)
    old = publish(window, KEY1, [off, *vms[1:]], old=publish(window, KEY1, vms))
    dialog = open_for(window, vms[0], files, qtbot)  # the dialog shows the VM as the last refresh has it
    assert dialog.precondition_box.isVisibleTo(dialog)
    assert "'web01' is off. Files can be copied only into a running guest" in dialog.precondition.text()
    assert dialog.enable_button.isHidden() and not dialog.copy_button.isEnabled()
    publish(window, KEY1, vms, old=old)  # the next refresh: it runs now
    assert dialog.precondition_box.isHidden() and dialog.copy_button.isEnabled()


def test_guest_service_interface_off_is_explained_and_can_be_enabled(window, vms, files, confirmer, qtbot) -> None:
    pending = QSignalSpy(window.vm_actions.pending)
    gsi_off = with_gsi(vms[0], enabled=False)
    old = publish(window, KEY1, [gsi_off, *vms[1:]])
    dialog = open_for(window, gsi_off, files, qtbot)
    assert "Guest Service Interface is off" in dialog.precondition.text()
    assert dialog.enable_button.isVisibleTo(dialog) and dialog.enable_button.isEnabled()
    assert not dialog.copy_button.isEnabled()

    dialog.enable_button.click()
    (question,) = confirmer.questions
    assert question.object_name == CONFIRM_ENABLE_GSI and "'web01'" in question.text
    (action,) = pending_actions(pending)
    assert action.kind is ActionKind.SetService
    assert action.operation == ServiceToggleOperation(
        action.operation.target, ic_guid=GSI, enable=True, service_name=GUEST_SERVICE_INTERFACE.name
    )
    assert not dialog.enable_button.isEnabled()  # once is enough while it runs
    publish(window, KEY1, vms, old=old)  # the host reports it on
    assert dialog.precondition_box.isHidden() and dialog.copy_button.isEnabled()


def test_declining_the_question_changes_nothing(window, vms, files, confirmer, qtbot) -> None:
    confirmer.answer = False
    pending = QSignalSpy(window.vm_actions.pending)
    publish(window, KEY1, [with_gsi(vms[0], enabled=False)])
    dialog = open_for(window, vms[0], files, qtbot)
    dialog.enable_button.click()
    assert len(confirmer.questions) == 1 and pending.count() == 0
    assert dialog.enable_button.isEnabled()


@pytest.mark.parametrize(
    ("os_name", "status", "words"),
    [
        ("Ubuntu 22.04.4 LTS", ComponentStatus.NoContact, "hv_fcopy_uio_daemon (older kernels: hv_fcopy_daemon)"),
        ("Windows Server 2022 Datacenter", ComponentStatus.NoContact, "vmicguestinterface"),
        ("Windows Server 2022 Datacenter", ComponentStatus.LostCommunication, "Lost Communication"),
    ],
)
def test_a_guest_service_interface_that_does_not_answer_is_explained(
    window, vm_factory, files, qtbot, os_name, status, words
) -> None:
    vm = with_gsi(vm_factory(host=KEY1, name="g1", guest_os_name=os_name), primary=status)
    dialog = open_for(window, vm, files, qtbot)
    assert dialog.precondition.text().startswith("Guest Service Interface does not answer in the guest.")
    assert words in dialog.precondition.text()
    assert dialog.enable_button.isHidden() and not dialog.copy_button.isEnabled()


def test_a_degraded_service_warns_but_lets_the_copy_go(window, vm_factory, files, qtbot) -> None:
    vm = with_gsi(
        vm_factory(host=KEY1, heartbeat=HeartbeatStatus.OkApplicationsHealthy), primary=ComponentStatus.Degraded
    )
    dialog = open_for(window, vm, files, qtbot)
    assert dialog.precondition.text().startswith("Degraded:") and dialog.copy_button.isEnabled()


def test_a_host_that_goes_away_closes_the_way_to_copy(window, vms, files, qtbot) -> None:
    dialog = open_for(window, vms[0], files, qtbot)
    window.controller.hostRemoved.emit(KEY1)
    assert "no longer listed" in dialog.precondition.text() and not dialog.copy_button.isEnabled()


def test_names_from_the_host_are_shown_as_plain_text(window, vm_factory, files, qtbot) -> None:
    vm = with_gsi(vm_factory(host=KEY1, name="<b>bold</b>\nline"))
    dialog = open_for(window, vm, files, qtbot)
    assert dialog.heading.textFormat() == Qt.TextFormat.PlainText
    assert "<b>bold</b>\u23celine" in dialog.heading.text()


def test_an_unknown_gsi_row_does_not_block(window, vm_factory, files, qtbot) -> None:
    vm = vm_factory(host=KEY1, integration_services=())
    dialog = open_for(window, vm, files, qtbot)
    assert "does not report Guest Service Interface" in dialog.precondition.text()
    assert dialog.copy_button.isEnabled()
