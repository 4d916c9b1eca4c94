"""The bulk "Integration services" dialog: set desired states for many VMs, preview, apply, read results.

The dialog is a view: the matrix model holds the edits, the preview shows the domain's plan, and
`BulkApplyController` runs the apply (the dialog never awaits). While an apply runs the matrix is read-only;
closing the dialog then stops the apply (changes under way finish) and the dialog closes once every change
has its result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.bulk import BASELINES, Baseline, ChangeResult, PlannedChange, confirm_text, summarize
from hvgui.domain.connection import HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory, Vm, VmKey
from hvgui.ui.bulk.controller import BulkApplyController
from hvgui.ui.bulk.matrix_model import FIRST_SERVICE_COLUMN, HOST_COLUMN, VM_COLUMN, ServiceMatrixModel
from hvgui.ui.bulk.matrix_view import MatrixView, header_width
from hvgui.ui.bulk.preview import PreviewPanel
from hvgui.ui.bulk.results_model import BulkResultsModel, ResultColumn
from hvgui.ui.host_names import ComputerName

INTRO = (
    "Set the desired state of each integration service: select cells and press Space (or double-click a "
    "cell) to switch them. Changed cells are highlighted; the preview lists exactly what Apply will change."
)


class BulkServicesDialog(QDialog):
    """Integration services of several VMs, across hosts."""

    def __init__(
        self,
        vms: Sequence[Vm],
        controller: BulkApplyController,
        *,
        host_label: Callable[[str], str] | None = None,
        computer_name: ComputerName | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bulkServicesDialog")
        self._computer_name = computer_name  # for "Copy as PowerShell": the host as hvgui reached it
        self.controller = controller
        label_of = host_label or (lambda host: host)
        hosts = list(dict.fromkeys(vm.host for vm in vms))
        self.model = ServiceMatrixModel(vms, {host: label_of(host) for host in hosts}, self)
        self.results_model = BulkResultsModel(self.model.host_label, self)
        self._notes: list[str] = []
        self._close_requested = False
        self._discard_question: QMessageBox | None = None
        self._discarding = False
        self._last_results: list[ChangeResult] = []
        self._shown_gone: frozenset[VmKey] = frozenset()
        self._shown_preview: tuple[list[PlannedChange], list[str], frozenset[VmKey]] | None = None
        count = len(self.model.vms())
        self.setWindowTitle(f"Integration services \u2014 {count} VM{'s' if count != 1 else ''}")
        self.resize(1200, 780)

        self._build()
        self.model.desiredChanged.connect(self._update_preview)
        self.model.dataChanged.connect(lambda *_: self._update_preview_if_gone_changed())
        controller.changeStarted.connect(self._on_change_started)
        controller.resultReady.connect(self._on_result)
        controller.finished.connect(self._on_finished)
        self._update_preview()
        self._update_buttons()
        self.matrix.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.model.rowCount():
            self.matrix.setCurrentIndex(self.model.index(0, FIRST_SERVICE_COLUMN))

    # ---- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        intro = QLabel(INTRO)
        intro.setWordWrap(True)

        self.baseline_combo = QComboBox()
        self.baseline_combo.setObjectName("baselineCombo")
        for baseline in BASELINES:
            self.baseline_combo.addItem(baseline.label, baseline.key)
            self.baseline_combo.setItemData(
                self.baseline_combo.count() - 1, baseline.description, Qt.ItemDataRole.ToolTipRole
            )
        baseline_label = QLabel("Base&line:")
        baseline_label.setBuddy(self.baseline_combo)
        self.use_baseline_button = self._button("&Use baseline", self._use_selected_baseline)
        self.use_baseline_button.setToolTip("Set every VM's desired states to the chosen baseline")
        self.reset_button = self._button("&Reset", self.reset)
        self.reset_button.setToolTip("Forget every change: back to what the hosts report")
        baseline_row = QHBoxLayout()
        baseline_row.addWidget(baseline_label)
        baseline_row.addWidget(self.baseline_combo, 1)
        baseline_row.addWidget(self.use_baseline_button)
        baseline_row.addWidget(self.reset_button)

        self.matrix = MatrixView()
        self.matrix.setModel(self.model)
        header = self.matrix.horizontalHeader()
        header.resizeSection(HOST_COLUMN, 120)
        header.resizeSection(VM_COLUMN, 170)
        for column in range(FIRST_SERVICE_COLUMN, self.model.columnCount()):
            header.resizeSection(column, header_width(header, column, minimum=110))
        matrix_label = QLabel("&Matrix (VMs \u00d7 services):")
        matrix_label.setBuddy(self.matrix)

        self.on_button = self._button("&On", lambda: self._set_selected(True))
        self.off_button = self._button("O&ff", lambda: self._set_selected(False))
        self.keep_button = self._button("&Keep as is", lambda: self._set_selected(None))
        self.on_button.setToolTip("Switch the selected cells on")
        self.off_button.setToolTip("Switch the selected cells off")
        self.keep_button.setToolTip("Leave the selected cells as the hosts report them")
        cells_row = QHBoxLayout()
        cells_row.addWidget(QLabel("Selected cells:"))
        cells_row.addWidget(self.on_button)
        cells_row.addWidget(self.off_button)
        cells_row.addWidget(self.keep_button)
        cells_row.addStretch(1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(intro)
        top_layout.addLayout(baseline_row)
        top_layout.addWidget(matrix_label)
        top_layout.addWidget(self.matrix, 1)
        top_layout.addLayout(cells_row)

        self.preview = PreviewPanel(computer_name=self._computer_name)
        self.progress = QProgressBar()
        self.progress.setObjectName("bulkProgress")
        self.progress.setFormat("%v of %m changes settled")
        self.progress.setValue(0)
        self.summary = QLabel("Nothing applied yet.")
        self.summary.setObjectName("bulkSummary")
        self.summary.setWordWrap(True)
        self.results_view = QTableView()
        self.results_view.setObjectName("bulkResults")
        self.results_view.setModel(self.results_model)
        self.results_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_view.setWordWrap(False)
        self.results_view.verticalHeader().hide()
        self.results_view.setTabKeyNavigation(False)
        results_header = self.results_view.horizontalHeader()
        for column, width in ((ResultColumn.Vm, 160), (ResultColumn.Host, 130), (ResultColumn.Service, 170)):
            results_header.resizeSection(column, width)
        results_header.setSectionResizeMode(ResultColumn.Message, QHeaderView.ResizeMode.Stretch)
        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(6, 6, 6, 6)
        results_layout.addWidget(self.progress)
        results_layout.addWidget(self.summary)
        results_layout.addWidget(self.results_view, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("bulkTabs")
        self.preview_tab = self.tabs.addTab(self.preview, "&Preview")
        self.results_tab = self.tabs.addTab(results_page, "R&esults")

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(self.tabs)
        splitter.setSizes([430, 300])

        self.status = QLabel()
        self.status.setObjectName("bulkStatus")
        self.apply_button = self._button("&Apply", self.apply)
        self.stop_button = self._button("&Stop", self.stop)
        self.stop_button.setToolTip("Send nothing more; changes already sent finish and are reported")
        self.close_button = self._button("&Close", self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)  # Enter in the matrix must never apply
        button.setDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ---- editing -------------------------------------------------------------------------------

    def selected_baseline(self) -> Baseline:
        key = self.baseline_combo.currentData()
        return next(b for b in BASELINES if b.key == key)

    def use_baseline(self, baseline: Baseline) -> list[str]:
        """Set every VM's desired states to `baseline`; its notes (what it leaves alone) are shown."""
        index = self.baseline_combo.findData(baseline.key)
        if index >= 0:
            self.baseline_combo.setCurrentIndex(index)
        notes = self.model.apply_baseline(baseline)
        self._notes = notes
        self._update_preview()
        return notes

    def reset(self) -> None:
        """Forget every edit and baseline: the matrix shows what the hosts report."""
        self._notes = []
        self.model.reset()
        self._update_preview()

    def _use_selected_baseline(self) -> None:
        self.use_baseline(self.selected_baseline())

    def _set_selected(self, enabled: bool | None) -> None:
        self.model.set_cells(self.matrix.selected_service_cells(), enabled)
        self.matrix.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- preview -------------------------------------------------------------------------------

    def plan(self) -> list[PlannedChange]:
        return self.model.plan()

    def _gone(self) -> frozenset[VmKey]:
        return frozenset(vm.key for vm in self.model.vms() if self.model.is_gone(vm.key))

    def _update_preview(self) -> None:
        plan = self.model.plan()
        gone = self._gone()
        shown = (plan, list(self._notes), gone)
        if shown != self._shown_preview:  # a refresh that changes nothing keeps the list (and its scroll) as is
            self._shown_preview = shown
            self._shown_gone = gone
            self.preview.show_plan(plan, self._notes, gone)
        count = len(plan)
        self.tabs.setTabText(self.preview_tab, f"&Preview ({count})")
        self._update_buttons()

    def _update_preview_if_gone_changed(self) -> None:
        if self._gone() != self._shown_gone:
            self._update_preview()

    # ---- applying ------------------------------------------------------------------------------

    def apply(self) -> QMessageBox | None:
        """Apply the plan; when it disables a High-impact service, ask first (the box is returned, open)."""
        if self.controller.is_running:
            return None
        plan = self.model.plan()
        if not plan:
            self.status.setText("Nothing to apply.")
            return None
        question = confirm_text(plan)
        if question is None:
            self._start(plan)
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Disable high-impact integration services",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("bulkConfirm")
        box.button(QMessageBox.StandardButton.Yes).setText("Disable and apply")
        box.button(QMessageBox.StandardButton.No).setText("Do not apply")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                # The admin confirmed the plan they saw; if refreshes changed it meanwhile, apply the new one
                # only if it asks nothing more.
                current = self.model.plan()
                if current == plan or confirm_text(current) == question:
                    self._start(current)
                else:
                    self.status.setText("The plan changed while you were asked; review the preview and apply again.")

        box.buttonClicked.connect(answered)
        box.open()
        return box

    def _start(self, plan: list[PlannedChange]) -> None:
        if not plan or self.controller.is_running:
            return
        self.model.clear_results()
        self.model.set_locked(True)
        self.results_model.start(plan)
        self.progress.setRange(0, len(plan))
        self.progress.setValue(0)
        self.summary.setText("Applying\u2026")
        self.status.setText(f"Applying {len(plan)} change{'s' if len(plan) != 1 else ''}\u2026")
        self.tabs.setCurrentIndex(self.results_tab)
        self.controller.start(plan)
        self._update_buttons()

    def stop(self) -> None:
        if self.controller.is_running:
            self.controller.stop()
            self.status.setText("Stopping: changes already sent finish; nothing more is sent\u2026")
            self._update_buttons()

    def is_applying(self) -> bool:
        return self.controller.is_running

    def last_results(self) -> list[ChangeResult]:
        return list(self._last_results)

    def _on_change_started(self, index: int) -> None:
        self.results_model.mark_running(index)

    def _on_result(self, index: int, result: ChangeResult) -> None:
        self.results_model.set_result(index, result)
        self.model.set_result(result)
        self.progress.setValue(sum(1 for r in self.results_model.results() if r is not None))

    def _on_finished(self, results: list[ChangeResult]) -> None:
        self._last_results = list(results)
        self.model.set_locked(False)
        text = summarize(results)
        self.summary.setText(text)
        self.status.setText(text)
        self._update_buttons()
        if self._close_requested:
            super().done(QDialog.DialogCode.Rejected)

    def _update_buttons(self) -> None:
        running = self.controller.is_running
        count = len(self.model.plan()) if not running else 0
        self.apply_button.setText(f"&Apply {count} change{'s' if count != 1 else ''}" if count else "&Apply")
        self.apply_button.setEnabled(not running and count > 0)
        self.stop_button.setEnabled(running and not self.controller.stop_requested)
        for widget in (
            self.use_baseline_button,
            self.reset_button,
            self.baseline_combo,
            self.on_button,
            self.off_button,
            self.keep_button,
        ):
            widget.setEnabled(not running)

    # ---- what the hosts say --------------------------------------------------------------------

    def on_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        """A refresh arrived: the matrix shows the new truth (desires it now matches stop being changes)."""
        self.model.apply_inventory(inventory, diff)
        touched = {vm.key for vm in (*diff.changed, *diff.added)} | set(diff.removed)
        if any(self.model.row_of(key) is not None for key in touched):
            self._update_preview()  # impact warnings follow what the guests report (e.g. a domain controller)

    def on_host_status(self, status: HostStatus) -> None:
        self.model.set_host_label(status.key, status.label)

    # ---- closing -------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Closing while an apply runs stops it; the dialog closes once every change has its result.

        Closing (Close, Esc or the window's close button) with changes not applied asks first: Discard closes,
        Cancel keeps the dialog and every edit.
        """
        if self.controller.is_running:
            self._close_requested = True
            self.stop()
            return
        if self.model.plan() and not self._discarding:
            self.ask_discard()
            return
        super().done(result)

    def ask_discard(self) -> QMessageBox:
        """The "Discard changes?" question (open, window-modal); asked once at a time."""
        if self._discard_question is not None:
            return self._discard_question
        count = len(self.model.plan())
        if count == 1:
            text = "1 change is not applied. Close and discard it?"
        else:
            text = f"{count} changes are not applied. Close and discard them?"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard changes",
            text,
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("bulkDiscard")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._discard_question = box

        def answered(button: QAbstractButton) -> None:
            self._discard_question = None
            if box.standardButton(button) == QMessageBox.StandardButton.Discard:
                self._discarding = True
                try:
                    self.done(QDialog.DialogCode.Rejected)
                finally:
                    self._discarding = False
            else:
                self.matrix.setFocus(Qt.FocusReason.OtherFocusReason)

        box.buttonClicked.connect(answered)
        box.open()
        return box
