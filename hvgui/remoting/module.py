"""The bundled host-side PowerShell module (`ps/HvGui.ps1`), read once from the package.

The text is package data and never changes at run time, so it is the one piece of script hvgui ever
sends to a host. The host recognises it by its first line.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: The first line of the module; the host (and the emulator) recognise the module by it.
MODULE_MARKER = "# hvgui host module"


@cache
def host_module_text() -> str:
    """The full text of `HvGui.ps1`, exactly as shipped."""
    text = (resources.files("hvgui.remoting") / "ps" / "HvGui.ps1").read_text(encoding="utf-8")
    if text.splitlines()[0] != MODULE_MARKER:
        raise RuntimeError(f"HvGui.ps1 must start with {MODULE_MARKER!r}")
    return text
