""" "File exists in the guest": the question box on its own (its words, its keys, its safe default), then in the
window against the emulator: two dropped files that exist in the guest, answered from the keyboard, and a
question withdrawn by the Activity panel's Cancel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from copy_support import drop, file_urls
from emulator_support import connect, emulated_host, emulated_vm, message_box, vm_key
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton
from qasync_loop import wait_until

from hvgui.domain.existing_files import ExistingFileAnswer, ExistingFileQuestion
from hvgui.domain.operations import CopyToGuestOperation, OperationState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting import SessionManager
from hvgui.remoting.transfers.existing import WAITING
from hvgui.ui.controllers import HostsController
from hvgui.ui.copy import EXISTING_FILE_QUESTION, ExistingFileAsker
from hvgui.ui.copy.existing_question import question_text
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.vm_table import Column

HOST = "HV-ASK-UI"
ALT = Qt.KeyboardModifier.AltModifier


def _question(**changes) -> ExistingFileQuestion:
    fields = dict(
        vm_name="web01",
        destination="C:\\Temp\\report.txt",
        source="/home/admin/report.txt",
        size=2048,
        modified=1_700_000_000.0,
        position=1,
        count=3,
    )
    fields.update(changes)
    return ExistingFileQuestion(**fields)


def _open_box() -> QMessageBox:
    box = message_box(EXISTING_FILE_QUESTION)
    assert box is not None
    return box


def _button(box: QMessageBox, name: str) -> QPushButton | None:
    return box.findChild(QPushButton, name)


@pytest.fixture
def parent(qtbot) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def _answer_with(loop, asker: ExistingFileAsker, question: ExistingFileQuestion, press) -> ExistingFileAnswer:
    """Ask, press keys on the box once it shows, and return the answer."""
    task = loop.create_task(asker.ask(question))
    loop.run_until_complete(wait_until(lambda: message_box(EXISTING_FILE_QUESTION), what="the question"))
    box = _open_box()
    assert box.windowModality() is Qt.WindowModality.WindowModal
    press(box)
    return loop.run_until_complete(asyncio.wait_for(task, 10))


@pytest.mark.parametrize(
    ("press", "answer"),
    [
        (lambda box: QTest.keyClick(box, Qt.Key.Key_Return), ExistingFileAnswer.Skip),
        (lambda box: QTest.keyClick(box, Qt.Key.Key_Escape), ExistingFileAnswer.Skip),
        (lambda box: box.close(), ExistingFileAnswer.Skip),
        (lambda box: QTest.keyClick(box, Qt.Key.Key_O, ALT), ExistingFileAnswer.Overwrite),
        (lambda box: QTest.keyClick(box, Qt.Key.Key_A, ALT), ExistingFileAnswer.OverwriteAll),
        (lambda box: QTest.keyClick(box, Qt.Key.Key_K, ALT), ExistingFileAnswer.SkipAll),
        (lambda box: QTest.keyClick(box, Qt.Key.Key_C, ALT), ExistingFileAnswer.Cancel),
    ],
    ids=["enter", "escape", "close", "alt-o", "alt-a", "alt-k", "alt-c"],
)
def test_enter_escape_and_closing_skip_and_only_a_deliberate_key_overwrites(loop, parent, press, answer) -> None:
    asker = ExistingFileAsker(parent)
    assert _answer_with(loop, asker, _question(), press) is answer
    assert message_box(EXISTING_FILE_QUESTION) is None and asker.box is None


def test_the_box_shows_paths_as_text_and_offers_all_only_when_files_follow(loop, parent) -> None:
    asker = ExistingFileAsker(parent)
    tricky = _question(
        vm_name="web\u202e10bew",
        destination="C:\\Temp\\<b>bold</b>\u202etxt.exe",
        source="/home/admin/two\nlines.txt",
    )

    def check(box: QMessageBox) -> None:
        assert box.textFormat() is Qt.TextFormat.PlainText
        assert box.windowTitle() == "File exists in the guest (file 1 of 3)"
        assert (
            box.text()
            == "C:\\Temp\\<b>bold</b>\u27e8U+202E\u27e9txt.exe already exists in 'web\u27e8U+202E\u27e910bew'."
        )
        details = box.informativeText()
        lines = details.splitlines()
        assert lines[0] == "This computer's file: /home/admin/two\u23celines.txt"
        assert lines[1].startswith("2.0 KB (2,048 bytes), modified 2023-11-1")
        assert "2 more files of this copy follow" in lines[-1]
        assert box.defaultButton() is _button(box, "existingSkip") is box.escapeButton()
        assert _button(box, "existingOverwriteAll") is not None and _button(box, "existingSkipAll") is not None
        QTest.keyClick(box, Qt.Key.Key_Return)

    assert _answer_with(loop, asker, tricky, check) is ExistingFileAnswer.Skip

    def last_file(box: QMessageBox) -> None:
        assert _button(box, "existingOverwriteAll") is None and _button(box, "existingSkipAll") is None
        assert "follow" not in box.informativeText()
        # Tab to Overwrite, then Space: the other deliberate way.
        while box.focusWidget() is not _button(box, "existingOverwrite"):
            QTest.keyClick(box.focusWidget(), Qt.Key.Key_Backtab)
        QTest.keyClick(box.focusWidget(), Qt.Key.Key_Space)

    assert _answer_with(loop, asker, _question(position=3), last_file) is ExistingFileAnswer.Overwrite


def test_a_window_that_goes_away_under_the_question_cancels_the_copy(loop, parent) -> None:
    window = QMainWindow()  # not held by qtbot: it is deleted here (`parent` stays, as the app's last window)
    window.show()
    task = loop.create_task(ExistingFileAsker(window).ask(_question()))
    loop.run_until_complete(wait_until(lambda: message_box(EXISTING_FILE_QUESTION), what="the question"))
    window.deleteLater()
    assert loop.run_until_complete(asyncio.wait_for(task, 10)) is ExistingFileAnswer.Cancel


def test_what_the_guest_holds_is_told_when_it_was_looked_at() -> None:
    _text, unknown = question_text(_question(size=5))
    assert unknown.splitlines()[1].startswith("5 bytes, modified ")
    assert "The host does not say the size or date of the guest's file." in unknown and "guest's file:" not in unknown
    _text, known = question_text(_question(guest_size=3 * 1024 * 1024, guest_modified=1_600_000_000.0))
    assert known.splitlines()[2].startswith("The guest's file: 3.0 MB (3,145,728 bytes), modified 2020-09-1")
    assert "Skip leaves the guest's file as it is and sends nothing." in known


def test_a_cancelled_question_closes_and_questions_come_one_at_a_time(loop, parent) -> None:
    asker = ExistingFileAsker(parent)
    first = loop.create_task(asker.ask(_question(destination="C:\\one.txt")))
    second = loop.create_task(asker.ask(_question(destination="C:\\two.txt")))
    loop.run_until_complete(wait_until(lambda: message_box(EXISTING_FILE_QUESTION), what="the first question"))
    assert _open_box().text().startswith("C:\\one.txt")
    first.cancel()
    loop.run_until_complete(asyncio.gather(first, return_exceptions=True))
    assert first.cancelled()
    loop.run_until_complete(
        wait_until(lambda: (b := message_box(EXISTING_FILE_QUESTION)) and b.text().startswith("C:\\two.txt"))
    )
    QTest.keyClick(_open_box(), Qt.Key.Key_Escape)
    assert loop.run_until_complete(asyncio.wait_for(second, 10)) is ExistingFileAnswer.Skip


# ---- in the window, against the emulator ------------------------------------------------------------------


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "ask-ui",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "ask-ui.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path)) as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


@pytest.fixture
def two_files(emulator: RunningEmulator, tmp_path: Path) -> list[Path]:
    """Two files of this computer that exist in the guest's C:\\Temp with other bytes."""
    guest = emulated_vm(emulator, HOST, "win").files
    paths = []
    for name in ("first.txt", "second.txt"):
        path = tmp_path / name
        path.write_bytes(f"new {name}".encode() * 50)
        guest.write(f"C:\\Temp\\{name}", b"old " + name.encode())
        paths.append(path)
    return paths


def _start_copy(loop, window: MainWindow, emulator: RunningEmulator, files: list[Path]) -> None:
    """Drop `files` on the VM's row and press Enter in the copy dialog (Ask is the default)."""
    loop.run_until_complete(connect(window, emulator, HOST))
    key = vm_key(emulator, HOST, "win")
    index = window.proxy.mapFromSource(window.vm_model.index(window.vm_model.row_of(key), Column.Name))
    assert drop(window.table.viewport(), window.table.visualRect(index).center(), file_urls(files))
    dialog = window.copy_actions.dialog
    assert dialog is not None and dialog.existing.currentText() == "Ask"
    dialog.destination.setText("C:\\Temp")
    loop.run_until_complete(wait_until(dialog.copy_button.isEnabled, what="Copy"))
    dialog.destination.setFocus()
    QTest.keyClick(dialog.destination, Qt.Key.Key_Return)


def _copy_record(window: MainWindow):
    records = [r for r in window.vm_actions.records() if isinstance(r.operation, CopyToGuestOperation)]
    return records[-1] if records else None


def _question_about(name: str):
    def found() -> QMessageBox | None:
        box = message_box(EXISTING_FILE_QUESTION)
        return box if box is not None and box.text().startswith(f"C:\\Temp\\{name} ") else None

    return found


def _staged(emulator: RunningEmulator) -> dict[str, int]:
    return emulated_host(emulator, HOST).model.files.files_under(STAGING_FOLDER)


def test_two_existing_files_answered_from_the_keyboard(loop, window, emulator, two_files) -> None:
    first, _second = two_files
    _start_copy(loop, window, emulator, two_files)

    box = loop.run_until_complete(wait_until(_question_about("first.txt"), what="the question about first.txt"))
    record = _copy_record(window)
    assert record is not None and record.state is OperationState.Running
    assert record.progress.text == f"{WAITING} · file 1 of 2"
    model = window.activity_dock.model
    cells = [model.index(r, c).data() for r in range(model.rowCount()) for c in range(model.columnCount())]
    assert any(isinstance(text, str) and WAITING in text for text in cells)  # the Activity panel says so
    QTest.keyClick(box, Qt.Key.Key_O, ALT)  # Overwrite

    box = loop.run_until_complete(wait_until(_question_about("second.txt"), what="the question about second.txt"))
    QTest.keyClick(box, Qt.Key.Key_Return)  # the default: Skip

    loop.run_until_complete(wait_until(lambda: _copy_record(window).state.is_final, timeout=30, what="the copy"))
    done = _copy_record(window)
    assert done.state is OperationState.Succeeded, done.message
    guest = emulated_vm(emulator, HOST, "win").files
    assert guest.read("C:\\Temp\\first.txt") == first.read_bytes()
    assert guest.read("C:\\Temp\\second.txt") == b"old second.txt"
    assert [f.outcome.name for f in done.result.files] == ["Overwritten", "Skipped"]
    assert _staged(emulator) == {}
    loop.run_until_complete(
        wait_until(lambda: "1 file overwritten" in window.statusBar().currentMessage(), what="the outcome")
    )
    assert message_box(EXISTING_FILE_QUESTION) is None


def test_cancel_in_the_activity_panel_withdraws_the_question(loop, window, emulator, two_files) -> None:
    _start_copy(loop, window, emulator, two_files)
    loop.run_until_complete(wait_until(_question_about("first.txt"), what="the question"))
    record = _copy_record(window)
    dock = window.activity_dock
    dock.select_operations([record.op_id])
    assert dock.cancel_action.isEnabled()
    dock.cancel_action.trigger()

    loop.run_until_complete(wait_until(lambda: _copy_record(window).state.is_final, timeout=30, what="the cancel"))
    assert _copy_record(window).state is OperationState.Cancelled
    loop.run_until_complete(wait_until(lambda: message_box(EXISTING_FILE_QUESTION) is None, what="the box closing"))
    assert window.copy_actions.asker.box is None
    loop.run_until_complete(wait_until(lambda: _staged(emulator) == {}, what="the staged file removed"))
    guest = emulated_vm(emulator, HOST, "win").files
    assert guest.read("C:\\Temp\\first.txt") == b"old first.txt"
