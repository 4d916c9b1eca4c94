"""Finding the icons wherever hvgui runs from, and drawing them crisp and readable in light and dark schemes.

The icons live in `<repo>/resources/` in a source checkout; the wheel and the frozen build (PyInstaller)
carry that folder as `hvgui/resources/`, found through `importlib.resources` like the package's other data
(the host module, the emulator's JSON). Qt wants file paths, which every one of these layouts has.
Everything that needs an icon asks this module, so no other code knows the layout.

The small icons are SVG drawn with a dark slate "ink" (`INK_COLOURS`) for outlines, made for light
backgrounds. `icon()` renders them through `ThemedSvgIconEngine`: from the SVG at the exact device-pixel
size asked for (crisp at 200%), with the ink swapped for a light one while the palette is dark. The swap is
decided at each paint, so icons follow a change of the OS colour scheme without being set again.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from hvgui.ui.theme import is_dark

_PACKAGE_DIR = Path(str(resources.files("hvgui")))  # .../hvgui, wherever the package was loaded from

APP_ICON = "hvgui.svg"


def _candidates() -> list[Path]:
    return [
        _PACKAGE_DIR / "resources",  # installed wheel, frozen build
        _PACKAGE_DIR.parent / "resources",  # source checkout
    ]


@functools.cache
def resources_dir() -> Path:
    """The first resources folder that holds the application icon."""
    for candidate in _candidates():
        if (candidate / APP_ICON).is_file():
            return candidate
    searched = ", ".join(str(c) for c in _candidates())
    raise FileNotFoundError(f"hvgui resources not found (looked in {searched})")


def resource_path(name: str) -> Path:
    """Path of a resource file, e.g. `hvgui.svg` or `icons/retry.svg`."""
    path = resources_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"missing resource {name!r} in {resources_dir()}")
    return path


#: The neutral outline colours of the icons, and what they become on a dark background.
INK_COLOURS = {"#3b4a5a": "#dce3ea", "#5f6b78": "#b9c2cc", "#9aa7b5": "#8d99a6"}


class ThemedSvgIconEngine(QIconEngine):
    """Draws an SVG icon at any size and device pixel ratio, with its ink light on a dark palette."""

    def __init__(self, svg: str) -> None:
        super().__init__()
        self._svg = svg
        self._dark_svg = svg
        for ink, light in INK_COLOURS.items():
            self._dark_svg = self._dark_svg.replace(ink, light).replace(ink.upper(), light)
        self._renderers: dict[bool, QSvgRenderer] = {}

    def _renderer(self) -> QSvgRenderer:
        dark = is_dark()
        renderer = self._renderers.get(dark)
        if renderer is None:
            renderer = QSvgRenderer(QByteArray((self._dark_svg if dark else self._svg).encode("utf-8")))
            renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
            self._renderers[dark] = renderer
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(painter.opacity() * 0.4)
        self._renderer().render(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """A pixmap of `size` logical pixels at `scale` device pixels each, drawn from the SVG at that size."""
        scale = max(scale, 1.0)
        pixmap = QPixmap(QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale))))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, pixmap.width(), pixmap.height()), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return ThemedSvgIconEngine(self._svg)

    def key(self) -> str:
        return "hvgui-themed-svg"

    def isNull(self) -> bool:
        return not self._svg


def icon(name: str) -> QIcon:
    """A small icon from `resources/icons/`, by name without extension (`retry`, `connect`, ...)."""
    path = resource_path(f"icons/{name}.svg")
    return QIcon(ThemedSvgIconEngine(path.read_text(encoding="utf-8")))


def app_icon() -> QIcon:
    return QIcon(str(resource_path(APP_ICON)))
