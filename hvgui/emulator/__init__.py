"""hvgui's Hyper-V host emulator: real WS-Management + PSRP on loopback, in front of a host model.

Start it in-process with `start_emulator("demo")`, as a child process with
`hvgui.emulator.process.EmulatorProcess.start()`, or from a shell with `python -m hvgui.emulator`.
"""

from __future__ import annotations

from hvgui.emulator.endpoints import Endpoint
from hvgui.emulator.server import HostServer, ListenAddressRefused, RunningEmulator, start_emulator, start_hosts

__all__ = ["Endpoint", "HostServer", "ListenAddressRefused", "RunningEmulator", "start_emulator", "start_hosts"]
