"""For the copy tests: drags of files as a desktop or file manager sends them (real Qt drag events), and VMs
with Guest Service Interface switched on or off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, ComponentStatus
from hvgui.domain.vm import Vm

GSI = GUEST_SERVICE_INTERFACE.ic_guid


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


def with_gsi(vm: Vm, enabled: bool = True, primary: ComponentStatus | None = ComponentStatus.Ok) -> Vm:
    """`vm` with Guest Service Interface switched as given (it is off by default in Hyper-V)."""
    services = tuple(
        replace(s, enabled=enabled, primary=primary if enabled else None) if s.ic_guid == GSI else s
        for s in vm.integration_services
    )
    return replace(vm, integration_services=services)
