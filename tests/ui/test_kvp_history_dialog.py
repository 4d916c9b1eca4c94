"""The KVP history view over a real history file: the default "since yesterday" pair, the explanations when
there is nothing to compare, and pools the host did not report."""

from __future__ import annotations

import time

import pytest
from history_window_support import close, history_window
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from hvgui.domain.kvp import KvpPair
from hvgui.domain.kvp_history import KvpSnapshot
from hvgui.history import KvpRecord
from hvgui.ui.kvp.history_dialog import KvpHistoryDialog

HOST = "https://hv01:5986"
HOUR = 3600.0


@pytest.fixture
def setup(qtbot, tmp_path):
    window, history = history_window(qtbot, tmp_path / "history.sqlite")
    yield window, history
    close(history)


def snapshot(at: float, build: str, *, running: bool = True) -> KvpRecord:
    guest = (KvpPair("Build", build),) if running else None
    intrinsic = (KvpPair("OSName", "Windows"),) if running else None
    return KvpRecord(HOST, "vm-1", "web\u202e01", KvpSnapshot(at, intrinsic, guest, (KvpPair("Role", "web"),), ()))


def open_dialog(qtbot, history) -> KvpHistoryDialog:
    dialog = KvpHistoryDialog(history.queries, HOST, "vm-1", "web\u202e01")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_view_opens_on_what_changed_since_yesterday(qtbot, setup) -> None:
    _window, history = setup
    now = time.time()
    history.store.record_kvp(
        [snapshot(now - 50 * HOUR, "1"), snapshot(now - 30 * HOUR, "2"), snapshot(now - 2 * HOUR, "3")]
    )
    assert history.store.flush()
    dialog = open_dialog(qtbot, history)
    assert "\u202e" not in dialog.windowTitle() and "\u27e8U+202E\u27e9" in dialog.windowTitle()
    qtbot.waitUntil(lambda: dialog.shown is not None)
    # In force 24 hours ago: the snapshot of 30 hours ago, not the oldest one.
    assert dialog.from_box.currentIndex() == 1 and dialog.to_box.currentIndex() == 0
    before, after, _diffs = dialog.shown  # type: ignore[misc]
    assert (before.guest, after.guest) == ((KvpPair("Build", "2"),), (KvpPair("Build", "3"),))
    assert dialog.model.rowCount() == 1 and dialog.summary.text() == "0 added, 0 removed, 1 changed"
    # To older than From reads backwards, and says so.
    dialog.to_box.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "backwards" in dialog.summary.text())


def test_nothing_to_compare_is_explained(qtbot, setup) -> None:
    _window, history = setup
    dialog = open_dialog(qtbot, history)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("No snapshot yet"))
    dialog.close()
    history.store.record_kvp([snapshot(time.time() - 60, "1")])
    assert history.store.flush()
    dialog = open_dialog(qtbot, history)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Only one snapshot"))
    assert dialog.times.count() == 1 and dialog.model.rowCount() == 0
    # The list taking the keyboard focus (the window becoming active) chooses nothing: still one snapshot.
    QApplication.sendEvent(dialog.times, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.ActiveWindowFocusReason))
    assert dialog.summary.text().startswith("Only one snapshot")


def test_pools_not_reported_while_the_vm_was_off_are_noted_not_compared(qtbot, setup) -> None:
    _window, history = setup
    now = time.time()
    history.store.record_kvp([snapshot(now - 3 * HOUR, "1"), snapshot(now - HOUR, "1", running=False)])
    assert history.store.flush()
    dialog = open_dialog(qtbot, history)
    qtbot.waitUntil(lambda: dialog.shown is not None)
    assert dialog.model.rowCount() == 0
    assert dialog.summary.text() == "No key changed between these snapshots."
    assert not dialog.notes.isHidden()
    assert "Guest reports: not reported" in dialog.notes.text() and "Guest software" in dialog.notes.text()
