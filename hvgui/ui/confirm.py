"""Asking the admin before a risky command, without blocking the window.

Every confirmation is a `Question`: the words come from the domain (what will happen, in an admin's
terms), the object name lets tests and accessibility tools find the dialog. A `Confirmer` shows it; the
window gets one by injection, so tests can answer with a real message box (found by its object name) or with
a confirmer of their own. The default opens a window-modal `QMessageBox` with `open()`: the event loop keeps
running (other hosts keep refreshing) while the question waits for an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QPushButton, QWidget

from hvgui.ui.text import visible

#: Object names of the buttons of every confirmation box.
ACCEPT_BUTTON = "acceptButton"
REJECT_BUTTON = "rejectButton"
#: Object name of the "Don't ask again" checkbox of a question that offers one.
REMEMBER_CHECKBOX = "rememberCheckBox"


@dataclass(frozen=True)
class Question:
    """A yes/no question with its own words for both answers."""

    object_name: str  # e.g. "confirmServiceDisable"
    title: str
    text: str
    accept_label: str
    reject_label: str = "Cancel"
    details: str = ""  # a second paragraph in smaller type (e.g. the host's reason)
    destructive: bool = True  # the safe answer is the default button
    #: When not empty, the question offers a checkbox with this text ("Don't ask again"); on accept its state
    #: goes to `remember`, so the caller can store the choice.
    remember_label: str = ""
    remember: Callable[[bool], None] | None = field(default=None, compare=False)


class Confirmer(Protocol):
    def ask(
        self,
        parent: QWidget | None,
        question: Question,
        on_accept: Callable[[], None],
        on_reject: Callable[[], None] | None = None,
    ) -> object:
        """Put `question`; call `on_accept` or `on_reject` (at most one of them) once it is answered."""
        ...


class MessageBoxConfirmer:
    """Asks with a window-modal, non-blocking `QMessageBox`."""

    def ask(
        self,
        parent: QWidget | None,
        question: Question,
        on_accept: Callable[[], None],
        on_reject: Callable[[], None] | None = None,
    ) -> QMessageBox:
        box = QMessageBox(parent)
        box.setObjectName(question.object_name)
        box.setIcon(QMessageBox.Icon.Warning if question.destructive else QMessageBox.Icon.Question)
        box.setWindowTitle(question.title)
        box.setTextFormat(Qt.TextFormat.PlainText)  # VM names are host data, never markup
        box.setText(visible(question.text))
        if question.details:
            box.setInformativeText(visible(question.details))
        accept = box.addButton(question.accept_label, QMessageBox.ButtonRole.AcceptRole)
        reject = box.addButton(question.reject_label, QMessageBox.ButtonRole.RejectRole)
        accept.setObjectName(ACCEPT_BUTTON)
        reject.setObjectName(REJECT_BUTTON)
        remember = None
        if question.remember_label:
            remember = QCheckBox(question.remember_label)
            remember.setObjectName(REMEMBER_CHECKBOX)
            box.setCheckBox(remember)
        box.setDefaultButton(reject if question.destructive else accept)
        box.setEscapeButton(reject)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is accept:
                if remember is not None and question.remember is not None:
                    question.remember(remember.isChecked())
                on_accept()
            elif on_reject is not None:
                on_reject()

        box.finished.connect(answered)
        if parent is not None:
            box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        return box


def accept_button(box: QMessageBox) -> QPushButton:
    """The button that answers yes (for tests and for keyboard focus)."""
    button = box.findChild(QPushButton, ACCEPT_BUTTON)
    assert button is not None
    return button


def remember_checkbox(box: QMessageBox) -> QCheckBox:
    """The "Don't ask again" checkbox of a question that offers one."""
    checkbox = box.findChild(QCheckBox, REMEMBER_CHECKBOX)
    assert checkbox is not None
    return checkbox


def reject_button(box: QMessageBox) -> QPushButton:
    button = box.findChild(QPushButton, REJECT_BUTTON)
    assert button is not None
    return button
