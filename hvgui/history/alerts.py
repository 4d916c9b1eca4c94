"""When a VM's heartbeat is worth an alert, and how a burst of alerts becomes one notification.

Lost: a running VM whose guest answered (any OK value) stops answering (Lost Communication, Error, or No
Contact after OK). Regained: a VM that lost its heartbeat answers again. A VM that is turned off has no
heartbeat to lose: no alert; and "No Contact" while a guest boots is not a loss either.

Baselines (`Observed` rows: the first inventory after a connect or reconnect) never alert, so connecting to
a host with twelve dead guests is quiet; a baseline that finds a VM without its heartbeat still counts it as
lost, so its recovery is announced.

`AlertBatcher` holds alerts for a short window and merges a burst of one kind on one host into a single
notification ("12 VMs lost their heartbeat on HV-01"); each alert still has its own event-log entry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hvgui.domain.vm import HeartbeatStatus, VmKey
from hvgui.history.records import EventKind, Transition

_LOST = frozenset({HeartbeatStatus.LostCommunication, HeartbeatStatus.Error})
#: Alerts of one kind on one host beyond this many in one window become one summary notification.
BURST_LIMIT = 3


class AlertKind(enum.Enum):
    Lost = "lost"
    Regained = "regained"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    host: str
    vm_id: str
    name: str  # untrusted: the UI shows it through `hvgui.ui.text`
    at: float
    old: HeartbeatStatus | None
    new: HeartbeatStatus | None

    @property
    def key(self) -> VmKey:
        return VmKey(self.host, self.vm_id)

    @property
    def what(self) -> str:
        """What happened, without the VM's name: "lost its heartbeat (OK → Lost Communication)"."""
        verb = "lost its heartbeat" if self.kind is AlertKind.Lost else "has its heartbeat back"
        return f"{verb} ({_label(self.old)} \u2192 {_label(self.new)})"


def _label(value: HeartbeatStatus | None) -> str:
    return "\u2014" if value is None else value.label


def _heartbeat(value: int | None) -> HeartbeatStatus | None:
    return None if value is None else HeartbeatStatus(value)


def alert_for(row: Transition, was_lost: bool) -> AlertKind | None:
    """The alert a heartbeat row raises (None for most rows)."""
    if row.kind != EventKind.Heartbeat or row.state is None or not row.state.is_running:
        return None
    old, new = _heartbeat(row.old), _heartbeat(row.new)
    if new is not None and old is not None and old.is_ok and (new in _LOST or new == HeartbeatStatus.NoContact):
        return AlertKind.Lost
    if was_lost and new is not None and new.is_ok:
        return AlertKind.Regained
    return None


class AlertTracker:
    """Follows rows as they are recorded and says which are alerts; remembers which VMs are lost."""

    def __init__(self) -> None:
        self._lost: set[VmKey] = set()

    def feed(self, rows: Iterable[Transition]) -> list[Alert]:
        alerts = []
        for row in rows:
            key = VmKey(row.host, row.vm_id)
            if row.kind == EventKind.Observed:
                running = row.state is not None and row.state.is_running
                if running and row.heartbeat is not None and (row.heartbeat in _LOST):
                    self._lost.add(key)
                else:
                    self._lost.discard(key)
                continue
            kind = alert_for(row, key in self._lost)
            if kind is AlertKind.Lost:
                self._lost.add(key)
            elif kind is AlertKind.Regained or row.state is None or not row.state.is_running:
                self._lost.discard(key)  # back, or turned off: no later "back" for it
            if kind is not None:
                alerts.append(
                    Alert(kind, row.host, row.vm_id, row.name, row.at, _heartbeat(row.old), _heartbeat(row.new))
                )
        return alerts


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    alerts: tuple[Alert, ...]


class AlertBatcher:
    """Collects alerts for one window, then turns them into notifications, a summary per burst."""

    def __init__(self, host_label: Callable[[str], str] = str, *, burst_limit: int = BURST_LIMIT) -> None:
        self._host_label = host_label
        self._burst_limit = burst_limit
        self._waiting: list[Alert] = []

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, alerts: Iterable[Alert]) -> None:
        self._waiting.extend(alerts)

    def take(self, vm_text: Callable[[str], str] = str) -> list[Notification]:
        """The notifications for everything collected since the last call, oldest first."""
        groups: dict[tuple[str, AlertKind], list[Alert]] = {}
        for alert in self._waiting:
            groups.setdefault((alert.host, alert.kind), []).append(alert)
        self._waiting = []
        out = []
        for (host, kind), alerts in groups.items():
            label = self._host_label(host)
            if len(alerts) > self._burst_limit:
                verb = "lost their heartbeat" if kind is AlertKind.Lost else "have their heartbeat back"
                names = ", ".join(vm_text(a.name) for a in alerts[:5]) + (", \u2026" if len(alerts) > 5 else "")
                out.append(Notification(f"{len(alerts)} VMs {verb} on {label}", names, tuple(alerts)))
            else:
                for alert in alerts:
                    out.append(Notification(f"{vm_text(alert.name)} on {label}", alert.what, (alert,)))
        return out
