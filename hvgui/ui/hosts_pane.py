"""The left pane: every host with its connection state and VM count, and a banner for each failed host.

A failed host gets a banner with the error message, when the next automatic attempt is due, and a Retry
button. A host that refused the user name or password is not retried automatically, so its banner says so
and offers "Edit credentials…" instead. A host whose refresh is overdue shows how old its data is, and a
host whose first inventory takes a while shows "Loading… 12 s", then how long it took (both tick with the
pane's one-second timer).

Selecting a host narrows the VM table to that host's VMs (`hostSelected`); "All hosts" in the header (or Esc
in the list) goes back to every host. The pane only shows `HostStatus` values and asks for retries and new
credentials through signals: it never talks to a host itself.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import CertificateChanged, CertificateNotTrusted, HvGuiError
from hvgui.ui.delegates import HostItemDelegate
from hvgui.ui.models.host_list import (
    HostListModel,
    KeyRole,
    StateRole,
    credentials_problem_text,
    error_text,
    is_failing,
)
from hvgui.ui.resources import icon
from hvgui.ui.text import one_line, visible
from hvgui.ui.theme import Tone, box_stylesheet, follow_theme


def retry_text(next_retry_at: float | None, now: float | None = None) -> str:
    """Text like "Next attempt in 12 s." from a `time.monotonic()` deadline; "Retrying now…" once it has passed."""
    if next_retry_at is None:
        return ""
    remaining = next_retry_at - (time.monotonic() if now is None else now)
    if remaining <= 0.5:
        return "Retrying now\u2026"
    seconds = round(remaining)
    if seconds >= 90:
        return f"Next attempt in {seconds // 60} min {seconds % 60} s."
    return f"Next attempt in {seconds} s."


class HostErrorBanner(QFrame):
    """What went wrong with one host, a Retry button, and "Edit credentials…" when the password was refused."""

    retryRequested = Signal(str)
    editCredentialsRequested = Signal(str)
    #: The host's certificate is not trusted (or changed): the person wants to look at it.
    certificateRequested = Signal(str)

    def __init__(self, status: HostStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = status.key
        self.setObjectName("hostErrorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        follow_theme(self, lambda: self.setStyleSheet(box_stylesheet("#hostErrorBanner", Tone.Error, radius=6)))
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.title.setWordWrap(True)
        warning = QLabel()
        warning.setPixmap(icon("warning").pixmap(16, 16))
        warning.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.countdown = QLabel()
        self.countdown.setObjectName("hostRetryCountdown")  # in the banner's text colour, as the message
        self.retry_button = QPushButton(icon("retry"), "Retry")
        self.retry_button.setObjectName("retryButton")
        self.retry_button.clicked.connect(lambda: self.retryRequested.emit(self.key))
        self.credentials_button = QPushButton("Edit credentials\u2026")
        self.credentials_button.setObjectName("editCredentialsButton")
        self.credentials_button.clicked.connect(lambda: self.editCredentialsRequested.emit(self.key))
        self.certificate_button = QPushButton("View certificate\u2026")
        self.certificate_button.setObjectName("viewCertificateButton")
        self.certificate_button.clicked.connect(lambda: self.certificateRequested.emit(self.key))

        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(warning)
        head.addWidget(self.title, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.countdown, 1)
        foot.addWidget(self.credentials_button)
        foot.addWidget(self.certificate_button)
        foot.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.message)
        layout.addLayout(foot)

        self._next_retry_at: float | None = None
        self._retrying = False
        self._needs_credentials = False
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.set_status(status)

    def set_status(self, status: HostStatus) -> None:
        self._needs_credentials = status.needs_credentials
        if self._needs_credentials:
            self.title.setText(one_line(f"{status.label}: {credentials_problem_text(status).lower()}"))
        else:
            self.title.setText(one_line(f"{status.label} is not connected"))
        self.credentials_button.setVisible(self._needs_credentials)
        error = status.error
        self.certificate_button.setVisible(isinstance(error, (CertificateNotTrusted, CertificateChanged)))
        if isinstance(error, HvGuiError):
            self.message.setText(visible(error.message + (f"\n{error.hint}" if error.hint else "")))
        else:
            self.message.setText(visible(error_text(status)))
        self._next_retry_at = status.next_retry_at
        self._retrying = status.state == HostState.Connecting
        self.retry_button.setEnabled(not self._retrying)
        self._tick()
        if status.next_retry_at is None:
            self._timer.stop()
        else:
            self._timer.start()

    def _tick(self) -> None:
        if self._retrying:
            self.countdown.setText("Trying again\u2026")
        elif self._needs_credentials:
            self.countdown.setText("Not retried automatically, so the account is not locked.")
        else:
            self.countdown.setText(retry_text(self._next_retry_at))


class HostsPane(QWidget):
    """Host list on top, error banners of failed hosts below it."""

    retryRequested = Signal(str)
    #: Refresh the host now (a failing host is tried again at once).
    refreshRequested = Signal(str)
    removeRequested = Signal(str)
    connectRequested = Signal()
    hostActivated = Signal(str)
    #: The host whose VMs the table should show (its key), or None for every host.
    hostSelected = Signal(object)
    #: Copy the host's address (its WS-Management URI, without any password) to the clipboard.
    copyUriRequested = Signal(str)
    #: The person wants to give a host a new user name and password.
    editCredentialsRequested = Signal(str)
    #: The person wants to save a connected host (or edit its saved entry).
    saveRequested = Signal(str)
    #: The person wants to look at (and maybe trust) a host's certificate.
    certificateRequested = Signal(str)

    def __init__(self, model: HostListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 0, 0)
        title = QLabel("Hosts")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        self.connect_button = QToolButton()
        self.connect_button.setIcon(icon("connect"))
        self.connect_button.setToolTip("Connect to host\u2026 (Ctrl+N)")
        self.connect_button.setAccessibleName("Connect to host")
        self.connect_button.setAutoRaise(True)
        self.connect_button.clicked.connect(self.connectRequested)
        self.all_hosts_button = QToolButton()
        self.all_hosts_button.setObjectName("allHostsButton")
        self.all_hosts_button.setText("All hosts")
        self.all_hosts_button.setToolTip("Show the VMs of every host again (Esc in the host list)")
        self.all_hosts_button.setAutoRaise(True)
        self.all_hosts_button.setVisible(False)
        self.all_hosts_button.clicked.connect(self.show_all_hosts)
        header.addWidget(title, 1)
        header.addWidget(self.all_hosts_button)
        header.addWidget(self.connect_button)

        self.list = QListView()
        self.list.setObjectName("hostList")
        self.list.setAccessibleName("Hosts")
        self.list.setModel(model)
        self.list.setItemDelegate(HostItemDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.activated.connect(self._activated)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.installEventFilter(self)

        self.empty_hint = QLabel("No hosts yet.\nUse File \u2192 Connect to host\u2026")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setStyleSheet("color: palette(mid);")

        self._banner_box = QVBoxLayout()
        self._banner_box.setSpacing(6)
        self._banners: dict[str, HostErrorBanner] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint, 1)
        layout.addLayout(self._banner_box)

        model.rowsInserted.connect(self._update_empty_hint)
        model.rowsRemoved.connect(self._update_empty_hint)
        self._update_empty_hint()
        self._age_timer = QTimer(self)  # "data 12 s old" grows with the clock
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(model.refresh_ages)
        self._age_timer.start()

    def add_section(self, title: str, widget: QWidget) -> QLabel:
        """Another part of the pane under the host list, with a heading (e.g. the saved hosts); returns the
        heading, so that the section can be hidden with it."""
        heading = QLabel(title)
        bold = QFont(heading.font())
        bold.setBold(True)
        heading.setFont(bold)
        heading.setContentsMargins(4, 6, 0, 0)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        at = layout.indexOf(self.empty_hint) + 1
        layout.insertWidget(at, heading)
        layout.insertWidget(at + 1, widget, 1)
        return heading

    def banner(self, key: str) -> HostErrorBanner | None:
        return self._banners.get(key)

    def banners(self) -> dict[str, HostErrorBanner]:
        return dict(self._banners)

    def show_status(self, status: HostStatus) -> None:
        """Show or update the banner of a failing host; drop it once the host is connected (or gone)."""
        banner = self._banners.get(status.key)
        if is_failing(status):
            if banner is None:
                banner = HostErrorBanner(status)
                banner.retryRequested.connect(self.retryRequested)
                banner.editCredentialsRequested.connect(self.editCredentialsRequested)
                banner.certificateRequested.connect(self.certificateRequested)
                self._banners[status.key] = banner
                self._banner_box.addWidget(banner)
                banner.show()
            else:
                banner.set_status(status)
        elif banner is not None:
            self.drop_banner(status.key)

    def drop_banner(self, key: str) -> None:
        banner = self._banners.pop(key, None)
        if banner is not None:
            self._banner_box.removeWidget(banner)
            banner.hide()
            banner.deleteLater()

    def selected_key(self) -> str | None:
        index = self.list.currentIndex()
        return index.data(KeyRole) if index.isValid() else None

    def filtered_key(self) -> str | None:
        """The host the VM table is narrowed to (the selected host), or None for every host."""
        rows = self.list.selectionModel().selectedRows()
        return rows[0].data(KeyRole) if rows else None

    def show_all_hosts(self) -> None:
        """Back to the VMs of every host: no host selected."""
        self.list.selectionModel().clearSelection()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        key = self.filtered_key()
        self.all_hosts_button.setVisible(key is not None)
        self.hostSelected.emit(key)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.filtered_key() is not None
        ):
            self.show_all_hosts()
            return True
        return super().eventFilter(watched, event)

    def _update_empty_hint(self, *args) -> None:
        empty = self.model.rowCount() == 0
        self.empty_hint.setVisible(empty)
        self.list.setVisible(not empty)

    def _activated(self, index: QModelIndex) -> None:
        key = index.data(KeyRole)
        if key:
            self.hostActivated.emit(key)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        key = index.data(KeyRole)
        menu = self.context_menu(key, index.data(StateRole))
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def context_menu(self, key: str, state: HostState | None) -> QMenu:
        """Refresh, Edit credentials, Save host, Copy URI and Disconnect for one host (tests trigger them)."""
        menu = QMenu(self)
        menu.setObjectName("hostContextMenu")
        refresh = menu.addAction(icon("retry"), "Refresh")
        refresh.setObjectName("refreshHostAction")
        refresh.setToolTip("Read the host's VMs now; a failing host is tried again at once")
        refresh.triggered.connect(lambda: self.refreshRequested.emit(key))
        credentials = menu.addAction("Edit credentials\u2026")
        credentials.setObjectName("editCredentialsAction")
        credentials.setEnabled(state is not HostState.Closed)
        credentials.triggered.connect(lambda: self.editCredentialsRequested.emit(key))
        save = menu.addAction("Save host\u2026")
        save.setObjectName("saveHostAction")
        save.triggered.connect(lambda: self.saveRequested.emit(key))
        copy_uri = menu.addAction("Copy URI")
        copy_uri.setObjectName("copyHostUriAction")
        copy_uri.setToolTip("Copy the host's address (no password) to the clipboard")
        copy_uri.triggered.connect(lambda: self.copyUriRequested.emit(key))
        menu.addSeparator()
        disconnect = menu.addAction("Disconnect")
        disconnect.setObjectName("disconnectHostAction")
        disconnect.triggered.connect(lambda: self.removeRequested.emit(key))
        return menu
