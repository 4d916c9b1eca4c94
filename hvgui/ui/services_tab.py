"""The VM panel's "Integration services" tab: every service of the selected VM, its status, and why.

The table lists the rows of `ServiceRowsModel`; the pane beside it explains the current row (what the service
does, the "Why?" of a status that is not OK, the last rejected change) and offers its actions: toggle and
"Copy as PowerShell" (the typed operation's text: the host by `-ComputerName`, the VM by Id, the service by
its GUID, so it works on a host in any language). A toggle goes through `VmActionsController`; disabling a
High-impact service (Shutdown, Time Synchronization) asks first, in the words of
`hvgui.domain.bulk.confirm_text`. Outcomes appear in the strip above the table, never as a dialog per failure.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.bulk import confirm_text, planned_change
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE
from hvgui.domain.operations import ServiceToggleOperation
from hvgui.domain.vm import Vm
from hvgui.ui.confirm import Confirmer, MessageBoxConfirmer, Question
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionResult, VmAction, VmActionsController
from hvgui.ui.delegates import StatusDotDelegate, tone_colour
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.models.service_rows import (
    GSI_NOTE,
    IMPACT_COLOURS,
    NOT_A_SWITCH,
    IndicatorRole,
    ServiceColumn,
    ServiceRow,
    ServiceRowsModel,
)
from hvgui.ui.row_table import style_row_table
from hvgui.ui.text import one_line, visible
from hvgui.ui.theme import Tone, box_stylesheet, colour_text, follow_theme
from hvgui.ui.vm_tab_frame import build_vm_tab_frame
from hvgui.ui.window_state import install_column_chooser

#: Object name of the confirmation asked before disabling a High-impact service.
CONFIRM_DISABLE = "confirmServiceDisable"

_COLUMN_WIDTHS = {
    ServiceColumn.Name: 160,
    ServiceColumn.Enabled: 96,
    ServiceColumn.Status: 140,
    ServiceColumn.Why: 42,
    ServiceColumn.Impact: 60,
    ServiceColumn.Component: 122,
    ServiceColumn.Since: 104,
    ServiceColumn.Purpose: 320,
}
#: Shown in the detail pane beside the table; hidden in the table so that it fits a 1280 px window without
#: scrolling sideways (the header's context menu shows them again).
_DETAIL_COLUMNS = (ServiceColumn.Since, ServiceColumn.Purpose)


class ServicesView(QTableView):
    """The services table; Space (or Select) toggles the current row's service whatever column has focus."""

    toggleCurrentRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select) and not event.modifiers():
            self.toggleCurrentRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _text_label(object_name: str = "") -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    if object_name:
        label.setObjectName(object_name)
    return label


class ServiceDetail(QFrame):
    """What the current row means: its status, its "Why?", its last rejected change, and its actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serviceDetail")
        self.title = _text_label("serviceTitle")
        bold = QFont(self.title.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        self.title.setFont(bold)
        self.status = _text_label("serviceStatus")
        self.why_box = QFrame()
        self.why_box.setObjectName("whyBox")
        follow_theme(self.why_box, lambda: self.why_box.setStyleSheet(box_stylesheet("#whyBox", Tone.Note)))
        why_layout = QVBoxLayout(self.why_box)
        why_layout.setContentsMargins(8, 6, 8, 6)
        why_layout.setSpacing(2)
        why_heading = QLabel("Why?")
        why_heading.setFont(bold)
        self.why = _text_label("whyText")
        why_layout.addWidget(why_heading)
        why_layout.addWidget(self.why)
        self.error = _text_label("serviceError")
        colour_text(self.error, Tone.Error)
        self.purpose = _text_label("servicePurpose")
        self.impact = _text_label("serviceImpact")
        self.component = _text_label("serviceComponent")
        self.note = _text_label("serviceNote")
        self.note.setStyleSheet("color: palette(dark);")
        self.toggle_button = QPushButton()
        self.toggle_button.setObjectName("serviceToggle")
        self.copy_button = QPushButton("Copy as PowerShell")
        self.copy_button.setObjectName("serviceCopy")
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.toggle_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(buttons)  # near the top: visible without scrolling in a short panel
        for widget in (self.error, self.why_box, self.purpose, self.impact, self.component, self.note):
            layout.addWidget(widget)
        layout.addStretch(1)


class ServicesTab(QWidget):
    """Integration services of the selected VM: live status, toggles, explanations."""

    def __init__(
        self,
        actions: VmActionsController | None = None,
        confirmer: Confirmer | None = None,
        parent: QWidget | None = None,
        *,
        computer_name: ComputerName | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("servicesTab")
        self._actions = actions
        self._computer_name = computer_name
        self._confirmer: Confirmer = confirmer or MessageBoxConfirmer()
        self.model = ServiceRowsModel(self)
        self.model.toggleRequested.connect(self.request_toggle)

        frame = build_vm_tab_frame(self, "Select a virtual machine to see its integration services.")
        self.message, self._stack, self.placeholder = frame.message, frame.stack, frame.placeholder
        layout = frame.content

        self.view = self._make_view()
        self.detail = ServiceDetail()
        scroll = QScrollArea()
        scroll.setWidget(self.detail)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(240)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.view)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([800, 300])
        layout.addWidget(splitter, 1)

        self.detail.toggle_button.clicked.connect(self.toggle_current)
        self.detail.copy_button.clicked.connect(lambda: self.copy_powershell(self.current_key() or ""))
        self.view.toggleCurrentRequested.connect(self.toggle_current)
        self.view.clicked.connect(self._cell_clicked)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_detail())
        self.model.dataChanged.connect(lambda *_: self._update_detail())
        self.model.modelReset.connect(self._update_detail)
        if actions is not None:
            actions.pending.connect(self._on_pending)
            actions.finished.connect(self._on_finished)
            actions.failed.connect(self._on_failed)

    def _make_view(self) -> ServicesView:
        view = ServicesView()
        view.setObjectName("servicesTable")
        view.setAccessibleName("Integration services")
        view.setModel(self.model)
        style_row_table(view, row_height=24, context_menu=True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setItemDelegateForColumn(ServiceColumn.Status, StatusDotDelegate(IndicatorRole, view))
        header = view.horizontalHeader()
        for column, width in _COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        for column in _DETAIL_COLUMNS:
            header.setSectionHidden(column, True)
        install_column_chooser(view, frozenset({"Service"}))
        return view

    # ---- showing -------------------------------------------------------------------------------

    def shown_vm(self) -> Vm | None:
        return self.model.vm()

    def show_vm(self, vm: Vm | None) -> None:
        previous = self.model.vm()
        self.model.set_vm(vm)
        if vm is None:
            self._stack.setCurrentWidget(self.placeholder)
            return
        self._stack.setCurrentIndex(1)
        if previous is None or previous.key != vm.key:
            self.message.clear()
            self._select_default_row()
        self._update_detail()

    def _select_default_row(self) -> None:
        """The row that most needs attention, so its "Why?" shows at once: an enabled service that is not OK,
        then a disabled one (Guest Service Interface, off by default, last), else the first row."""
        rows = self.model.rows()
        if not rows:
            return

        def urgency(row: ServiceRow) -> int:
            if not row.why:
                return 3
            if row.toggleable and row.enabled:
                return 0
            if row.toggleable and row.info is not GUEST_SERVICE_INTERFACE:
                return 1
            return 2

        best = min(rows, key=urgency)
        self.select_row(best.key if urgency(best) < 3 else rows[0].key)

    def select_row(self, key: str) -> bool:
        number = self.model.row_of(key)
        if number is None:
            return False
        index = self.model.index(number, ServiceColumn.Name)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        return True

    def current_key(self) -> str | None:
        index = self.view.selectionModel().currentIndex()
        if not index.isValid():
            return None
        row = self.model.rows()[index.row()]
        return row.key

    def current_row(self) -> ServiceRow | None:
        key = self.current_key()
        return None if key is None else self.model.row(key)

    def why_text(self, key: str) -> str | None:
        row = self.model.row(key)
        return None if row is None else row.why

    def _update_detail(self) -> None:
        detail = self.detail
        row = self.current_row()
        vm = self.model.vm()
        if row is None or vm is None:
            detail.setEnabled(False)
            return
        detail.setEnabled(True)
        info = row.info
        title = row.name if info is None or info.name == row.name else f"{row.name} ({info.name})"
        detail.title.setText(one_line(title))
        status_colour = tone_colour(row.tone).name()
        detail.status.setStyleSheet(f"color: {status_colour};")
        disabled = " \u00b7 disabled on the host" if row.toggleable and not row.enabled else ""
        detail.status.setText(one_line(f"\u25cf {row.status_text}{disabled}"))
        detail.status.setToolTip(row.status_tooltip)
        detail.why.setText(visible(row.why or ""))
        detail.why_box.setVisible(bool(row.why))
        error = self.model.error(row.key)
        detail.error.setText(visible(f"The host rejected the last change: {error}") if error else "")
        detail.error.setVisible(bool(error))
        detail.purpose.setText(info.purpose if info is not None else "")
        if info is not None:
            colour = IMPACT_COLOURS[info.impact]
            detail.impact.setText(f"Impact when disabled: {info.impact.value}. {info.impact_text}")
            detail.impact.setStyleSheet(f"color: {colour};")
            component = f"Guest component: {row.component}" if row.component else ""
            detail.component.setText(f"{component} \u00b7 since {info.since}" if component else f"Since {info.since}")
        detail.component.setToolTip(row.component_tooltip)
        if not row.toggleable:
            detail.note.setText(NOT_A_SWITCH)
        elif info is GUEST_SERVICE_INTERFACE:
            detail.note.setText(GSI_NOTE)
        else:
            detail.note.setText("")
        detail.note.setVisible(bool(detail.note.text()))
        self._update_buttons(row)

    def _update_buttons(self, row: ServiceRow) -> None:
        toggle = self.detail.toggle_button
        copy = self.detail.copy_button
        pending = self.model.pending(row.key)
        if not row.toggleable:
            toggle.setText("Not a setting")
            toggle.setEnabled(False)
            toggle.setToolTip(NOT_A_SWITCH)
            copy.setEnabled(False)
            copy.setToolTip("PowerShell Direct has no host-side command to copy.")
            return
        verb = "Disable" if row.enabled else "Enable"
        if pending is None:
            toggle.setText(verb)
        else:
            toggle.setText("Enabling\u2026" if pending else "Disabling\u2026")
        toggle.setEnabled(pending is None and self._actions is not None)
        toggle.setToolTip(f"{verb} {row.name} on the host (Space in the table)")
        copy.setEnabled(True)
        copy.setToolTip(self._powershell(row) or "")

    # ---- intents -------------------------------------------------------------------------------

    def toggle_current(self) -> None:
        row = self.current_row()
        if row is not None and row.toggleable:
            self.request_toggle(row.key, not row.enabled)

    def request_toggle(self, key: str, enable: bool) -> None:
        """Switch a service of the shown VM: ask first when disabling it costs a lot, then send."""
        vm = self.model.vm()
        row = self.model.row(key)
        if vm is None or row is None or not row.toggleable or self.model.pending(key) is not None:
            return
        if self._actions is None:
            self.message.show_message("Not connected: hvgui cannot change this host.", MessageKind.Error)
            return
        change = planned_change(vm, row.key, enable)
        question = confirm_text([change])
        if question is None:
            self._send(vm, row.key, enable)
            return
        self._confirmer.ask(
            self.window(),
            Question(
                object_name=CONFIRM_DISABLE,
                title=f"Disable {change.service_name}",
                text=question,
                accept_label=f"Disable {change.service_name}",
                reject_label="Keep it enabled",
            ),
            on_accept=lambda: self._send(vm, row.key, enable),
        )

    def _send(self, vm: Vm, key: str, enable: bool) -> None:
        if self._actions is None or self.model.pending_for(vm.key, key) is not None:
            return  # e.g. a second confirmation answered while the first change still runs
        self._actions.set_service(vm, key, enable)

    def copy_powershell(self, key: str) -> str | None:
        """Put the command that toggles this row on the clipboard (display text only) and say so."""
        row = self.model.row(key)
        text = None if row is None or not row.toggleable else self._powershell(row)
        if text is None:
            return None
        QGuiApplication.clipboard().setText(text)
        self.message.show_message(f"Copied to the clipboard: {text}", MessageKind.Info)
        return text

    def _powershell(self, row: ServiceRow) -> str | None:
        """What toggling the row would run, as an admin runs it from a workstation."""
        vm = self.model.vm()
        if vm is None:
            return None
        operation = ServiceToggleOperation(
            vm_target(vm, self._computer_name), ic_guid=row.key, enable=not row.enabled, service_name=row.name
        )
        return operation.powershell()

    def _cell_clicked(self, index: QModelIndex) -> None:
        if index.column() == ServiceColumn.Why and self.why_text(self.model.rows()[index.row()].key):
            self.detail.why.setFocus(Qt.FocusReason.MouseFocusReason)

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        row = self.model.rows()[index.row()]
        self.select_row(row.key)
        menu = self.build_context_menu(row)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def build_context_menu(self, row: ServiceRow) -> QMenu:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if row.toggleable:
            verb = "Disable" if row.enabled else "Enable"
            toggle = menu.addAction(f"{verb} {row.name}", lambda: self.request_toggle(row.key, not row.enabled))
            toggle.setEnabled(self.model.pending(row.key) is None and self._actions is not None)
            menu.addSeparator()
            menu.addAction("Copy as PowerShell", lambda: self.copy_powershell(row.key))
        else:
            note = menu.addAction("PowerShell Direct is not a host setting")
            note.setEnabled(False)
        return menu

    # ---- outcomes ------------------------------------------------------------------------------

    def _on_pending(self, action: VmAction) -> None:
        if isinstance(toggle := action.operation, ServiceToggleOperation):
            self.model.set_error(action.vm_key, toggle.ic_guid, None)
            self.model.set_pending(action.vm_key, toggle.ic_guid, toggle.enable)

    def _on_finished(self, result: ActionResult) -> None:
        action = result.action
        if not isinstance(toggle := action.operation, ServiceToggleOperation):
            return
        self.model.set_pending(action.vm_key, toggle.ic_guid, None)
        kind = MessageKind.Warning if result.warnings else MessageKind.Info
        self.message.show_message(result.message, kind)

    def _on_failed(self, failure: ActionFailure) -> None:
        action = failure.action
        if not isinstance(toggle := action.operation, ServiceToggleOperation):
            return
        self.model.set_pending(action.vm_key, toggle.ic_guid, None)
        self.model.set_error(action.vm_key, toggle.ic_guid, failure.reason)
        self.message.show_message(failure.message, MessageKind.Error)
