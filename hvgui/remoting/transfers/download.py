"""The download half of a copy out of a guest: files staged on the host brought to this computer, verified.

A copy out of a Windows guest first puts the guest's files in the transfer's own staging folder on the host
(`staging\\<transfer id>\\`, PowerShell Direct's `Copy-Item -FromSession`); the host reports each staged file
with its path relative to that folder, its length and its SHA-256. `download_staged` then, file by file:

1. streams it with `Read-HvGuiStagedChunk` in chunks (`CHUNK_BYTES`) into a temporary file next to its
   destination (`.<name>.<random>.hvgui-part`), so memory holds one chunk whatever the file's size and a
   half-received file never carries the real name;
2. checks the length and SHA-256 against the host's report;
3. moves it into place (`os.replace`, atomic on one volume) — or, when a file of that name exists, skips it
   (Skip) or reports it (Ask) as the upload does, and replaces it only with Overwrite.

A dropped connection re-reads the chunk it was reading (`RESUME_ATTEMPTS` times per file), not the file.
Whatever happens — success, a refusal, a failure, a cancel — the temporary file is deleted and the staged
folder on the host is removed (`Remove-HvGuiStagedFile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import BinaryIO

from hvgui.domain.errors import HostCommandError, ProtocolError
from hvgui.domain.operations import ExistingFile, FileProgress, FileState
from hvgui.remoting.transfers.host_calls import StagingCalls
from hvgui.remoting.transfers.report import ON_THIS_COMPUTER, CopyReport, FileOutcome, FileResult
from hvgui.remoting.transfers.tracker import FileTracker, failure_reason
from hvgui.remoting.transfers.upload import _DROPPED, CHUNK_BYTES, RESUME_ATTEMPTS, RESUME_PAUSE, Progress, _remove

log = logging.getLogger(__name__)

PART_SUFFIX = ".hvgui-part"


@dataclass(frozen=True)
class StagedItem:
    """One file a copy out of a guest staged on the host, as the host reports it."""

    relative_path: str  # inside the transfer's staging folder, Windows separators: "Logs\\setup.log"
    length: int
    sha256: str  # upper-case hex


def local_destination(local_folder: Path, relative_path: str) -> Path:
    """Where a staged file lands: the same relative path under `local_folder`. A path the host reports that
    would lead elsewhere (rooted, a drive, `..`) is a protocol error, never followed."""
    windows = PureWindowsPath(relative_path)
    parts = windows.parts
    if not parts or windows.drive or windows.root or any(p in ("..", ".") for p in parts):
        raise ProtocolError(f"The host reported a staged file outside the transfer: {relative_path!r}.")
    return local_folder.joinpath(*parts)


async def download_staged(
    calls: StagingCalls,
    transfer_id: uuid.UUID,
    items: Sequence[StagedItem],
    local_folder: Path,
    existing: ExistingFile,
    *,
    on_progress: Progress = None,
    chunk_bytes: int = CHUNK_BYTES,
    tracker: FileTracker | None = None,
    first: int = 0,
) -> CopyReport:
    """Bring every staged item of the transfer to `local_folder` (see the module docstring); the staged folder
    is removed on the host at the end, also after a failure or a cancel.

    `tracker` counts the bytes and each file: a copy of several guest paths passes one for all of them (its
    files from index `first` are these items, in order); without one, the items get their own.

    Raises HostCommandError when a file does not arrive intact or the host refuses a read (the message names
    the file), OSError when this computer cannot write it, and the connection's errors when the host cannot
    be reached even after re-reading.
    """
    try:
        targets = [(item, local_destination(local_folder, item.relative_path)) for item in items]
        if tracker is None:
            tracker = FileTracker([FileProgress(str(d), item.length) for item, d in targets])
            first = 0
        meter = tracker

        def report(note: str = "") -> None:
            if on_progress is not None:
                on_progress(meter.progress(note))

        report()
        results = []
        count = len(meter.files)
        for index, (item, destination) in enumerate(targets, start=first + 1):
            note = f"file {index} of {count}" if count > 1 else ""
            start = meter.done
            meter.begin(index - 1)
            try:
                outcome = await _receive_file(
                    calls, transfer_id, item, destination, existing, meter, lambda n=note: report(n), chunk_bytes
                )
            except BaseException as error:
                cancelled = isinstance(error, asyncio.CancelledError)
                meter.end(FileState.Failed, "Cancelled." if cancelled else failure_reason(error))
                report()
                raise
            finally:
                meter.add(start + item.length - meter.done)  # a skipped or failed file counts as done
            meter.end(_FILE_STATES.get(outcome, FileState.Copied))
            results.append(FileResult(str(destination), outcome, item.length))
        report()
        return CopyReport(tuple(results), where=ON_THIS_COMPUTER)
    finally:
        await _remove(calls, transfer_id)


_FILE_STATES = {
    FileOutcome.Copied: FileState.Copied,
    FileOutcome.Skipped: FileState.Skipped,
    FileOutcome.Exists: FileState.Exists,
}


async def _receive_file(
    calls: StagingCalls,
    transfer_id: uuid.UUID,
    item: StagedItem,
    destination: Path,
    existing: ExistingFile,
    meter: FileTracker,
    report: Callable[[], None],
    chunk_bytes: int,
) -> FileOutcome:
    if destination.exists() and existing is not ExistingFile.Overwrite:
        return FileOutcome.Skipped if existing is ExistingFile.Skip else FileOutcome.Exists
    if destination.is_dir():
        raise HostCommandError(
            f"'{destination}' is a folder on this computer; '{item.relative_path}' was not copied.",
            fully_qualified_error_id="DestinationIsFolder,hvgui",
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = _create_part_file(destination)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            digest = await _stream(calls, transfer_id, item, stream, meter, report, chunk_bytes)
        if digest != item.sha256.upper():
            raise HostCommandError(
                f"'{item.relative_path}' did not arrive intact from the host (a different SHA-256); it was not "
                "copied. Copy again.",
                fully_qualified_error_id="DownloadedFileMismatch,hvgui",
            )
        os.replace(temporary, destination)
        return FileOutcome.Copied
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_part_file(destination: Path) -> tuple[int, str]:
    """A new, empty part file beside `destination` (`.<name>.<random>.hvgui-part`).

    Created with mode 0666 less the user's umask, like any file a program saves: once verified it becomes the
    copied file itself, so it must not keep the owner-only mode a temporary file would have.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = destination.parent / f".{destination.name}.{secrets.token_hex(4)}{PART_SUFFIX}"
        try:
            return os.open(path, flags, 0o666), str(path)
        except FileExistsError:
            continue


async def _stream(
    calls: StagingCalls,
    transfer_id: uuid.UUID,
    item: StagedItem,
    stream: BinaryIO,
    meter: FileTracker,
    report: Callable[[], None],
    chunk_bytes: int,
) -> str:
    """Write the staged file to `stream` chunk by chunk and return its SHA-256 (upper-case hex)."""
    hasher = hashlib.sha256()
    offset = 0
    drops = 0
    while offset < item.length:
        try:
            data = await calls.read_chunk(
                transfer_id, item.relative_path, offset, min(chunk_bytes, item.length - offset)
            )
        except _DROPPED as dropped:
            drops += 1
            if drops > RESUME_ATTEMPTS:
                raise
            log.info("download of %s: %r; reading the chunk again", item.relative_path, dropped)
            await asyncio.sleep(RESUME_PAUSE)
            continue
        except HostCommandError as error:
            raise HostCommandError(
                f"Reading '{item.relative_path}' from the host failed: {error.message}",
                fully_qualified_error_id=error.fully_qualified_error_id,
                category=error.category,
                target=error.target,
                hint=error.hint,
            ) from error
        if not data:
            raise HostCommandError(
                f"'{item.relative_path}' is shorter on the host than reported ({offset} of {item.length} bytes); "
                "it was not copied. Copy again.",
                fully_qualified_error_id="DownloadedFileMismatch,hvgui",
            )
        stream.write(data)
        hasher.update(data)
        offset += len(data)
        meter.add(len(data))
        report()
    return hasher.hexdigest().upper()
