"""The dialog behind the application's last line of defence: an error nothing else handled.

Shown by the exception hooks installed in `hvgui.app`. At most one is open at a time, so a failure that
repeats on every refresh cannot bury the window under dialogs; later errors are only logged meanwhile.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

_open_dialog: QMessageBox | None = None


def show_unexpected_error(parent: QWidget | None, summary: str, details: str) -> QMessageBox | None:
    """Open a non-blocking error dialog unless one is already showing; returns the dialog opened."""
    global _open_dialog
    if _open_dialog is not None and _open_dialog.isVisible():
        return None
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("hvgui: unexpected error")
    box.setText("Something went wrong that hvgui did not expect. The window keeps working; details are in the log.")
    box.setInformativeText(summary)
    box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.finished.connect(_forget)
    _open_dialog = box
    box.open()
    return box


def _forget(*_args: object) -> None:
    global _open_dialog
    _open_dialog = None
