"""The staging functions of hvgui's host module, called with typed parameters (never script text)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from hvgui.domain.errors import HostCommandError, ProtocolError
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.pipeline import PipelineSpec

#: A single chunk call should take well under a second; this bounds a host that stopped answering.
CALL_TIMEOUT = 120.0


@dataclass(frozen=True)
class CopyTarget:
    """`Get-HvGuiCopyTarget`: the VM's state, its Guest Service Interface and the staging folder's room."""

    state: int  # VMState: 2 Running
    gsi_enabled: bool | None  # None: the VM has no such component
    gsi_status: int | None  # VMIntegrationComponentOperationalStatus: 2 OK; None while the VM is off
    gsi_text: str
    staging: str
    free: int


@dataclass(frozen=True)
class StagedFile:
    exists: bool
    length: int
    sha256: str | None  # upper-case hex, when asked for


def _int64(value: int) -> int | str:
    """pypsrp sends a Python int as Int32; a larger value travels as its decimal text, which PowerShell's
    binder converts to the [long] parameter."""
    return value if -(2**31) <= value < 2**31 else str(value)


def _json(result: PipelineResult, command: str) -> dict[str, object]:
    texts = [o for o in result.output if isinstance(o, str)]
    if len(texts) != 1:
        if result.errors:
            raise result.errors[0]
        raise ProtocolError(f"{command} answered {len(result.output)} objects; hvgui expects one string.")
    document = json.loads(texts[0])
    if not isinstance(document, dict):
        raise ProtocolError(f"{command} answered something other than a JSON object.")
    return document


def _raise_errors(result: PipelineResult) -> None:
    if result.errors:
        raise result.errors[0]


class StagingCalls:
    """The staging functions on one connection."""

    def __init__(self, connection: HostConnection) -> None:
        self.connection = connection

    async def copy_target(self, vm_id: str) -> CopyTarget:
        spec = PipelineSpec.cmdlet("Get-HvGuiCopyTarget").param("VMId", uuid.UUID(vm_id))
        document = _json(await self.connection.run(spec, timeout=CALL_TIMEOUT), "Get-HvGuiCopyTarget")
        gsi, status = document.get("gsi"), document.get("gsiStatus")
        return CopyTarget(
            state=int(document.get("state") or 0),  # type: ignore[arg-type]
            gsi_enabled=None if gsi is None else bool(gsi),
            gsi_status=None if status is None else int(status),  # type: ignore[arg-type]
            gsi_text=str(document.get("gsiText") or ""),
            staging=str(document.get("staging") or ""),
            free=int(document.get("free") or 0),  # type: ignore[arg-type]
        )

    async def write_chunk(self, transfer_id: uuid.UUID, offset: int, data: bytes) -> int:
        """Write `data` at `offset` of the staged file; returns its new length."""
        spec = (
            PipelineSpec.cmdlet("Write-HvGuiStagedChunk")
            .param("TransferId", transfer_id)
            .param("Offset", _int64(offset))
            .param("Data", data)
        )
        result = await self.connection.run(spec, timeout=CALL_TIMEOUT)
        _raise_errors(result)
        if len(result.output) != 1:
            raise ProtocolError(f"Write-HvGuiStagedChunk answered {len(result.output)} objects; hvgui expects one.")
        return int(result.output[0])

    async def staged(self, transfer_id: uuid.UUID, *, sha256: bool = False) -> StagedFile:
        spec = PipelineSpec.cmdlet("Get-HvGuiStagedFile").param("TransferId", transfer_id)
        if sha256:
            spec = spec.switch("Sha256")
        document = _json(await self.connection.run(spec, timeout=CALL_TIMEOUT), "Get-HvGuiStagedFile")
        digest = document.get("sha256")
        return StagedFile(
            exists=bool(document.get("exists")),
            length=int(document.get("length") or 0),  # type: ignore[arg-type]
            sha256=None if digest is None else str(digest).upper(),
        )

    async def stage_from_guest(
        self, vm_id: str, credential: GuestCredential, path: str, transfer_id: uuid.UUID
    ) -> list[tuple[str, int, str]]:
        """PowerShell Direct copies `path` of the guest into the transfer's staging folder
        (`Copy-HvGuiGuestItemToStaging`); returns each staged file as (relative path, length, SHA-256)."""
        spec = (
            PipelineSpec.cmdlet("Copy-HvGuiGuestItemToStaging")
            .param("VMId", uuid.UUID(vm_id))
            .param("Credential", credential)
            .param("Path", path)
            .param("TransferId", transfer_id)
        )
        document = _json(await self.connection.run(spec, timeout=CALL_TIMEOUT), "Copy-HvGuiGuestItemToStaging")
        files = document.get("files")
        if not isinstance(files, list):
            raise ProtocolError("Copy-HvGuiGuestItemToStaging answered no list of files.")
        return [(str(f["path"]), int(f["length"]), str(f["sha256"]).upper()) for f in files]

    async def read_chunk(self, transfer_id: uuid.UUID, relative_path: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes at `offset` of a file a copy out of a guest staged (`Read-HvGuiStagedChunk`);
        fewer at the end of the file, b"" at its very end (the host answers nothing there)."""
        spec = (
            PipelineSpec.cmdlet("Read-HvGuiStagedChunk")
            .param("TransferId", transfer_id)
            .param("RelativePath", relative_path)
            .param("Offset", _int64(offset))
            .param("Length", length)
        )
        result = await self.connection.run(spec, timeout=CALL_TIMEOUT)
        _raise_errors(result)
        if not result.output:
            return b""
        if len(result.output) != 1 or not isinstance(result.output[0], (bytes, bytearray)):
            raise ProtocolError(
                f"Read-HvGuiStagedChunk answered {len(result.output)} objects; hvgui expects one byte array."
            )
        data = bytes(result.output[0])
        if len(data) > length:
            raise ProtocolError(f"Read-HvGuiStagedChunk answered {len(data)} bytes for a chunk of {length}.")
        return data

    async def remove(self, transfer_id: uuid.UUID) -> None:
        """Remove what is staged for the transfer: the file of a copy into a guest, the folder of a copy out."""
        spec = PipelineSpec.cmdlet("Remove-HvGuiStagedFile").param("TransferId", transfer_id)
        _raise_errors(await self.connection.run(spec, timeout=CALL_TIMEOUT))

    async def remove_stale(self, older_than_hours: int) -> list[str]:
        """Remove what copies left staged and nobody wrote for `older_than_hours` (`Remove-HvGuiStaleStagedFile`);
        returns the names removed."""
        spec = PipelineSpec.cmdlet("Remove-HvGuiStaleStagedFile").param("OlderThanHours", older_than_hours)
        document = _json(await self.connection.run(spec, timeout=CALL_TIMEOUT), "Remove-HvGuiStaleStagedFile")
        removed = document.get("removed")
        if not isinstance(removed, list):
            raise ProtocolError("Remove-HvGuiStaleStagedFile answered no list of names.")
        return [str(name) for name in removed]

    async def copy_to_guest(
        self, vm_id: str, transfer_id: uuid.UUID, destination: str, *, create_full_path: bool, force: bool
    ) -> None:
        """Copy-VMFile of the staged file; raises the host's first error (HostCommandError)."""
        spec = (
            PipelineSpec.cmdlet("Copy-HvGuiStagedFileToGuest")
            .param("VMId", uuid.UUID(vm_id))
            .param("TransferId", transfer_id)
            .param("DestinationPath", destination)
        )
        if create_full_path:
            spec = spec.switch("CreateFullPath")
        if force:
            spec = spec.switch("Force")
        _raise_errors(await self.connection.run(spec, timeout=CALL_TIMEOUT))


def is_file_exists(error: HostCommandError) -> bool:
    """Copy-VMFile's "The file exists. (0x80070050)": ERROR_FILE_EXISTS, whatever the host's language."""
    return "0x80070050" in error.message
