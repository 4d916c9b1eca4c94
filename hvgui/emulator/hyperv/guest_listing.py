"""`Get-HvGuiGuestChildItem`: one folder of a Windows guest, or its drives, listed through PowerShell Direct.

On a real host the function in `HvGui.ps1` runs `Invoke-Command -VMId -Credential` with a constant script block
that reads the folder with .NET in the guest. Here the function body calls the emulator's `Invoke-Command` in
the same way (so it pays the session's set-up, and fails with the same errors for a wrong account, a VM that
is off or a Linux guest), and the script block's body (`list_guest_folder`) reads the VM's file system model:
drives, entries in NTFS order with their length, last write time and Hidden/System attributes, at most Limit
of them, and the outcomes the script reports instead of throwing (a missing folder, a file, a folder the
account may not list).

plausible WS2022 behaviour: a guest's only drive is C:, on Hyper-V's default 127 GB virtual disk, of which
the operating system takes `OS_FOOTPRINT_BYTES`; what the VM's file system holds comes on top.
"""

from __future__ import annotations

import datetime
import ntpath
from collections.abc import Iterable
from typing import Any

from .binding import as_text
from .calls import invoke
from .context import CommandContext
from .types import ScriptBlockObject
from .vm import EmulatedVm

#: The key of the script block `Get-HvGuiGuestChildItem` hands to Invoke-Command.
LIST_FOLDER = "Get-HvGuiGuestChildItem"
DEFAULT_LIMIT = 5000
GUEST_DISK_BYTES = 127 * 1024**3
OS_FOOTPRINT_BYTES = 14 * 1024**3
#: .NET's UnauthorizedAccessException message for a folder that may not be listed.
ACCESS_DENIED = "Access to the path '{0}' is denied."


def get_hvgui_guest_child_item(ctx: CommandContext) -> None:
    bound = ctx.bound
    path = bound.get("Path") if "Path" in bound else ""
    limit = bound.get("Limit") if "Limit" in bound else DEFAULT_LIMIT
    answer = invoke(
        ctx,
        "Invoke-Command",
        [
            ("VMId", bound.get("VMId")),
            ("Credential", bound.get("Credential")),
            ("ScriptBlock", ScriptBlockObject(LIST_FOLDER)),
            ("ArgumentList", [path, limit]),
            ("ErrorAction", "Stop"),
        ],
    )
    ctx.write_output(as_text(answer[0]) if answer else "")  # `[string]$answer[0]`


def list_guest_folder(ctx: CommandContext, vm: EmulatedVm, arguments: list[Any]) -> Iterable[str]:
    """The script block, run in the guest: `param([string]$Folder, [int]$Limit)`."""
    from .functions import to_compressed_json

    folder = as_text(arguments[0]) if arguments else ""
    limit = int(arguments[1]) if len(arguments) > 1 and arguments[1] is not None else 0
    files = vm.files
    if not folder:
        with ctx.model.lock:
            drives = []
            for root in files.roots():
                used = OS_FOOTPRINT_BYTES + sum(length for _path, _is_dir, length in _walk(files, root))
                drives.append(
                    {"n": root[0].upper(), "root": root, "free": max(0, GUEST_DISK_BYTES - used), "used": used}
                )
        if not ctx.model.costs.charge_objects("Invoke-Command", ctx.stop_requested, len(drives)):
            return []
        return [to_compressed_json({"drives": drives})]
    report: dict[str, Any] = {"path": folder, "entries": [], "truncated": False, "error": None, "message": ""}
    full = _full_path(folder)
    entries: list[dict[str, Any]] = []
    with ctx.model.lock:
        if full is None or not files.is_dir(full):
            report["error"] = "notFolder" if full is not None and files.exists(full) else "missing"
            return [to_compressed_json(report)]
        if files.listing_denied(full):
            report["error"] = "denied"
            report["message"] = ACCESS_DENIED.format(full.rstrip("\\") if len(full) > 3 else full)
            return [to_compressed_json(report)]
        children = files.children(full)
        for path, is_dir, length in children:
            if len(entries) >= limit:
                report["truncated"] = True
                break
            name = ntpath.basename(path.rstrip("\\"))
            attributes = files.attributes(path)
            entries.append(
                {
                    "n": name,
                    "p": ntpath.join(full, name),
                    "d": is_dir,
                    "l": None if is_dir else length,
                    "m": _round_trip(files.modified(path)),
                    "h": "hidden" in attributes,
                    "s": "system" in attributes,
                }
            )
    # Enumerating and serializing: per entry read (one more to learn that the list is cut short).
    if not ctx.model.costs.charge_objects("Invoke-Command", ctx.stop_requested, len(entries)):
        return []
    report["entries"] = entries
    return [to_compressed_json(report)]


def _walk(files: Any, folder: str) -> Iterable[tuple[str, bool, int]]:
    for entry in files.children(folder):
        yield entry
        if entry[1]:
            yield from _walk(files, entry[0])


def _full_path(folder: str) -> str | None:
    """`DirectoryInfo.FullName` for a rooted path (slashes become backslashes; `C:` is the root); None for a
    relative one, which the client never sends."""
    path = folder.replace("/", "\\")
    drive, rest = ntpath.splitdrive(path)
    if len(drive) != 2 or drive[1] != ":" or (rest and not rest.startswith("\\")):
        return None
    return drive + (rest or "\\")


def _round_trip(seconds: float) -> str:
    """`DateTime.ToString('o')` of a UTC time: seven fractional digits and Z."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
