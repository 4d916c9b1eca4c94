"""What a copy into or out of a guest did, file by file: the operation record's result."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FileOutcome(enum.Enum):
    Copied = "copied"
    Overwritten = "overwritten"  # it existed at the destination and the admin chose to replace it
    Skipped = "skipped"  # it existed at the destination and the admin chose Skip
    Exists = "exists"  # it existed at the destination, the policy was Ask and nobody could be asked: not copied
    Cancelled = "cancelled"  # the admin cancelled the copy at this file or before it: not copied


IN_THE_GUEST = "in the guest"
ON_THIS_COMPUTER = "on this computer"


@dataclass(frozen=True)
class FileResult:
    guest_path: str  # a copy out of a guest: the file's path on this computer
    outcome: FileOutcome
    size: int


@dataclass(frozen=True)
class CopyReport:
    """Every file of a copy with what happened to it, in the order they were sent."""

    files: tuple[FileResult, ...] = ()
    where: str = IN_THE_GUEST  # where the files went: IN_THE_GUEST, or ON_THIS_COMPUTER for a copy out

    def of(self, outcome: FileOutcome) -> list[FileResult]:
        return [f for f in self.files if f.outcome is outcome]

    @property
    def copied_bytes(self) -> int:
        return sum(f.size for f in self.files if f.outcome in (FileOutcome.Copied, FileOutcome.Overwritten))

    def notes(self) -> tuple[str, ...]:
        """One sentence per file that was not copied, for the record's warnings (one for all the files a
        cancel left out, which may be many)."""
        notes = [
            f"{f.guest_path}: exists {self.where}; choose Overwrite to replace it." for f in self.of(FileOutcome.Exists)
        ]
        notes += [f"{f.guest_path}: exists {self.where}; skipped." for f in self.of(FileOutcome.Skipped)]
        cancelled = len(self.of(FileOutcome.Cancelled))
        if cancelled:
            notes.append(f"{_files(cancelled)} not copied: the copy was cancelled.")
        return tuple(notes)

    def summary(self) -> str:
        """ "3 files copied, 1 overwritten (they existed in the guest), 2 skipped (they exist in the guest)."
        The first count names the files; a count of zero is left out, unless nothing happened at all."""
        wording = [
            (FileOutcome.Copied, "copied"),
            (FileOutcome.Overwritten, f"overwritten (they existed {self.where})"),
            (FileOutcome.Skipped, f"skipped (they exist {self.where})"),
            (FileOutcome.Exists, f"not copied because they exist {self.where} (choose Overwrite to replace them)"),
            (FileOutcome.Cancelled, "not copied (cancelled)"),
        ]
        parts = [(count, words) for outcome, words in wording if (count := len(self.of(outcome)))]
        if not parts:
            return "0 files copied."
        (count, words), *rest = parts
        return f"{_files(count)} {words}" + "".join(f", {n} {w}" for n, w in rest) + "."


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"
