"""The copy dialog from the keyboard, files dropped on the dialog itself, and the remembered folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from copy_support import drop, file_urls, web_urls, with_gsi
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from hvgui.domain.operations import ExistingFile
from hvgui.domain.vm import Vm, VmKey
from hvgui.ui.copy.dialog import CopyToVmDialog
from hvgui.ui.preferences import Preferences


class RecordingActions(QObject):
    """The two intents the dialog calls and the two outcome signals it listens to, recorded."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.copies: list[tuple] = []

    def copy_to_vm(self, *args, **_options) -> str:
        self.copies.append(args)
        return "action"

    def set_service(self, *args) -> str:
        raise AssertionError("not asked for")


@pytest.fixture
def actions() -> RecordingActions:
    return RecordingActions()


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    return str(path)


def make_dialog(qtbot, vm: Vm, paths: list[str], actions: RecordingActions) -> CopyToVmDialog:
    dialog = CopyToVmDialog(vm, paths, actions, preferences=Preferences())  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.counting())
    return dialog


def test_every_control_is_in_the_tab_chain(qtbot, vm_factory, actions, source) -> None:
    dialog = make_dialog(qtbot, with_gsi(vm_factory()), [source], actions)
    chain: list[QWidget] = []
    widget = dialog.nextInFocusChain()
    for _ in range(500):  # the chain is a ring through the dialog's widgets
        if widget is dialog:
            break
        if widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value:
            chain.append(widget)
        widget = widget.nextInFocusChain()
    for control in (
        dialog.table,
        dialog.add_files_button,
        dialog.add_folder_button,
        dialog.remove_button,
        dialog.destination,
        dialog.create_folders,
        dialog.existing,
        dialog.enable_button,
        dialog.copy_button,
    ):
        assert control in chain, control.objectName() or control.text()
    labels = [b.text() for b in (dialog.add_files_button, dialog.add_folder_button, dialog.remove_button)]
    labels += [dialog.create_folders.text(), dialog.copy_button.text(), dialog.enable_button.text()]
    mnemonics = [label[label.index("&") + 1].lower() for label in labels]
    assert len(set(mnemonics)) == len(mnemonics)


def test_enter_copies_and_escape_cancels(qtbot, vm_factory, actions, source) -> None:
    vm = with_gsi(vm_factory())
    dialog = make_dialog(qtbot, vm, [source], actions)
    dialog.destination.setFocus()
    QTest.keyClick(dialog.destination, Qt.Key.Key_Return)
    assert actions.copies == [(vm, [source], "C:\\Temp", True, ExistingFile.Ask)]
    assert not dialog.isVisible()

    second = make_dialog(qtbot, vm, [source], actions)
    second.destination.setText("C:\\Temp\\a?b")
    QTest.keyClick(second.destination, Qt.Key.Key_Return)  # refused: nothing sent, the dialog stays
    assert len(actions.copies) == 1 and second.isVisible()
    QTest.keyClick(second, Qt.Key.Key_Escape)
    assert not second.isVisible() and len(actions.copies) == 1


def test_files_dropped_on_the_dialog_are_added_once(qtbot, vm_factory, actions, source, tmp_path) -> None:
    other = tmp_path / "more.txt"
    other.write_bytes(b"")
    dialog = make_dialog(qtbot, with_gsi(vm_factory()), [source], actions)
    assert drop(dialog, dialog.rect().center(), file_urls([source, str(other)]))
    assert dialog.sources() == [source, str(other)]
    assert not drop(dialog, dialog.rect().center(), web_urls("https://example.com/x"))
    assert dialog.sources() == [source, str(other)]


def test_folders_are_remembered_per_vm_and_per_host() -> None:
    prefs = Preferences()
    one = VmKey("https://hv01.lab.test:5986", "00000000-0000-4000-8000-000000000001")
    same_id_other_host = VmKey("http://10.0.0.2:5985/wsman", one.vm_id)
    assert prefs.copy_destination(one) is None
    prefs.set_copy_destination(one, "C:\\Users\\Ådmin\\Desktop\\drop zone")
    prefs.set_copy_destination(same_id_other_host, "/srv/in")
    again = Preferences()
    assert again.copy_destination(one) == "C:\\Users\\Ådmin\\Desktop\\drop zone"
    assert again.copy_destination(same_id_other_host) == "/srv/in"
