"""Set (or remove) one host-to-guest pair on many selected VMs: a preview, then a result per VM.

The preview lists each VM with what will happen to it, and says when the guest will only receive the pair
later (the VM is not running). The pair is checked against the KVP limits before Apply is possible. Apply
runs one `KvpBulkOperation` per host (one host call for all its VMs, listed in the Activity panel); each VM's
row then says Done or the host's reason. The dialog never awaits: `KvpController` reports back by signal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.kvp import check_pair
from hvgui.domain.kvp_operations import KvpReport
from hvgui.domain.operations import OperationRecord, OperationState
from hvgui.domain.vm import Vm
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.kvp.controller import KvpController
from hvgui.ui.text import untrusted_line
from hvgui.ui.theme import Tone, colour_text

OBJECT_NAME = "kvpBulkDialog"


class BulkColumn:
    Vm = 0
    Host = 1
    Action = 2
    Result = 3


class KvpBulkDialog(QDialog):
    def __init__(
        self,
        vms: Sequence[Vm],
        controller: KvpController,
        *,
        host_label: Callable[[str], str] | None = None,
        computer_name: ComputerName | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle("Key-value pair on many VMs")
        self.vms = list(vms)
        self.controller = controller
        self._computer_name = computer_name
        self._host_label = host_label or (lambda key: key)
        self._pending: set[int] = set()
        self.results: dict[str, str] = {}  # VM id -> "Done" or the host's reason

        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("kvpBulkKey")
        self.key_edit.setAccessibleName("Key")
        self.value_edit = QPlainTextEdit()
        self.value_edit.setObjectName("kvpBulkValue")
        self.value_edit.setAccessibleName("Value")
        self.value_edit.setTabChangesFocus(True)
        self.value_edit.setFixedHeight(70)
        self.set_radio = QRadioButton("&Set (add, or change the value)")
        self.set_radio.setObjectName("kvpBulkSet")
        self.remove_radio = QRadioButton("&Remove the key")
        self.remove_radio.setObjectName("kvpBulkRemove")
        self.set_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.set_radio)
        group.addButton(self.remove_radio)
        form = QFormLayout()
        key_label = QLabel("&Key:")
        key_label.setBuddy(self.key_edit)
        value_label = QLabel("&Value:")
        value_label.setBuddy(self.value_edit)
        form.addRow(key_label, self.key_edit)
        form.addRow(value_label, self.value_edit)
        modes = QHBoxLayout()
        modes.addWidget(self.set_radio)
        modes.addWidget(self.remove_radio)
        modes.addStretch(1)
        form.addRow("", modes)

        self.problems = QLabel()
        self.problems.setObjectName("kvpBulkProblems")
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.problems.setWordWrap(True)
        colour_text(self.problems, Tone.Error)

        self.preview = QTableWidget(len(self.vms), 4)
        self.preview.setObjectName("kvpBulkPreview")
        self.preview.setAccessibleName("Preview and results, one row per VM")
        self.preview.setHorizontalHeaderLabels(["VM", "Host", "What happens", "Result"])
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview.verticalHeader().hide()
        self.preview.horizontalHeader().setSectionResizeMode(BulkColumn.Action, QHeaderView.ResizeMode.Stretch)

        self.summary = QLabel()
        self.summary.setObjectName("kvpBulkSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("kvpBulkApply")
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.close)
        self.apply_button.clicked.connect(self.apply)

        layout = QVBoxLayout(self)
        intro = QLabel(f"One host-to-guest pair on {len(self.vms)} selected VM(s).")
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.resize(720, 480)

        self.key_edit.textChanged.connect(self.update_preview)
        self.value_edit.textChanged.connect(self.update_preview)
        self.set_radio.toggled.connect(self.update_preview)
        controller.operationDone.connect(self._operation_done)
        self.update_preview()

    # --- preview ------------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        return self.key_edit.text()

    @property
    def value(self) -> str:
        return self.value_edit.toPlainText()

    @property
    def removing(self) -> bool:
        return self.remove_radio.isChecked()

    def update_preview(self, *_: object) -> None:
        problems = check_pair(self.key, "" if self.removing else self.value)
        self.problems.setText("\n".join(problems))
        self.value_edit.setEnabled(not self.removing)
        key = untrusted_line(self.key)
        for row, vm in enumerate(self.vms):
            if self.removing:
                action = f"Remove '{key}'"
            else:
                action = f"Set '{key}' = '{untrusted_line(self.value)}'"
                if not vm.state.is_running:
                    action += " (stored; the guest receives it when it runs)"
            cells = [untrusted_line(vm.name), untrusted_line(self._host_label(vm.host)), action,
                     self.results.get(vm.vm_id, "")]  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.preview.setItem(row, column, item)
        self.apply_button.setEnabled(not problems and not self._pending and bool(self.vms))

    # --- applying -----------------------------------------------------------------------------------

    def apply(self) -> None:
        if not self.apply_button.isEnabled():
            return
        self.results = {vm.vm_id: "Applying\u2026" for vm in self.vms}
        targets = [vm_target(vm, self._computer_name) for vm in self.vms]
        ids = self.controller.bulk(targets, self.key, self.value, remove=self.removing)
        self._pending = set(ids)
        for widget in (self.key_edit, self.value_edit, self.set_radio, self.remove_radio):
            widget.setEnabled(False)
        self.summary.setText("Applying\u2026")
        self.update_preview()

    def _operation_done(self, ident: int, record: OperationRecord) -> None:
        if ident not in self._pending:
            return
        self._pending.discard(ident)
        report = record.result if isinstance(record.result, KvpReport) else None
        targets = getattr(record.operation, "targets", ())
        if record.state is OperationState.Succeeded and report is not None:
            for result in report.results:
                self.results[result.vm_id] = "Done" if result.ok else f"Failed: {result.error or result.code}"
        else:
            for target in targets:
                self.results[target.vm_id] = f"Failed: {record.message}"
        if not self._pending:
            failed = sum(1 for text in self.results.values() if text != "Done")
            self.summary.setText(f"{len(self.results) - failed} done, {failed} failed.")
            for widget in (self.key_edit, self.set_radio, self.remove_radio):
                widget.setEnabled(True)
        self.update_preview()
