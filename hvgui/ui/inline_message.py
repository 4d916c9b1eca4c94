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
from hvgui.ui.theme import Tone, box_stylesheet, follow_theme


class MessageKind(enum.Enum):
    Info = "info"
    Warning = "warning"
    Error = "error"


_TONES = {MessageKind.Info: Tone.Info, MessageKind.Warning: Tone.Warning, MessageKind.Error: Tone.Error}


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
        follow_theme(self, self._restyle)

    def kind(self) -> MessageKind:
        return self._kind

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def show_message(self, text: str, kind: MessageKind = MessageKind.Info) -> None:
        self._kind = kind
        self._restyle()
        self.label.setText(visible(text))
        self.show()

    def _restyle(self) -> None:
        """The strip's colours for its kind, in the current light or dark scheme."""
        self.setStyleSheet(box_stylesheet("#inlineMessage", _TONES[self._kind]))

    def clear(self) -> None:
        self.label.clear()
        self.hide()
