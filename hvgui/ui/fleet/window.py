"""The fleet compliance window: the grid, its filters, the count of matching VMs and a colour legend.

Double-click (or Enter on) a row and the window emits `vmActivated`; the main window selects that VM. The
grid's context menu also asks for a bulk change of the selected VMs (`bulkRequested`, served by the bulk
dialog) and copies them; Export CSV saves the VMs shown, in the order shown, with exact values (the file is
written off the Qt thread).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain import fleet_export
from hvgui.domain.bulk import ANY_SERVICE_NOT_OK, FLEET_FILTERS, GSI_OFF, TIMESYNC_ON_FOR_DCS, FleetFilter
from hvgui.domain.vm import Vm
from hvgui.ui.bulk.matrix_view import header_width
from hvgui.ui.fleet.filter_proxy import FleetFilterProxy
from hvgui.ui.fleet.model import (
    FIRST_SERVICE_COLUMN,
    GUEST_COLUMN,
    HOST_COLUMN,
    STATE_COLUMN,
    TONE_COLOURS,
    VM_COLUMN,
    CellTone,
    FleetModel,
    VmRole,
)
from hvgui.ui.resources import app_icon
from hvgui.ui.theme import follow_theme, readable, row_tint

#: The letter each filter's check box underlines (Alt+letter toggles it).
_MNEMONICS = {GSI_OFF.key: "G", TIMESYNC_ON_FOR_DCS.key: "T", ANY_SERVICE_NOT_OK.key: "O"}

_LEGEND = (
    (CellTone.Good, "Enabled, OK"),
    (CellTone.Warning, "Enabled, not OK"),
    (CellTone.Bad, "Enabled, not answering or failed"),
    (CellTone.Disabled, "Disabled"),
    (CellTone.Neutral, "VM not running"),
)


def _paint_swatch(swatch: QFrame, tone: CellTone) -> None:
    """A legend square in the colour the grid paints `tone` with, in the current scheme."""
    colour = TONE_COLOURS[tone]
    fill = row_tint(colour).name() if colour else "transparent"
    swatch.setStyleSheet(f"background: {fill}; border: 1px solid {readable('#9aa0a6').name()};")


def with_mnemonic(label: str, letter: str) -> str:
    """`label` with `&` before the first `letter` (or unchanged when it has none)."""
    at = label.find(letter)
    return label if at < 0 else label[:at] + "&" + label[at:]


def count_text(shown: int, total: int, filtered: bool) -> str:
    noun = "VM" if total == 1 else "VMs"
    if not filtered:
        return f"{total} {noun}"
    return f"{shown} of {total} {noun} match"


class FleetWindow(QWidget):
    """All VMs x the six integration services, coloured by state, with compliance filters."""

    #: The admin asked to see a VM in the main window: (its VmKey).
    vmActivated = Signal(object)
    #: The admin asked for a bulk change of these VMs: (list[Vm]).
    bulkRequested = Signal(object)
    #: An export finished: (path, message).
    exported = Signal(str, str)
    #: The writer thread is done: (path, error text or "", VM count); delivered on the Qt thread.
    _written = Signal(str, str, int)

    def __init__(self, model: FleetModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("fleetWindow")
        self.setWindowTitle("Fleet compliance \u2014 hvgui")
        self.setWindowIcon(app_icon())
        self.resize(1440, 720)
        self.model = model
        self.proxy = FleetFilterProxy(self)
        self.proxy.setSourceModel(model)

        self.filter_boxes: dict[str, QCheckBox] = {}
        filters_row = QHBoxLayout()
        filters_label = QLabel("Show only VMs with:")
        filters_label.setToolTip("A VM is shown when every ticked filter keeps it (and it matches Find).")
        filters_row.addWidget(filters_label)
        for fleet_filter in FLEET_FILTERS:
            box = QCheckBox(with_mnemonic(fleet_filter.label, _MNEMONICS.get(fleet_filter.key, "")))
            box.setObjectName(f"fleetFilter-{fleet_filter.key}")
            box.setToolTip(fleet_filter.description)
            box.setAccessibleDescription(fleet_filter.description)
            box.toggled.connect(lambda on, f=fleet_filter: self.proxy.set_filter_active(f, on))
            self.filter_boxes[fleet_filter.key] = box
            filters_row.addWidget(box)
        filters_row.addStretch(1)

        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("fleetTextFilter")
        self.text_filter.setPlaceholderText("Name, host, state or guest OS (Ctrl+F)")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.textChanged.connect(self.proxy.set_filter_text)
        find_label = QLabel("&Find:")
        find_label.setBuddy(self.text_filter)
        self.count_label = QLabel()
        self.count_label.setObjectName("fleetCount")
        self.export_button = QPushButton("E&xport CSV\u2026")
        self.export_button.setObjectName("fleetExportCsv")
        self.export_button.setToolTip("Save the VMs shown, in the order shown, as CSV with exact values")
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(lambda _checked=False: self.choose_export_file())
        self.status_label = QLabel()
        self.status_label.setObjectName("fleetStatus")
        text_row = QHBoxLayout()
        text_row.addWidget(find_label)
        text_row.addWidget(self.text_filter, 1)
        text_row.addWidget(self.count_label)
        text_row.addWidget(self.export_button)

        self.table = self._make_table()
        layout = QVBoxLayout(self)
        layout.addLayout(filters_row)
        layout.addLayout(text_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._legend())
        layout.addWidget(self.status_label)

        find = QAction("Find", self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.focus_filter)
        self.addAction(find)
        self._make_row_actions()
        self._written.connect(self._on_written)
        close = QAction("Close", self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        self.addAction(close)

        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
            self.proxy.filtersChanged,
        ):
            signal.connect(self._update_count)
        self.table.activated.connect(self._activated)
        self._update_count()

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("fleetGrid")
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(HOST_COLUMN, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        for column, width in ((HOST_COLUMN, 105), (VM_COLUMN, 150), (STATE_COLUMN, 70), (GUEST_COLUMN, 175)):
            header.resizeSection(column, width)
        for column in range(FIRST_SERVICE_COLUMN, self.model.columnCount()):
            header.resizeSection(column, header_width(header, column, minimum=130))
        header.setSectionResizeMode(GUEST_COLUMN, QHeaderView.ResizeMode.Stretch)  # takes what is left
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_context_menu)
        return table

    def _make_row_actions(self) -> None:
        """What the grid's context menu offers; the shortcuts work in the grid without the menu."""
        self.show_action = QAction("&Show in main window", self.table)
        self.show_action.setObjectName("fleetShowVm")
        self.show_action.triggered.connect(lambda _checked=False: self._show_current())
        self.bulk_action = QAction("&Integration services of the selected VMs\u2026", self.table)
        self.bulk_action.setObjectName("fleetBulkChange")
        self.bulk_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.bulk_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.bulk_action.triggered.connect(lambda _checked=False: self.request_bulk())
        self.copy_action = QAction("&Copy", self.table)
        self.copy_action.setObjectName("fleetCopy")
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(lambda _checked=False: self.copy_selected())
        self.export_action = QAction("E&xport CSV\u2026", self.table)
        self.export_action.setObjectName("fleetExport")
        self.export_action.triggered.connect(lambda _checked=False: self.choose_export_file())
        self.table.addActions([self.bulk_action, self.copy_action])

    def context_menu(self) -> QMenu:
        """The grid's menu for the current selection (built fresh, so it always says what it acts on)."""
        menu = QMenu(self.table)
        menu.setObjectName("fleetContextMenu")
        count = len(self.selected_vms())
        self.show_action.setEnabled(self._current_vm() is not None)
        self.bulk_action.setEnabled(count > 0)
        self.bulk_action.setText(
            f"&Integration services of {count} VM{'s' if count != 1 else ''}\u2026"
            if count
            else "&Integration services of the selected VMs\u2026"
        )
        self.copy_action.setEnabled(count > 0)
        self.export_action.setEnabled(self.proxy.rowCount() > 0)
        menu.addAction(self.show_action)
        menu.addAction(self.bulk_action)
        menu.addSeparator()
        menu.addAction(self.copy_action)
        menu.addAction(self.export_action)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _legend(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Colours:"))
        for tone, text in _LEGEND:
            swatch = QFrame()
            swatch.setObjectName(f"fleetLegend-{tone.name}")
            swatch.setFixedSize(14, 14)
            follow_theme(swatch, lambda swatch=swatch, tone=tone: _paint_swatch(swatch, tone))
            row.addWidget(swatch)
            row.addWidget(QLabel(text))
            row.addSpacing(10)
        row.addStretch(1)
        return row

    # ---- intents -------------------------------------------------------------------------------

    def set_filter(self, fleet_filter: FleetFilter, active: bool) -> None:
        """Switch one compliance filter (as its check box does)."""
        self.filter_boxes[fleet_filter.key].setChecked(active)

    def focus_filter(self) -> None:
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    def shown_vms(self) -> list[Vm]:
        return self.proxy.matching_vms()

    def selected_vms(self) -> list[Vm]:
        """The VMs of the selected rows, in the order shown."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedIndexes()})
        vms = [self.proxy.index(row, 0).data(VmRole) for row in rows]
        return [vm for vm in vms if isinstance(vm, Vm)]

    def _current_vm(self) -> Vm | None:
        vm = self.table.currentIndex().data(VmRole)
        return vm if isinstance(vm, Vm) else None

    def _show_current(self) -> None:
        vm = self._current_vm()
        if vm is not None:
            self.vmActivated.emit(vm.key)

    def request_bulk(self) -> bool:
        """Ask for the bulk dialog on the selected VMs; False when nothing is selected."""
        vms = self.selected_vms()
        if not vms:
            self.status_label.setText("Select one or more VMs first.")
            return False
        self.bulkRequested.emit(vms)
        return True

    def copy_selected(self) -> str:
        """Copy the selected VMs as tab-separated rows with a header (what Export writes); returns the text."""
        vms = self.selected_vms()
        if not vms:
            return ""
        text = fleet_export.to_tsv(vms, self.model.host_label)
        QGuiApplication.clipboard().setText(text)
        self.status_label.setText(f"Copied {len(vms)} VM{'s' if len(vms) != 1 else ''}.")
        return text

    # ---- export --------------------------------------------------------------------------------

    def choose_export_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Export fleet compliance", "fleet-compliance.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.export_csv(Path(name)))
        dialog.open()
        return dialog

    def export_csv(self, path: Path) -> None:
        """Write the VMs shown (filters applied, in the order shown); `exported` reports the outcome."""
        vms = self.shown_vms()
        text = fleet_export.to_csv(vms, self.model.host_label)
        self.status_label.setText(f"Exporting {len(vms)} VMs\u2026")
        written = self._written

        def write() -> None:
            try:
                path.write_text(text, encoding="utf-8-sig", newline="")
            except OSError as error:
                written.emit(str(path), str(error) or type(error).__name__, len(vms))
            else:
                written.emit(str(path), "", len(vms))

        threading.Thread(target=write, name="fleet-export", daemon=True).start()

    def _on_written(self, path: str, error: str, count: int) -> None:
        if error:
            message = f"Could not export to {path}: {error}"
        else:
            message = f"Saved {count} VM{'s' if count != 1 else ''} to {path}"
        self.status_label.setText(message)
        self.exported.emit(path, message)

    def _activated(self, index: QModelIndex) -> None:
        vm = index.data(VmRole)
        if isinstance(vm, Vm):
            self.vmActivated.emit(vm.key)

    def _update_count(self, *_args: object) -> None:
        filtered = bool(self.proxy.active_filters() or self.proxy.filter_text())
        self.count_label.setText(count_text(self.proxy.rowCount(), self.model.rowCount(), filtered))

    def show_and_raise(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
