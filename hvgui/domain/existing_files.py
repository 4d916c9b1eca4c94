"""The question a copy puts to the admin when a file it copies exists at the destination, and the answers.

A copy whose policy is `ExistingFile.Ask` stops at such a file and waits for one of five answers. The copy
engine (remoting) awaits them through an `AskExisting` callback, so it never knows who answers: the window
answers with a dialog, a test with a script. "Overwrite all" and "Skip all" answer for every later file of
the same copy that exists too; "Cancel copy" stops the copy there (files done before stay done).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


class ExistingFileAnswer(enum.Enum):
    Overwrite = "overwrite"
    Skip = "skip"
    OverwriteAll = "overwrite-all"  # this file and every later one of the copy that exists
    SkipAll = "skip-all"
    Cancel = "cancel"  # stop the copy here

    @property
    def overwrites(self) -> bool:
        return self in (ExistingFileAnswer.Overwrite, ExistingFileAnswer.OverwriteAll)

    @property
    def for_the_rest(self) -> bool:
        """Whether it also answers for the later files of the copy."""
        return self in (ExistingFileAnswer.OverwriteAll, ExistingFileAnswer.SkipAll)


@dataclass(frozen=True)
class ExistingFileQuestion:
    """A file of this computer whose destination exists. What the guest holds there is described only when
    hvgui could look (PowerShell Direct with the session's guest account): Copy-VMFile says only that it exists.
    """

    vm_name: str  # host data: shown through the UI's text helpers
    destination: str  # the full path in the guest
    source: str  # the file on this computer
    size: int  # bytes of the file on this computer
    modified: float | None  # its modification time (POSIX seconds); None when it could not be read
    position: int  # 1-based: the file's place among the files of the copy
    count: int  # files in the copy
    guest_size: int | None = None  # bytes of the guest's file, when hvgui looked
    guest_modified: float | None = None  # its modification time (POSIX seconds), when hvgui looked

    @property
    def remaining(self) -> int:
        """Files of the copy after this one (an "… all" answer concerns those that exist too)."""
        return max(0, self.count - self.position)


#: How a copy asks: called on the event loop's thread, it returns the answer once the admin gives it. It may
#: be cancelled (the copy is cancelled meanwhile); it then withdraws the question.
AskExisting = Callable[[ExistingFileQuestion], Awaitable[ExistingFileAnswer]]
