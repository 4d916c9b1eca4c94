"""Dropping files on a VM: which drags are accepted, where, and what the drop hands on.

A drag is accepted only when every URL it carries is a local file or folder (`text/uri-list` from a desktop
or file manager) and only over a VM: a row of the VM table (the row under the cursor, outlined while the drag
is over it) or the VM panel (the VM it shows). Anything else (web links, text, a drag over empty space) is
refused, so the cursor says "no" before the admin lets go. A drop emits `dropped(vm, paths)`; the copy dialog
takes it from there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QRect, Signal
from PySide6.QtGui import QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QWidget

from hvgui.domain.vm import Vm

#: Finds the VM a drop at a point of the watched widget goes to (None: not over a VM).
VmAt = Callable[[QPoint], Vm | None]
#: The outline of the VM a drag is over (None: nothing to outline), in the watched widget's coordinates.
OutlineAt = Callable[[QPoint], QRect | None]


def local_paths(mime: QMimeData | None) -> list[str] | None:
    """The local files and folders a drag carries, or None when it carries anything else as well."""
    if mime is None or not mime.hasUrls():
        return None
    urls = mime.urls()
    if not urls or not all(url.isLocalFile() and url.toLocalFile() for url in urls):
        return None
    return [url.toLocalFile() for url in urls]


class VmDropTarget(QObject):
    """Watches one widget for drags of local files and reports drops on a VM."""

    #: Files were dropped on a VM: (Vm, list[str] of local paths).
    dropped = Signal(object, list)

    def __init__(self, widget: QWidget, vm_at: VmAt, outline_at: OutlineAt | None = None) -> None:
        super().__init__(widget)
        self._widget = widget
        self._vm_at = vm_at
        self._outline_at = outline_at
        self.outline = QFrame(widget)
        self.outline.setObjectName("dropOutline")
        self.outline.setStyleSheet("#dropOutline { border: 2px solid palette(highlight); background: transparent; }")
        self.outline.hide()
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragMoveEvent)
            self._judge(event, entering=kind == QEvent.Type.DragEnter)
            return True
        if kind == QEvent.Type.DragLeave:
            self.outline.hide()
            return True
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            self.outline.hide()
            paths = local_paths(event.mimeData())
            vm = self._vm_at(event.position().toPoint()) if paths else None
            if paths and vm is not None:
                event.acceptProposedAction()
                self.dropped.emit(vm, paths)
            else:
                event.ignore()
            return True
        return False

    def _judge(self, event: QDragMoveEvent, *, entering: bool) -> None:
        """Accept over a VM with local files only; outline the VM row the files would go to.

        Entering with local files is accepted wherever the cursor is, so the moves that follow (over the
        rows) are seen; each move is then accepted only over a VM."""
        position = event.position().toPoint()
        files = local_paths(event.mimeData()) is not None
        vm = self._vm_at(position) if files else None
        if vm is None:
            if entering and files:
                event.acceptProposedAction()
            else:
                event.ignore()
            self.outline.hide()
            return
        event.acceptProposedAction()
        rect = self._outline_at(position) if self._outline_at is not None else None
        if rect is None:
            self.outline.hide()
            return
        self.outline.setGeometry(rect)
        self.outline.show()
        self.outline.raise_()
