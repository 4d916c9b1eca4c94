"""Light or dark: colours that follow the palette, so hvgui reads well whichever the OS uses.

Qt follows the OS colour scheme (Qt 6.5+ `QStyleHints.colorScheme()`) and changes the application palette
when it changes; this module decides from the palette actually painted (a dark Window colour means dark),
so an explicit `QApplication.setPalette` counts too. Coloured boxes (warnings, inline messages, the host
error banner), coloured text (errors, warnings) and row tints have a light and a dark variant, each with a
text/background contrast of at least 4.5:1 (WCAG AA).

Widgets that style themselves with a stylesheet call `follow_theme(widget, restyle)`: `restyle` runs now and
again whenever the palette or the OS colour scheme changes. Models ask `row_tint(...)` in `data()`, so a
repaint after a change picks up the new colours by itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether text is light on a dark window (from `palette`, else the application's)."""
    if palette is None:
        if QGuiApplication.instance() is None:
            return False
        palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    if window.lightness() == text.lightness():  # a palette that says nothing: trust the OS
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    return window.lightness() < text.lightness()


class Tone(enum.Enum):
    """What a box or a piece of text tells: its colour family."""

    Info = "info"
    Warning = "warning"
    Error = "error"
    Note = "note"  # an explanation (the "Why?" box, preconditions): warm, quieter than a warning


#: (background, border, text) per tone: light, then dark.
_BOXES: dict[Tone, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    Tone.Info: (("#e8f1fb", "#a9c8ec", "#123a5c"), ("#15293d", "#2f5a85", "#cfe3fa")),
    Tone.Warning: (("#fff4ce", "#e7c55a", "#4d3800"), ("#3a2f0b", "#8a6d1d", "#ffe7a3")),
    Tone.Error: (("#fdecea", "#f1aeb5", "#5c1a1a"), ("#3d1a1a", "#8c3a3a", "#ffd2cc")),
    Tone.Note: (("#fff8e1", "#f0d48a", "#3d2f00"), ("#332b12", "#7a6630", "#f5e3b0")),
}

#: Text on the window background, per tone: light, then dark.
_TEXT: dict[Tone, tuple[str, str]] = {
    Tone.Info: ("#1a5fb4", "#8cc2ff"),
    Tone.Warning: ("#8a5a00", "#f2c14e"),
    Tone.Error: ("#b3261e", "#ff8a80"),
    Tone.Note: ("#5f6368", "#b0b6bd"),
}


def box_colours(tone: Tone, palette: QPalette | None = None) -> tuple[str, str, str]:
    """(background, border, text) of a coloured box in the current scheme."""
    light, dark = _BOXES[tone]
    return dark if is_dark(palette) else light


def box_stylesheet(selector: str, tone: Tone, *, radius: int = 5, extra: str = "") -> str:
    """A stylesheet for a framed box `selector` (e.g. `#whyBox`) and the labels inside it."""
    background, border, text = box_colours(tone)
    return (
        f"{selector} {{ background: {background}; border: 1px solid {border}; border-radius: {radius}px; {extra}}}"
        f"{selector} QLabel {{ background: transparent; color: {text}; }}"
    )


def text_colour(tone: Tone, palette: QPalette | None = None) -> str:
    """A text colour for `tone` that reads on the window background of the current scheme."""
    light, dark = _TEXT[tone]
    return dark if is_dark(palette) else light


def pick(light: str, dark: str) -> str:
    """`light` or `dark`, whichever fits the current scheme (for colours that have no tone)."""
    return dark if is_dark() else light


def mix(colour: str | QColor, base: QColor, amount: float) -> QColor:
    """`colour` blended into `base` (amount 0: base, 1: colour): a tint that keeps the base's lightness."""
    c = QColor(colour)
    r = base.redF() + (c.redF() - base.redF()) * amount
    g = base.greenF() + (c.greenF() - base.greenF()) * amount
    b = base.blueF() + (c.blueF() - base.blueF()) * amount
    return QColor.fromRgbF(r, g, b)


def row_tint(light: str) -> QColor:
    """A row or cell background: `light` itself in a light scheme; in a dark one the same hue, dark.

    The tints of the light scheme are pale colours under dark text; on a dark base the text is light, so
    the hue is mixed into the base colour instead (about a third), which keeps the text readable.
    """
    if not is_dark():
        return QColor(light)
    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    saturated = QColor(light)
    saturated.setHsl(saturated.hslHue(), min(255, saturated.hslSaturation()), 110)
    return mix(saturated, base, 0.35)


def tint_text() -> QColor:
    """Text on a `row_tint` background: near black on the pale light tints, the palette's text on dark ones."""
    if not is_dark():
        return QColor("#1f1f1f")
    return QGuiApplication.palette().color(QPalette.ColorRole.Text)


def readable(colour: str) -> QColor:
    """A coloured text (a state, an outcome) that keeps 4.5:1 on the view's base colour in either scheme.

    In a light scheme the colour is used as designed; on a dark base it is lightened (same hue) until it reads.
    """
    result = QColor(colour)
    if not is_dark():
        return result
    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    hue, saturation, lightness = result.hslHue(), result.hslSaturation(), result.lightness()
    while contrast_ratio(result, base) < 4.5 and lightness < 255:
        lightness = min(255, lightness + 8)
        result = QColor.fromHsl(max(hue, 0), saturation, lightness)
    return result


def relative_luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast_ratio(a: QColor | str, b: QColor | str) -> float:
    """WCAG contrast ratio of two colours (1 to 21; text needs 4.5)."""
    la, lb = relative_luminance(QColor(a)), relative_luminance(QColor(b))
    high, low = max(la, lb), min(la, lb)
    return (high + 0.05) / (low + 0.05)


class ThemeWatcher(QObject):
    """Emits `changed` when the application palette or the OS colour scheme changes (one per application).

    It listens to the application's `paletteChanged` signal rather than filtering every event of the
    application in Python, which would cost a call per event; a Qt without the signal gets the filter.
    """

    changed = Signal()

    def __init__(self, app: QGuiApplication) -> None:
        super().__init__(app)
        signal = getattr(app, "paletteChanged", None)
        if signal is not None:
            signal.connect(lambda *_: self.changed.emit())
        else:
            app.installEventFilter(self)
        app.styleHints().colorSchemeChanged.connect(lambda *_: self.changed.emit())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is QGuiApplication.instance() and event.type() == QEvent.Type.ApplicationPaletteChange:
            self.changed.emit()
        return False


def watcher() -> ThemeWatcher | None:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return None
    found = app.findChild(ThemeWatcher, "hvguiThemeWatcher")
    if found is None:
        found = ThemeWatcher(app)
        found.setObjectName("hvguiThemeWatcher")
    return found


class _Follower(QObject):
    """Runs a widget's restyle on every theme change, for as long as the widget lives (it is its child)."""

    def __init__(self, widget: QWidget, restyle: Callable[[], None]) -> None:
        super().__init__(widget)
        self._restyle = restyle

    def run(self) -> None:
        self._restyle()


def follow_theme(widget: QWidget, restyle: Callable[[], None]) -> None:
    """Call `restyle` now and after each palette or colour-scheme change, while `widget` exists."""
    follower = _Follower(widget, restyle)
    restyle()
    source = watcher()
    if source is not None:
        source.changed.connect(follower.run)


def colour_text(widget: QWidget, tone: Tone) -> None:
    """Show `widget`'s text in `tone`'s colour, in either scheme, from now on."""
    follow_theme(widget, lambda: widget.setStyleSheet(f"color: {text_colour(tone)};"))
