"""Counts in the status bar change without laying out the window again, and always fit their text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QMainWindow, QStatusBar, QToolButton

from hvgui.ui.steady_text import set_steady_text


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_count_that_changes_keeps_its_size_and_the_window_is_not_laid_out_again(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = QStatusBar()
    window.setStatusBar(bar)
    button, label = QToolButton(), QLabel()
    bar.addPermanentWidget(button)
    bar.addPermanentWidget(label)
    set_steady_text(button, "13 lost")
    set_steady_text(label, "Last refresh: 10:42:07")
    window.resize(800, 200)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)  # the window's own first layout
    size = button.size()
    requests = LayoutRequests()
    window.installEventFilter(requests)

    for text in ("12 lost", "11 lost", "12 lost"):
        set_steady_text(button, text)
        set_steady_text(label, "Last refresh: 10:42:08")
    qtbot.wait(50)
    assert requests.count == 0
    assert button.size() == size and button.text() == "12 lost"
    assert button.width() >= QToolButton(text="12 lost").sizeHint().width()


def test_a_longer_text_grows_the_widget_and_a_much_shorter_one_shrinks_it(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    set_steady_text(label, "9 lost")
    narrow = label.width()
    set_steady_text(label, "1,234,567 lost")
    assert label.width() == QLabel("1,234,567 lost").sizeHint().width() > narrow
    set_steady_text(label, "8 lost")
    assert label.width() == QLabel("8 lost").sizeHint().width() == narrow
    assert label.minimumSize() == label.maximumSize()
