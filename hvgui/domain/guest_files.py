"""What a Windows guest shows of its files when hvgui browses it (`Get-HvGuiGuestChildItem`): its drives, and
the entries of one folder.

Names and paths come from the guest, so they are untrusted text: a widget shows them through the display
helpers, and a copy uses `path` exactly as the guest wrote it.
"""

from __future__ import annotations

import datetime
import ntpath
from dataclasses import dataclass

#: Entries the guest sends for one folder at most; a bigger folder is listed in part (`GuestFolder.truncated`).
LISTING_LIMIT = 5000


@dataclass(frozen=True)
class GuestDrive:
    """One ready file-system drive of the guest."""

    name: str  # the letter: "C"
    root: str  # "C:\\"
    free: int  # bytes
    used: int  # bytes


@dataclass(frozen=True)
class GuestEntry:
    """One file or folder inside a guest folder."""

    name: str
    path: str  # the full guest path, as the guest wrote it
    is_folder: bool
    length: int | None  # bytes; None for a folder
    modified: datetime.datetime | None  # last write time, UTC
    hidden: bool = False
    system: bool = False


@dataclass(frozen=True)
class GuestFolder:
    """One folder's entries (in the guest's order), or the guest's drives when `path` is ""."""

    path: str
    entries: tuple[GuestEntry, ...] = ()
    drives: tuple[GuestDrive, ...] = ()
    truncated: bool = False  # the folder holds more than the guest sent (`LISTING_LIMIT`)

    @property
    def is_drives(self) -> bool:
        return not self.path


def parent_folder(path: str) -> str:
    """The folder that holds `path` in a Windows guest; "" (the drives) for a drive's root."""
    text = path.replace("/", "\\")
    drive, rest = ntpath.splitdrive(text)
    rest = rest.rstrip("\\")
    if not rest:
        return ""
    head = rest.rsplit("\\", 1)[0]
    return drive + (head or "") + ("\\" if not head else "")


def is_rooted(path: str) -> bool:
    """Whether `path` names a folder from a drive's root (`C:\\...`), the only paths browsing accepts."""
    text = path.replace("/", "\\")
    return len(text) >= 3 and text[0].isalpha() and text[1] == ":" and text[2] == "\\"


def parse_modified(text: object) -> datetime.datetime | None:
    """`DateTime.ToString('o')` (seven fractional digits) as an aware UTC datetime; None when unreadable."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    main, dot, rest = value.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        value = f"{main}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
