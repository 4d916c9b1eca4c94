"""What Apply shows when the host changed pairs the admin edited: each difference, and a choice.

"Apply mine" sends the admin's values over the host's; "Keep the host's" drops the admin's edits of those
pairs (the other edits stay pending); Cancel sends nothing and changes nothing. The texts are guest and host
data: shown through `untrusted_text`, never as markup. The dialog is window-modal and non-blocking (`open`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from hvgui.domain.kvp import Conflict
from hvgui.ui.text import untrusted_line, untrusted_text

OBJECT_NAME = "kvpConflictDialog"
APPLY_MINE = "kvpConflictApplyMine"
KEEP_HOST = "kvpConflictKeepHost"


class Choice(enum.Enum):
    ApplyMine = "mine"
    KeepHost = "host"
    Cancel = "cancel"


def _value(text: str | None) -> str:
    return "(absent)" if text is None else f"“{untrusted_line(text)}”" if "\n" not in text else untrusted_text(text)


def describe(conflicts: Sequence[Conflict]) -> str:
    """The differences, one block per pair."""
    blocks = []
    for c in conflicts:
        blocks.append(
            f"{untrusted_line(c.key)}\n"
            f"  when loaded:  {_value(c.loaded)}\n"
            f"  on the host:  {_value(c.on_host)}\n"
            f"  yours:        {'(removed)' if c.mine is None else _value(c.mine)}"
        )
    return "\n\n".join(blocks)


class ConflictDialog(QDialog):
    def __init__(self, vm_name: str, conflicts: Sequence[Conflict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle("Key-value pairs changed on the host")
        self.choice = Choice.Cancel
        count = len(conflicts)
        intro = QLabel(
            f"{count} pair{'s' if count != 1 else ''} you edited on '{untrusted_line(vm_name)}' changed on the host "
            "since they were loaded. Nothing has been sent yet."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.details = QPlainTextEdit(describe(conflicts))
        self.details.setObjectName("kvpConflictDetails")
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Differences between the host's pairs and yours")
        buttons = QDialogButtonBox()
        self.mine = QPushButton("Apply mine")
        self.mine.setObjectName(APPLY_MINE)
        self.mine.setToolTip("Send your values, replacing what the host holds now")
        self.host = QPushButton("Keep the host's")
        self.host.setObjectName(KEEP_HOST)
        self.host.setToolTip("Drop your edits of these pairs; your other edits stay pending")
        buttons.addButton(self.mine, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.host, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.mine.clicked.connect(lambda: self._chosen(Choice.ApplyMine))
        self.host.clicked.connect(lambda: self._chosen(Choice.KeepHost))
        buttons.rejected.connect(self.reject)
        self.host.setDefault(True)  # the safe answer
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def _chosen(self, choice: Choice) -> None:
        self.choice = choice
        self.accept()


def ask(
    parent: QWidget | None, vm_name: str, conflicts: Sequence[Conflict], answer: Callable[[Choice], None]
) -> ConflictDialog:
    dialog = ConflictDialog(vm_name, conflicts, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _result: answer(dialog.choice))
    if parent is not None:
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog
