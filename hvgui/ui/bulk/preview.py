"""The preview of a bulk change: exactly the changes Apply would send, each with what it costs.

Nothing unchanged is listed. Disabling a High-impact service (Shutdown, Time Synchronization) is
highlighted and the question Apply will ask is shown in advance, in the domain's words. "Copy as PowerShell"
copies the typed operations' text: each VM by its Id on its host (`-ComputerName`), grouped per host, so a VM
name that exists on two hosts never hits the wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.bulk import PlannedChange, confirm_text
from hvgui.domain.operations import ServiceToggleOperation, powershell_script
from hvgui.domain.vm import VmKey
from hvgui.ui.host_names import ComputerName, computer_name_from_key
from hvgui.ui.theme import Tone, box_colours, follow_theme, text_colour

HIGH_IMPACT_COLOUR = "#b3261e"  # in a light scheme; `text_colour(Tone.Error)` follows the scheme
#: The PlannedChange of a preview item.
ChangeRole = Qt.ItemDataRole.UserRole + 1


def change_operation(change: PlannedChange, computer_name: ComputerName | None = None) -> ServiceToggleOperation:
    """The typed operation Apply runs for one planned change."""
    return ServiceToggleOperation.of_change(change, (computer_name or computer_name_from_key)(change.host))


def plan_heading(plan: Sequence[PlannedChange]) -> str:
    if not plan:
        return "Nothing to change: every desired state matches what the hosts report."
    vms = len({change.vm_key for change in plan})
    return f"Apply will make {len(plan)} change{'s' if len(plan) != 1 else ''} on {vms} VM{'s' if vms != 1 else ''}:"


def _warning_style() -> str:
    background, border, text = box_colours(Tone.Error)
    return (
        f"QLabel {{ color: {text}; background: {background}; border: 1px solid {border}; border-radius: 4px; "
        "padding: 6px; }"
    )


class PreviewPanel(QWidget):
    """Heading, the confirmation text for High-impact disables, notes, and one line per change."""

    def __init__(self, parent: QWidget | None = None, *, computer_name: ComputerName | None = None) -> None:
        super().__init__(parent)
        self._computer_name = computer_name
        self.heading = QLabel()
        self.heading.setObjectName("previewHeading")
        self.heading.setWordWrap(True)
        self.copy_button = QPushButton("Cop&y as PowerShell")
        self.copy_button.setObjectName("copyPowerShell")
        self.copy_button.setAutoDefault(False)
        self.copy_button.setToolTip(
            "Copy the equivalent commands, one per change and grouped per host, to run from a PowerShell window"
        )
        self.copy_button.clicked.connect(self.copy_as_powershell)
        self.warning = QLabel()
        self.warning.setObjectName("previewWarning")
        self.warning.setWordWrap(True)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        warning = self.warning
        follow_theme(warning, lambda: warning.setStyleSheet(_warning_style()))
        self.notes = QLabel()
        self.notes.setObjectName("previewNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.tree = QTreeWidget()
        self.tree.setObjectName("previewList")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Change", "Impact"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().resizeSection(0, 340)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        heading_row = QHBoxLayout()
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.copy_button)
        layout.addLayout(heading_row)
        layout.addWidget(self.warning)
        layout.addWidget(self.notes)
        layout.addWidget(self.tree, 1)
        self._plan: list[PlannedChange] = []
        self.show_plan([])

    def plan(self) -> list[PlannedChange]:
        return list(self._plan)

    def show_plan(
        self, plan: Sequence[PlannedChange], notes: Sequence[str] = (), gone: frozenset[VmKey] = frozenset()
    ) -> None:
        self._plan = list(plan)
        self.heading.setText(plan_heading(plan))
        self.copy_button.setEnabled(bool(plan))
        question = confirm_text(plan)
        self.warning.setText(question or "")
        self.warning.setVisible(bool(question))
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self.tree.clear()
        warning_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for change in plan:
            impact = change.impact_warning or ""
            if change.vm_key in gone:
                impact = (impact + " " if impact else "") + "The host no longer reports this VM: expect a failure."
            item = QTreeWidgetItem([change.description, impact])
            item.setData(0, ChangeRole, change)
            powershell = change_operation(change, self._computer_name).powershell()
            item.setToolTip(0, f"{change.description}\nAs PowerShell: {powershell}")
            item.setToolTip(1, impact)
            if change.is_high_impact_disable:
                item.setIcon(0, warning_icon)
                font = QFont()
                font.setBold(True)
                for column in (0, 1):
                    item.setForeground(column, QBrush(QColor(text_colour(Tone.Error))))
                    item.setFont(column, font)
            self.tree.addTopLevelItem(item)

    def powershell_text(self) -> str:
        """The plan as PowerShell commands, grouped per host (display text: hvgui itself sends parameters)."""
        return powershell_script(change_operation(change, self._computer_name) for change in self._plan)

    def copy_as_powershell(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None and self._plan:
            clipboard.setText(self.powershell_text())

    def item_texts(self) -> list[tuple[str, str]]:
        """(change, impact) of every line, in order."""
        return [
            (self.tree.topLevelItem(i).text(0), self.tree.topLevelItem(i).text(1))
            for i in range(self.tree.topLevelItemCount())
        ]
