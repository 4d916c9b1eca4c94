"""The files of the selected copy in the Activity dock, Retry and Dismiss: the file list changes in place as a
copy advances (never a reset for a progress tick), each file says its outcome, and the dock's actions reach
the source by button, context menu and key."""

from __future__ import annotations

from dataclasses import replace

from activity_support import OperationFeed, shutdown_record, target
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from hvgui.domain.errors import ConnectionFailed
from hvgui.domain.operations import (
    CopyToGuestOperation,
    FileProgress,
    FileState,
    OperationProgress,
    OperationRecord,
    OperationState,
)
from hvgui.ui.activity import ActivityDock
from hvgui.ui.activity.files import FileColumn, FileListModel
from hvgui.ui.activity.model import ProgressRole

FILES = (
    FileProgress("C:\\Temp\\a.txt", 10, 10, FileState.Copied),
    FileProgress("C:\\Temp\\b\u202etxt.exe", 4_000_000, 0, FileState.Copying),
    FileProgress("C:\\Temp\\c.txt", 30),
)


def copy_record(files: tuple[FileProgress, ...] = FILES, **changes) -> OperationRecord:
    operation = CopyToGuestOperation(target("web01"), ("/home/me/a.txt", "/home/me/b", "/home/me/c.txt"), "C:\\Temp")
    record = OperationRecord(
        operation,
        queued_at=1000.0,
        state=OperationState.Running,
        started_at=1000.0,
        progress=OperationProgress(0, "0.0 of 4.0 MB", files),
    )
    return record.advanced(**changes) if changes else record


class Signals:
    def __init__(self, model: FileListModel) -> None:
        self.resets = 0
        self.changed: list[tuple[int, int]] = []
        self.inserted: list[tuple[int, int]] = []
        model.modelReset.connect(self._reset)
        model.dataChanged.connect(lambda first, last, *_: self.changed.append((first.row(), last.row())))
        model.rowsInserted.connect(lambda _parent, first, last: self.inserted.append((first, last)))

    def _reset(self) -> None:
        self.resets += 1


def test_a_progress_tick_changes_only_the_rows_that_changed(qtbot) -> None:
    model = FileListModel()
    signals = Signals(model)
    record = copy_record()
    model.show(record)
    assert signals.resets == 1 and model.rowCount() == 3
    ticked = list(FILES)
    ticked[1] = replace(FILES[1], done=1_000_000)
    model.show(record.advanced(progress=OperationProgress(25, "1.0 of 4.0 MB", tuple(ticked))))
    assert signals.resets == 1  # no reset for a tick
    assert signals.changed == [(1, 1)]
    assert model.index(1, FileColumn.Progress).data(ProgressRole) == (25, "25%", True)
    # The same snapshot again changes nothing; more files are appended, not reset.
    model.show(record.advanced(progress=OperationProgress(25, "1.0 of 4.0 MB", tuple(ticked))))
    assert signals.changed == [(1, 1)]
    model.show(record.advanced(progress=OperationProgress(25, "", (*ticked, FileProgress("C:\\Temp\\d.txt", 1)))))
    assert signals.inserted == [(3, 3)] and signals.resets == 1
    # Another operation is another list.
    model.show(copy_record())
    assert signals.resets == 2 and model.rowCount() == 3


def test_each_file_says_its_outcome_and_untrusted_names_are_shown_safely(qtbot) -> None:
    files = (
        FileProgress("C:\\Temp\\a.txt", 10, 10, FileState.Copied),
        FileProgress("C:\\Temp\\b\u202etxt.exe", 20_000_000, 3_000_000, FileState.Interrupted, "link down", "id-1"),
        FileProgress("C:\\Temp\\c.txt", 30, 30, FileState.Skipped),
        FileProgress("C:\\Temp\\d.txt", 40, 0, FileState.Failed, "Failed to initiate copying\nfiles"),
        FileProgress("C:\\Temp\\e.txt", 50, 50, FileState.Exists),
        FileProgress("C:\\Temp\\f.txt", 60),
    )
    model = FileListModel()
    model.show(copy_record(files, state=OperationState.Failed))
    outcomes = [model.index(row, FileColumn.Outcome).data() for row in range(model.rowCount())]
    assert outcomes[0] == "Copied"
    assert outcomes[1].startswith("Interrupted: kept on the host; Retry goes on from it") and "link down" in outcomes[1]
    assert outcomes[2] == "Skipped: it exists"
    assert outcomes[3].startswith("Failed: Failed to initiate copying") and "\n" not in outcomes[3]
    assert outcomes[4].startswith("Not copied: it exists")
    assert outcomes[5] == "Waiting"
    name = model.index(1, FileColumn.File).data()
    assert name == "C:\\Temp\\b\u27e8U+202E\u27e9txt.exe"
    assert model.index(1, FileColumn.Size).data() == "20.0 MB"
    assert model.index(1, FileColumn.Progress).data() == "15%"


_windows: list[QMainWindow] = []  # the dock's window lives as long as the test


def _dock(qtbot, feed: OperationFeed) -> ActivityDock:
    _windows.clear()
    window = QMainWindow()
    _windows.append(window)
    qtbot.addWidget(window)
    dock = ActivityDock(window, now=lambda: 1100.0)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.attach(feed)
    window.resize(1000, 400)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the keys go to the focused table of the active window
    return dock


def test_the_dock_lists_the_selected_copys_files_and_follows_its_progress(qtbot) -> None:
    running = copy_record()
    feed = OperationFeed([shutdown_record("x", n=2), running])
    dock = _dock(qtbot, feed)
    dock.select_operations([running.op_id])
    assert dock.files_model.rowCount() == 3
    assert dock.files_view.accessibleName() == "Files of the selected copy"
    signals = Signals(dock.files_model)
    ticked = (FILES[0], replace(FILES[1], done=2_000_000), FILES[2])
    feed.publish(running.advanced(progress=OperationProgress(50, "2.0 of 4.0 MB", ticked)))
    assert signals.resets == 0 and signals.changed == [(1, 1)]
    assert dock.files_model.index(1, FileColumn.Progress).data() == "50%"
    assert "Files: 1 waiting, 1 copying, 1 copied" in dock.details.toPlainText()
    assert dock.files_view.focusPolicy() & Qt.FocusPolicy.TabFocus  # reached with the keyboard


def test_retry_and_dismiss_reach_the_source_by_key_button_and_menu(qtbot) -> None:
    interrupted = (
        FileProgress("C:\\Temp\\a.txt", 10, 10, FileState.Copied),
        FileProgress("C:\\Temp\\b.bin", 4096, 3072, FileState.Interrupted, "link down", "transfer-1"),
    )
    failed = copy_record(interrupted, state=OperationState.Failed, ended_at=1050.0, error=ConnectionFailed("down"))
    done = shutdown_record("x", n=2, state=OperationState.Succeeded, started_at=1001.0, ended_at=1002.0)
    feed = OperationFeed([done, failed])
    dock = _dock(qtbot, feed)
    dock.select_operations([done.op_id])
    assert not dock.retry_action.isEnabled()  # not a copy
    assert dock.dismiss_action.isEnabled()
    dock.select_operations([failed.op_id])
    assert dock.retry_action.isEnabled() and dock.buttons["activityRetry"].isEnabled()
    assert "Files: 1 copied, 1 interrupted (kept on the host for Retry)" in dock.details.toPlainText()
    dock.view.setFocus()
    qtbot.keyClick(dock.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert feed.retried == [failed.op_id]
    dock.buttons["activityRetry"].click()
    assert feed.retried == [failed.op_id] * 2
    menu = dock.build_context_menu()
    retry = next(a for a in menu.actions() if a.text() == "Retry")
    retry.trigger()
    menu.close()
    assert feed.retried == [failed.op_id] * 3
    # Dismiss takes it off the list and has its kept staged file removed; a success has nothing to remove.
    qtbot.keyClick(dock.view, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    assert feed.discarded == [failed.op_id]
    assert dock.model.row_of(failed.op_id) is None and dock.model.row_of(done.op_id) is not None
    assert dock.files_model.rowCount() == 0
    dock.select_operations([done.op_id])
    dock.dismiss_selected()
    assert feed.discarded == [failed.op_id] and dock.model.records() == []


def test_clear_finished_removes_what_failed_copies_kept_staged(qtbot) -> None:
    interrupted = (FileProgress("C:\\Temp\\b.bin", 4096, 1024, FileState.Interrupted, "down", "transfer-2"),)
    failed = copy_record(interrupted, state=OperationState.Failed, ended_at=1050.0)
    refused = copy_record((FileProgress("C:\\Temp\\c", 1, 0, FileState.Failed, "exists"),), state=OperationState.Failed)
    running = copy_record()
    feed = OperationFeed([failed, refused, running])
    dock = _dock(qtbot, feed)
    assert dock.clear_finished() == 2
    assert feed.discarded == [failed.op_id]  # only the one that kept something
    assert [r.op_id for r in dock.model.records()] == [running.op_id]
