"""What a copy into or out of a guest did, file by file: the operation record's result."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FileOutcome(enum.Enum):
    Copied = "copied"
    Skipped = "skipped"  # it existed at the destination and the admin chose Skip
    Exists = "exists"  # it existed at the destination and the admin chose Ask: not copied yet


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
        return sum(f.size for f in self.of(FileOutcome.Copied))

    def notes(self) -> tuple[str, ...]:
        """One sentence per file that was not copied, for the record's warnings."""
        notes = [
            f"{f.guest_path}: exists {self.where}; choose Overwrite to replace it." for f in self.of(FileOutcome.Exists)
        ]
        notes += [f"{f.guest_path}: exists {self.where}; skipped." for f in self.of(FileOutcome.Skipped)]
        return tuple(notes)

    def summary(self) -> str:
        copied, skipped, exists = (len(self.of(o)) for o in FileOutcome)
        text = f"{copied} file{'s' if copied != 1 else ''} copied"
        if skipped:
            text += f", {skipped} skipped (they exist {self.where})"
        if exists:
            text += f", {exists} not copied because they exist {self.where} (choose Overwrite to replace them)"
        return text + "."
