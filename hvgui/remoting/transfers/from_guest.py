"""The copy engine for files of a Windows guest to this computer: PowerShell Direct on the host, then a
verified, chunked download.

For each guest path of a `CopyFromGuestOperation`:

1. `Copy-HvGuiGuestItemToStaging` signs in to the guest with the session's guest account (`New-PSSession
   -VMId -Credential`, the credential a parameter, its password a SecureString), copies the file or folder
   into the transfer's staging folder on the host (`Copy-Item -FromSession`) and reports every staged file
   with its length and SHA-256;
2. `download_staged` brings them here and always removes the staged folder.

Every guest path is staged before the first download, so one meter covers the whole operation (bytes, rate,
time left over all its files) and each file has its own row. The price: the host holds all of them at once.

A retry does not resume a download: PowerShell Direct stages each guest path again (the guest's files may
have changed, and the staged folder of a failed attempt is removed with it), so the bytes crossing from the
guest to the host would cross again anyway. It does skip the files the failed attempt brought here
(`already_copied`).

Before anything is sent every guest path must be one Windows accepts (`guest_paths.check_folder`), the VM
must run and the session must hold a guest account for it. The host's own
refusals become `CopyRefused` with the fix: a wrong account, a guest that cannot host PowerShell Direct (a
Linux guest, or a Windows guest that has not finished starting) and a missing guest path. The password is
never in a message, a log line or the report.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from hvgui.domain.errors import HostCommandError
from hvgui.domain.guest_paths import GuestOs, check_folder
from hvgui.domain.operations import CopyFromGuestOperation, FileProgress, OperationProgress
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.transfers.download import StagedItem, download_staged, local_destination
from hvgui.remoting.transfers.host_calls import StagingCalls
from hvgui.remoting.transfers.report import ON_THIS_COMPUTER, CopyReport, FileOutcome, FileResult
from hvgui.remoting.transfers.tracker import FileTracker
from hvgui.remoting.transfers.upload import CHUNK_BYTES, VM_RUNNING, CopyRefused, Progress, RefusalReason, _remove


async def copy_from_guest(
    connection: HostConnection,
    operation: CopyFromGuestOperation,
    credential: GuestCredential | None,
    *,
    on_progress: Progress = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> CopyReport:
    """Copy the operation's guest paths to its local folder and report what happened to each file.

    Raises CopyRefused when a precondition fails or the guest refuses (nothing is left staged),
    HostCommandError when a file does not arrive intact, and the connection's errors.
    """
    vm = operation.target.vm_name
    if credential is None:
        raise CopyRefused(
            f"hvgui needs an account of the guest of '{vm}' to copy files out of it (PowerShell Direct signs in "
            "to the guest). Enter one, then copy again.",
            RefusalReason.GuestAccountMissing,
        )
    for guest_path in operation.guest_paths:
        # A path that starts with / is left to the host, which says that PowerShell Direct needs Windows.
        problem = None if guest_path.startswith("/") else check_folder(guest_path, GuestOs.Windows)
        if problem is not None:
            raise CopyRefused(f"{problem.reason} Nothing was copied.", RefusalReason.GuestPathInvalid)
    calls = StagingCalls(connection)
    target = await calls.copy_target(operation.target.vm_id)
    if target.state != VM_RUNNING:
        raise CopyRefused(
            f"'{vm}' is not running. PowerShell Direct reaches only a running guest: start the VM, then copy again.",
            RefusalReason.VmNotRunning,
        )
    folder = Path(operation.local_folder)
    earlier = set(operation.already_copied)
    results: list[FileResult] = []
    pending: list[uuid.UUID] = []  # staged on the host, not yet downloaded (and so not yet removed)
    try:
        staged_paths: list[tuple[uuid.UUID, list[StagedItem]]] = []
        for number, guest_path in enumerate(operation.guest_paths, start=1):
            if on_progress is not None:
                count = len(operation.guest_paths)
                on_progress(OperationProgress(None, f"Copying out of the guest to the host: path {number} of {count}"))
            transfer_id = uuid.uuid4()
            pending.append(transfer_id)
            try:
                staged = await calls.stage_from_guest(operation.target.vm_id, credential, guest_path, transfer_id)
            except HostCommandError as error:
                raise guest_refusal(error, vm, credential.user, guest_path) from error
            items = []
            for path, length, sha256 in staged:
                item = StagedItem(path, length, sha256)
                destination = str(local_destination(folder, path))
                if destination in earlier:  # copied by the attempt this one retries
                    results.append(FileResult(destination, FileOutcome.Copied, length))
                else:
                    items.append(item)
            staged_paths.append((transfer_id, items))
        # One meter for the whole operation: every guest path is staged first, so the total is known.
        tracker = FileTracker(
            [
                FileProgress(str(local_destination(folder, item.relative_path)), item.length)
                for _transfer_id, items in staged_paths
                for item in items
            ]
        )
        first = 0
        for transfer_id, items in staged_paths:
            pending.remove(transfer_id)  # download_staged removes it, whatever happens
            report = await download_staged(
                calls,
                transfer_id,
                items,
                folder,
                operation.existing,
                on_progress=on_progress,
                chunk_bytes=chunk_bytes,
                tracker=tracker,
                first=first,
            )
            first += len(items)
            results.extend(report.files)
    finally:
        for transfer_id in pending:
            await _remove(calls, transfer_id)
    return CopyReport(tuple(results), where=ON_THIS_COMPUTER)


def guest_refusal(
    error: HostCommandError, vm: str, user: str, guest_path: str, *, again: str = "copy again"
) -> HostCommandError:
    """The host's PowerShell Direct errors (by error id, whatever the host's language) with their fix; `again`
    says what to do once it is fixed ("copy again", "browse again")."""
    error_id = (error.fully_qualified_error_id or "").split(",")[0]
    if error_id == "InvalidCredential":
        return CopyRefused(
            f"The guest of '{vm}' refused the account '{user}' ({error.message}). Check the user name (e.g. "
            f".\\Administrator) and the password, then {again}.",
            RefusalReason.GuestAccountRejected,
        )
    if error_id == "PSSessionOpenFailed":
        return CopyRefused(
            f"PowerShell Direct cannot reach the guest of '{vm}' ({error.message}). It needs a Windows guest "
            "(Windows 10 or Windows Server 2016 and later) that has finished starting; PowerShell Direct does not "
            "support Linux guests.",
            RefusalReason.PowerShellDirectUnavailable,
        )
    if error_id == "PathNotFound":
        return CopyRefused(
            f"'{guest_path}' does not exist in the guest of '{vm}'; nothing was copied.",
            RefusalReason.GuestPathMissing,
        )
    return error
