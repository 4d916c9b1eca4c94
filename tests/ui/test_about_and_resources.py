"""The About dialog's versions and the icon lookup from a checkout and from an installed wheel."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtCore import qVersion

import hvgui
from hvgui.ui import resources
from hvgui.ui.about_dialog import AboutDialog, distribution_version, version_rows

REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def test_about_lists_hvgui_qt_pyside_and_pypsrp(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    shown = {name: label.text() for name, label in dialog.version_labels.items()}
    assert shown["hvgui"] == hvgui.__version__
    assert shown["Qt"] == qVersion()
    assert shown["pypsrp"] == metadata.version("pypsrp") == "0.9.1"
    assert shown["PySide6"]


def test_a_missing_distribution_says_so() -> None:
    assert distribution_version("no-such-distribution-hvgui") == "not installed"
    assert [name for name, _ in version_rows()][:4] == ["hvgui", "Qt", "PySide6", "pypsrp"]


def test_icons_load_from_the_checkout(qapp) -> None:
    assert resources.resources_dir() == REPO_RESOURCES
    assert not resources.app_icon().isNull()
    for svg in (REPO_RESOURCES / "icons").glob("*.svg"):
        rendered = resources.icon(svg.stem).pixmap(16, 16)
        assert not rendered.isNull(), svg.name
        assert not rendered.toImage().isNull()


def test_icons_load_from_a_wheel_layout(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed wheel has no `<repo>/resources`, only `site-packages/hvgui/resources`."""
    package = tmp_path / "site-packages" / "hvgui"
    shutil.copytree(REPO_RESOURCES, package / "resources")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    resources.resources_dir.cache_clear()
    try:
        assert resources.resources_dir() == package / "resources"
        assert resources.resource_path("icons/retry.svg") == package / "resources" / "icons" / "retry.svg"
        assert not resources.icon("retry").isNull()
    finally:
        resources.resources_dir.cache_clear()


def test_missing_resources_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "nowhere" / "hvgui")
    resources.resources_dir.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="hvgui resources not found"):
            resources.resources_dir()
    finally:
        resources.resources_dir.cache_clear()


def test_a_missing_icon_is_reported() -> None:
    with pytest.raises(FileNotFoundError, match="missing resource"):
        resources.resource_path("icons/no-such-icon.svg")
