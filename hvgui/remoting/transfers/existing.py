"""What a copy into a guest does with a file that exists there, file by file (`ExistingFiles.decide`).

Copy-VMFile without -Force refuses a file that exists; the staged file is still on the host then, verified.
With the policy Skip the file is skipped. With Ask the admin is asked through the `AskExisting` callback,
and the operation's progress says that the copy waits for an answer meanwhile; Overwrite makes the engine
run Copy-VMFile again with -Force from the same staged file (nothing is sent twice). "Overwrite all" and
"Skip all" answer for the later files of the copy that exist too, without asking again. "Cancel copy"
raises `CopyCancelledByAnswer`. Without a callback (a copy nobody can be asked about) the file is left as
it is and reported `Exists`.

When the guest's files can be looked at first (`GuestFiles`: PowerShell Direct with the session's guest
account, see `guest_lookup.py`), the decision comes before the file is sent (`before_sending`): a skipped
file is never sent, and the question says what the guest holds. Copy-VMFile still has the last word for
every file the look did not show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from hvgui.domain.existing_files import AskExisting, ExistingFileAnswer, ExistingFileQuestion
from hvgui.domain.guest_files import GuestEntry
from hvgui.domain.operations import CopyToGuestOperation, ExistingFile, OperationProgress
from hvgui.remoting.transfers.meter import TransferMeter
from hvgui.remoting.transfers.plan import FileToCopy
from hvgui.remoting.transfers.report import FileOutcome

#: The progress text while a question waits for the admin.
WAITING = "waiting for your answer: file exists"


class CopyCancelledByAnswer(Exception):
    """The admin answered "Cancel copy" for `item` (the engine turns it into `OperationCancelled`)."""

    def __init__(self, item: FileToCopy) -> None:
        super().__init__(item.guest_path)
        self.item = item


class GuestFiles(Protocol):
    """What the guest holds at a path, when that can be looked at before sending (`GuestLookup`)."""

    async def file_at(self, guest_path: str) -> GuestEntry | None:
        """The guest's file at `guest_path`; None when there is none or it cannot tell."""
        ...


class ExistingFiles:
    """The decisions of one copy about files that exist in the guest, remembering "… all" answers."""

    def __init__(
        self,
        operation: CopyToGuestOperation,
        files: Sequence[FileToCopy],
        ask: AskExisting | None,
        meter: TransferMeter,
        on_progress: Callable[[OperationProgress], None] | None,
        guest_files: GuestFiles | None = None,
    ) -> None:
        self._operation = operation
        self._guest_files = guest_files
        #: Files to overwrite, decided before they were sent: Copy-VMFile gets -Force at once.
        self._overwrite: set[FileToCopy] = set()
        self._positions = {item: position for position, item in enumerate(files, start=1)}
        self._count = len(files)
        self._ask = ask
        self._meter = meter
        self._on_progress = on_progress
        self._for_the_rest: ExistingFileAnswer | None = None
        #: Several files of a copy may be sent at once, but questions come one at a time and in the files'
        #: order: a file asks once every file before it is settled, so an "… all" answer applies to it.
        self._settled: set[int] = set()
        self._turn = asyncio.Condition()
        #: Questions put to the admin so far (each one a wait for an answer).
        self.asked = 0

    def force(self, item: FileToCopy) -> bool:
        """Whether Copy-VMFile gets -Force at once: the policy Overwrite, or an overwrite decided before sending."""
        return self._operation.existing is ExistingFile.Overwrite or item in self._overwrite

    def copied(self, item: FileToCopy) -> FileOutcome:
        """The outcome of a file Copy-VMFile took at the first call."""
        return FileOutcome.Overwritten if item in self._overwrite else FileOutcome.Copied

    async def before_sending(self, item: FileToCopy) -> FileOutcome | None:
        """The outcome of a file the guest is seen to hold and that is not to be sent (Skipped, Exists); None
        to send it (a decided overwrite then gets -Force at once). Raises CopyCancelledByAnswer."""
        if self._guest_files is None or self._operation.existing is ExistingFile.Overwrite:
            return None
        if self._operation.existing is ExistingFile.Ask and self._ask is None:
            return None  # nobody to ask: Copy-VMFile's own refusal reports it
        guest = await self._guest_files.file_at(item.guest_path)
        if guest is None:
            return None
        outcome = await self.decide(item, guest)
        if outcome is FileOutcome.Overwritten:
            self._overwrite.add(item)
            return None
        self._meter.add(item.size)  # not sent: it counts as done for the total
        return outcome

    async def decide(self, item: FileToCopy, guest: GuestEntry | None = None) -> FileOutcome:
        """What happens to `item`, which exists in the guest (`guest`, when it was looked at): `Overwritten`
        (copy it again with -Force), `Skipped`, or `Exists` (Ask, and nobody to ask). Raises
        CopyCancelledByAnswer on "Cancel copy"."""
        policy = self._operation.existing
        if policy is ExistingFile.Overwrite:
            return FileOutcome.Overwritten
        if policy is ExistingFile.Skip:
            return FileOutcome.Skipped
        if self._ask is None and self._for_the_rest is None:
            return FileOutcome.Exists
        position = self._positions.get(item, 1)
        async with self._turn:
            await self._turn.wait_for(lambda: self._settled.issuperset(range(1, position)))
        answer = self._for_the_rest
        if answer is None:
            answer = await self._put(item, guest)
            if answer.for_the_rest:
                self._for_the_rest = answer
        if answer is ExistingFileAnswer.Cancel:
            raise CopyCancelledByAnswer(item)
        return FileOutcome.Overwritten if answer.overwrites else FileOutcome.Skipped

    async def settle(self, item: FileToCopy) -> None:
        """`item` is decided (sent, skipped, failed): the files after it may ask their questions."""
        async with self._turn:
            self._settled.add(self._positions.get(item, 1))
            self._turn.notify_all()

    async def _put(self, item: FileToCopy, guest: GuestEntry | None) -> ExistingFileAnswer:
        assert self._ask is not None
        position = self._positions.get(item, 1)
        try:
            modified: float | None = item.local.stat().st_mtime
        except OSError:  # gone meanwhile: the verified staged copy is what would be copied
            modified = None
        question = ExistingFileQuestion(
            vm_name=self._operation.target.vm_name,
            destination=item.guest_path,
            source=str(item.local),
            size=item.size,
            modified=modified,
            position=position,
            count=self._count,
            guest_size=guest.length if guest is not None else None,
            guest_modified=guest.modified.timestamp() if guest is not None and guest.modified is not None else None,
        )
        note = f"file {position} of {self._count}" if self._count > 1 else ""
        self.asked += 1
        if self._on_progress is not None:
            # No rate or "time left" while the copy waits for the admin: nothing moves then.
            percent = self._meter.progress().percent
            self._on_progress(OperationProgress(percent, " · ".join(filter(None, [WAITING, note]))))
        answer = await self._ask(question)
        if self._on_progress is not None:
            self._on_progress(self._meter.progress(note))
        return answer
