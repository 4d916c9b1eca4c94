"""Drags of files as a desktop or file manager sends them, for the copy tests: real Qt drag events."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget


def file_urls(paths: Sequence[str]) -> QMimeData:
    """`text/uri-list` of local files."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def web_urls(*urls: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(u) for u in urls])
    return mime


def drag_over(widget: QWidget, position: QPoint, mime: QMimeData) -> tuple[bool, bool]:
    """Enter `widget` at `position`, then move there; whether each event was accepted."""
    enter = QDragEnterEvent(
        position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(
        position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, move)
    return enter.isAccepted(), move.isAccepted()


def drop(widget: QWidget, position: QPoint, mime: QMimeData) -> bool:
    """Drag `mime` over `widget` and let go at `position`; whether the drop was accepted."""
    drag_over(widget, position, mime)
    event = QDropEvent(
        QPointF(position), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()
