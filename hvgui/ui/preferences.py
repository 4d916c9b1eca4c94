"""The admin's preferences that outlive the window: whether Shut Down asks first, how long operations may
take before hvgui says "still running on the host", whether hosts stream their changes and how often they are
read otherwise, where files were last copied into each VM, where files
copied out of guests go, and the guest account used per VM (never its password).

They live in `QSettings` under the application's organisation and name (set in `hvgui.app`), in INI format so
the file is readable and the same on every platform. The window gets a `Preferences` by injection, so a test
hands it settings in a temporary directory and never touches the admin's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from PySide6.QtCore import QCoreApplication, QSettings

from hvgui.domain.operations import DEFAULT_DEADLINES
from hvgui.domain.vm import VmKey

#: Whether Shut Down asks before it asks the guests to shut down (Hyper-V Manager's "Don't ask me again").
CONFIRM_SHUTDOWN_KEY = "confirm/shutDown"
#: Group of per-kind deadlines in seconds, e.g. `[deadlines]` `power.ShutDown=900` for slow guests.
DEADLINES_GROUP = "deadlines"
#: Group of how a host's changes reach the window: `[updates]` `live=true` (the host's change watcher, else
#: polling), `pollInterval=2` (seconds between inventories while polling), `safetyInterval=60` (seconds between
#: the full inventories that back live updates).
UPDATES_GROUP = "updates"
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_SAFETY_INTERVAL = 60.0
#: Group of the guest folder each VM last received files in, keyed by host and VM id.
COPY_DESTINATIONS_GROUP = "copyDestinations"
#: The folder of this computer that files copied out of a guest last went to.
COPY_FROM_FOLDER_KEY = "copyFrom/localFolder"
#: Group of the guest account each VM was last signed in to for a copy out of it (user names only:
#: passwords are never stored, they live in the host session's memory).
GUEST_USERS_GROUP = "guestUsers"


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

    @property
    def deadlines(self) -> dict[str, float]:
        """Seconds per operation kind before "still running on the host": the defaults, with what the admin
        set in the settings file's `[deadlines]` group (`power.ShutDown=900`; a value that is not a positive
        number is ignored)."""
        deadlines = dict(DEFAULT_DEADLINES)
        for kind in DEFAULT_DEADLINES:
            value = self.settings.value(f"{DEADLINES_GROUP}/{_setting_name(kind)}")
            seconds = _as_seconds(value)
            if seconds is not None:
                deadlines[kind] = seconds
        return deadlines

    def set_deadlines(self, deadlines: Mapping[str, float]) -> None:
        for kind, seconds in deadlines.items():
            self.settings.setValue(f"{DEADLINES_GROUP}/{_setting_name(kind)}", float(seconds))
        self.settings.sync()

    @property
    def live_updates(self) -> bool:
        """Whether hosts stream their changes (polling stays the fallback); `[updates]` `live`, on by default."""
        return _as_bool(self.settings.value(f"{UPDATES_GROUP}/live", True), True)

    @property
    def poll_interval(self) -> float:
        """Seconds between two inventories of a host that is polled (`[updates]` `pollInterval`)."""
        seconds = _as_seconds(self.settings.value(f"{UPDATES_GROUP}/pollInterval"))
        return DEFAULT_POLL_INTERVAL if seconds is None else seconds

    @property
    def safety_interval(self) -> float:
        """Seconds between the full inventories of a host whose changes arrive live (`[updates]`
        `safetyInterval`)."""
        seconds = _as_seconds(self.settings.value(f"{UPDATES_GROUP}/safetyInterval"))
        return DEFAULT_SAFETY_INTERVAL if seconds is None else seconds

    def set_updates(self, *, live: bool, poll_interval: float, safety_interval: float) -> None:
        self.settings.setValue(f"{UPDATES_GROUP}/live", bool(live))
        self.settings.setValue(f"{UPDATES_GROUP}/pollInterval", float(poll_interval))
        self.settings.setValue(f"{UPDATES_GROUP}/safetyInterval", float(safety_interval))
        self.settings.sync()

    def copy_destination(self, vm_key: VmKey) -> str | None:
        """The guest folder the admin last copied files to in this VM, or None."""
        value = self.settings.value(_destination_key(vm_key))
        return value if isinstance(value, str) and value else None

    def set_copy_destination(self, vm_key: VmKey, folder: str) -> None:
        self.settings.setValue(_destination_key(vm_key), folder)
        self.settings.sync()

    @property
    def copy_from_folder(self) -> str | None:
        """The local folder files copied out of a guest last went to, or None."""
        value = self.settings.value(COPY_FROM_FOLDER_KEY)
        return value if isinstance(value, str) and value else None

    def set_copy_from_folder(self, folder: str) -> None:
        self.settings.setValue(COPY_FROM_FOLDER_KEY, folder)
        self.settings.sync()

    def guest_user(self, vm_key: VmKey) -> str | None:
        """The guest account last used to copy out of this VM, or None."""
        value = self.settings.value(_vm_setting(GUEST_USERS_GROUP, vm_key))
        return value if isinstance(value, str) and value else None

    def set_guest_user(self, vm_key: VmKey, user: str) -> None:
        self.settings.setValue(_vm_setting(GUEST_USERS_GROUP, vm_key), user)
        self.settings.sync()


def _destination_key(vm_key: VmKey) -> str:
    """One INI key per VM: the host key percent-encoded (it holds `/` and `:`), then the VM's GUID."""
    return _vm_setting(COPY_DESTINATIONS_GROUP, vm_key)


def _vm_setting(group: str, vm_key: VmKey) -> str:
    return f"{group}/{quote(vm_key.host, safe='')}.{vm_key.vm_id}"


def _setting_name(kind: str) -> str:
    """An operation kind as an INI key: `power:ShutDown` -> `power.ShutDown` (a colon would be escaped)."""
    return kind.replace(":", ".")


def _as_seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
