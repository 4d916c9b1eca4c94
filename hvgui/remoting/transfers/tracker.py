"""Per-file progress of a copy, kept beside the total (`TransferMeter`), for the Activity panel.

The tracker counts like a meter (`done`, `add`), so the engines hand it where they hand a meter; the bytes
added go to the total and to the file under way. Each report carries every file as an immutable
`FileProgress`; a file that did not change is the same object in the next report, so whoever compares two
reports (the runner, the panel's file list) finds the changed files cheaply.
"""

from __future__ import annotations

from dataclasses import replace

from hvgui.domain.errors import HvGuiError
from hvgui.domain.operations import FileProgress, FileState, OperationProgress
from hvgui.remoting.transfers.meter import TransferMeter


class FileTracker:
    """The total and each file of one copy."""

    def __init__(self, files: list[FileProgress], meter: TransferMeter | None = None) -> None:
        self.files = list(files)
        self.meter = meter if meter is not None else TransferMeter(sum(f.size for f in files))
        self.current: int | None = None

    @property
    def done(self) -> int:
        return self.meter.done

    @property
    def total(self) -> int:
        return self.meter.total

    def add(self, count: int, index: int | None = None) -> None:
        """`count` more bytes done, of file `index` (by default the file under way)."""
        self.meter.add(count)
        index = self.current if index is None else index
        if index is not None and count:
            file = self.files[index]
            self.files[index] = replace(file, done=max(0, min(file.size, file.done + count)))

    def of_file(self, index: int) -> FileMeter:
        """A meter for one file of several sent at once: its bytes count for it and for the total."""
        return FileMeter(self, index)

    def grow(self, files: list[FileProgress]) -> None:
        """More files (a copy out of a guest learns them path by path); the total grows with them."""
        self.files.extend(files)
        self.meter.total += sum(f.size for f in files)

    def begin(self, index: int) -> None:
        self.current = index
        self.files[index] = replace(self.files[index], state=FileState.Copying)

    def end(self, state: FileState, reason: str = "", *, staged: str = "", index: int | None = None) -> None:
        """The outcome of file `index` (by default the file under way)."""
        ended = self.current if index is None else index
        if ended is None:
            return
        file = self.files[ended]
        done = file.size if state in (FileState.Copied, FileState.Skipped, FileState.Exists) else file.done
        self.files[ended] = replace(file, state=state, reason=reason, staged=staged, done=done)
        if ended == self.current:
            self.current = None

    def progress(self, note: str = "") -> OperationProgress:
        return replace(self.meter.progress(note), files=tuple(self.files))


class FileMeter:
    """One file's view of a `FileTracker`: `done` is that file's bytes, `add` counts for it and the total."""

    def __init__(self, tracker: FileTracker, index: int) -> None:
        self._tracker = tracker
        self._index = index

    @property
    def done(self) -> int:
        return self._tracker.files[self._index].done

    def add(self, count: int) -> None:
        self._tracker.add(count, self._index)


def failure_reason(error: BaseException) -> str:
    """One sentence for a file's failure."""
    if isinstance(error, HvGuiError):
        return str(error)
    return str(error) or type(error).__name__
