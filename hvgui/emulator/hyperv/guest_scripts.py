"""The script blocks of hvgui's host module that run inside a guest (`Invoke-Command -VMId -ScriptBlock`), by
key: each is the Python body of one constant script block of `HvGui.ps1`, called with the VM and the block's
arguments, returning what the block writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .context import CommandContext
from .guest_listing import LIST_FOLDER, list_guest_folder
from .vm import EmulatedVm

GuestScript = Callable[[CommandContext, EmulatedVm, list[Any]], Iterable[Any]]

GUEST_SCRIPTS: dict[str, GuestScript] = {LIST_FOLDER: list_guest_folder}
