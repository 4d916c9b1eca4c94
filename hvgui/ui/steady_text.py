"""Text that changes often in widgets that keep their size, so the window is not laid out again each time.

The status bar's counts ("12 lost", "5,000 VMs", "Last refresh: 10:42:07") change with every heartbeat the
hosts push, ten times a second on a large fleet. A label whose text changes asks its parents for a new
layout, and the main window then lays out its toolbar, splitters and status bar again: about a millisecond
of the Qt thread per change, most of the window's CPU while it only watches. Qt skips that request for a
widget of fixed size, so these widgets get a fixed size that fits their text: it grows at once when a text
needs more room and shrinks only when the text needs much less, so a count going from 10 to 9 and back moves
nothing.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel

#: A widget shrinks only when its text needs less than this share of its width.
SHRINK_BELOW = 0.75
#: The dynamic property holding the room a widget needs around its text (pixels of width).
_PADDING = "hvguiSteadyTextPadding"


def set_steady_text(widget: QLabel | QAbstractButton, text: str) -> None:
    """Show `text` in `widget`, keeping the widget's fixed size unless the text does not fit it (or needs far
    less room).

    The first text sizes the widget from its size hint, which also gives the room the widget needs around
    its text; later texts are measured with the font alone (a widget of fixed size answers its fixed size as
    its hint, and measuring is cheaper)."""
    fixed = _is_fixed(widget)
    if fixed and widget.text() == text:
        return
    widget.setText(text)
    if not fixed or widget.property(_PADDING) is None:
        hint = widget.sizeHint()
        widget.setProperty(_PADDING, hint.width() - _advance(widget, text))
        widget.setFixedSize(hint)
        return
    needed = _advance(widget, text) + int(widget.property(_PADDING))
    width = widget.minimumWidth()
    if needed > width or needed < width * SHRINK_BELOW:
        widget.setFixedSize(needed, widget.minimumHeight())


def _advance(widget: QLabel | QAbstractButton, text: str) -> int:
    return widget.fontMetrics().horizontalAdvance(text)


def _is_fixed(widget: QLabel | QAbstractButton) -> bool:
    return widget.minimumSize() == widget.maximumSize()
