"""The window's shared sinks for host and guest text: the status bar and every tooltip.

`hvgui.ui.text` decides how such text is shown; this module applies it where text reaches the screen
without passing through a label that the code sets: the status bar (many parts of the window post
messages there) and tooltips (item models answer `ToolTipRole`, widgets carry `toolTip()`). So a VM name
with a right-to-left override cannot reorder a status message or a tooltip, whoever wrote it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QStatusBar, QToolTip, QWidget

from hvgui.ui.text import one_line, visible


class SafeStatusBar(QStatusBar):
    """A status bar whose messages are one line of shaped text."""

    def showMessage(self, message: str, timeout: int = 0) -> None:
        super().showMessage(one_line(message), timeout)


class _TooltipShaper(QObject):
    """Shows every tooltip of the application through `visible`: an item view's (its model's `ToolTipRole`),
    a header's (its model's header `ToolTipRole`) and a widget's (`toolTip()`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Every event of the application passes here: the class test comes first, since `event.type()` builds
        # a Python enum member on each call.
        if not isinstance(event, QHelpEvent) or event.type() != QEvent.Type.ToolTip:
            return False
        if not isinstance(watched, QWidget):
            return False
        view = watched.parent()
        in_view = isinstance(view, QAbstractItemView) and watched is view.viewport()
        if isinstance(view, QHeaderView) and in_view:
            section = view.logicalIndexAt(event.pos())
            model = view.model()
            known = section >= 0 and model is not None
            tip = model.headerData(section, view.orientation(), Qt.ItemDataRole.ToolTipRole) if known else None
            text = tip if isinstance(tip, str) else ""
        elif in_view:
            index = view.indexAt(event.pos())
            tip = index.data(Qt.ItemDataRole.ToolTipRole) if index.isValid() else None
            text = tip if isinstance(tip, str) else ""
        else:
            text = watched.toolTip()
        if not text:
            QToolTip.hideText()
            return in_view  # a widget without a tooltip lets Qt pass the event on to its parent
        QToolTip.showText(event.globalPos(), visible(text), watched)
        return True


_SHAPER: _TooltipShaper | None = None


def install_tooltip_shaping(app: QApplication | None = None) -> None:
    """Shape every tooltip of the application from now on (once per application)."""
    global _SHAPER
    application = app or QApplication.instance()
    if application is None or _SHAPER is not None:
        return
    _SHAPER = _TooltipShaper(application)
    application.installEventFilter(_SHAPER)
