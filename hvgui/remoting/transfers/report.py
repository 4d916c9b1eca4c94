"""What a copy into a guest did, file by file: the operation record's result."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FileOutcome(enum.Enum):
    Copied = "copied"
    Skipped = "skipped"  # it existed in the guest and the admin chose Skip
    Exists = "exists"  # it existed in the guest and the admin chose Ask: not copied yet


EXISTS_NOTE = "exists in the guest; choose Overwrite to replace it"


@dataclass(frozen=True)
class FileResult:
    guest_path: str
    outcome: FileOutcome
    size: int


@dataclass(frozen=True)
class CopyReport:
    """Every file of a copy with what happened to it, in the order they were sent."""

    files: tuple[FileResult, ...] = ()

    def of(self, outcome: FileOutcome) -> list[FileResult]:
        return [f for f in self.files if f.outcome is outcome]

    @property
    def copied_bytes(self) -> int:
        return sum(f.size for f in self.of(FileOutcome.Copied))

    def notes(self) -> tuple[str, ...]:
        """One sentence per file that was not copied, for the record's warnings."""
        notes = [f"{f.guest_path}: {EXISTS_NOTE}." for f in self.of(FileOutcome.Exists)]
        notes += [f"{f.guest_path}: exists in the guest; skipped." for f in self.of(FileOutcome.Skipped)]
        return tuple(notes)

    def summary(self) -> str:
        copied, skipped, exists = (len(self.of(o)) for o in FileOutcome)
        text = f"{copied} file{'s' if copied != 1 else ''} copied"
        if skipped:
            text += f", {skipped} skipped (they exist in the guest)"
        if exists:
            text += f", {exists} not copied because they exist in the guest (choose Overwrite to replace them)"
        return text + "."
