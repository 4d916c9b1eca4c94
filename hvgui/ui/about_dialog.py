"""Help → About: what hvgui is and the versions of the parts a bug report needs."""

from __future__ import annotations

import platform
from importlib import metadata

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from hvgui import __version__
from hvgui.domain.features import SUMMARY, feature_lines
from hvgui.ui.resources import app_icon


def distribution_version(name: str) -> str:
    """Installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_rows() -> list[tuple[str, str]]:
    return [
        ("hvgui", __version__),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("pypsrp", distribution_version("pypsrp")),
        ("Python", platform.python_version()),
    ]


class AboutDialog(QDialog):
    """hvgui's version, what it does (`hvgui.domain.features`, the list --help shows too) and its parts' versions."""

    def text(self) -> str:
        """Everything the dialog says, for a check that it claims only what exists."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About hvgui")
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"<b style='font-size:14pt'>hvgui {__version__}</b>")
        blurb = QLabel(SUMMARY)
        blurb.setWordWrap(True)
        self.features_label = QLabel("\n".join(f"\u2022 {line}" for line in feature_lines()))
        self.features_label.setObjectName("aboutFeatures")
        self.features_label.setTextFormat(Qt.TextFormat.PlainText)
        self.features_label.setWordWrap(True)
        versions = QFormLayout()
        self.version_labels: dict[str, QLabel] = {}
        for name, version in version_rows():
            label = QLabel(version)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.version_labels[name] = label
            versions.addRow(f"{name}:", label)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(blurb)
        text.addWidget(self.features_label)
        text.addLayout(versions)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addSpacing(12)
        top.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
