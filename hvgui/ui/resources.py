"""Finding the icons wherever hvgui runs from.

The icons live in `<repo>/resources/` in a source checkout; the wheel and the frozen build (PyInstaller)
carry that folder as `hvgui/resources/`, found through `importlib.resources` like the package's other data
(the host module, the emulator's JSON). Qt wants file paths, which every one of these layouts has.
Everything that needs an icon asks this module, so no other code knows the layout.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon

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


def icon(name: str) -> QIcon:
    """A small icon from `resources/icons/`, by name without extension (`retry`, `connect`, ...)."""
    return QIcon(str(resource_path(f"icons/{name}.svg")))


def app_icon() -> QIcon:
    return QIcon(str(resource_path(APP_ICON)))
