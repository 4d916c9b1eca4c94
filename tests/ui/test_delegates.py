"""The delegates paint the heartbeat dot and the host rows in the colours of the rules."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import HostUnreachable
from hvgui.domain.heartbeat import HeartbeatTone
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.ui.delegates import HOST_STATE_COLOURS, TONE_COLOURS, HeartbeatDelegate, HostItemDelegate
from hvgui.ui.models.host_list import HostListModel
from hvgui.ui.models.vm_table import Column, VmTableModel


def render(delegate, index, width: int = 220, height: int = 26) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, width, height)
    painter = QPainter(image)
    delegate.paint(painter, option, index)
    painter.end()
    return image


def colours_in(image: QImage, x_range: range, y: int) -> set[str]:
    return {image.pixelColor(x, y).name() for x in x_range}


def test_heartbeat_dot_has_the_tone_colour(qapp, vm_factory) -> None:
    model = VmTableModel()
    model.apply(
        InventoryDiff(
            "HV01",
            added=(
                vm_factory(heartbeat=HeartbeatStatus.OkApplicationsHealthy),
                vm_factory(heartbeat=HeartbeatStatus.LostCommunication),
                vm_factory(state=VmState.Off, heartbeat=None),
            ),
        )
    )
    view = QTableView()
    view.setModel(model)
    delegate = HeartbeatDelegate(view)
    good = render(delegate, model.index(0, Column.Heartbeat))
    bad = render(delegate, model.index(1, Column.Heartbeat))
    off = render(delegate, model.index(2, Column.Heartbeat))
    dot_centre = range(9, 12)  # the dot sits after a 6 px gap and is 9 px wide
    assert TONE_COLOURS[HeartbeatTone.Good] in colours_in(good, dot_centre, 13)
    assert TONE_COLOURS[HeartbeatTone.Bad] in colours_in(bad, dot_centre, 13)
    assert not colours_in(off, dot_centre, 13) & set(TONE_COLOURS.values())
    # Text is painted beside the dot.
    assert len(colours_in(good, range(25, 120), 13)) > 1


def test_heartbeat_size_hint_leaves_room_for_the_dot(qapp, vm_factory) -> None:
    model = VmTableModel()
    model.apply(InventoryDiff("HV01", added=(vm_factory(),)))
    delegate = HeartbeatDelegate()
    option = QStyleOptionViewItem()
    plain = super(HeartbeatDelegate, delegate).sizeHint(option, model.index(0, Column.Heartbeat))
    assert delegate.sizeHint(option, model.index(0, Column.Heartbeat)).width() > plain.width()


def test_host_row_dot_follows_the_connection_state(qapp) -> None:
    model = HostListModel()
    model.apply_status(HostStatus("https://a:5986", "a", HostState.Connected, vm_count=3))
    model.apply_status(HostStatus("https://b:5986", "b", HostState.Failed, error=HostUnreachable("down")))
    delegate = HostItemDelegate()
    metrics = QFontMetrics(qapp.font())
    option = QStyleOptionViewItem()
    option.fontMetrics = metrics
    height = delegate.sizeHint(option, model.index(0, 0)).height()
    assert height >= 2 * metrics.height()
    connected = render(delegate, model.index(0, 0), height=height)
    failed = render(delegate, model.index(1, 0), height=height)
    dot_y = 5 + metrics.height() // 2
    assert HOST_STATE_COLOURS[HostState.Connected] in colours_in(connected, range(10, 15), dot_y)
    assert HOST_STATE_COLOURS[HostState.Failed] in colours_in(failed, range(10, 15), dot_y)


def test_an_unsafe_host_gets_a_badge_and_a_tooltip(qapp) -> None:
    from hvgui.ui.delegates import SECURITY_BADGE_COLOUR
    from hvgui.ui.models.host_list import SecurityRole

    model = HostListModel()
    model.apply_status(HostStatus("http://a:5985", "a", HostState.Connected, vm_count=3, security="unencrypted"))
    model.apply_status(HostStatus("https://b:5986", "b", HostState.Connected, vm_count=3))
    assert model.index(0, 0).data(SecurityRole) == "unencrypted"
    assert "clear text" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, 0).data(SecurityRole) == ""
    delegate = HostItemDelegate()
    option = QStyleOptionViewItem()
    option.fontMetrics = QFontMetrics(qapp.font())
    height = delegate.sizeHint(option, model.index(0, 0)).height()
    badge_rows = range(5, 5 + option.fontMetrics.height())
    marked = render(delegate, model.index(0, 0), width=300, height=height)
    plain = render(delegate, model.index(1, 0), width=300, height=height)
    right_edge = range(200, 292)
    assert any(SECURITY_BADGE_COLOUR in colours_in(marked, right_edge, y) for y in badge_rows)
    assert not any(SECURITY_BADGE_COLOUR in colours_in(plain, right_edge, y) for y in badge_rows)
