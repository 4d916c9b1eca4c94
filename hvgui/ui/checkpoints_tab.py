"""The VM panel's "Checkpoints" tab: the VM's checkpoint type, its checkpoints, and creating one.

A production checkpoint needs the guest's VSS integration service. Before creating one the tab says what
`hvgui.domain.checkpoints.checkpoint_warning` foresees (Production falls back to a standard checkpoint,
Production only fails) and asks. Afterwards it cannot say which kind the host took: the host does not report
it, so the list's Type column shows what the host reports and a note below it says so. The list is
fetched from the host when the tab shows a VM, after each checkpoint, and on Refresh, not on every
inventory refresh (checkpoints are not part of the inventory).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain import psdisplay
from hvgui.domain.checkpoints import (
    CHECKPOINT_TYPE_DESCRIPTIONS,
    CHECKPOINT_TYPE_LABELS,
    PRODUCTION_FALLBACK_NOTE,
    checkpoint_warning,
)
from hvgui.domain.operations import CheckpointCreateOperation, CheckpointTypeOperation
from hvgui.domain.vm import CheckpointType, Vm, VmKey
from hvgui.ui.confirm import Confirmer, MessageBoxConfirmer, Question
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionKind, ActionResult, VmAction, VmActionsController
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.models.checkpoint_list import CheckpointColumn, CheckpointListModel
from hvgui.ui.row_table import style_row_table
from hvgui.ui.vm_tab_frame import build_vm_tab_frame

#: Object name of the question asked before a checkpoint that will fall back or fail.
CONFIRM_CHECKPOINT = "confirmCheckpoint"

_TYPES = (CheckpointType.Production, CheckpointType.ProductionOnly, CheckpointType.Standard, CheckpointType.Disabled)


def _wrapped_label(object_name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class CheckpointsTab(QWidget):
    """Checkpoint type, checkpoint list and "Create checkpoint" for the selected VM."""

    def __init__(
        self,
        actions: VmActionsController | None = None,
        confirmer: Confirmer | None = None,
        parent: QWidget | None = None,
        *,
        computer_name: ComputerName | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checkpointsTab")
        self._actions = actions
        self._computer_name = computer_name
        self._confirmer: Confirmer = confirmer or MessageBoxConfirmer()
        self._vm: Vm | None = None
        self._listed_for: VmKey | None = None
        self.model = CheckpointListModel(self)

        frame = build_vm_tab_frame(self, "Select a virtual machine to see its checkpoints.")
        self.message, self._stack, self.placeholder = frame.message, frame.stack, frame.placeholder
        layout = frame.content
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_settings())
        splitter.addWidget(self._build_list())
        splitter.setSizes([520, 600])
        layout.addWidget(splitter, 1)

        if actions is not None:
            actions.pending.connect(self._on_pending)
            actions.finished.connect(self._on_finished)
            actions.failed.connect(self._on_failed)

    def _build_settings(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.setSpacing(6)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.type_combo = QComboBox()
        self.type_combo.setObjectName("checkpointType")
        for checkpoint_type in _TYPES:
            self.type_combo.addItem(CHECKPOINT_TYPE_LABELS[checkpoint_type], checkpoint_type)
        self.type_combo.activated.connect(self._type_chosen)
        self.type_copy = QPushButton("Copy as PowerShell")
        self.type_copy.setObjectName("checkpointTypeCopy")
        self.type_copy.clicked.connect(self.copy_type_command)
        type_row = QHBoxLayout()
        type_row.addWidget(self.type_combo, 1)
        type_row.addWidget(self.type_copy)
        form.addRow("Checkpoint type:", type_row)
        self.type_description = _wrapped_label("checkpointTypeDescription")
        self.type_description.setStyleSheet("color: palette(dark);")
        form.addRow("", self.type_description)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("checkpointName")
        self.name_edit.setPlaceholderText("Optional; the host names it after the VM and the time")
        self.name_edit.setMaxLength(100)
        self.name_edit.returnPressed.connect(self.create_checkpoint)
        form.addRow("New checkpoint:", self.name_edit)
        layout.addLayout(form)

        self.warning = QFrame()
        self.warning.setObjectName("checkpointWarningBox")
        self.warning.setStyleSheet(
            "#checkpointWarningBox { background: #fff4ce; border: 1px solid #e7c55a; border-radius: 5px; }"
            "#checkpointWarningBox QLabel { background: transparent; color: #4d3800; }"
        )
        warning_layout = QVBoxLayout(self.warning)
        warning_layout.setContentsMargins(8, 6, 8, 6)
        self.warning_label = _wrapped_label("checkpointWarning")
        warning_layout.addWidget(self.warning_label)
        layout.addWidget(self.warning)

        buttons = QHBoxLayout()
        self.create_button = QPushButton("Create checkpoint")
        self.create_button.setObjectName("createCheckpoint")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_checkpoint)
        self.create_copy = QPushButton("Copy as PowerShell")
        self.create_copy.setObjectName("createCheckpointCopy")
        self.create_copy.clicked.connect(self.copy_create_command)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.create_copy)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return box

    def _build_list(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.setSpacing(4)
        header_row = QHBoxLayout()
        title = QLabel("Checkpoints")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        self.count_label = QLabel()
        self.count_label.setObjectName("checkpointCount")
        self.count_label.setStyleSheet("color: palette(dark);")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("refreshCheckpoints")
        self.refresh_button.clicked.connect(self.load_checkpoints)
        self.list_copy = QPushButton("Copy as PowerShell")
        self.list_copy.setObjectName("listCheckpointsCopy")
        self.list_copy.clicked.connect(self.copy_list_command)
        header_row.addWidget(title)
        header_row.addWidget(self.count_label, 1)
        header_row.addWidget(self.refresh_button)
        header_row.addWidget(self.list_copy)
        layout.addLayout(header_row)
        self.view = QTableView()
        self.view.setObjectName("checkpointList")
        self.view.setModel(self.model)
        style_row_table(self.view, row_height=22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(CheckpointColumn.Name, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (CheckpointColumn.Created, 150),
            (CheckpointColumn.Kind, 90),
            (CheckpointColumn.Parent, 140),
        ):
            header.resizeSection(column, width)
        layout.addWidget(self.view, 1)
        self.type_note = _wrapped_label("checkpointTypeNote")
        self.type_note.setStyleSheet("color: palette(dark);")
        self.type_note.setText(PRODUCTION_FALLBACK_NOTE)
        layout.addWidget(self.type_note)
        return box

    # ---- showing -------------------------------------------------------------------------------

    def shown_vm(self) -> Vm | None:
        return self._vm

    def show_vm(self, vm: Vm | None) -> None:
        previous = self._vm
        self._vm = vm
        if vm is None:
            self._stack.setCurrentWidget(self.placeholder)
            self.model.set_checkpoints(None, ())
            self._listed_for = None
            return
        self._stack.setCurrentIndex(1)
        if previous is None or previous.key != vm.key:
            self.message.clear()
            self.name_edit.clear()
            self.model.set_checkpoints(vm.key, ())
            self._listed_for = None
            if self.isVisible():
                self.load_checkpoints()
        self._update()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._vm is not None and self._listed_for != self._vm.key:
            self.load_checkpoints()

    def _update(self) -> None:
        vm = self._vm
        if vm is None:
            return
        busy_type = self._running(ActionKind.SetCheckpointType)
        if not busy_type:
            shown = vm.checkpoint_type
            number = self.type_combo.findData(shown) if shown is not None else -1
            self.type_combo.setCurrentIndex(number)
        self.type_combo.setEnabled(self._actions is not None and not busy_type)
        shown_type = self.type_combo.currentData()
        self.type_description.setText(CHECKPOINT_TYPE_DESCRIPTIONS.get(shown_type, "The host reports no type."))
        warning = checkpoint_warning(vm)
        self.warning_label.setText(warning or "")
        self.warning.setVisible(bool(warning))
        creating = self._running(ActionKind.CreateCheckpoint)
        self.create_button.setText("Creating checkpoint\u2026" if creating else "Create checkpoint")
        self.create_button.setEnabled(self._actions is not None and not creating)
        listing = self._running(ActionKind.ListCheckpoints)
        self.refresh_button.setEnabled(self._actions is not None and not listing)
        if self._listed_for == vm.key:
            count = self.model.rowCount()
            self.count_label.setText("none" if count == 0 else f"{count}")
        else:
            self.count_label.setText("loading\u2026" if listing else "")

    def _running(self, kind: ActionKind) -> bool:
        return self._vm is not None and self._actions is not None and self._actions.is_running(self._vm.key, kind)

    # ---- intents -------------------------------------------------------------------------------

    def load_checkpoints(self) -> None:
        if self._vm is None or self._actions is None or self._running(ActionKind.ListCheckpoints):
            return
        self._actions.list_checkpoints(self._vm)

    def create_checkpoint(self) -> None:
        """Create a checkpoint; when the host will fall back to standard or fail, say so and ask first."""
        vm = self._vm
        if vm is None or self._actions is None or self._running(ActionKind.CreateCheckpoint):
            return
        name = self.name_edit.text().strip() or None
        warning = checkpoint_warning(vm)
        if warning is None:
            self._actions.create_checkpoint(vm, name)
            return
        self._confirmer.ask(
            self.window(),
            Question(
                object_name=CONFIRM_CHECKPOINT,
                title="Create checkpoint",
                text=warning,
                accept_label="Create anyway",
            ),
            on_accept=lambda: self._create_confirmed(vm, name),
        )

    def _create_confirmed(self, vm: Vm, name: str | None) -> None:
        if self._actions is not None and not self._actions.is_running(vm.key, ActionKind.CreateCheckpoint):
            self._actions.create_checkpoint(vm, name)

    def _type_chosen(self, number: int) -> None:
        vm = self._vm
        chosen = self.type_combo.itemData(number)
        if vm is None or self._actions is None or not isinstance(chosen, CheckpointType):
            return
        if chosen == vm.checkpoint_type:
            self._update()
            return
        self._actions.set_checkpoint_type(vm, chosen)

    def set_checkpoint_type(self, checkpoint_type: CheckpointType) -> None:
        """Choose a type as the user does in the combo box."""
        number = self.type_combo.findData(checkpoint_type)
        self.type_combo.setCurrentIndex(number)
        self._type_chosen(number)

    def copy_create_command(self) -> str | None:
        """ "Create checkpoint" as PowerShell: the host by `-ComputerName`, the VM by Id, the name typed here."""
        if self._vm is None:
            return None
        name = self.name_edit.text().strip() or None
        return self._copy(CheckpointCreateOperation(vm_target(self._vm, self._computer_name), name=name).powershell())

    def copy_list_command(self) -> str | None:
        if self._vm is None:
            return None
        target = vm_target(self._vm, self._computer_name)
        return self._copy(psdisplay.list_checkpoints_of(target.computer_name, target.vm_id))

    def copy_type_command(self) -> str | None:
        chosen = self.type_combo.currentData()
        if self._vm is None or not isinstance(chosen, CheckpointType):
            return None
        target = vm_target(self._vm, self._computer_name)
        return self._copy(CheckpointTypeOperation(target, checkpoint_type=chosen).powershell())

    def _copy(self, text: str) -> str:
        QGuiApplication.clipboard().setText(text)
        self.message.show_message(f"Copied to the clipboard: {text}", MessageKind.Info)
        return text

    # ---- outcomes ------------------------------------------------------------------------------

    def _mine(self, action: VmAction) -> bool:
        return self._vm is not None and action.vm_key == self._vm.key

    def _on_pending(self, action: VmAction) -> None:
        if self._mine(action) and action.kind in _CHECKPOINT_KINDS:
            self._update()

    def _on_finished(self, result: ActionResult) -> None:
        action = result.action
        if action.kind not in _CHECKPOINT_KINDS or not self._mine(action):
            return
        if action.kind is ActionKind.ListCheckpoints:
            self.model.set_checkpoints(action.vm_key, result.checkpoints)
            self._listed_for = action.vm_key
            if result.message:  # the list is incomplete: never let it pass for the whole truth
                self.message.show_message(result.message, MessageKind.Warning)
        elif action.kind is ActionKind.CreateCheckpoint:
            self.message.show_message(result.message, MessageKind.Warning if result.warnings else MessageKind.Info)
            self.name_edit.clear()
            self._update()
            self.load_checkpoints()
        else:
            self.message.show_message(result.message, MessageKind.Warning if result.warnings else MessageKind.Info)
        self._update()

    def _on_failed(self, failure: ActionFailure) -> None:
        action = failure.action
        if action.kind not in _CHECKPOINT_KINDS or not self._mine(action):
            return
        self.message.show_message(failure.message, MessageKind.Error)
        if action.kind is ActionKind.ListCheckpoints:
            self._listed_for = action.vm_key  # do not retry on every show; Refresh does
        self._update()


_CHECKPOINT_KINDS = {ActionKind.CreateCheckpoint, ActionKind.ListCheckpoints, ActionKind.SetCheckpointType}
