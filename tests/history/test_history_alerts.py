"""Which heartbeat rows are alerts, and how bursts become one notification."""

from __future__ import annotations

from history_support import LOST, OK, row

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import AlertBatcher, AlertKind, EventKind
from hvgui.history.alerts import AlertTracker

NO_CONTACT = HeartbeatStatus.NoContact


def _kinds(tracker: AlertTracker, *rows) -> list[AlertKind]:
    return [a.kind for a in tracker.feed(rows)]


def test_losing_and_regaining_the_heartbeat_alert_once_each() -> None:
    tracker = AlertTracker()
    assert _kinds(tracker, row(1)) == [AlertKind.Lost]
    assert _kinds(tracker, row(2, old=int(LOST), new=int(OK), heartbeat=OK)) == [AlertKind.Regained]
    assert _kinds(tracker, row(3, old=int(OK), new=int(NO_CONTACT), heartbeat=NO_CONTACT)) == [AlertKind.Lost]


def test_booting_turning_off_and_baselines_are_quiet() -> None:
    tracker = AlertTracker()
    off = row(1, kind=EventKind.Heartbeat, old=int(OK), new=None, state=VmState.Off, heartbeat=None)
    boot = row(2, old=None, new=int(NO_CONTACT), heartbeat=NO_CONTACT)
    booted = row(3, old=int(NO_CONTACT), new=int(OK), heartbeat=OK)
    baseline = row(4, "other", kind=EventKind.Observed, old=None, new=None)
    assert _kinds(tracker, off, boot, booted, baseline) == []


def test_a_vm_lost_before_connecting_announces_its_recovery() -> None:
    tracker = AlertTracker()
    tracker.feed([row(1, kind=EventKind.Observed, old=None, new=None, heartbeat=LOST)])
    assert _kinds(tracker, row(2, old=int(LOST), new=int(OK), heartbeat=OK)) == [AlertKind.Regained]


def test_a_lost_vm_turned_off_does_not_come_back_later() -> None:
    tracker = AlertTracker()
    tracker.feed([row(1)])
    tracker.feed([row(2, kind=EventKind.State, old=2, new=3, state=VmState.Off, heartbeat=None)])
    # Started again: No Contact while booting, then OK: a boot, not a recovery.
    assert _kinds(tracker, row(3, old=None, new=int(OK), heartbeat=OK)) == []


def test_a_burst_on_one_host_becomes_one_summary() -> None:
    tracker = AlertTracker()
    batcher = AlertBatcher(lambda host: "HV-01")
    batcher.add(tracker.feed([row(1, f"vm{i}", name=f"guest{i}") for i in range(12)]))
    batcher.add(tracker.feed([row(1, "x", host="https://hv-02:5986", name="db\n01")]))
    notes = batcher.take(lambda name: name.replace("\n", "\u23ce"))
    assert [n.title for n in notes] == ["12 VMs lost their heartbeat on HV-01", "db\u23ce01 on HV-01"]
    assert len(notes[0].alerts) == 12 and notes[0].text.startswith("guest0, guest1")
    assert notes[1].text == "lost its heartbeat (OK (Applications Healthy) \u2192 Lost Communication)"
    assert batcher.take() == []


def test_a_few_alerts_stay_separate() -> None:
    tracker = AlertTracker()
    batcher = AlertBatcher()
    batcher.add(tracker.feed([row(1, f"vm{i}") for i in range(3)]))
    assert len(batcher.take()) == 3
