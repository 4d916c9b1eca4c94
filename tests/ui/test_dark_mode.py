"""Light and dark: boxes, coloured text, grid tints and icons read well in both, and follow a palette change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel

from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, HEARTBEAT, TIME_SYNC, ComponentStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.ui.bulk.matrix_model import ServiceMatrixModel
from hvgui.ui.bulk.preview import PreviewPanel
from hvgui.ui.fleet import FleetModel, FleetWindow
from hvgui.ui.fleet.model import CellTone, ToneRole
from hvgui.ui.inline_message import InlineMessage, MessageKind
from hvgui.ui.resources import icon, resources_dir
from hvgui.ui.theme import Tone, box_colours, contrast_ratio, is_dark, relative_luminance, text_colour

DARK_WINDOW = QColor("#202020")


def dark_palette() -> QPalette:
    palette = QPalette(QColor("#2d2d2d"), DARK_WINDOW)  # button, window: Qt derives light text
    palette.setColor(QPalette.ColorRole.Base, QColor("#1b1b1b"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#f0f0f0"))
    return palette


@pytest.fixture
def dark(qapp) -> Iterator[QPalette]:
    original = QApplication.palette()
    palette = dark_palette()
    QApplication.setPalette(palette)
    try:
        assert is_dark()
        yield palette
    finally:
        QApplication.setPalette(original)


def background_of(widget, at: QPoint) -> QColor:
    return widget.grab().toImage().pixelColor(at)


def label_text(label: QLabel) -> QColor:
    label.ensurePolished()
    return label.palette().color(QPalette.ColorRole.WindowText)


@pytest.mark.parametrize("tone", list(Tone))
def test_every_box_and_text_colour_reads_in_both_schemes(qapp, tone) -> None:
    light = QPalette(QColor("#efefef"))
    for palette, window in ((light, QColor("#efefef")), (dark_palette(), DARK_WINDOW)):
        background, _border, text = box_colours(tone, palette)
        assert contrast_ratio(background, text) >= 4.5, (tone, background, text)
        assert contrast_ratio(text_colour(tone, palette), window) >= 4.5, tone
    dark_background = box_colours(tone, dark_palette())[0]
    assert relative_luminance(QColor(dark_background)) < 0.05  # no glaring light box in a dark window


@pytest.mark.parametrize("kind", list(MessageKind))
def test_an_inline_message_in_a_dark_window_is_dark_with_readable_text(qtbot, dark, kind) -> None:
    message = InlineMessage()
    qtbot.addWidget(message)
    message.resize(400, 40)
    message.show_message("The host refused the change.", kind)
    qtbot.waitExposed(message)
    background = background_of(message, QPoint(6, 2))
    assert relative_luminance(background) < 0.05, background.name()
    assert contrast_ratio(background, label_text(message.label)) >= 4.5
    assert contrast_ratio(background, DARK_WINDOW) < 2  # it sits in the window, not on top of it
    # the OS (or the admin) switches back to light: the strip follows without being shown again
    QApplication.setPalette(QPalette(QColor("#efefef")))
    light_background = background_of(message, QPoint(6, 2))
    assert relative_luminance(light_background) > 0.7, light_background.name()
    assert contrast_ratio(light_background, label_text(message.label)) >= 4.5


def test_the_bulk_preview_warning_reads_in_a_dark_window(qtbot, dark) -> None:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.warning.setText("Disabling Time Synchronization on a domain controller ...")
    panel.warning.show()
    panel.warning.resize(400, 40)
    background = background_of(panel.warning, QPoint(4, 4))
    assert relative_luminance(background) < 0.05
    assert contrast_ratio(background, label_text(panel.warning)) >= 4.5


def test_the_fleet_grid_in_a_dark_window(qtbot, dark, vm_factory) -> None:
    lost = vm_factory("hung")
    services = tuple(
        replace(s, primary=ComponentStatus.LostCommunication) if s.ic_guid == HEARTBEAT.ic_guid else s
        for s in lost.integration_services
    )
    lost = replace(lost, integration_services=services)
    model = FleetModel()
    model.apply(InventoryDiff("HV01", added=(vm_factory("app01"), lost)))
    window = FleetWindow(model)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    tones_seen = set()
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            background = index.data(Qt.ItemDataRole.BackgroundRole)
            foreground = index.data(Qt.ItemDataRole.ForegroundRole)
            if background is None:
                continue
            tones_seen.add(index.data(ToneRole))
            text = foreground.color() if foreground is not None else dark.color(QPalette.ColorRole.Text)
            assert relative_luminance(background.color()) < 0.1, (row, column, background.color().name())
            assert contrast_ratio(background.color(), text) >= 4.5, (row, column)
    assert {CellTone.Good, CellTone.Disabled, CellTone.Bad} <= tones_seen
    swatch = window.findChild(QFrame, f"fleetLegend-{CellTone.Good.name}")
    assert swatch is not None
    assert relative_luminance(background_of(swatch, QPoint(7, 7))) < 0.1


ICONS = sorted(path.stem for path in (resources_dir() / "icons").glob("*.svg"))


def opaque_points(image: QImage) -> list[tuple[int, int]]:
    return [
        (x, y) for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y).alpha() >= 200
    ]


@pytest.mark.parametrize("name", ICONS)
@pytest.mark.parametrize("logical", [8, 16])
def test_icons_are_crisp_at_200_percent_and_readable_on_dark(qapp, dark, name, logical) -> None:
    """Rendered at 16 and 32 device pixels (dpr 2): drawn at that size, not blank, and visible on dark."""
    pixmap = icon(name).pixmap(QSize(logical, logical), 2.0)
    assert pixmap.devicePixelRatio() == 2.0
    assert pixmap.size() == QSize(2 * logical, 2 * logical)  # device pixels: drawn at 2x, not scaled up
    image = pixmap.toImage()
    image.setDevicePixelRatio(1.0)  # compare device pixels one to one
    points = opaque_points(image)
    assert len(points) >= (2 * logical) ** 2 // 20, "blank"
    on_dark = QImage(image.size(), QImage.Format.Format_ARGB32)
    on_dark.fill(DARK_WINDOW)
    painter = QPainter(on_dark)
    painter.drawImage(0, 0, image)
    painter.end()
    visible = [p for p in points if contrast_ratio(on_dark.pixelColor(*p), DARK_WINDOW) >= 3]
    assert len(visible) >= len(points) // 2, f"{name} hardly shows on a dark background"


def test_bulk_matrix_highlights_read_in_a_dark_window(qapp, dark, vm_factory) -> None:
    vm = vm_factory("dc01", guest_product_type=2)
    model = ServiceMatrixModel([vm])
    model.set_desired(vm.key, TIME_SYNC.ic_guid, False)  # a risky change: the strongest highlight
    model.set_desired(vm.key, GUEST_SERVICE_INTERFACE.ic_guid, True)
    for guid in (TIME_SYNC.ic_guid, GUEST_SERVICE_INTERFACE.ic_guid):
        index = model.cell(vm.key, guid)
        background = index.data(Qt.ItemDataRole.BackgroundRole).color()
        text = index.data(Qt.ItemDataRole.ForegroundRole).color()
        assert relative_luminance(background) < 0.1, background.name()
        assert contrast_ratio(background, text) >= 4.5
