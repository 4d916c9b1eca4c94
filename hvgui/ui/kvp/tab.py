"""The VM panel's "Key-Value Pairs" tab: every KVP pool of the selected VM, and editing host-to-guest pairs.

Four sections, labelled as an admin thinks of them (`Pool`): what the guest reports about itself, what software
in the guest published, what the host pushed into the guest (editable), and host-only pairs. When KVP cannot
work (the VM is off, the service is disabled, a Linux guest lacks hv_kvp_daemon) a short explanation says why.

Editing: Add, Edit value…, Remove (marks a loaded pair, drops a new one), Revert, Apply. Edited rows are
coloured and say what changed. Apply checks the KVP limits first (nothing is sent while one is broken), then
reads the host's pairs again: when a pair the admin edited changed on the host meanwhile, the differences are
shown and the admin chooses (`conflict_dialog`). The change is one typed operation in the Activity panel.
The pools are read again every `REFRESH_SECONDS` while a VM is shown; a refresh never replaces unapplied
edits (it says the host changed, instead).

Export writes the pools as JSON or CSV with exact values; Import reads host-to-guest pairs from JSON and
shows them as pending edits. With the history installed (`attach_history`), History… (Ctrl+Shift+Y) opens the
VM's snapshots and what changed since yesterday (`history_dialog`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.kvp import (
    ChangeKind,
    KvpChange,
    KvpPair,
    Pool,
    VmKvp,
    check_pairs,
    conflicts,
    rebase,
)
from hvgui.domain.kvp_export import KvpImportError, import_host_pairs, to_csv, to_json
from hvgui.domain.kvp_operations import KvpEditOperation
from hvgui.domain.operations import OperationRecord, OperationState
from hvgui.domain.vm import Vm, VmKey
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.kvp import conflict_dialog
from hvgui.ui.kvp.controller import KvpController
from hvgui.ui.kvp.history_dialog import KvpHistoryDialog
from hvgui.ui.kvp.models import EditColumn, KvpEditModel, KvpPairsModel, PairColumn
from hvgui.ui.row_table import style_row_table
from hvgui.ui.text import untrusted_line
from hvgui.ui.theme import Tone, box_colours, follow_theme
from hvgui.ui.vm_tab_frame import build_vm_tab_frame

if TYPE_CHECKING:
    from hvgui.ui.history.queries import HistoryQueries

HISTORY_SHORTCUT = "Ctrl+Shift+Y"
#: Seconds between two reads of the shown VM's pools.
REFRESH_SECONDS = 10.0
#: Asks for a path to save to: (caption, suggested name, filter) -> path, "" when cancelled.
SavePath = Callable[[str, str, str], str]
OpenPath = Callable[[str, str], str]


def _explanation_style() -> str:
    background, border, text = box_colours(Tone.Warning)
    return (
        f"#kvpExplanation {{ background: {background}; border: 1px solid {border}; border-radius: 5px; "
        f"padding: 5px; color: {text}; }}"
    )


def _pair_view(object_name: str, accessible: str) -> QTableView:
    view = QTableView()
    view.setObjectName(object_name)
    view.setAccessibleName(accessible)
    style_row_table(view, row_height=22, selection=QAbstractItemView.SelectionMode.ExtendedSelection)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.resizeSection(0, 220)
    return view


def _section(title: str, view: QWidget, extra: QWidget | None = None) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(view, 1)
    if extra is not None:
        layout.addWidget(extra)
    return box


class ValueEditor(QDialog):
    """A value over several lines (a line edit in the table would join them)."""

    def __init__(self, key: str, value: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kvpValueEditor")
        self.setWindowTitle("Edit value")
        label = QLabel(f"Value of {untrusted_line(key) or '(new pair)'}:")
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("kvpValueText")
        self.editor.setAccessibleName("Value")
        self.editor.setPlainText(value)
        self.editor.setTabChangesFocus(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        label.setBuddy(self.editor)
        self.resize(480, 260)

    def value(self) -> str:
        return self.editor.toPlainText()


class KvpTab(QWidget):
    """Key-value pairs of the selected VM."""

    #: The pools of the shown VM were read (`VmKvp`): the Summary tab shows the guest's name, OS and addresses.
    poolsLoaded = Signal(object)

    def __init__(
        self,
        controller: KvpController | None = None,
        parent: QWidget | None = None,
        *,
        computer_name: ComputerName | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kvpTab")
        self._controller = controller
        self._computer_name = computer_name
        self._vm: Vm | None = None
        self._kvp: VmKvp | None = None
        self._shown_key: VmKey | None = None
        self._applying: tuple[VmKey, list[KvpChange], dict[str, str]] | None = None
        self._pending_op: int | None = None
        self._reload_after_apply = False
        self.choose_save_path: SavePath = self._save_dialog
        self.choose_open_path: OpenPath = self._open_dialog
        self._history: HistoryQueries | None = None
        self.history_dialog: KvpHistoryDialog | None = None

        frame = build_vm_tab_frame(self, "Select a virtual machine to see its key-value pairs.")
        self.message, self._stack, self.placeholder = frame.message, frame.stack, frame.placeholder
        layout = frame.content

        self.explanation = QLabel()
        self.explanation.setObjectName("kvpExplanation")
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        explanation = self.explanation
        follow_theme(explanation, lambda: explanation.setStyleSheet(_explanation_style()))
        self.explanation.hide()
        layout.addWidget(self.explanation)

        top = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("kvpStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.status, 1)
        self.refresh_button = self._button("Refresh", "kvpRefresh", "Read every pool from the host again")
        self.export_json_button = self._button("Export JSON\u2026", "kvpExportJson", "Save every pool as JSON")
        self.export_csv_button = self._button("Export CSV\u2026", "kvpExportCsv", "Save every pool as CSV")
        self.import_button = self._button(
            "Import JSON\u2026", "kvpImportJson", "Read host-to-guest pairs from a JSON file as pending edits"
        )
        self.history_button = self._button(
            "History\u2026",
            "kvpHistory",
            f"When this VM's pairs changed, and what changed since yesterday ({HISTORY_SHORTCUT})",
        )
        self.history_button.hide()  # until a history is attached
        for button in (
            self.refresh_button,
            self.history_button,
            self.export_json_button,
            self.export_csv_button,
            self.import_button,
        ):
            top.addWidget(button)
        layout.addLayout(top)

        self.intrinsic_model = KvpPairsModel(self)
        self.guest_model = KvpPairsModel(self)
        self.host_only_model = KvpPairsModel(self)
        self.edit_model = KvpEditModel(self)
        self.intrinsic_view = _pair_view("kvpIntrinsic", Pool.Intrinsic.value)
        self.guest_view = _pair_view("kvpGuest", Pool.GuestToHost.value)
        self.host_only_view = _pair_view("kvpHostOnly", Pool.HostOnly.value)
        self.host_view = _pair_view("kvpHostToGuest", Pool.HostToGuest.value)
        self.host_view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        for view, model in (
            (self.intrinsic_view, self.intrinsic_model),
            (self.guest_view, self.guest_model),
            (self.host_only_view, self.host_only_model),
            (self.host_view, self.edit_model),
        ):
            view.setModel(model)
        self.host_view.horizontalHeader().resizeSection(EditColumn.Value, 260)

        edit_bar = QWidget()
        bar = QHBoxLayout(edit_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.add_button = self._button("Add", "kvpAdd", "Add a host-to-guest pair (Insert)")
        self.edit_value_button = self._button("Edit value\u2026", "kvpEditValue", "Edit the selected value over lines")
        self.remove_button = self._button("Remove", "kvpRemove", "Remove the selected pairs (Delete)")
        self.revert_button = self._button("Revert", "kvpRevert", "Drop every unapplied edit")
        self.apply_button = self._button("Apply", "kvpApply", "Send the edits to the host (Ctrl+Enter)")
        self.copy_button = self._button("Copy as PowerShell", "kvpCopyPowerShell", "Copy the commands of the edits")
        for button in (self.add_button, self.edit_value_button, self.remove_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (self.copy_button, self.revert_button, self.apply_button):
            bar.addWidget(button)
        self.apply_button.setDefault(False)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(_section(Pool.Intrinsic.value, self.intrinsic_view))
        left.addWidget(_section(Pool.GuestToHost.value, self.guest_view))
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(_section(Pool.HostToGuest.value, self.host_view, edit_bar))
        right.addWidget(_section(Pool.HostOnly.value, self.host_only_view))
        right.setSizes([320, 120])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        # The sections scroll as a whole when the panel is short, so the tab never takes room from the VM table.
        scroll = QScrollArea()
        scroll.setObjectName("kvpSections")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(splitter)
        scroll.setMinimumSize(0, 0)
        layout.addWidget(scroll, 1)

        self.refresh_button.clicked.connect(self.refresh)
        self.export_json_button.clicked.connect(lambda: self._export("json"))
        self.export_csv_button.clicked.connect(lambda: self._export("csv"))
        self.import_button.clicked.connect(self._import)
        self.history_button.clicked.connect(self.show_history)
        history_shortcut = QShortcut(QKeySequence(HISTORY_SHORTCUT), self, self.show_history)
        history_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.add_button.clicked.connect(self.add_pair)
        self.edit_value_button.clicked.connect(self.edit_value)
        self.remove_button.clicked.connect(self.remove_selected)
        self.revert_button.clicked.connect(self.revert)
        self.apply_button.clicked.connect(self.apply)
        self.copy_button.clicked.connect(self.copy_powershell)
        self.edit_model.dataChanged.connect(self._update_buttons)
        self.edit_model.modelReset.connect(self._update_buttons)
        self.edit_model.rowsInserted.connect(self._update_buttons)
        self.edit_model.rowsRemoved.connect(self._update_buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Insert), self.host_view, self.add_pair)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.host_view, self.remove_selected)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.apply)

        self.timer = QTimer(self)
        self.timer.setInterval(int(REFRESH_SECONDS * 1000))
        self.timer.timeout.connect(self.refresh)
        if controller is not None:
            controller.loaded.connect(self._loaded)
            controller.current.connect(self._current)
            controller.readFailed.connect(self._read_failed)
            controller.operationDone.connect(self._operation_done)
        self._update_buttons()

    @staticmethod
    def _button(text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("\u2026"))
        return button

    # --- showing ------------------------------------------------------------------------------------

    @property
    def controller(self) -> KvpController | None:
        return self._controller

    def shown_vm(self) -> Vm | None:
        return self._vm

    def pools(self) -> VmKvp | None:
        return self._kvp

    def show_vm(self, vm: Vm | None) -> None:
        """Called on selection and on every inventory refresh of the selected VM."""
        self._vm = vm
        if vm is None:
            self._stack.setCurrentWidget(self.placeholder)
            self.timer.stop()
            self._shown_key = None
            return
        self._stack.setCurrentIndex(1)
        if vm.key != self._shown_key:
            self._shown_key = vm.key
            self._kvp = None
            self._applying = None
            self.edit_model.load([], force=True)
            for model in (self.intrinsic_model, self.guest_model, self.host_only_model):
                model.set_pairs([])
            self.explanation.hide()
            self.message.clear()
            self.status.setText("loading\u2026")
            self.refresh()
            self.timer.start()
        self._update_buttons()

    def refresh(self) -> None:
        if self._controller is not None and self._shown_key is not None:
            self._controller.read(self._shown_key)

    def _loaded(self, key: VmKey, kvp: VmKvp) -> None:
        if key != self._shown_key:
            return
        self._kvp = kvp
        self.intrinsic_model.set_pairs(kvp.intrinsic or ())
        self.guest_model.set_pairs(kvp.guest or ())
        self.host_only_model.set_pairs(kvp.host_only)
        force = self._reload_after_apply
        self._reload_after_apply = False
        kept = not self.edit_model.load(kvp.host, force=force)
        if kept and self.edit_model.host_now is not None:
            self.message.show_message(
                "The host's host-to-guest pairs changed since you started editing; your edits are kept. Apply "
                "shows the differences before anything is sent.",
                MessageKind.Warning,
            )
        reason = kvp.unavailable_reason()
        self.explanation.setText(reason or "")
        self.explanation.setVisible(reason is not None)
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        unreadable = f"; {kvp.unreadable} unreadable item(s) left out" if kvp.unreadable else ""
        self.status.setText(f"Read from the host at {stamp}{unreadable}")
        self._update_buttons()
        self.poolsLoaded.emit(kvp)

    def _read_failed(self, key: VmKey, reason: str) -> None:
        if key != self._shown_key:
            return
        if self._applying is not None and self._applying[0] == key:
            self._applying = None
            self.message.show_message(
                f"Nothing was sent: the host's pairs could not be read ({reason})", MessageKind.Error
            )
        self.status.setText(f"Could not read the pairs: {reason}")
        self._update_buttons()

    # --- editing ------------------------------------------------------------------------------------

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.host_view.selectionModel().selectedIndexes()})

    def add_pair(self) -> None:
        if self._vm is None:
            return
        index = self.edit_model.add_row()
        self.host_view.setFocus()
        self.host_view.setCurrentIndex(index)
        self.host_view.edit(index)

    def edit_value(self) -> None:
        rows = self._selected_rows() or (
            [self.host_view.currentIndex().row()] if self.host_view.currentIndex().isValid() else []
        )
        if not rows:
            return
        row = rows[0]
        dialog = ValueEditor(self.edit_model.raw(row, EditColumn.Key), self.edit_model.raw(row, EditColumn.Value), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.edit_model.set_value(row, dialog.value()))
        dialog.open()
        self.value_editor = dialog

    def remove_selected(self) -> None:
        self.edit_model.toggle_removed(self._selected_rows())

    def revert(self) -> None:
        self.edit_model.revert()
        self.message.clear()

    def _update_buttons(self, *_: object) -> None:
        dirty = self.edit_model.is_dirty()
        busy = self._applying is not None or self._pending_op is not None
        has_vm = self._vm is not None
        self.apply_button.setEnabled(dirty and not busy and self._controller is not None)
        self.revert_button.setEnabled(dirty and not busy)
        self.copy_button.setEnabled(dirty)
        self.add_button.setEnabled(has_vm and not busy)
        self.remove_button.setEnabled(has_vm and not busy)
        self.edit_value_button.setEnabled(has_vm and not busy)
        self.export_json_button.setEnabled(self._kvp is not None)
        self.export_csv_button.setEnabled(self._kvp is not None)
        self.import_button.setEnabled(has_vm and not busy)
        self.history_button.setEnabled(has_vm and self._history is not None)

    def copy_powershell(self) -> None:
        if self._vm is None:
            return
        operation = KvpEditOperation(vm_target(self._vm, self._computer_name), changes=tuple(self.edit_model.changes()))
        QGuiApplication.clipboard().setText(operation.powershell())
        self.message.show_message("The PowerShell commands of these edits are on the clipboard.", MessageKind.Info)

    # --- applying -----------------------------------------------------------------------------------

    def apply(self) -> None:
        if self._vm is None or self._controller is None or self._applying is not None or self._pending_op is not None:
            return
        changes = self.edit_model.changes()
        if not changes:
            self.message.show_message("There is nothing to apply.", MessageKind.Info)
            return
        problems = check_pairs(self.edit_model.edited_pairs())
        if problems:
            shown = "\n".join(p.message for p in problems[:5])
            more = f"\n(and {len(problems) - 5} more)" if len(problems) > 5 else ""
            self.message.show_message(f"Nothing was sent. {shown}{more}", MessageKind.Error)
            return
        self._applying = (self._vm.key, changes, self.edit_model.baseline)
        self.status.setText("Checking the host's pairs before applying\u2026")
        self._update_buttons()
        self._controller.read_for_apply(self._vm.key)

    def _current(self, key: VmKey, kvp: VmKvp) -> None:
        if self._applying is None or self._applying[0] != key or key != self._shown_key:
            return
        _key, changes, baseline = self._applying
        self._applying = None
        found = conflicts(baseline, kvp.host_map, changes)
        if not found:
            self._send(changes)
            return
        self.conflict = conflict_dialog.ask(
            self, self._vm.name if self._vm else "", found, lambda choice: self._resolved(choice, kvp, changes, found)
        )
        self._update_buttons()

    def _resolved(self, choice: conflict_dialog.Choice, kvp: VmKvp, changes: list[KvpChange], found: list) -> None:
        if choice is conflict_dialog.Choice.ApplyMine:
            rebased = rebase(changes, kvp.host_map)
            self.edit_model.load(kvp.host, force=True)
            self._replay(rebased)
            if rebased:
                self._send(rebased)
            else:
                self.message.show_message("The host already holds your values; nothing was sent.", MessageKind.Info)
        elif choice is conflict_dialog.Choice.KeepHost:
            keys = {c.key for c in found}
            self.edit_model.load(kvp.host, force=True)
            self._replay([c for c in changes if c.key not in keys])
            self.message.show_message(
                f"The host's values were kept for {len(keys)} pair(s); your other edits are still pending.",
                MessageKind.Info,
            )
        else:
            self.message.show_message("Nothing was sent; your edits are still pending.", MessageKind.Info)
        self._update_buttons()

    def _replay(self, changes: list[KvpChange]) -> None:
        """Make `changes` pending edits again on top of freshly loaded pairs."""
        self.edit_model.set_pairs([KvpPair(c.key, c.value) for c in changes if c.kind is not ChangeKind.Remove])
        removed = {c.key for c in changes if c.kind is ChangeKind.Remove}
        rows = [r for r in range(self.edit_model.rowCount()) if self.edit_model.raw(r, EditColumn.Key) in removed]
        self.edit_model.toggle_removed(rows)

    def _send(self, changes: list[KvpChange]) -> None:
        if self._vm is None or self._controller is None:
            return
        self._pending_op = self._controller.apply(vm_target(self._vm, self._computer_name), changes)
        self.status.setText(f"Applying {len(changes)} change(s)\u2026")
        self._update_buttons()

    def _operation_done(self, ident: int, record: OperationRecord) -> None:
        if ident != self._pending_op:
            return
        self._pending_op = None
        if record.state is OperationState.Succeeded:
            self._reload_after_apply = True
            self.message.show_message(f"{record.operation.title}: done.", MessageKind.Info)
            self.refresh()
        else:
            self.message.show_message(
                f"The host did not apply the edits: {record.message} Your edits are still pending.", MessageKind.Error
            )
        self._update_buttons()

    # --- history ------------------------------------------------------------------------------------

    def attach_history(self, queries: HistoryQueries) -> None:
        """Offer History…: the history store has this VM's snapshots (the reads feed it elsewhere)."""
        self._history = queries
        self.history_button.show()
        self._update_buttons()

    def show_history(self) -> KvpHistoryDialog | None:
        if self._history is None or self._vm is None:
            return None
        if self.history_dialog is not None:
            self.history_dialog.close()
        dialog = KvpHistoryDialog(self._history, self._vm.host, self._vm.vm_id, self._vm.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._history_closed(dialog))
        dialog.show()
        self.history_dialog = dialog
        return dialog

    def _history_closed(self, dialog: KvpHistoryDialog) -> None:
        if self.history_dialog is dialog:
            self.history_dialog = None

    # --- export and import --------------------------------------------------------------------------

    def export_to(self, path: str, kind: str) -> None:
        if self._kvp is None or self._vm is None:
            return
        if kind == "json":
            stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            text = to_json(self._kvp, host=vm_target(self._vm, self._computer_name).computer_name, exported_at=stamp)
        else:
            text = to_csv(self._kvp)
        Path(path).write_text(text, encoding="utf-8", newline="")
        self.message.show_message(f"Saved the pairs of '{untrusted_line(self._vm.name)}' to {path}.", MessageKind.Info)

    def import_from(self, path: str) -> None:
        try:
            pairs = import_host_pairs(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            self.message.show_message(f"Could not read {path}: {exc}", MessageKind.Error)
            return
        except KvpImportError as exc:
            details = "\n".join(p.message for p in exc.problems[:5])
            self.message.show_message(f"Nothing was imported. {exc}\n{details}".strip(), MessageKind.Error)
            return
        self.edit_model.set_pairs(pairs)
        self.message.show_message(
            f"{len(pairs)} pair(s) imported as pending edits: review them, then Apply.", MessageKind.Info
        )

    def _export(self, kind: str) -> None:
        if self._vm is None:
            return
        suffix = "json" if kind == "json" else "csv"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self._vm.name) or "vm"
        path = self.choose_save_path(
            f"Export key-value pairs ({suffix.upper()})", f"{safe}-kvp.{suffix}", f"*.{suffix}"
        )
        if path:
            self.export_to(path, kind)

    def _import(self) -> None:
        path = self.choose_open_path("Import host-to-guest pairs (JSON)", "*.json")
        if path:
            self.import_from(path)

    def _save_dialog(self, caption: str, name: str, pattern: str) -> str:
        return QFileDialog.getSaveFileName(self, caption, name, pattern)[0]

    def _open_dialog(self, caption: str, pattern: str) -> str:
        return QFileDialog.getOpenFileName(self, caption, "", pattern)[0]


__all__ = ["KvpTab", "PairColumn"]
