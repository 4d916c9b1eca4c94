"""The VM panel's "Checkpoints" tab: the VM's checkpoint type, its checkpoint tree, and what to do with them.

The tree shows each checkpoint under the one it was taken from. A checkpoint can be applied (Enter or
Ctrl+Enter asks first, saying what is lost), renamed (F2), deleted (Del) or deleted with everything below it
(Shift+Del); each question names what goes. The checkpoint type is a pending edit: choosing one in the list
changes nothing until Apply, Revert puts back what the host has, and a refresh never overwrites the choice.

A production checkpoint needs the guest's VSS integration service. Before creating one the tab says what
`hvgui.domain.checkpoints.checkpoint_warning` foresees (Production falls back to a standard checkpoint,
Production only fails) and asks. Afterwards it cannot say which kind the host took: the host does not report
it, so the list's Type column shows what the host reports and a note below it says so. The list is
fetched from the host when the tab shows a VM, after each checkpoint, and on Refresh, not on every
inventory refresh (checkpoints are not part of the inventory).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain import psdisplay
from hvgui.domain.checkpoints import (
    CHECKPOINT_TYPE_DESCRIPTIONS,
    CHECKPOINT_TYPE_LABELS,
    MAX_NAME_LENGTH,
    PRODUCTION_FALLBACK_NOTE,
    Checkpoint,
    checkpoint_warning,
    descendants,
    rename_problem,
)
from hvgui.domain.operations import (
    CheckpointApplyOperation,
    CheckpointCreateOperation,
    CheckpointDeleteOperation,
    CheckpointTypeOperation,
)
from hvgui.domain.vm import CheckpointType, Vm, VmKey
from hvgui.ui.confirm import Confirmer, MessageBoxConfirmer, Question
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionKind, ActionResult, VmAction, VmActionsController
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.models.checkpoint_list import CheckpointColumn, CheckpointListModel, CheckpointRole
from hvgui.ui.text import one_line
from hvgui.ui.theme import Tone, box_stylesheet, follow_theme
from hvgui.ui.vm_tab_frame import build_vm_tab_frame

#: Object name of the question asked before a checkpoint that will fall back or fail.
CONFIRM_CHECKPOINT = "confirmCheckpoint"
#: Object names of the questions before applying and deleting a checkpoint.
CONFIRM_APPLY_CHECKPOINT = "confirmApplyCheckpoint"
CONFIRM_DELETE_CHECKPOINT = "confirmDeleteCheckpoint"
#: Object name of the rename dialog.
RENAME_CHECKPOINT_DIALOG = "renameCheckpointDialog"

_TYPES = (CheckpointType.Production, CheckpointType.ProductionOnly, CheckpointType.Standard, CheckpointType.Disabled)


class _WrappedLabel(QLabel):
    """A word-wrapped label that claims the height its text needs at its width, so a short panel scrolls (its
    scroll area) instead of laying the next widgets over the text."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width()) if self.text() else 0
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setMinimumHeight(self.heightForWidth(self.width()) if text and self.width() > 0 else 0)


def _wrapped_label(object_name: str) -> QLabel:
    label = _WrappedLabel()
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
        #: The checkpoint type chosen in the list but not applied yet (None: the list shows the host's).
        self._pending_type: CheckpointType | None = None
        #: The checkpoint to select again after the tree is listed anew.
        self._keep_selected: str | None = None
        self.model = CheckpointListModel(self)

        frame = build_vm_tab_frame(self, "Select a virtual machine to see its checkpoints.")
        self.message, self._stack, self.placeholder = frame.message, frame.stack, frame.placeholder
        layout = frame.content
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_settings())
        splitter.addWidget(self._build_list())
        splitter.setSizes([520, 600])
        # A short panel (720 px screens with the Activity dock open) scrolls instead of laying text over text.
        scroll = QScrollArea()
        scroll.setObjectName("checkpointsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(splitter)
        layout.addWidget(scroll, 1)

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
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels go above fields when narrow

        self.type_combo = QComboBox()
        self.type_combo.setObjectName("checkpointType")
        for checkpoint_type in _TYPES:
            self.type_combo.addItem(CHECKPOINT_TYPE_LABELS[checkpoint_type], checkpoint_type)
        self.type_combo.setAccessibleName("Checkpoint type")
        # Sized to a short label, not the longest one: the tab must fit a window 1024 px wide.
        self.type_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.type_combo.setMinimumContentsLength(12)
        self.type_combo.activated.connect(self._type_chosen)
        self.type_apply = QPushButton("Apply")
        self.type_apply.setObjectName("checkpointTypeApply")
        self.type_apply.setToolTip("Set the chosen checkpoint type on the host")
        self.type_apply.clicked.connect(self.apply_checkpoint_type)
        self.type_revert = QPushButton("Revert")
        self.type_revert.setObjectName("checkpointTypeRevert")
        self.type_revert.setToolTip("Show the host's checkpoint type again")
        self.type_revert.clicked.connect(self.revert_checkpoint_type)
        self.type_copy = QPushButton("Copy as PowerShell")
        self.type_copy.setObjectName("checkpointTypeCopy")
        self.type_copy.clicked.connect(self.copy_type_command)
        type_buttons = QHBoxLayout()  # under the list, so that the pane stays narrow
        type_buttons.addWidget(self.type_apply)
        type_buttons.addWidget(self.type_revert)
        type_buttons.addWidget(self.type_copy)
        type_buttons.addStretch(1)
        form.addRow("Checkpoint type:", self.type_combo)
        form.addRow("", type_buttons)
        self.type_description = _wrapped_label("checkpointTypeDescription")
        self.type_description.setStyleSheet("color: palette(dark);")
        form.addRow("", self.type_description)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("checkpointName")
        self.name_edit.setPlaceholderText("Optional; the host names it after the VM and the time")
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.name_edit.setAccessibleName("New checkpoint name")
        self.name_edit.returnPressed.connect(self.create_checkpoint)
        form.addRow("New checkpoint:", self.name_edit)
        layout.addLayout(form)

        self.warning = QFrame()
        self.warning.setObjectName("checkpointWarningBox")
        follow_theme(
            self.warning, lambda: self.warning.setStyleSheet(box_stylesheet("#checkpointWarningBox", Tone.Warning))
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
        self.view = QTreeView()
        self.view.setObjectName("checkpointList")
        self.view.setAccessibleName("Checkpoints")
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setMinimumHeight(96)  # a few checkpoints stay in view when the panel is short (it scrolls)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(lambda _index: self.apply_checkpoint())
        self.model.modelReset.connect(self._tree_reset)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CheckpointColumn.Name, QHeaderView.ResizeMode.Stretch)
        for column, width in ((CheckpointColumn.Created, 150), (CheckpointColumn.Kind, 110)):
            header.resizeSection(column, width)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update())
        layout.addWidget(self.view, 1)
        layout.addLayout(self._build_checkpoint_buttons())
        self.type_note = _wrapped_label("checkpointTypeNote")
        self.type_note.setStyleSheet("color: palette(dark);")
        self.type_note.setText(PRODUCTION_FALLBACK_NOTE)
        layout.addWidget(self.type_note)
        return box

    def _build_checkpoint_buttons(self) -> QHBoxLayout:
        """Apply, Rename, Delete and Delete Subtree for the checkpoint selected in the tree, with their keys
        (active while the tree has the focus)."""
        row = QHBoxLayout()
        self.apply_button = self._tree_command("&Apply\u2026", "applyCheckpoint", "Ctrl+Return", self.apply_checkpoint)
        self.rename_button = self._tree_command("Re&name\u2026", "renameCheckpoint", "F2", self.rename_checkpoint)
        self.delete_button = self._tree_command("&Delete\u2026", "deleteCheckpoint", "Del", self.delete_checkpoint)
        self.delete_subtree_button = self._tree_command(
            "Delete &Subtree\u2026",
            "deleteCheckpointSubtree",
            "Shift+Del",
            lambda: self.delete_checkpoint(subtree=True),
        )
        for button in (self.apply_button, self.rename_button, self.delete_button, self.delete_subtree_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _tree_command(self, text: str, object_name: str, shortcut: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(object_name)
        button.clicked.connect(slot)
        action = QAction(text.replace("&", ""), self.view)
        action.setObjectName(object_name + "Action")
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.view.addAction(action)
        button.setToolTip(f"{text.replace('&', '').rstrip(chr(0x2026))} ({QKeySequence(shortcut).toString()})")
        setattr(self, object_name + "_action", action)
        return button

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
            self._pending_type = None
            self._keep_selected = None
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
        if self._pending_type == vm.checkpoint_type:
            self._pending_type = None  # the host has it now (or had it all along)
        if not busy_type:
            shown = self._pending_type or vm.checkpoint_type
            number = self.type_combo.findData(shown) if shown is not None else -1
            self.type_combo.setCurrentIndex(number)
        self.type_combo.setEnabled(self._actions is not None and not busy_type)
        pending = self._pending_type is not None and not busy_type
        self.type_apply.setEnabled(pending and self._actions is not None)
        self.type_revert.setEnabled(pending)
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
            count = len(self.model.checkpoints())
            self.count_label.setText("none" if count == 0 else f"{count}")
        else:
            self.count_label.setText("loading\u2026" if listing else "")
        self._update_checkpoint_commands()

    def _update_checkpoint_commands(self) -> None:
        checkpoint = self.selected_checkpoint()
        changing = any(self._running(kind) for kind in _CHANGE_KINDS)
        usable = checkpoint is not None and self._actions is not None and not changing
        has_children = checkpoint is not None and bool(descendants(self.model.checkpoints(), checkpoint.checkpoint_id))
        for widget, action, enabled in (
            (self.apply_button, self.applyCheckpoint_action, usable),
            (self.rename_button, self.renameCheckpoint_action, usable),
            (self.delete_button, self.deleteCheckpoint_action, usable),
            (self.delete_subtree_button, self.deleteCheckpointSubtree_action, usable and has_children),
        ):
            widget.setEnabled(enabled)
            action.setEnabled(enabled)

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
        """A type chosen in the list is a pending edit: nothing changes on the host until Apply."""
        vm = self._vm
        chosen = self.type_combo.itemData(number)
        if vm is None or not isinstance(chosen, CheckpointType):
            return
        self._pending_type = None if chosen == vm.checkpoint_type else chosen
        self._update()

    def choose_checkpoint_type(self, checkpoint_type: CheckpointType) -> None:
        """Choose a type as the user does in the list (a pending edit)."""
        number = self.type_combo.findData(checkpoint_type)
        self.type_combo.setCurrentIndex(number)
        self._type_chosen(number)

    def pending_checkpoint_type(self) -> CheckpointType | None:
        return self._pending_type

    def apply_checkpoint_type(self) -> None:
        """Send the pending checkpoint type to the host."""
        vm, chosen = self._vm, self._pending_type
        if vm is None or self._actions is None or chosen is None or self._running(ActionKind.SetCheckpointType):
            return
        self._actions.set_checkpoint_type(vm, chosen)
        self._update()

    def revert_checkpoint_type(self) -> None:
        self._pending_type = None
        self._update()

    def set_checkpoint_type(self, checkpoint_type: CheckpointType) -> None:
        """Choose a type and apply it, as the user does with the list and Apply."""
        self.choose_checkpoint_type(checkpoint_type)
        self.apply_checkpoint_type()

    # ---- the tree's commands -------------------------------------------------------------------

    def selected_checkpoint(self) -> Checkpoint | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isSelected(index.siblingAtColumn(0)):
            return None
        checkpoint = index.data(CheckpointRole)
        return checkpoint if isinstance(checkpoint, Checkpoint) else None

    def select_checkpoint(self, checkpoint_id: str) -> bool:
        index = self.model.index_of(checkpoint_id)
        if not index.isValid():
            return False
        selection = self.view.selectionModel()
        self.view.setCurrentIndex(index)
        selection.select(index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        return True

    def _tree_reset(self) -> None:
        self.view.expandAll()
        if self._keep_selected is not None:
            self.select_checkpoint(self._keep_selected)
        self._update_checkpoint_commands()

    def apply_checkpoint(self) -> None:
        """Apply the selected checkpoint, after a question that says what is lost."""
        vm, checkpoint = self._vm, self.selected_checkpoint()
        if vm is None or checkpoint is None or self._actions is None or not self.apply_button.isEnabled():
            return
        operation = CheckpointApplyOperation(
            vm_target(vm, self._computer_name), checkpoint_id=checkpoint.checkpoint_id, checkpoint_name=checkpoint.name
        )
        shown = dataclasses.replace(
            operation,
            target=dataclasses.replace(operation.target, vm_name=one_line(vm.name)),
            checkpoint_name=one_line(checkpoint.name),
        )
        self._confirmer.ask(
            self.window(),
            Question(
                object_name=CONFIRM_APPLY_CHECKPOINT,
                title="Apply checkpoint",
                text=shown.confirmation() or "",
                accept_label="Apply",
            ),
            on_accept=lambda: self._send(ActionKind.ApplyCheckpoint, lambda a: a.apply_checkpoint(vm, checkpoint)),
        )

    def delete_checkpoint(self, *, subtree: bool = False) -> None:
        """Delete the selected checkpoint (with `subtree`, everything below it too), after a question that names
        every checkpoint that goes."""
        vm, checkpoint = self._vm, self.selected_checkpoint()
        if vm is None or checkpoint is None or self._actions is None:
            return
        below = descendants(self.model.checkpoints(), checkpoint.checkpoint_id) if subtree else []
        if subtree and not below:
            return
        shown = CheckpointDeleteOperation(
            vm_target(vm, self._computer_name),
            checkpoint_id=checkpoint.checkpoint_id,
            checkpoint_name=one_line(checkpoint.name),
            subtree=subtree,
            descendant_names=tuple(one_line(c.name) for c in below),
        )
        self._confirmer.ask(
            self.window(),
            Question(
                object_name=CONFIRM_DELETE_CHECKPOINT,
                title="Delete checkpoint subtree" if subtree else "Delete checkpoint",
                text=shown.confirmation() or "",
                accept_label="Delete",
            ),
            on_accept=lambda: self._send(
                ActionKind.DeleteCheckpoint, lambda a: a.delete_checkpoint(vm, checkpoint, descendants=below)
            ),
        )

    def rename_checkpoint(self) -> QInputDialog | None:
        """Ask for the new name in a small dialog (the old one selected, ready to overtype)."""
        vm, checkpoint = self._vm, self.selected_checkpoint()
        if vm is None or checkpoint is None or self._actions is None:
            return None
        dialog = QInputDialog(self.window())
        dialog.setObjectName(RENAME_CHECKPOINT_DIALOG)
        dialog.setWindowTitle("Rename checkpoint")
        dialog.setLabelText(f"New name for checkpoint '{one_line(checkpoint.name)}':")
        dialog.setTextValue(checkpoint.name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda text: self._renamed(vm, checkpoint, text))
        dialog.open()
        return dialog

    def _renamed(self, vm: Vm, checkpoint: Checkpoint, new_name: str) -> None:
        new_name = new_name.strip()
        problem = rename_problem(new_name, checkpoint.name)
        if problem is not None:
            if new_name != checkpoint.name:
                self.message.show_message(f"Not renamed: {problem}", MessageKind.Warning)
            return
        self._send(ActionKind.RenameCheckpoint, lambda a: a.rename_checkpoint(vm, checkpoint, new_name))

    def _send(self, kind: ActionKind, submit) -> None:
        if self._actions is None or self._vm is None or any(self._running(k) for k in _CHANGE_KINDS):
            return
        checkpoint = self.selected_checkpoint()
        self._keep_selected = checkpoint.checkpoint_id if checkpoint is not None else None
        submit(self._actions)
        self._update()

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setObjectName("checkpointContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (
            self.applyCheckpoint_action,
            self.renameCheckpoint_action,
            self.deleteCheckpoint_action,
            self.deleteCheckpointSubtree_action,
        ):
            menu.addAction(action)
        menu.addSeparator()
        copy = menu.addAction("Copy as PowerShell", self.copy_checkpoint_command)
        copy.setEnabled(self.selected_checkpoint() is not None)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def copy_checkpoint_command(self) -> str | None:
        """Applying the selected checkpoint as PowerShell (by its id)."""
        vm, checkpoint = self._vm, self.selected_checkpoint()
        if vm is None or checkpoint is None:
            return None
        target = vm_target(vm, self._computer_name)
        operation = CheckpointApplyOperation(
            target, checkpoint_id=checkpoint.checkpoint_id, checkpoint_name=checkpoint.name
        )
        return self._copy(operation.powershell())

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
        elif action.kind in _CHANGE_KINDS:
            self.message.show_message(result.message, MessageKind.Warning if result.warnings else MessageKind.Info)
            self.load_checkpoints()
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
        if action.kind in _CHANGE_KINDS:
            self.load_checkpoints()  # the tree may be out of date (e.g. the checkpoint was deleted elsewhere)
        if action.kind is ActionKind.ListCheckpoints:
            self._listed_for = action.vm_key  # do not retry on every show; Refresh does
        self._update()


_CHANGE_KINDS = {ActionKind.ApplyCheckpoint, ActionKind.DeleteCheckpoint, ActionKind.RenameCheckpoint}
_CHECKPOINT_KINDS = {
    ActionKind.CreateCheckpoint,
    ActionKind.ListCheckpoints,
    ActionKind.SetCheckpointType,
    *_CHANGE_KINDS,
}
