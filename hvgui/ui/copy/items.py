"""What the admin is about to copy: each dropped file or folder, with its size and, for a folder, its files.

A dropped folder may hold a million files on a slow disk, so it is counted in steps (`LocalItem.step`), a
bounded number of entries at a time, from a timer of the dialog: the window keeps painting while a big tree
is counted. Counting stops at `MAX_FILES`; the dialog then says "more than". The relative path of each file
counted (folder name first, `/` between parts) is kept so its destination in the guest can be checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Files counted in one folder before the dialog gives up counting and says "more than".
MAX_FILES = 100_000


@dataclass
class LocalItem:
    """One dropped file or folder and what counting it has found so far."""

    path: str
    name: str
    is_folder: bool
    files: int = 0
    size: int = 0
    #: Paths relative to the guest folder of every file found so far (`folder/sub/file.txt`).
    relatives: list[str] = field(default_factory=list)
    done: bool = False
    capped: bool = False  # counting stopped at MAX_FILES
    unreadable: int = 0  # subfolders that could not be listed
    _walk: Iterator[tuple[str, int]] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, path: str) -> LocalItem:
        local = Path(path)
        name = local.name or str(local)
        if local.is_dir():
            return cls(path, name, True)
        try:
            size = local.stat().st_size
        except OSError:
            size = 0
        return cls(path, name, False, files=1, size=size, relatives=[name], done=True)

    def step(self, budget: int = 2000) -> bool:
        """Count up to `budget` more entries of a folder; True once the count is final."""
        if self.done:
            return True
        if self._walk is None:
            self._walk = self._files()
        for _ in range(budget):
            found = next(self._walk, None)
            if found is None:
                self.done = True
                return True
            relative, size = found
            self.files += 1
            self.size += size
            self.relatives.append(relative)
            if self.files >= MAX_FILES:
                self.capped = self.done = True
                return True
        return False

    def _files(self) -> Iterator[tuple[str, int]]:
        """Every file below the folder, depth first, without following links to folders."""
        stack = [(self.path, self.name)]
        while stack:
            folder, relative = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    listed = sorted(entries, key=lambda e: e.name)
            except OSError:
                self.unreadable += 1
                continue
            for entry in listed:
                child = f"{relative}/{entry.name}"
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, child))
                        continue
                    size = entry.stat().st_size
                except OSError:
                    size = 0
                yield child, size


def format_size(num_bytes: int) -> str:
    """Bytes as a file manager shows them: `0 bytes`, `12.3 KB`, `4.0 GB` (powers of 1024)."""
    if num_bytes < 1024:
        return f"{num_bytes} byte" if num_bytes == 1 else f"{num_bytes} bytes"
    value = float(num_bytes)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    return f"{value:.1f} TB"  # not reached


def describe(item: LocalItem) -> str:
    """The size column: a file's size, or a folder's file count and total so far."""
    if not item.is_folder:
        return format_size(item.size)
    files = f"{item.files:,} file" + ("" if item.files == 1 else "s")
    if item.capped:
        return f"more than {files}, more than {format_size(item.size)}"
    if not item.done:
        return f"counting\u2026 {files}, {format_size(item.size)}"
    return f"{files}, {format_size(item.size)}"
