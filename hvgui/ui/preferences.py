"""The admin's preferences that outlive the window (today: whether Shut Down asks first).

They live in `QSettings` under the application's organisation and name (set in `hvgui.app`), in INI format so
the file is readable and the same on every platform. The window gets a `Preferences` by injection, so a test
hands it settings in a temporary directory and never touches the admin's own.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings

#: Whether Shut Down asks before it asks the guests to shut down (Hyper-V Manager's "Don't ask me again").
CONFIRM_SHUTDOWN_KEY = "confirm/shutDown"


def _as_bool(value: object, default: bool) -> bool:
    """QSettings returns what it stored as text in INI files: "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return default


def user_settings() -> QSettings:
    """The settings file of the current user for this application."""
    organisation = QCoreApplication.organizationName() or "hvgui"
    application = QCoreApplication.applicationName() or "hvgui"
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, organisation, application)


class Preferences:
    """Typed access to the stored preferences."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings if settings is not None else user_settings()

    @property
    def confirm_shutdown(self) -> bool:
        return _as_bool(self.settings.value(CONFIRM_SHUTDOWN_KEY, True), True)

    @confirm_shutdown.setter
    def confirm_shutdown(self, ask: bool) -> None:
        self.settings.setValue(CONFIRM_SHUTDOWN_KEY, bool(ask))
        self.settings.sync()
