"""The history's settings in the admin's settings file: retention, and the hosts and VMs whose alerts are muted.

They sit in their own groups of the same INI file as `hvgui.ui.preferences` (`[history]`, `[alerts]`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from hvgui.domain.vm import VmKey
from hvgui.history import DEFAULT_RETENTION_DAYS

#: Days of heartbeat history kept (older rows are deleted by the store's writer).
RETENTION_KEY = "history/retentionDays"
#: Where the history file lives, when the admin wants it somewhere else than the platform data directory.
PATH_KEY = "history/path"
MUTED_HOSTS_KEY = "alerts/mutedHosts"
MUTED_VMS_KEY = "alerts/mutedVms"


def _as_list(value: object) -> list[str]:
    """QSettings returns a one-item list as a plain string and an empty one as None in INI files."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # type: ignore[union-attr]


def _vm_text(key: VmKey) -> str:
    return f"{key.host}|{key.vm_id}"


class HistorySettings:
    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    @property
    def retention_days(self) -> float:
        try:
            days = float(self.settings.value(RETENTION_KEY, DEFAULT_RETENTION_DAYS))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return DEFAULT_RETENTION_DAYS
        return days if days > 0 else DEFAULT_RETENTION_DAYS

    @retention_days.setter
    def retention_days(self, days: float) -> None:
        self.settings.setValue(RETENTION_KEY, float(days))
        self.settings.sync()

    @property
    def path(self) -> Path | None:
        value = self.settings.value(PATH_KEY)
        return Path(value) if isinstance(value, str) and value else None

    def muted_hosts(self) -> set[str]:
        return set(_as_list(self.settings.value(MUTED_HOSTS_KEY)))

    def muted_vms(self) -> set[VmKey]:
        out = set()
        for text in _as_list(self.settings.value(MUTED_VMS_KEY)):
            host, _, vm_id = text.rpartition("|")
            if host:
                out.add(VmKey(host, vm_id))
        return out

    def is_muted(self, key: VmKey) -> bool:
        return key.host in self.muted_hosts() or key in self.muted_vms()

    def set_host_muted(self, host: str, muted: bool) -> None:
        hosts = self.muted_hosts()
        hosts.add(host) if muted else hosts.discard(host)
        self.settings.setValue(MUTED_HOSTS_KEY, sorted(hosts))
        self.settings.sync()

    def set_vm_muted(self, key: VmKey, muted: bool) -> None:
        vms = {_vm_text(k) for k in self.muted_vms()}
        vms.add(_vm_text(key)) if muted else vms.discard(_vm_text(key))
        self.settings.setValue(MUTED_VMS_KEY, sorted(vms))
        self.settings.sync()
