"""A one-message strip above a tab's content: what just happened, without a dialog to click away.

Outcomes of commands (a change the host rejected, a checkpoint that fell back to standard, a command copied
to the clipboard) appear here, one at a time: a new message replaces the old one, so a burst of failures
can never pile up dialogs.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from hvgui.ui.text import visible


class MessageKind(enum.Enum):
    Info = "info"
    Warning = "warning"
    Error = "error"


_STYLES = {
    MessageKind.Info: ("#e8f1fb", "#a9c8ec", "#123a5c"),
    MessageKind.Warning: ("#fff4ce", "#e7c55a", "#4d3800"),
    MessageKind.Error: ("#fdecea", "#f1aeb5", "#5c1a1a"),
}


class InlineMessage(QFrame):
    """A coloured strip with one plain-text message and a close button; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineMessage")
        self._kind = MessageKind.Info
        self.label = QLabel()
        self.label.setObjectName("inlineMessageText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # host text, never markup
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setText("\u00d7")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def kind(self) -> MessageKind:
        return self._kind

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def show_message(self, text: str, kind: MessageKind = MessageKind.Info) -> None:
        self._kind = kind
        background, border, colour = _STYLES[kind]
        self.setStyleSheet(
            f"#inlineMessage {{ background: {background}; border: 1px solid {border}; border-radius: 5px; }}"
            f"#inlineMessage QLabel {{ background: transparent; color: {colour}; }}"
        )
        self.label.setText(visible(text))
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self.hide()
