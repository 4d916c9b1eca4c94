"""The fleet heartbeat timeline: lanes painted and fetched for visible VMs only, zoom, filter, flapping badge,
and export of the picture (PNG) and the data (CSV)."""

from __future__ import annotations

import csv
import time

import pytest
from history_window_support import close, history_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import EventKind, Transition, seed_history
from hvgui.ui.history.install import TIMELINE_SHORTCUT
from hvgui.ui.history.spans import SPANS
from hvgui.ui.history.timeline import ROW_HEIGHT

HOSTS = ("https://hv-01:5986", "https://hv-02:5986")
VMS_PER_HOST = 600
OK = HeartbeatStatus.OkApplicationsHealthy
LOST = HeartbeatStatus.LostCommunication


@pytest.fixture
def setup(qtbot, tmp_path):
    path = tmp_path / "history.sqlite"
    now = time.time()
    vms = [(host, f"{h}-{i:05d}", f"vm-{h}-{i:05d}") for h, host in enumerate(HOSTS) for i in range(VMS_PER_HOST)]
    seed_history(path, vms, days=2, per_day=4, now=now - 7200)  # nothing in the last two hours
    window, history = history_window(qtbot, path)
    # One VM flaps: six losses and recoveries in the last hour.
    flapper = vms[5]
    rows = []
    for i in range(6):
        at = now - 3000 + i * 400
        rows.append(Transition(*flapper, at, EventKind.Heartbeat, int(OK), int(LOST), VmState.Running, LOST))
        rows.append(Transition(*flapper, at + 100, EventKind.Heartbeat, int(LOST), int(OK), VmState.Running, OK))
    history.store.record(rows)
    assert history.store.flush()
    yield window, history, flapper
    close(history)


def _open(qtbot, window, history):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.table, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    timeline = history.timeline
    assert timeline is not None and timeline.isVisible()
    timeline.resize(1000, 600)
    qtbot.waitUntil(lambda: len(timeline.shown_vms()) == len(HOSTS) * VMS_PER_HOST)
    return timeline


def _visible_vm_ids(view) -> set[int]:
    rows = view.rows()
    return {rows[i].vm.id for i in view.visible_rows() if rows[i].vm is not None}


def test_only_visible_lanes_are_fetched_and_painted(qtbot, setup) -> None:
    window, history, _flapper = setup
    assert history.timeline_action.shortcut().toString() == TIMELINE_SHORTCUT
    timeline = _open(qtbot, window, history)
    view = timeline.view
    visible = _visible_vm_ids(view)
    assert 10 < len(visible) < 60  # a window's worth, out of 1,200
    qtbot.waitUntil(lambda: visible <= view.cached_lanes())
    asked = {vm for ids, _t0, _t1 in view.asked for vm in ids}
    assert asked <= visible
    view.lane_paints = 0
    view.viewport().repaint()
    assert 0 < view.lane_paints <= len(visible)

    # Scroll to the end: the lanes now visible are asked for, nothing in between.
    before = set(asked)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    at_end = _visible_vm_ids(view)
    qtbot.waitUntil(lambda: at_end <= view.cached_lanes())
    asked = {vm for ids, _t0, _t1 in view.asked for vm in ids}
    assert asked - before <= at_end
    assert len(asked) <= len(before) + len(at_end)
    rows = view.rows()
    assert rows[0].vm is None and rows[-1].vm is not None  # grouped by host: a header first
    assert sum(1 for r in rows if r.vm is None) == len(HOSTS)
    assert view.verticalScrollBar().maximum() == len(rows) * ROW_HEIGHT - view.viewport().height()


def test_zoom_filter_and_flapping_badge(qtbot, setup) -> None:
    window, history, flapper = setup
    timeline = _open(qtbot, window, history)
    view = timeline.view
    assert view.span is SPANS[1]
    timeline.span_buttons.button(0).click()  # 1 h
    assert view.span is SPANS[0]
    qtbot.waitUntil(lambda: bool(view.asked) and view.asked[-1][2] - view.asked[-1][1] == pytest.approx(3600))
    assert "at least 4 transitions in the last 1 h" in timeline.note.text()
    qtbot.waitUntil(lambda: "1 flapping" in timeline.count_label.text())

    timeline.flapping_only.setChecked(True)
    assert [vm.name for vm in timeline.shown_vms()] == [flapper[2]]
    qtbot.waitUntil(lambda: view.is_flapping(timeline.shown_vms()[0].id))
    timeline.flapping_only.setChecked(False)

    timeline.span_buttons.button(2).click()  # 7 d: the flapper's 12 transitions are not flapping over a week
    qtbot.waitUntil(lambda: "0 flapping" in timeline.count_label.text())

    timeline.filter_edit.setText("vm-1-0001")
    names = [vm.name for vm in timeline.shown_vms()]
    assert names and all(name.startswith("vm-1-0001") for name in names)
    assert timeline.count_label.text().startswith(f"{len(names)} of {len(HOSTS) * VMS_PER_HOST} VMs")
    timeline.filter_edit.setText("hv-02 vm-1-00011")  # words match name and host
    assert [vm.name for vm in timeline.shown_vms()] == ["vm-1-00011"]


def test_export_writes_the_picture_and_the_data(qtbot, setup, tmp_path) -> None:
    window, history, flapper = setup
    timeline = _open(qtbot, window, history)
    timeline.span_buttons.button(0).click()
    qtbot.waitUntil(lambda: _visible_vm_ids(timeline.view) <= timeline.view.cached_lanes())

    png = tmp_path / "timeline.png"
    assert timeline.export_png(png)
    image = QImage(str(png))
    assert not image.isNull() and image.size() == timeline.picture.size()

    timeline.filter_edit.setText(flapper[2][:-1])  # the flapper and its 9 neighbours
    shown = timeline.shown_vms()
    assert 1 < len(shown) <= 10
    data = tmp_path / "timeline.csv"
    with qtbot.waitSignal(timeline.exported, timeout=30_000):
        timeline.export_csv(data)
    with data.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["host", "vm_id", "vm_name", "time_utc", "time_local", "change", "from", "to"]
    assert len(rows) == 1 + 12  # only the flapper changed in the last hour
    assert {r[2] for r in rows[1:]} == {flapper[2]}
    assert {r[0] for r in rows[1:]} == {"hv-01"}
    assert [r[7] for r in rows[1:3]] == ["Lost Communication", "OK (Applications Healthy)"]
    assert timeline.status_label.text() == f"Saved 12 transitions of {len(shown)} VMs to {data}"
