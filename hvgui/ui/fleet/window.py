"""The fleet compliance window: the grid, its filters, the count of matching VMs and a colour legend.

Double-click (or Enter on) a row and the window emits `vmActivated`; the main window selects that VM.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

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

#: The letter each filter's check box underlines (Alt+letter toggles it).
_MNEMONICS = {GSI_OFF.key: "G", TIMESYNC_ON_FOR_DCS.key: "T", ANY_SERVICE_NOT_OK.key: "O"}

_LEGEND = (
    (CellTone.Good, "Enabled, OK"),
    (CellTone.Warning, "Enabled, not OK"),
    (CellTone.Bad, "Enabled, not answering or failed"),
    (CellTone.Disabled, "Disabled"),
    (CellTone.Neutral, "VM not running"),
)


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
        filters_row.addWidget(QLabel("Show only VMs with:"))
        for fleet_filter in FLEET_FILTERS:
            box = QCheckBox(with_mnemonic(fleet_filter.label, _MNEMONICS.get(fleet_filter.key, "")))
            box.setObjectName(f"fleetFilter-{fleet_filter.key}")
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
        text_row = QHBoxLayout()
        text_row.addWidget(find_label)
        text_row.addWidget(self.text_filter, 1)
        text_row.addWidget(self.count_label)

        self.table = self._make_table()
        layout = QVBoxLayout(self)
        layout.addLayout(filters_row)
        layout.addLayout(text_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._legend())

        find = QAction("Find", self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.focus_filter)
        self.addAction(find)
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
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
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
        return table

    def _legend(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Colours:"))
        for tone, text in _LEGEND:
            swatch = QFrame()
            swatch.setFixedSize(14, 14)
            colour = TONE_COLOURS[tone]
            border = QColor("#9aa0a6").name()
            swatch.setStyleSheet(f"background: {colour or 'transparent'}; border: 1px solid {border};")
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
