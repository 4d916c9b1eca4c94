"""The name an admin's shell reaches a host by, for the `-ComputerName` of "Copy as PowerShell".

hvgui files every VM under its connection key (`https://hv01.lab.test:5986`); the command an admin pastes
must name the host as hvgui reached it: the host name or address of the connection settings
(`HostsController.settings(key).host`). Widgets get a `ComputerName` function by injection; without one they
fall back to the host part of the key, which is the same name in lower case.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from hvgui.domain.operations import VmTarget
from hvgui.domain.vm import Vm

#: Host key -> the name for `-ComputerName`.
ComputerName = Callable[[str], str]


def computer_name_from_key(key: str) -> str:
    """`https://hv01.lab.test:5986` -> `hv01.lab.test`; a key that is no URL is taken as the name itself."""
    if "://" not in key:
        return key
    host = urlsplit(key).hostname
    return host or key


def vm_target(vm: Vm, computer_name: ComputerName | None = None) -> VmTarget:
    """The target of an operation on `vm`, naming its host as the admin's shell reaches it."""
    return VmTarget.of(vm, (computer_name or computer_name_from_key)(vm.host))
