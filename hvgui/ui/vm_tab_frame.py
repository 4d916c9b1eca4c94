"""The frame of a VM panel tab: a placeholder while no VM is selected, the tab's content while one is.

The tabs about the selected VM build this frame alike, so they look alike when nothing is selected and keep
their message strip in the same place; each tab then fills `content` with its own widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from hvgui.ui.inline_message import InlineMessage


def placeholder_label(text: str) -> QLabel:
    """The centred, muted line a tab shows instead of its content while no VM is selected."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: palette(mid); font-size: 11pt;")
    return label


@dataclass(frozen=True)
class VmTabFrame:
    """The parts of a tab's frame the tab keeps using: it shows messages, and flips the stack between the
    placeholder (page 0) and its content (page 1)."""

    message: InlineMessage
    stack: QStackedWidget
    placeholder: QLabel
    content: QVBoxLayout


def build_vm_tab_frame(tab: QWidget, placeholder_text: str) -> VmTabFrame:
    """Lay out `tab` as a message strip over a stack of placeholder and content.

    The message strip sits outside the stack so it stays visible without a VM: it may say why the VM just
    left (deleted, moved).
    """
    message = InlineMessage()
    stack = QStackedWidget(tab)
    outer = QVBoxLayout(tab)
    outer.setContentsMargins(8, 6, 8, 0)
    outer.setSpacing(6)
    outer.addWidget(message)
    outer.addWidget(stack, 1)
    placeholder = placeholder_label(placeholder_text)
    stack.addWidget(placeholder)
    content = QWidget()
    stack.addWidget(content)
    layout = QVBoxLayout(content)
    layout.setContentsMargins(0, 0, 0, 6)
    layout.setSpacing(6)
    return VmTabFrame(message, stack, placeholder, layout)
