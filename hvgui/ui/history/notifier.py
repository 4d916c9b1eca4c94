"""`AlertNotifier`: heartbeat alerts to the event log and, unless muted, to desktop notifications.

Alerts wait `burst_ms` before they are announced, so that a burst (a host whose guests all stop answering at
once) becomes one summary notification; the log still gets one entry per VM, at once. Notifications go to the
system tray when there is one; `notified` carries each of them either way (tests, and any other display).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from hvgui.history.alerts import Alert, AlertBatcher, AlertKind, Notification
from hvgui.ui.history.event_log import EventEntry, EventLogModel
from hvgui.ui.history.settings import HistorySettings
from hvgui.ui.text import one_line

#: How long alerts gather before they are announced.
BURST_MS = 1500


class AlertNotifier(QObject):
    #: (title, text) of each desktop notification.
    notified = Signal(str, str)

    def __init__(
        self,
        settings: HistorySettings,
        log: EventLogModel,
        *,
        host_label: Callable[[str], str] = str,
        tray: QSystemTrayIcon | None = None,
        burst_ms: int = BURST_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.log = log
        self.tray = tray
        self._host_label = host_label
        self._batcher = AlertBatcher(host_label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(burst_ms)
        self._timer.timeout.connect(self.announce)
        self.sent: list[Notification] = []

    def set_burst_ms(self, milliseconds: int) -> None:
        """How long alerts gather before they are announced."""
        self._timer.setInterval(milliseconds)

    def on_alerts(self, alerts: list[Alert]) -> None:
        entries, loud = [], []
        muted_hosts, muted_vms = self.settings.muted_hosts(), self.settings.muted_vms()
        for alert in alerts:
            muted = alert.host in muted_hosts or alert.key in muted_vms
            entries.append(
                EventEntry(alert.at, alert.host, self._host_label(alert.host), alert.key, alert.name, alert.what, muted)
            )
            if not muted:
                loud.append(alert)
        self.log.add(entries)
        if loud:
            self._batcher.add(loud)
            if not self._timer.isActive():
                self._timer.start()

    def announce(self) -> None:
        """Announce what gathered (the timer calls this; tests may call it at once)."""
        self._timer.stop()
        for note in self._batcher.take(one_line):
            self.sent.append(note)
            self.notified.emit(note.title, note.text)
            if self.tray is not None and self.tray.isVisible():
                lost = any(a.kind is AlertKind.Lost for a in note.alerts)
                icon = QSystemTrayIcon.MessageIcon.Warning if lost else QSystemTrayIcon.MessageIcon.Information
                self.tray.showMessage(note.title, note.text, icon, 10_000)

    @property
    def waiting(self) -> int:
        return self._batcher.waiting
