"""The hosts list: one row per host connection, updated from `HostStatus` values.

Like the VM table, rows are keyed (by the connection key) and a status change emits `dataChanged` for
that one row; hosts come and go with beginInsertRows/beginRemoveRows. How old a host's data is, and how long
its first inventory has been loading, change with the clock, not with a status, so `refresh_ages()` repaints
the rows that show either.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from hvgui.domain.connection import HostState, HostStatus, data_age_text
from hvgui.domain.errors import AccessDenied
from hvgui.ui.text import one_line

ModelIndex = QModelIndex | QPersistentModelIndex

#: The whole `HostStatus` of the row.
HostStatusRole = Qt.ItemDataRole.UserRole + 1
#: The row's `HostState`.
StateRole = Qt.ItemDataRole.UserRole + 2
#: Number of VMs the host reported last.
VmCountRole = Qt.ItemDataRole.UserRole + 3
#: The error message of a failed host, "" otherwise.
ErrorRole = Qt.ItemDataRole.UserRole + 4
#: One line under the name: state, VM count or error.
DetailRole = Qt.ItemDataRole.UserRole + 5
#: The connection key (`ConnectionSettings.key`).
KeyRole = Qt.ItemDataRole.UserRole + 6
#: Whether the host's VM rows may no longer be true (failing, or its refresh is overdue).
StaleRole = Qt.ItemDataRole.UserRole + 7
#: "unencrypted" or "unverified" when the connection is not safe (a badge next to the name), else "".
SecurityRole = Qt.ItemDataRole.UserRole + 8

#: What each security badge means, for the row's tooltip.
SECURITY_TEXTS = {
    "unencrypted": "Unencrypted: Basic over plain HTTP sends the password and all data in clear text.",
    "unverified": "Unverified: the host's certificate is not checked; anyone on the path can pose as it.",
}

#: A first inventory loading for this many seconds shows "Loading… 12 s" (before: "Connecting…").
LOADING_SHOWN_AFTER = 2.0
#: A first inventory that took at least this many seconds is mentioned in the host's line, not only its tooltip.
SLOW_FIRST_LOAD = 2.0

#: What a host that refused the credentials shows.
WRONG_CREDENTIALS_TEXT = "Wrong user name or password"
#: What a host that accepted the credentials but refused the account shows.
ACCESS_DENIED_TEXT = "Access denied for this account"

_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    HostStatusRole,
    StateRole,
    VmCountRole,
    ErrorRole,
    DetailRole,
    StaleRole,
    SecurityRole,
]


def is_failing(status: HostStatus) -> bool:
    """The host's last attempt failed: Failed while waiting to retry, or Connecting again after an error.

    The window keeps the host's banner and its muted rows through the retry, so they do not flicker away
    for the seconds a reconnect attempt takes.
    """
    return status.state == HostState.Failed or (status.state == HostState.Connecting and status.error is not None)


def rows_stale(status: HostStatus) -> bool:
    """The host's VM rows may no longer be true: it is failing, or a refresh is overdue."""
    return is_failing(status) or (status.stale and status.state == HostState.Connected)


def error_text(status: HostStatus) -> str:
    """The message a person reads for a failing host ("" when the host is fine)."""
    if not is_failing(status):
        return ""
    if status.error is None:
        return "The connection failed."
    return str(status.error) or type(status.error).__name__


def detail_text(status: HostStatus, now: float | None = None) -> str:
    """The line under the host's name: how it is doing, in a few words (`now` from time.time())."""
    match status.state:
        case HostState.Connecting if status.error is not None:
            return "Reconnecting\u2026 \u00b7 " + one_line(error_text(status))
        case HostState.Connecting:
            return loading_text(status, now) or "Connecting\u2026"
        case HostState.Connected if status.stale:
            return "Not responding \u00b7 " + age_text(status, now)
        case HostState.Connected:
            slow = status.first_load_seconds is not None and status.first_load_seconds >= SLOW_FIRST_LOAD
            loaded = f" \u00b7 loaded in {seconds_text(status.first_load_seconds)}" if slow else ""
            updates = f" \u00b7 {status.updates_text}" if status.updates_text else ""
            return "Connected \u00b7 " + vm_count_text(status.vm_count) + unreadable_text(status) + loaded + updates
        case HostState.Failed if status.needs_credentials:
            return "Not connected \u00b7 " + credentials_problem_text(status)
        case HostState.Failed:
            return "Not connected \u00b7 " + one_line(error_text(status))
        case HostState.Closed:
            return "Disconnected"


def loading_text(status: HostStatus, now: float | None = None) -> str:
    """ "Loading… 12 s" while the host's first inventory has been loading for a while, else ""."""
    if status.state is not HostState.Connecting or status.error is not None:
        return ""
    elapsed = status.loading_for(time.time() if now is None else now)
    if elapsed is None or elapsed < LOADING_SHOWN_AFTER:
        return ""
    return f"Loading\u2026 {seconds_text(elapsed)}"


def is_loading(status: HostStatus) -> bool:
    """The host's first inventory is being fetched (its row shows for how long once that is a while)."""
    return status.state is HostState.Connecting and status.error is None and status.loading_since is not None


def first_load_text(status: HostStatus) -> str:
    """ "First inventory took 14 s" once the host's first inventory arrived, else ""."""
    if status.first_load_seconds is None:
        return ""
    return f"First inventory took {seconds_text(status.first_load_seconds)}"


def seconds_text(seconds: float) -> str:
    """ "14 s", "0.4 s", "3 min 5 s": a duration as the host pane says it."""
    if seconds < 1:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 90:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60} s"


def credentials_problem_text(status: HostStatus) -> str:
    """Why a host wants other credentials: a wrong password, or an account it does not admit."""
    return ACCESS_DENIED_TEXT if isinstance(status.error, AccessDenied) else WRONG_CREDENTIALS_TEXT


def age_text(status: HostStatus, now: float | None = None) -> str:
    """ "data 12 s old" for the host's last refresh."""
    return data_age_text(status.data_age(time.time() if now is None else now))


def unreadable_text(status: HostStatus) -> str:
    """ " · 1 unreadable" when the last refresh had VM entries hvgui could not read, else ""."""
    return f" \u00b7 {status.unreadable} unreadable (list incomplete)" if status.unreadable else ""


def updates_line(status: HostStatus) -> str:
    """ "Updates: live" or "Updates: polling every 2 s (the host's change watcher stopped: ...)"."""
    note = f" ({one_line(status.update_note)})" if status.update_note else ""
    return f"Updates: {status.updates_text}{note}"


def vm_count_text(count: int) -> str:
    return "1 VM" if count == 1 else f"{count} VMs"


class HostListModel(QAbstractListModel):
    """Hosts in the order they were added."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[HostStatus] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) or index.column() != 0:
            return None
        status = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return one_line(status.label)
        if role == HostStatusRole:
            return status
        if role == StateRole:
            return status.state
        if role == VmCountRole:
            return status.vm_count
        if role == ErrorRole:
            return error_text(status)
        if role == DetailRole:
            return detail_text(status)
        if role == KeyRole:
            return status.key
        if role == StaleRole:
            return rows_stale(status)
        if role == SecurityRole:
            return status.security
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [status.label, status.key]
            if status.host_name and status.host_name != status.label:
                lines.append(f"Reports itself as {status.host_name}")
            lines.append(error_text(status) if is_failing(status) else detail_text(status))
            if rows_stale(status) and status.last_refresh_at is not None:
                lines.append(f"Last refresh: {age_text(status)}")
            if status.first_load_seconds is not None:
                lines.append(first_load_text(status))
            if status.updates_text:
                lines.append(one_line(updates_line(status)))
            if status.security:
                lines.append(SECURITY_TEXTS.get(status.security, status.security))
            return "\n".join(lines)
        return None

    def refresh_ages(self) -> None:
        """Repaint the rows that show how old their data is or how long they have been loading (call about
        once a second)."""
        for row, status in enumerate(self._rows):
            if rows_stale(status) or is_loading(status):
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.ToolTipRole, DetailRole])

    def status(self, key: str) -> HostStatus | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row]

    def statuses(self) -> tuple[HostStatus, ...]:
        return tuple(self._rows)

    def row_of(self, key: str) -> int | None:
        return self._index.get(key)

    def apply_status(self, status: HostStatus) -> None:
        """Insert a new host or update the row of a known one."""
        row = self._index.get(status.key)
        if row is None:
            row = len(self._rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(status)
            self._index[status.key] = row
            self.endInsertRows()
            return
        if self._rows[row] == status:
            return
        self._rows[row] = status
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, _ROLES)

    def remove(self, key: str) -> None:
        row = self._index.get(key)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()
        self._index = {status.key: i for i, status in enumerate(self._rows)}
