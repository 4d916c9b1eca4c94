"""The question "File exists in the guest", which a copy puts to the admin while it waits, one file at a time.

`ExistingFileAsker.ask` is the copy's `AskExisting` callback. It opens a window-modal message box with
`open()` (never a nested `exec()`), so the window keeps refreshing every host while the question waits, and
returns the answer once it is given. The box names the file in the guest and the file of this computer
(paths are shown through `untrusted_name`: a name cannot reorder or break the text) with the local file's size
and date, and the guest file's when hvgui could look at it; Copy-VMFile alone does not say what the guest
holds, and the box then says so rather than pretend to know.

Keyboard: the safe answer is the default, so **Enter skips**, and **Esc skips** too; closing the box skips.
Replacing a file takes a deliberate key: Alt+O (Overwrite), Alt+A (Overwrite all), or Tab to the button and
Space. Alt+K is Skip all, Alt+C Cancel copy. Nothing but a click or key on an overwrite button overwrites.
If the window goes away under the box, the copy is cancelled, never overwritten.

When the copy is cancelled meanwhile (the operation's Cancel, the host's session or the window closing), the
awaiting call is cancelled and the box closes. Questions of several copies are put one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QWidget

from hvgui.domain.existing_files import ExistingFileAnswer, ExistingFileQuestion
from hvgui.ui.copy.items import format_size
from hvgui.ui.text import untrusted_name

#: Object name of the question box (tests and accessibility tools find it by this name).
EXISTING_FILE_QUESTION = "existingFileQuestion"

#: Each answer's button: its label (with its mnemonic) and object name, in the order shown.
ANSWER_BUTTONS: dict[ExistingFileAnswer, tuple[str, str]] = {
    ExistingFileAnswer.Overwrite: ("&Overwrite", "existingOverwrite"),
    ExistingFileAnswer.OverwriteAll: ("Overwrite &all", "existingOverwriteAll"),
    ExistingFileAnswer.Skip: ("&Skip", "existingSkip"),
    ExistingFileAnswer.SkipAll: ("S&kip all", "existingSkipAll"),
    ExistingFileAnswer.Cancel: ("&Cancel copy", "existingCancelCopy"),
}


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "unknown"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")  # this computer's local time


def _size(count: int) -> str:
    """`12.3 KB (12,595 bytes)`: the rounded size to read, the exact one to compare."""
    return format_size(count) if count < 1024 else f"{format_size(count)} ({count:,} bytes)"


def question_text(question: ExistingFileQuestion) -> tuple[str, str]:
    """The box's text and its details, as plain text."""
    text = f"{untrusted_name(question.destination)} already exists in '{untrusted_name(question.vm_name)}'."
    details = [
        f"This computer's file: {untrusted_name(question.source)}",
        f"{_size(question.size)}, modified {_when(question.modified)}",
    ]
    if question.guest_size is not None or question.guest_modified is not None:
        guest_size = _size(question.guest_size) if question.guest_size is not None else "size unknown"
        details.append(f"The guest's file: {guest_size}, modified {_when(question.guest_modified)}")
        choices = (
            "Overwrite sends this file and replaces the guest's. Skip leaves the guest's file as it is and sends "
            "nothing."
        )
    else:
        choices = (
            "Overwrite replaces the guest's file with this one, which is already on the host (it is not sent "
            "again). Skip leaves the guest's file as it is. The host does not say the size or date of the guest's "
            "file."
        )
    details += ["", choices]
    if question.remaining:
        more = f"{question.remaining} more file{'s' if question.remaining != 1 else ''}"
        details.append(
            f"{more} of this copy follow: 'Overwrite all' and 'Skip all' answer for each of them that exists too."
        )
    return text, "\n".join(details)


def question_box(question: ExistingFileQuestion, parent: QWidget | None) -> QMessageBox:
    """The box for `question`, not shown yet; each button carries its answer (`answer_of`)."""
    box = QMessageBox(parent)
    box.setObjectName(EXISTING_FILE_QUESTION)
    box.setIcon(QMessageBox.Icon.Question)
    of = f" (file {question.position} of {question.count})" if question.count > 1 else ""
    box.setWindowTitle(f"File exists in the guest{of}")
    box.setTextFormat(Qt.TextFormat.PlainText)  # paths and VM names are never markup
    text, details = question_text(question)
    box.setText(text)
    box.setInformativeText(details)
    informative = box.findChild(QLabel, "qt_msgbox_informativelabel")
    if informative is not None:
        informative.setTextFormat(Qt.TextFormat.PlainText)
    for answer, (label, name) in ANSWER_BUTTONS.items():
        if answer.for_the_rest and not question.remaining:
            continue  # the last file: "… all" would mean the same as its single answer
        button = box.addButton(label, QMessageBox.ButtonRole.ActionRole)
        button.setObjectName(name)
        button.setProperty("answer", answer.value)
    skip = box.findChild(QPushButton, ANSWER_BUTTONS[ExistingFileAnswer.Skip][1])
    box.setDefaultButton(skip)  # Enter never overwrites
    box.setEscapeButton(skip)  # nor does Esc or closing the box
    if parent is not None:
        box.setWindowModality(Qt.WindowModality.WindowModal)
    return box


def answer_of(box: QMessageBox) -> ExistingFileAnswer:
    """The answer the box was given; Skip when it was closed without one."""
    button = box.clickedButton()
    value = button.property("answer") if button is not None else None
    try:
        return ExistingFileAnswer(value)
    except ValueError:
        return ExistingFileAnswer.Skip


class ExistingFileAsker(QObject):
    """Puts copies' questions about existing files to the admin, one at a time, over `parent`."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._turn: asyncio.Lock | None = None
        #: The box on screen, if any.
        self.box: QMessageBox | None = None

    async def ask(self, question: ExistingFileQuestion) -> ExistingFileAnswer:
        """Show the question and return the answer; cancelled, it closes the box (see the module docstring)."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            return await self._ask(question)

    async def _ask(self, question: ExistingFileQuestion) -> ExistingFileAnswer:
        answered: asyncio.Future[ExistingFileAnswer] = asyncio.get_event_loop().create_future()

        def settle(answer: ExistingFileAnswer) -> None:
            if not answered.done():
                answered.set_result(answer)

        box = question_box(question, self._parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: settle(answer_of(box)))
        # The window went away under the question: stop the copy rather than guess.
        box.destroyed.connect(lambda *_: settle(ExistingFileAnswer.Cancel))
        self.box = box
        box.open()
        try:
            return await answered
        except asyncio.CancelledError:  # the copy was cancelled: withdraw the question
            with contextlib.suppress(RuntimeError):  # unless the window already took it away
                box.close()
            raise
        finally:
            if self.box is box:
                self.box = None
