"""Which files a copy sends, and where each lands in the guest.

Folders are walked recursively and keep their layout under the guest folder (`C:\\Temp` + `photos\\a.jpg`).
The guest's separator follows the guest folder: a folder that starts with `/` is a Linux guest's. Copy-VMFile
copies files only, so an empty folder has nothing to send.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileToCopy:
    """One file of this computer and the full path it gets in the guest."""

    local: Path
    guest_path: str
    size: int


def guest_join(folder: str, parts: tuple[str, ...]) -> str:
    """`folder` and the relative `parts` joined with the guest's separator."""
    separator = "/" if folder.startswith("/") else "\\"
    base = folder.rstrip("/\\")
    if separator == "\\" and len(base) == 2 and base[1] == ":":
        base += "\\"  # "C:" alone is the current folder of drive C, not its root
    elif separator == "/" and base == "":
        base = "/"
    if base.endswith(separator):
        return base + separator.join(parts)
    return base + separator + separator.join(parts)


def plan_copy(sources: tuple[str, ...], guest_folder: str) -> list[FileToCopy]:
    """Every file to send, in a stable order: each source as given, a folder's files sorted by path.

    Raises FileNotFoundError for a source that does not exist (nothing is sent then).
    """
    files: list[FileToCopy] = []
    for source in sources:
        root = Path(source)
        if root.is_dir():
            for folder, dirs, names in os.walk(root):
                dirs.sort()
                for name in sorted(names):
                    local = Path(folder) / name
                    if not local.is_file():
                        continue  # a socket, a broken link: nothing Copy-VMFile could take
                    relative = local.relative_to(root.parent).parts
                    files.append(FileToCopy(local, guest_join(guest_folder, relative), local.stat().st_size))
        elif root.is_file():
            files.append(FileToCopy(root, guest_join(guest_folder, (root.name,)), root.stat().st_size))
        else:
            raise FileNotFoundError(source)
    return files
