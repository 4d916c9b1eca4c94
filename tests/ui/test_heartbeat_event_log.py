"""The heartbeat event log follows the newest entries: while it is closed it does not scroll for each alert,
and it shows the newest ones when it is opened; a reader looking at older entries keeps their place."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow

from hvgui.domain.vm import VmKey
from hvgui.ui.history.event_log import EventEntry, EventLogDock


def entry(number: int) -> EventEntry:
    key = VmKey("https://hv01:5986", f"vm-{number}")
    return EventEntry(time.time(), key.host, "HV01", key, f"vm{number:03d}", "Heartbeat lost")


@pytest.fixture
def dock(qtbot) -> Iterator[EventLogDock]:
    window = QMainWindow()
    qtbot.addWidget(window)
    log = EventLogDock(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, log)
    window.resize(800, 600)
    window.show()
    log.hide()
    yield log  # the window stays referenced until the test ends


def test_a_closed_log_shows_the_newest_entries_when_opened(qtbot, dock) -> None:
    dock.model.add([entry(i) for i in range(200)])
    dock.model.add([entry(200)])
    dock.show()
    bar = dock.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    assert dock.view.rowAt(dock.view.viewport().height() - 1) == 200


def test_a_reader_keeps_their_place_open_or_closed_and_following_resumes_at_the_end(qtbot, dock) -> None:
    dock.show()
    dock.model.add([entry(i) for i in range(200)])
    bar = dock.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    bar.setValue(0)  # reading the oldest entries
    dock.model.add([entry(200)])
    QApplication.processEvents()
    assert bar.value() == 0
    dock.hide()
    dock.model.add([entry(201)])
    dock.show()
    QApplication.processEvents()
    assert bar.value() == 0

    bar.setValue(bar.maximum())  # back at the newest: the log follows again
    before = bar.maximum()
    dock.model.add([entry(202), entry(203)])
    qtbot.waitUntil(lambda: bar.maximum() > before and bar.value() == bar.maximum())
