"""The panel under the VM table: tabs about the selected VM, refreshed live while it stays selected.

Each tab is its own widget with a `show_vm(vm)` method; the panel only forwards the selected VM, so tabs
(integration services, checkpoints, later KVP and files) plug in without the panel growing into a god object.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.display import format_memory, format_uptime
from hvgui.domain.heartbeat import (
    NO_HEARTBEAT_TEXT,
    HeartbeatIndicator,
    IndicatorShape,
    heartbeat_indicator,
    since_text,
)
from hvgui.domain.kvp import VmKvp
from hvgui.domain.vm import CheckpointType, Vm, VmKey
from hvgui.ui.checkpoints_tab import CheckpointsTab
from hvgui.ui.confirm import Confirmer
from hvgui.ui.controllers.vm_actions import VmActionsController
from hvgui.ui.delegates import draw_shape, tone_colour
from hvgui.ui.host_names import ComputerName
from hvgui.ui.kvp.controller import KvpController
from hvgui.ui.kvp.tab import KvpTab
from hvgui.ui.models.integration_services import IntegrationServicesModel, ServiceColumn
from hvgui.ui.services_tab import ServicesTab
from hvgui.ui.text import one_line, untrusted_line, visible
from hvgui.ui.vm_tab_frame import placeholder_label

NO_VALUE = "\u2014"

_CHECKPOINT_LABELS = {
    CheckpointType.Disabled: "Disabled",
    CheckpointType.Production: "Production",
    CheckpointType.ProductionOnly: "Production only",
    CheckpointType.Standard: "Standard",
}


def guest_os_text(vm: Vm) -> str:
    """ "Windows Server 2022 Datacenter 10.0.20348" from what the guest reports (guest text, shaped)."""
    parts = [part for part in (vm.guest_os_name, vm.guest_os_version) if part]
    return one_line(" ".join(parts))


class VmTab(Protocol):
    def show_vm(self, vm: Vm | None) -> None: ...


class StatusDot(QWidget):
    """A small coloured shape, e.g. beside the heartbeat text: the shape of the heartbeat indicator (it reads
    without the colour), or a plain dot for `set_colour`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour: QColor | None = None
        self._shape = IndicatorShape.Dot
        self.setFixedSize(QSize(12, 12))

    def colour(self) -> QColor | None:
        return self._colour

    def shape(self) -> IndicatorShape:
        return self._shape

    def set_colour(self, colour: QColor | None) -> None:
        self._colour = colour
        self._shape = IndicatorShape.Dot
        self.update()

    def set_indicator(self, indicator: HeartbeatIndicator) -> None:
        """The indicator's shape in its tone's colour; nothing for a VM that does not run."""
        blank = indicator.shape is IndicatorShape.Blank or indicator.text == NO_HEARTBEAT_TEXT
        self._colour = None if blank else tone_colour(indicator.tone)
        self._shape = indicator.shape
        self.update()

    def paintEvent(self, event) -> None:
        if self._colour is None:
            return
        painter = QPainter(self)
        draw_shape(painter, self._shape, 1, 6, self._colour)
        painter.end()


def _value_label() -> QLabel:
    """A label for host-supplied text: plain text always (a VM name is never markup), selectable."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(7)
    return form


class SummaryTab(QWidget):
    """Everything the last refresh said about one VM, plus its integration services."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm: Vm | None = None
        #: Since when a VM's heartbeat shows its value (the window passes the VM table's record of it).
        self.heartbeat_since: Callable[[VmKey], tuple[float, bool] | None] | None = None
        self._stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

        self.placeholder = placeholder_label("Select a virtual machine to see its details.")
        self.placeholder.setObjectName("placeholder")
        self._stack.addWidget(self.placeholder)

        content = QWidget()
        scroll = QScrollArea()  # a short panel (a 720 px screen) scrolls rather than clipping the notes
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._stack.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(8)

        self.title = _value_label()
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setObjectName("vmTitle")
        layout.addWidget(self.title)
        # What the guest reports about itself (KVP intrinsic items, read by the Key-Value Pairs tab), on one
        # line under the title: its fully qualified name, OS and IP addresses.
        guest_line = QHBoxLayout()
        guest_line.setSpacing(14)
        self.guest_fqdn = _value_label()
        self.guest_fqdn.setObjectName("guestFqdn")
        self.guest_os = _value_label()
        self.guest_os.setObjectName("guestOs")
        self.guest_addresses = _value_label()
        self.guest_addresses.setObjectName("guestAddresses")
        for label, name in ((self.guest_fqdn, "Guest name"), (self.guest_os, "Guest OS"),
                            (self.guest_addresses, "IP addresses")):  # fmt: skip
            label.setAccessibleName(name)
            label.setToolTip(name)
            label.setWordWrap(False)
            guest_line.addWidget(label)
        guest_line.addStretch(1)
        layout.addLayout(guest_line)

        columns = QHBoxLayout()
        columns.setSpacing(24)
        layout.addLayout(columns, 1)

        left = _form()
        self.name = _value_label()
        self.host = _value_label()
        self.vm_id = _value_label()
        self.state = _value_label()
        self.status = _value_label()
        heartbeat_row = QHBoxLayout()
        heartbeat_row.setSpacing(6)
        self.heartbeat_dot = StatusDot()
        self.heartbeat = _value_label()
        heartbeat_row.addWidget(self.heartbeat_dot)
        heartbeat_row.addWidget(self.heartbeat, 1)
        left.addRow("Name:", self.name)
        left.addRow("Host:", self.host)
        left.addRow("ID:", self.vm_id)
        left.addRow("State:", self.state)
        left.addRow("Heartbeat:", heartbeat_row)
        left.addRow("Status:", self.status)
        self.os = _value_label()
        self.os.setObjectName("summaryOs")
        self.services_version = _value_label()
        self.services_version.setObjectName("servicesVersion")
        left.addRow("Guest OS:", self.os)
        left.addRow("Integration services version:", self.services_version)
        columns.addLayout(left, 5)

        middle = _form()
        self.uptime = _value_label()
        self.cpu = _value_label()
        self.memory = _value_label()
        self.memory_demand = _value_label()
        self.memory_demand.setObjectName("memoryDemand")
        self.checkpoint_count = _value_label()
        self.checkpoint_count.setObjectName("summaryCheckpointCount")
        self.generation = _value_label()
        self.version = _value_label()
        self.checkpoint_type = _value_label()
        self.clustered = _value_label()
        middle.addRow("Uptime:", self.uptime)
        middle.addRow("CPU usage:", self.cpu)
        middle.addRow("Memory assigned:", self.memory)
        middle.addRow("Memory demand:", self.memory_demand)
        middle.addRow("Generation:", self.generation)
        middle.addRow("Configuration version:", self.version)
        middle.addRow("Checkpoint type:", self.checkpoint_type)
        middle.addRow("Checkpoints:", self.checkpoint_count)
        middle.addRow("Clustered:", self.clustered)
        columns.addLayout(middle, 4)

        services_box = QVBoxLayout()
        services_box.setSpacing(4)
        services_title = QLabel("Integration services")
        bold = QFont(services_title.font())
        bold.setBold(True)
        services_title.setFont(bold)
        services_box.addWidget(services_title)
        self.services_model = IntegrationServicesModel(self)
        self.services = QTableView()
        self.services.setObjectName("integrationServices")
        self.services.setModel(self.services_model)
        self.services.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.services.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.services.setShowGrid(False)
        self.services.setAlternatingRowColors(True)
        self.services.verticalHeader().hide()
        self.services.verticalHeader().setDefaultSectionSize(22)
        header = self.services.horizontalHeader()
        header.setSectionResizeMode(ServiceColumn.Name, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ServiceColumn.Enabled, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ServiceColumn.Status, QHeaderView.ResizeMode.ResizeToContents)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.services.setFrameShape(QFrame.Shape.StyledPanel)
        services_box.addWidget(self.services, 1)
        columns.addLayout(services_box, 6)
        notes_row = _form()
        self.notes = _value_label()
        self.notes.setObjectName("vmNotes")
        notes_row.addRow("Notes:", self.notes)
        self.notes_heading = notes_row.labelForField(self.notes)
        layout.addLayout(notes_row)

    def shown_vm(self) -> Vm | None:
        return self._vm

    def show_guest(self, kvp: VmKvp | None) -> None:
        """The guest's fully qualified name, OS and IP addresses from its intrinsic KVP items (guest text:
        line breaks, control and bidi characters shown visibly)."""
        if kvp is None or self._vm is None or kvp.vm_id != self._vm.vm_id:
            for label in (self.guest_fqdn, self.guest_os, self.guest_addresses):
                label.clear()
            return
        self.guest_fqdn.setText(untrusted_line(kvp.fqdn or ""))
        self.guest_os.setText(untrusted_line(kvp.os_description or ""))
        self.guest_addresses.setText(untrusted_line(", ".join(kvp.ip_addresses)))

    def tick(self, now: float) -> None:
        """Show the uptime at `now`: derived from the boot time, it grows without any refresh (the window
        calls this once a second)."""
        vm = self._vm
        if vm is None:
            return
        self.uptime.setText(format_uptime(vm.uptime(now)) if vm.state.is_running else NO_VALUE)

    def show_vm(self, vm: Vm | None, host_label: str | None = None) -> None:
        if vm is None or self._vm is None or vm.key != self._vm.key:
            self._vm = vm
            self.show_guest(None)
        self._vm = vm
        if vm is None:
            self._stack.setCurrentWidget(self.placeholder)
            self.services_model.set_services(())
            return
        self._stack.setCurrentIndex(1)
        up = vm.state.is_running
        indicator = heartbeat_indicator(vm.state, vm.heartbeat)
        self.title.setText(one_line(vm.name))
        self.name.setText(visible(vm.name))
        self.host.setText(one_line(host_label or vm.host))
        self.vm_id.setText(vm.vm_id)
        self.state.setText(vm.state.label)
        self.heartbeat.setText(indicator.text)
        self.heartbeat_dot.set_indicator(indicator)
        tooltip = f"{indicator.text}: {indicator.meaning}" if indicator.meaning else indicator.text
        since = self.heartbeat_since(vm.key) if self.heartbeat_since is not None else None
        if since is not None:
            tooltip += "\n" + since_text(since[0], time.time(), at_least=since[1])
        self.heartbeat.setToolTip(tooltip)
        self.heartbeat_dot.setToolTip(tooltip)
        self.status.setText(visible(vm.status) if vm.status else NO_VALUE)
        self.tick(time.time())
        self.cpu.setText(f"{vm.cpu_usage} %" if up else NO_VALUE)
        self.memory.setText(format_memory(vm.memory_assigned) or NO_VALUE)
        self.generation.setText(str(vm.generation) if vm.generation else NO_VALUE)
        self.version.setText(vm.version or NO_VALUE)
        self.checkpoint_type.setText(
            _CHECKPOINT_LABELS.get(vm.checkpoint_type, vm.checkpoint_type.name) if vm.checkpoint_type else NO_VALUE
        )
        self.clustered.setText("Yes" if vm.is_clustered else "No")
        self.os.setText(guest_os_text(vm) or NO_VALUE)
        self.services_version.setText(one_line(vm.integration_services_version or "") or NO_VALUE)
        self.memory_demand.setText(format_memory(vm.memory_demand) if vm.memory_demand and up else NO_VALUE)
        self.checkpoint_count.setText(NO_VALUE if vm.checkpoint_count is None else str(vm.checkpoint_count))
        self.notes.setText(visible(vm.notes.strip()))
        self.notes.setVisible(bool(vm.notes.strip()))
        if self.notes_heading is not None:
            self.notes_heading.setVisible(bool(vm.notes.strip()))
        self.services_model.set_services(vm.integration_services)


class VmPanel(QTabWidget):
    """Tabs about the selected VM: Summary, Integration services, Checkpoints; beside the tabs, "Copy to
    VM..." for the VM shown (files dropped on the panel go to that VM too)."""

    #: The admin asked to copy files into the shown VM (`Vm`).
    copyRequested = Signal(object)
    #: The admin asked to copy files out of the shown VM's guest (`Vm`).
    copyFromRequested = Signal(object)

    #: Tab names for `show_tab` (and the `--screenshot-tab` option).
    TAB_NAMES = ("summary", "services", "checkpoints", "kvp")

    def __init__(
        self,
        actions: VmActionsController | None = None,
        confirmer: Confirmer | None = None,
        parent: QWidget | None = None,
        *,
        computer_name: ComputerName | None = None,
    ) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.summary = SummaryTab()
        # `computer_name` names a VM's host in "Copy as PowerShell" as hvgui reached it.
        self.services = ServicesTab(actions, confirmer, computer_name=computer_name)
        self.checkpoints = CheckpointsTab(actions, confirmer, computer_name=computer_name)
        self.addTab(self.summary, "Summary")
        self.addTab(self.services, "Integration services")
        self.addTab(self.checkpoints, "Checkpoints")
        kvp_controller = KvpController(actions.hosts, self) if actions is not None else None
        self.kvp = KvpTab(kvp_controller, computer_name=computer_name)
        self.kvp.poolsLoaded.connect(self.summary.show_guest)
        self.addTab(self.kvp, "Key-Value Pairs")
        self._vm: Vm | None = None
        self.copy_button = QToolButton()
        self.copy_button.setObjectName("panelCopyToVm")
        self.copy_button.setText("Copy to VM\u2026")
        self.copy_button.setToolTip("Copy files and folders of this computer into this VM (or drop them here)")
        self.copy_button.setAutoRaise(True)
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._copy_clicked)
        self.copy_from_button = QToolButton()
        self.copy_from_button.setObjectName("panelCopyFromVm")
        self.copy_from_button.setText("Copy from VM\u2026")
        self.copy_from_button.setToolTip("Copy files or folders of this Windows guest to this computer")
        self.copy_from_button.setAutoRaise(True)
        self.copy_from_button.setEnabled(False)
        self.copy_from_button.clicked.connect(self._copy_from_clicked)
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 0)
        corner_layout.setSpacing(2)
        corner_layout.addWidget(self.copy_button)
        corner_layout.addWidget(self.copy_from_button)
        self.setCornerWidget(corner, Qt.Corner.TopRightCorner)

    def show_tab(self, name: str) -> None:
        """Bring a tab to the front by its name in `TAB_NAMES`."""
        tabs = dict(zip(self.TAB_NAMES, (self.summary, self.services, self.checkpoints, self.kvp), strict=True))
        self.setCurrentWidget(tabs[name])

    def vm(self) -> Vm | None:
        return self._vm

    def set_vm(self, vm: Vm | None, host_label: str | None = None) -> None:
        """Show `vm` (or nothing) in every tab; called on selection and on every refresh of the selected VM."""
        self._vm = vm
        self.copy_button.setEnabled(vm is not None)
        self.copy_from_button.setEnabled(vm is not None)
        for i in range(self.count()):
            tab = self.widget(i)
            if tab is self.summary:
                self.summary.show_vm(vm, host_label)
            elif hasattr(tab, "show_vm"):
                tab.show_vm(vm)

    def _copy_clicked(self) -> None:
        if self._vm is not None:
            self.copyRequested.emit(self._vm)

    def _copy_from_clicked(self) -> None:
        if self._vm is not None:
            self.copyFromRequested.emit(self._vm)
