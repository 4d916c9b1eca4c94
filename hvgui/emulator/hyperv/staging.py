"""hvgui's staging area on a host, and the host-module functions that fill it and hand it to Copy-VMFile.

`Copy-VMFile` copies only a file that is already on the host, so hvgui streams each file into
`%ProgramData%\\hvgui\\staging\\<transfer id>.part` first. On a real host the functions in `HvGui.ps1` do that
with .NET file APIs (FileStream, FileInfo, SHA256, DriveInfo); here the same operations act on the host's
file system (`model.files`), and the volume that holds the folder has room for `settings.staging_limit_bytes`
(plausible WS2022 behaviour: the scenario sets the free space; everything staged counts against it). Cmdlet
calls go through `calls.invoke`, in the order of the PowerShell text, as every twin's do.

Each body is the twin of the function of the same name in `HvGui.ps1`; read that text for the contract.
"""

from __future__ import annotations

import hashlib
import ntpath
import uuid
from typing import Any

from hvgui.emulator.runtime import TerminatingError

from . import errors
from .calls import invoke
from .context import CommandContext

#: [Environment]::GetFolderPath('CommonApplicationData') + '\hvgui\staging' on a default installation.
STAGING_FOLDER = "C:\\ProgramData\\hvgui\\staging"
GSI_PATTERN = "*\\6C09BB55-D683-4DA0-8931-C9BF705F6480"
MIB = 1024 * 1024


def staged_path(transfer_id: uuid.UUID) -> str:
    """`[System.IO.Path]::Combine($folder, $TransferId.ToString('D') + '.part')`."""
    return ntpath.join(STAGING_FOLDER, str(transfer_id) + ".part")


def staging_free_bytes(ctx: CommandContext) -> int:
    """`DriveInfo.AvailableFreeSpace` of the staging volume: the scenario's limit less what is staged."""
    with ctx.model.lock:
        used = sum(ctx.model.files.files_under(STAGING_FOLDER).values())
    return max(0, ctx.model.settings.staging_limit_bytes - used)


def get_hvgui_copy_target(ctx: CommandContext) -> None:
    from .functions import _property, to_compressed_json  # functions registers this module's twins

    vms = invoke(ctx, "Get-VM", [("Id", ctx.bound.get("VMId")), ("ErrorAction", "Stop")])
    found = invoke(ctx, "Get-VMIntegrationService", [("VM", vms)])
    gsi = [c for c in found if _like_gsi(str(_property(c, "Id") or ""))]
    with ctx.model.lock:
        ctx.model.files.make_dirs(STAGING_FOLDER)
    vm = vms[0]
    report: dict[str, Any] = {
        "state": int(_property(vm, "State").value),
        "gsi": None,
        "gsiStatus": None,
        "gsiText": "",
        "staging": STAGING_FOLDER,
        "free": staging_free_bytes(ctx),
    }
    if gsi:
        report["gsi"] = bool(_property(gsi[0], "Enabled"))
        status = _property(gsi[0], "PrimaryOperationalStatus")
        if status is not None:
            report["gsiStatus"] = int(status.value)
        report["gsiText"] = str(_property(gsi[0], "PrimaryStatusDescription") or "")
    ctx.write_output(to_compressed_json(report))


def _like_gsi(component_id: str) -> bool:
    """`$_.Id -like '*\\6C09BB55-...'` (case-insensitive)."""
    return component_id.casefold().endswith(GSI_PATTERN[1:].casefold())


def write_hvgui_staged_chunk(ctx: CommandContext) -> None:
    bound = ctx.bound
    path = staged_path(bound.get("TransferId"))
    offset = int(bound.get("Offset"))
    data: bytes = bound.get("Data") or b""
    model = ctx.model
    with model.lock:
        model.files.make_dirs(STAGING_FOLDER)
        length = model.files.size(path) if model.files.exists(path) else 0
        if offset > length:
            raise TerminatingError(
                errors.script_throw(
                    f"hvgui: the staged file holds {length} bytes; a chunk at offset {offset} would leave a gap."
                )
            )
        growth = offset + len(data) - length
        if growth > staging_free_bytes(ctx):
            raise TerminatingError(errors.method_failed("Write", 3, errors.DISK_FULL))
    # plausible WS2022 behaviour: a buffered sequential write to the data volume (see the profile's per-MiB cost).
    if not model.costs.charge_objects("Write-HvGuiStagedChunk", ctx.stop_requested, len(data) / MIB):
        return
    with model.lock:
        new_length = model.files.write_at(path, offset, data)
    ctx.write_output(new_length)


def get_hvgui_staged_file(ctx: CommandContext) -> None:
    from .functions import to_compressed_json

    path = staged_path(ctx.bound.get("TransferId"))
    model = ctx.model
    report: dict[str, Any] = {"exists": False, "length": 0, "sha256": None}
    with model.lock:
        exists = model.files.exists(path) and not model.files.is_dir(path)
        data = model.files.read(path) if exists and ctx.bound.switch("Sha256") else None
        if exists:
            report["exists"] = True
            report["length"] = model.files.size(path)
    if data is not None:
        if not model.costs.charge_objects("Get-HvGuiStagedFile", ctx.stop_requested, len(data) / MIB):
            return
        report["sha256"] = hashlib.sha256(data).hexdigest().upper()  # BitConverter.ToString: upper case
    ctx.write_output(to_compressed_json(report))


def staged_folder(transfer_id: uuid.UUID) -> str:
    """`[System.IO.Path]::Combine($folder, $TransferId.ToString('D'))`: what a copy out of a guest stages."""
    return ntpath.join(STAGING_FOLDER, str(transfer_id))


def remove_hvgui_staged_file(ctx: CommandContext) -> None:
    transfer_id = ctx.bound.get("TransferId")
    with ctx.model.lock:
        ctx.model.files.delete(staged_path(transfer_id))  # File.Delete: no error when missing
        if ctx.model.files.is_dir(staged_folder(transfer_id)):
            ctx.model.files.delete_tree(staged_folder(transfer_id))


def _inside(root: str, relative: str) -> str | None:
    """`GetFullPath(Combine($root, $RelativePath))` when it stays inside `root` (case-insensitive), else None.
    Combine returns a rooted second argument as it is, which then fails the prefix test as on Windows."""
    if ntpath.isabs(relative) or ntpath.splitdrive(relative)[0]:
        return None
    full = ntpath.normpath(ntpath.join(root, relative))
    return full if full.casefold().startswith((root + "\\").casefold()) else None


def read_hvgui_staged_chunk(ctx: CommandContext) -> None:
    bound = ctx.bound
    length = int(bound.get("Length"))
    if length < 1:
        raise TerminatingError(errors.script_throw("hvgui: a chunk is at least one byte long."))
    path = _inside(staged_folder(bound.get("TransferId")), str(bound.get("RelativePath")))
    if path is None:
        raise TerminatingError(errors.script_throw("hvgui: the path is not inside the transfer's staging folder."))
    offset = int(bound.get("Offset"))
    model = ctx.model
    with model.lock:
        if not model.files.exists(path) or model.files.is_dir(path):
            message = errors.FILE_NOT_FOUND_NET.format(path)
            raise TerminatingError(errors.method_failed("OpenRead", 1, message, "FileNotFoundException"))
        size = model.files.size(path)
        if offset > size:
            raise TerminatingError(
                errors.script_throw(
                    f"hvgui: the staged file holds {size} bytes; there is nothing to read at offset {offset}."
                )
            )
        data = model.files.read(path)[offset : offset + length]
    # plausible WS2022 behaviour: a sequential FileStream read from the data volume (the profile's per-MiB cost).
    if not model.costs.charge_objects("Read-HvGuiStagedChunk", ctx.stop_requested, len(data) / MIB):
        return
    if data:  # no output at the end of the file: an empty byte array would reach the client as an empty <BA/>
        ctx.write_output(data)  # `, $buffer`: the array as one object


def copy_hvgui_staged_file_to_guest(ctx: CommandContext) -> None:
    bound = ctx.bound
    vms = invoke(ctx, "Get-VM", [("Id", bound.get("VMId")), ("ErrorAction", "Stop")])
    invoke(
        ctx,
        "Copy-VMFile",
        [
            ("VM", vms),
            ("SourcePath", staged_path(bound.get("TransferId"))),
            ("DestinationPath", bound.get("DestinationPath")),
            ("FileSource", "Host"),
            ("CreateFullPath", bound.switch("CreateFullPath")),
            ("Force", bound.switch("Force")),
            ("Confirm", False),
        ],
    )


def copy_hvgui_guest_item_to_staging(ctx: CommandContext) -> None:
    from .functions import to_compressed_json

    bound = ctx.bound
    root = staged_folder(bound.get("TransferId"))
    model = ctx.model
    with model.lock:
        model.files.make_dirs(root)
    sessions = invoke(
        ctx,
        "New-PSSession",
        [("VMId", bound.get("VMId")), ("Credential", bound.get("Credential")), ("ErrorAction", "Stop")],
    )
    try:
        invoke(
            ctx,
            "Copy-Item",
            [
                ("FromSession", sessions),
                ("LiteralPath", bound.get("Path")),
                ("Destination", root),
                ("Recurse", True),
                ("ErrorAction", "Stop"),
            ],
        )
    finally:
        invoke(ctx, "Remove-PSSession", [("Session", sessions)])
    with model.lock:
        staged = {path: model.files.read(path) for path in model.files.files_under(root)}
    # plausible WS2022 behaviour: hashing what was staged costs what Get-HvGuiStagedFile -Sha256 does.
    size = sum(len(data) for data in staged.values())
    if not model.costs.charge_objects("Get-HvGuiStagedFile", ctx.stop_requested, size / MIB):
        return
    files = [
        {"path": path[len(root) + 1 :], "length": len(data), "sha256": hashlib.sha256(data).hexdigest().upper()}
        for path, data in sorted(staged.items())
    ]
    ctx.write_output(to_compressed_json({"files": files}))


def remove_hvgui_stale_staged_file(ctx: CommandContext) -> None:
    from .functions import to_compressed_json

    hours = int(ctx.bound.get("OlderThanHours"))
    if hours < 1:
        raise TerminatingError(
            errors.script_throw("hvgui: staged files younger than an hour may belong to a copy under way.")
        )
    model = ctx.model
    removed: list[str] = []
    with model.lock:
        files = model.files
        if files.is_dir(STAGING_FOLDER):
            limit = model.wall_clock() - hours * 3600  # [DateTime]::UtcNow.AddHours(-$OlderThanHours)
            staged, folders = files.entries(STAGING_FOLDER)
            for path in staged:
                name = ntpath.basename(path)
                if not name.lower().endswith(".part") or not _is_guid(name[:-5]):
                    continue
                if files.last_write(path) < limit:
                    files.delete(path)
                    removed.append(name)
            for path in folders:
                name = ntpath.basename(path)
                if not _is_guid(name):
                    continue
                newest = max([files.last_write(path), *(files.last_write(f) for f in files.files_under(path))])
                if newest < limit:
                    files.delete_tree(path)
                    removed.append(name)
    ctx.write_output(to_compressed_json({"removed": removed}))


def _is_guid(text: str) -> bool:
    """`[Guid]::TryParse`: the forms .NET accepts (with or without hyphens and braces)."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
