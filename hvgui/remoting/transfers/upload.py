"""The copy engine: files of this computer into a running guest, through the host's staging folder.

Copy-VMFile copies only from the host, so each file goes in three steps:

1. It is streamed from disk in chunks (`CHUNK_BYTES`) to `%ProgramData%\\hvgui\\staging\\<id>.part` on the host
   with `Write-HvGuiStagedChunk`, the data as a `[byte[]]` parameter. Memory holds one chunk, whatever the
   file's size, and the file's SHA-256 is computed while it is read.
2. The host reports the staged length and SHA-256 (`Get-HvGuiStagedFile -Sha256`); they must match.
3. `Copy-HvGuiStagedFileToGuest` runs Copy-VMFile by VM id, with -CreateFullPath and -Force as the admin chose.
   When the file exists in the guest and the admin chose Ask, the copy asks and waits (`existing.py`); an
   Overwrite runs Copy-VMFile again with -Force from the same staged file. When the guest's files can be
   looked at first (`guest_files`), a file that exists there is decided about before step 1.

The staged file is removed afterwards, whether the file was copied, skipped, failed or cancelled.

Before any byte is sent the VM must run, its Guest Service Interface must be enabled and answering (on a Linux
guest that needs the file-copy daemon) and the staging folder's volume must have room for the largest file.

A dropped connection mid-file does not start the file again: the engine asks the host how much is staged and
goes on from there (`RESUME_ATTEMPTS` times per file); the SHA-256 check still covers the whole file.

Across attempts. Each file's transfer id is derived from the operation's `transfer_key`, the VM, both paths,
the size and the modification time (`staged_id`), so a retry of the operation names the same staged file, and
a file changed since names another. When the connection is still gone after resuming, the copy fails with
what reached the host left staged (the file is `Interrupted`, its record names the transfer id); a retry
(`attempt` > 1) asks the host for the staged length and the SHA-256 of what it holds, compares it with the
same prefix of the local file, and appends from there, or sends the file from the start when they differ.
Files the failed attempt copied are not sent again (`already_copied`). Whatever else ends a file (the host
refused it, a cancel) removes its staged file as before; a kept one is removed when the admin dismisses the
failed copy or the window closes (the runner's `discard_staged`), or by the stale-staging sweep.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import hashlib
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, Protocol

from hvgui.domain.errors import ConnectionFailed, HostCommandError, HvGuiError, OperationCancelled, OperationTimedOut
from hvgui.domain.existing_files import AskExisting
from hvgui.domain.operations import CopyToGuestOperation, ExistingFile, FileProgress, FileState, OperationProgress
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.transfers.existing import CopyCancelledByAnswer, ExistingFiles, GuestFiles
from hvgui.remoting.transfers.host_calls import CopyTarget, StagingCalls, is_file_exists
from hvgui.remoting.transfers.meter import TransferMeter, megabytes
from hvgui.remoting.transfers.plan import FileToCopy, plan_copy
from hvgui.remoting.transfers.report import CopyReport, FileOutcome, FileResult
from hvgui.remoting.transfers.tracker import FileMeter, FileTracker, failure_reason

log = logging.getLogger(__name__)

#: 4 MiB per call: large enough that the per-call cost of a host (a pipeline, a function call) is small
#: against the data, small enough that memory stays flat and a dropped call costs little to resend.
CHUNK_BYTES = 4 * 1024 * 1024
#: Times one file resumes after a dropped connection before the copy fails.
RESUME_ATTEMPTS = 3
#: Seconds before a resume (the connection re-opens its pool on the next call).
RESUME_PAUSE = 1.0
VM_RUNNING = 2  # VMState.Running
GSI_OK = 2  # VMIntegrationComponentOperationalStatus.Ok
_DROPPED = (ConnectionFailed, OperationTimedOut)

Progress = Callable[[OperationProgress], None] | None


class RefusalReason(enum.Enum):
    """Why a copy was refused before any byte was sent: the UI offers the matching fix (e.g. to enable
    Guest Service Interface, with the usual confirmation)."""

    SourceMissing = "source-missing"
    VmNotRunning = "vm-not-running"
    GuestServiceDisabled = "gsi-disabled"
    GuestServiceNotAnswering = "gsi-not-answering"  # on a Linux guest: the file-copy daemon is missing
    StagingFull = "staging-full"
    # A copy out of a guest (PowerShell Direct):
    GuestAccountMissing = "guest-account-missing"  # the UI asks for the guest account, then submits again
    GuestAccountRejected = "guest-account-rejected"
    PowerShellDirectUnavailable = "powershell-direct-unavailable"  # a Linux guest, or one not started
    GuestPathMissing = "guest-path-missing"
    GuestAccessDenied = "guest-access-denied"  # the guest account may not read that folder (browsing)
    GuestPathInvalid = "guest-path-invalid"  # a path Windows rejects: refused before anything is sent


class CopyRefused(HostCommandError):
    """A copy that cannot work, refused before any byte was sent; the message names the fix."""

    def __init__(self, message: str, reason: RefusalReason) -> None:
        super().__init__(message, fully_qualified_error_id=f"CopyRefused.{reason.value},hvgui")
        self.reason = reason


async def copy_to_guest(
    connection: HostConnection,
    operation: CopyToGuestOperation,
    *,
    on_progress: Progress = None,
    chunk_bytes: int = CHUNK_BYTES,
    ask_existing: AskExisting | None = None,
    guest_files: GuestFiles | None = None,
    extra_lanes: ExtraLanes | None = None,
) -> CopyReport:
    """Copy the operation's files into its VM and report what happened to each (see the module docstring).

    `ask_existing` answers for a file that exists in the guest when the operation says Ask (without it such a
    file is reported `Exists`); `guest_files` shows what the guest holds before a file is sent. Raises
    CopyRefused when a precondition fails, HostCommandError when the host refuses a file (the message names
    it), OperationCancelled when the admin answers "Cancel copy" (with the report so far), and the
    connection's errors when the host cannot be reached even after resuming.
    """
    try:
        files = plan_copy(operation.sources, operation.guest_folder)
    except FileNotFoundError as missing:
        raise CopyRefused(
            f"'{missing.args[0]}' does not exist on this computer; nothing was copied.", RefusalReason.SourceMissing
        ) from None
    calls = StagingCalls(connection)
    target = await calls.copy_target(operation.target.vm_id)
    earlier = set(operation.already_copied)
    to_send = [f for f in files if f.guest_path not in earlier]
    check_preconditions(target, operation, to_send)
    meter = FileTracker(
        [FileProgress(f.guest_path, f.size) for f in to_send],
        TransferMeter(sum(f.size for f in to_send)),
    )

    def report(note: str = "") -> None:
        if on_progress is not None:
            on_progress(meter.progress(note))

    report()
    existing = ExistingFiles(operation, to_send, ask_existing, meter, on_progress, guest_files)
    results: dict[int, FileResult] = {}
    earlier_results = [FileResult(f.guest_path, FileOutcome.Copied, f.size) for f in files if f.guest_path in earlier]
    waiting = collections.deque(enumerate(to_send))

    async def send_next(worker_calls: StagingCalls) -> None:
        """Send files from the queue until it is empty (one worker per connection)."""
        while waiting:
            index, item = waiting.popleft()
            note = f"file {index + 1} of {len(to_send)}" if len(to_send) > 1 else ""
            meter.begin(index)
            file_meter = meter.of_file(index)
            try:
                outcome = await existing.before_sending(item)
                if outcome is None:
                    outcome = await _send_file(
                        worker_calls, operation, item, file_meter, lambda note=note: report(note), chunk_bytes, existing
                    )
                else:
                    report(note)  # decided without sending it
            except CopyCancelledByAnswer:
                meter.end(FileState.Failed, "Cancelled: you chose Cancel copy.", index=index)
                report()
                raise
            except _DROPPED as error:
                meter.end(
                    FileState.Interrupted, failure_reason(error), staged=str(staged_id(operation, item)), index=index
                )
                report()
                raise
            except BaseException as error:
                cancelled = isinstance(error, asyncio.CancelledError)
                meter.end(FileState.Failed, "Cancelled." if cancelled else failure_reason(error), index=index)
                report()
                raise
            finally:
                await existing.settle(item)
            meter.end(_FILE_STATES.get(outcome, FileState.Copied), index=index)
            results[index] = FileResult(item.guest_path, outcome, item.size)

    try:
        # With Ask and someone to ask, files go one at a time: questions then come in the files' order, and
        # "Cancel copy" stops at the file it names with the later ones untouched.
        asks = operation.existing is ExistingFile.Ask and ask_existing is not None
        await _in_parallel(calls, send_next, None if asks else extra_lanes, wanted=len(to_send))
    except CopyCancelledByAnswer as answer:
        item = answer.item
        done = earlier_results + [results[i] for i in sorted(results)]
        cancelled = [
            FileResult(f.guest_path, FileOutcome.Cancelled, f.size) for i, f in enumerate(to_send) if i not in results
        ]
        copy = CopyReport(tuple(done + cancelled))
        raise OperationCancelled(
            f"Cancelled: {item.guest_path} exists in the guest and you chose Cancel copy. {copy.summary()}",
            result=copy,
        ) from None
    report()
    return CopyReport(tuple(earlier_results + [results[i] for i in sorted(results)]))


class ExtraLanes(Protocol):
    """More connections to the host for one copy, lent by the host's work lane while it has free slots."""

    def take(self) -> HostConnection | None:
        """A connection to use now, or None when the lane has none to spare (other operations come first)."""
        ...

    def give_back(self, connection: HostConnection) -> None: ...


#: The most connections one copy uses at once. Several files at once help most where each file's fixed cost
#: (its staging calls, the SHA-256 check, Copy-VMFile's set-up) outweighs its bytes: many small files.
MAX_LANES_PER_COPY = 4


async def _in_parallel(
    calls: StagingCalls,
    send_next: Callable[[StagingCalls], Awaitable[None]],
    extra_lanes: ExtraLanes | None,
    *,
    wanted: int,
) -> None:
    """Run `send_next` on the copy's own connection and, for a copy of several files, on as many more as the
    work lane can spare (at most `MAX_LANES_PER_COPY` in all, and one per file). The first failure stops the
    others (each removes what it staged, as a cancel does) and is raised."""
    borrowed: list[HostConnection] = []
    if extra_lanes is not None:
        while len(borrowed) + 1 < min(wanted, MAX_LANES_PER_COPY):
            connection = extra_lanes.take()
            if connection is None:
                break
            borrowed.append(connection)
    workers = [asyncio.ensure_future(send_next(calls))]
    workers += [asyncio.ensure_future(send_next(StagingCalls(connection))) for connection in borrowed]
    try:
        if len(workers) == 1:
            await workers[0]
            return
        _done, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        failed = next((w for w in workers if w.done() and not w.cancelled() and w.exception() is not None), None)
        if failed is not None:
            for worker in pending:
                worker.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise failed.exception()  # type: ignore[misc]
    finally:
        for worker in workers:
            if not worker.done():
                worker.cancel()
        if any(not w.done() for w in workers):
            await asyncio.gather(*workers, return_exceptions=True)
        for connection in borrowed:
            extra_lanes.give_back(connection)  # type: ignore[union-attr]


_FILE_STATES = {
    FileOutcome.Copied: FileState.Copied,
    FileOutcome.Overwritten: FileState.Copied,
    FileOutcome.Skipped: FileState.Skipped,
    FileOutcome.Exists: FileState.Exists,
}


def staged_id(operation: CopyToGuestOperation, item: FileToCopy) -> uuid.UUID:
    """The transfer id of one file of the copy: the same in every attempt of the operation while the local
    file keeps its size and modification time (a retry finds what an earlier attempt staged)."""
    try:
        modified = item.local.stat().st_mtime_ns
    except OSError:
        modified = 0
    name = "|".join(
        (
            operation.transfer_key,
            operation.target.vm_id,
            item.guest_path,
            str(item.local),
            str(item.size),
            str(modified),
        )
    )
    return uuid.uuid5(_TRANSFER_NAMESPACE, name)


#: The namespace of the transfer ids of copies into a guest (any fixed UUID would do).
_TRANSFER_NAMESPACE = uuid.UUID("3f5c1e52-8a4b-4d0e-9a57-6b7e2f1c9d10")


def check_preconditions(target: CopyTarget, operation: CopyToGuestOperation, files: list[FileToCopy]) -> None:
    """Raise CopyRefused, naming the fix, when the copy cannot work."""
    vm = operation.target.vm_name
    if target.state != VM_RUNNING:
        raise CopyRefused(
            f"'{vm}' is not running. Hyper-V copies files only into a running guest: start the VM, then copy again.",
            RefusalReason.VmNotRunning,
        )
    if not target.gsi_enabled:
        raise CopyRefused(
            f"Guest Service Interface is disabled on '{vm}', so Hyper-V cannot copy files into it. Enable it "
            "(Integration Services: Guest Service Interface), then copy again.",
            RefusalReason.GuestServiceDisabled,
        )
    if target.gsi_status != GSI_OK:
        status = f" (the host reports '{target.gsi_text}')" if target.gsi_text else ""
        if operation.guest_folder.startswith("/"):
            fix = (
                "On a Linux guest the file-copy daemon must run: install hyperv-daemons (or linux-cloud-tools) "
                "and start hv_fcopy_uio_daemon"
            )
        else:
            fix = "In the guest, start the 'Hyper-V Guest Service Interface' service (vmicguestinterface)"
        raise CopyRefused(
            f"The guest of '{vm}' does not answer Guest Service Interface{status}. {fix}, then copy again.",
            RefusalReason.GuestServiceNotAnswering,
        )
    largest = max(files, key=lambda f: f.size, default=None)
    if largest is not None and largest.size > target.free:
        raise CopyRefused(
            f"The host's staging folder {target.staging} has {megabytes(target.free)} MB free; "
            f"'{largest.local.name}' needs {megabytes(largest.size)} MB. Free space on that volume, then copy again.",
            RefusalReason.StagingFull,
        )


async def _send_file(
    calls: StagingCalls,
    operation: CopyToGuestOperation,
    item: FileToCopy,
    meter: FileMeter,
    report: Callable[[], None],
    chunk_bytes: int,
    existing: ExistingFiles,
) -> FileOutcome:
    transfer_id = staged_id(operation, item)
    start = meter.done
    try:
        try:
            digest = await _stage(calls, transfer_id, item, meter, report, chunk_bytes, resume=operation.attempt > 1)
        except HostCommandError as error:  # e.g. the staging volume filled up meanwhile
            raise _naming(error, f"Sending '{item.local.name}' to the host failed") from error
        staged = await calls.staged(transfer_id, sha256=True)
        if staged.length != item.size or staged.sha256 != digest:
            raise HostCommandError(
                f"'{item.local.name}' did not arrive intact on the host (staged {staged.length} of {item.size} "
                "bytes, or a different SHA-256); nothing was copied into the guest. Copy again.",
                fully_qualified_error_id="StagedFileMismatch,hvgui",
            )
        if await _copy_staged(calls, operation, transfer_id, item, force=existing.force(item)):
            return existing.copied(item)
        outcome = await existing.decide(item)  # it exists in the guest: Skip, or Ask (the admin may be asked)
        if outcome is FileOutcome.Overwritten:
            await _copy_staged(calls, operation, transfer_id, item, force=True)  # the same staged file
        return outcome
    finally:
        meter.add(start + item.size - meter.done)  # a skipped or failed file counts as done for the total
        # The connection is gone (even after resuming): what reached the host stays for a retry. Anything
        # else (a success, the host's refusal, a cancel) removes it.
        if not isinstance(sys.exception(), _DROPPED):
            await _remove(calls, transfer_id)


async def _copy_staged(
    calls: StagingCalls, operation: CopyToGuestOperation, transfer_id: uuid.UUID, item: FileToCopy, *, force: bool
) -> bool:
    """Copy-VMFile of the staged file; False when the file exists in the guest (only without -Force)."""
    try:
        await calls.copy_to_guest(
            operation.target.vm_id,
            transfer_id,
            item.guest_path,
            create_full_path=operation.create_folders,
            force=force,
        )
    except HostCommandError as error:
        if not force and is_file_exists(error):
            return False
        raise _naming(error, f"Copying '{item.local.name}' to {item.guest_path} failed") from error
    return True


def _naming(error: HostCommandError, what: str) -> HostCommandError:
    """The host's error with the file it concerns in front."""
    return HostCommandError(
        f"{what}: {error.message}",
        fully_qualified_error_id=error.fully_qualified_error_id,
        category=error.category,
        target=error.target,
        hint=error.hint,
    )


async def _stage(
    calls: StagingCalls,
    transfer_id: uuid.UUID,
    item: FileToCopy,
    meter: FileMeter,
    report: Callable[[], None],
    chunk_bytes: int,
    *,
    resume: bool = False,
) -> str:
    """Stream the file to the host and return its SHA-256 (upper-case hex), resuming after drops; with
    `resume` (a retry), first go on from what an earlier attempt staged when its SHA-256 matches."""
    hasher = hashlib.sha256()
    hashed = 0  # bytes of the file the hasher has seen, in order
    offset = 0  # bytes the host holds
    drops = 0
    with item.local.open("rb") as stream:
        if resume:
            hasher, offset = await _verified_prefix(calls, transfer_id, item, stream)
            hashed = offset
            meter.add(offset)
            report()
        if item.size == 0:
            await calls.write_chunk(transfer_id, 0, b"")  # an empty file must exist for Copy-VMFile
        while offset < item.size:
            stream.seek(offset)
            data = stream.read(min(chunk_bytes, item.size - offset))
            if not data:
                raise HostCommandError(f"'{item.local.name}' became shorter while it was copied; copy again.")
            try:
                length = await calls.write_chunk(transfer_id, offset, data)
            except _DROPPED as dropped:
                drops += 1
                if drops > RESUME_ATTEMPTS:
                    raise
                log.info("copy of %s: %r; resuming from what is staged", item.local, dropped)
                length = await _staged_length(calls, transfer_id, drops)
            if hashed == offset and length == offset + len(data):
                hasher.update(data)
                hashed = length
            elif length != hashed:  # after a drop the host holds another amount: hash what it holds
                hasher, hashed = _hash_prefix(stream, length)
            meter.add(length - offset)
            offset = length
            report()
    return hasher.hexdigest().upper()


async def _verified_prefix(
    calls: StagingCalls, transfer_id: uuid.UUID, item: FileToCopy, stream: BinaryIO
) -> tuple[Any, int]:
    """What an earlier attempt staged, when it is a prefix of the local file: the SHA-256 state of that prefix
    and its length. (a new hasher, 0) when nothing is staged, or what is staged is not the file's beginning
    (then the first chunk, written at offset 0, replaces it)."""
    staged = await calls.staged(transfer_id)
    if not staged.exists or staged.length == 0 or staged.length > item.size:
        return hashlib.sha256(), 0
    staged = await calls.staged(transfer_id, sha256=True)
    hasher, length = _hash_prefix(stream, staged.length)
    if length == staged.length and hasher.copy().hexdigest().upper() == staged.sha256:
        log.info("copy of %s: %d bytes staged by an earlier attempt verified; going on from there", item.local, length)
        return hasher, length
    log.info("copy of %s: what is staged is not the file's beginning; sending it from the start", item.local)
    return hashlib.sha256(), 0


async def _staged_length(calls: StagingCalls, transfer_id: uuid.UUID, drops: int) -> int:
    """How much the host holds after a drop (asked again while the connection comes back)."""
    while True:
        await asyncio.sleep(RESUME_PAUSE)
        try:
            return (await calls.staged(transfer_id)).length
        except _DROPPED:
            drops += 1
            if drops > RESUME_ATTEMPTS:
                raise


def _hash_prefix(stream: BinaryIO, length: int) -> tuple[Any, int]:
    """The SHA-256 state of the file's first `length` bytes, read again from disk in chunks."""
    hasher = hashlib.sha256()
    stream.seek(0)
    remaining = length
    while remaining > 0:
        data = stream.read(min(CHUNK_BYTES, remaining))
        if not data:
            break
        hasher.update(data)
        remaining -= len(data)
    return hasher, length - remaining


async def _remove(calls: StagingCalls, transfer_id: uuid.UUID) -> None:
    """Remove the staged file, also while the copy is being cancelled; a failure is logged, not raised."""
    try:
        await asyncio.shield(calls.remove(transfer_id))
    except (HvGuiError, asyncio.CancelledError) as exc:
        log.warning("could not remove the staged file %s: %r", transfer_id, exc)
