"""Browsing a Windows guest's files through PowerShell Direct: `Get-HvGuiGuestChildItem` on one connection.

One call lists the guest's drives (no path) or one folder. The guest account comes from the session's
`GuestCredentials` and travels as a PSCredential parameter (its password a SecureString), never as text; the
path is a parameter too. The host's refusals become `CopyRefused` with the same reasons and fixes a copy out
of the guest gets (a wrong account, a guest PowerShell Direct cannot reach, a missing folder), plus a folder
the account may not list.
"""

from __future__ import annotations

import uuid

from hvgui.domain.errors import HostCommandError, ProtocolError
from hvgui.domain.guest_files import LISTING_LIMIT, GuestDrive, GuestEntry, GuestFolder, is_rooted, parse_modified
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.pipeline import PipelineSpec
from hvgui.remoting.transfers.from_guest import guest_refusal
from hvgui.remoting.transfers.host_calls import CALL_TIMEOUT, _json
from hvgui.remoting.transfers.upload import CopyRefused, RefusalReason

AGAIN = "browse again"


async def list_guest_folder(
    connection: HostConnection,
    vm_id: str,
    vm_name: str,
    credential: GuestCredential | None,
    path: str = "",
    *,
    limit: int = LISTING_LIMIT,
) -> GuestFolder:
    """The guest's drives (`path` ""), or the entries of the folder `path` (at most `limit`).

    Raises CopyRefused (with `reason`) when there is no account, the guest refuses it or cannot be reached,
    the folder is missing or may not be listed; HostCommandError and the connection's errors otherwise.
    """
    if credential is None:
        raise CopyRefused(
            f"hvgui needs an account of the guest of '{vm_name}' to browse its files (PowerShell Direct signs in "
            "to the guest). Enter one, then browse again.",
            RefusalReason.GuestAccountMissing,
        )
    if path and not is_rooted(path):
        raise CopyRefused(
            f"'{path}' is not a full guest path; type one that starts with a drive, for example C:\\Logs.",
            RefusalReason.GuestPathInvalid,
        )
    spec = (
        PipelineSpec.cmdlet("Get-HvGuiGuestChildItem").param("VMId", uuid.UUID(vm_id)).param("Credential", credential)
    )
    if path:
        spec = spec.param("Path", path)
    spec = spec.param("Limit", limit)
    try:
        document = _json(await connection.run(spec, timeout=CALL_TIMEOUT), "Get-HvGuiGuestChildItem")
    except HostCommandError as error:
        raise guest_refusal(error, vm_name, credential.user, path, again=AGAIN) from error
    return _folder(document, path, vm_name)


def _folder(document: dict[str, object], path: str, vm_name: str) -> GuestFolder:
    if not path:
        drives = document.get("drives")
        if not isinstance(drives, list):
            raise ProtocolError("Get-HvGuiGuestChildItem answered no list of drives.")
        return GuestFolder(
            "",
            drives=tuple(
                GuestDrive(
                    str(d.get("n") or ""), str(d.get("root") or ""), int(d.get("free") or 0), int(d.get("used") or 0)
                )
                for d in drives
                if isinstance(d, dict)
            ),
        )
    error, message = document.get("error"), str(document.get("message") or "")
    if error in ("missing", "notFolder"):
        what = "is a file, not a folder" if error == "notFolder" else "does not exist"
        raise CopyRefused(f"'{path}' {what} in the guest of '{vm_name}'.", RefusalReason.GuestPathMissing)
    if error == "denied":
        raise CopyRefused(
            f"The guest of '{vm_name}' does not let this account list '{path}' ({message}). Sign in with an "
            "account that may read it, or choose another folder.",
            RefusalReason.GuestAccessDenied,
        )
    if error is not None:
        raise HostCommandError(f"The guest of '{vm_name}' could not list '{path}': {message}")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise ProtocolError("Get-HvGuiGuestChildItem answered no list of entries.")
    return GuestFolder(
        str(document.get("path") or path),
        entries=tuple(_entry(e) for e in entries if isinstance(e, dict)),
        truncated=bool(document.get("truncated")),
    )


def _entry(raw: dict[str, object]) -> GuestEntry:
    is_folder = bool(raw.get("d"))
    length = raw.get("l")
    return GuestEntry(
        name=str(raw.get("n") or ""),
        path=str(raw.get("p") or ""),
        is_folder=is_folder,
        length=None if is_folder or length is None else int(length),  # type: ignore[call-overload]
        modified=parse_modified(raw.get("m")),
        hidden=bool(raw.get("h")),
        system=bool(raw.get("s")),
    )
