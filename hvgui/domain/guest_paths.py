"""Guest paths checked before anything is sent: the folder a copy goes to, and each file's place in it.

`Copy-VMFile` fails late (after the file has travelled to the host) and with a terse message when Windows
rejects a destination, so hvgui refuses such paths in the dialog, with the reason. Windows guests follow the
Win32 rules (reserved characters and device names, 255 characters per name, `MAX_PATH` 260, no name ending
in a space or dot, absolute paths only); Linux guests take any absolute POSIX path without NUL. Names with
spaces, quotes, `$()` or non-ASCII characters are fine: paths are passed as values, never as script text.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Characters Windows refuses in a file or folder name (the drive colon of `C:` aside).
WINDOWS_FORBIDDEN = '<>:"|?*'
#: Longest name of one file or folder, in UTF-16 units.
MAX_COMPONENT = 255
#: `MAX_PATH`: Copy-VMFile and the guest's file-copy service limit whole paths to 260 UTF-16 units.
MAX_PATH = 260

_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in range(1, 10)} | {f"LPT{n}" for n in range(1, 10)}
)
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_UNC = re.compile(r"^\\\\[^\\/]+[\\/][^\\/]+")


class GuestOs(enum.Enum):
    """Which rules a guest path follows."""

    Windows = "Windows"
    Linux = "Linux"


@dataclass(frozen=True)
class PathProblem:
    """Why a guest path is refused, in a sentence that says what to change."""

    path: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def guess_os(path: str) -> GuestOs:
    """For a guest whose OS is unknown: a path that starts with `/` is a Linux path, any other a Windows one."""
    return GuestOs.Linux if path.startswith("/") else GuestOs.Windows


def default_folder(os: GuestOs) -> str:
    """Where files go when the admin has never chosen a folder for the VM."""
    return "/tmp" if os is GuestOs.Linux else "C:\\Temp"


def check_folder(path: str, os: GuestOs) -> PathProblem | None:
    """Why `path` cannot be the destination folder in a guest running `os`; None when it can."""
    if os is GuestOs.Linux:
        return _check_posix(path)
    return _check_windows(path)


def join(folder: str, relative: str, os: GuestOs) -> str:
    """The guest path of a file `relative` (its parts separated by `/`) under `folder`."""
    sep = "/" if os is GuestOs.Linux else "\\"
    split = relative.split("/") if os is GuestOs.Linux else re.split(r"[\\/]", relative)
    parts = [p for p in split if p]
    if not parts:
        return folder
    base = folder.rstrip("/" if os is GuestOs.Linux else "\\/")
    if not base:
        return sep + sep.join(parts) if folder else sep.join(parts)
    return base + sep + sep.join(parts)


def check_destinations(folder: str, relatives: Iterable[str], os: GuestOs) -> PathProblem | None:
    """The first file whose guest path (folder + its path relative to what was dropped) is refused, or None."""
    for relative in relatives:
        problem = check_folder(join(folder, relative, os), os)
        if problem is not None:
            return PathProblem(problem.path, f"'{relative}' cannot be copied there: {problem.reason}")
    return None


# ---- Windows ---------------------------------------------------------------------------------------------


def _check_windows(path: str) -> PathProblem | None:
    if not path.strip():
        return PathProblem(path, "Type the folder in the guest, for example C:\\Temp.")
    control = _control_character(path)
    if control is not None:
        return PathProblem(path, f"The path holds a control character ({control}); Windows refuses those.")
    unc = _UNC.match(path)
    if not (_DRIVE.match(path) or unc):
        return PathProblem(
            path, "Give a full path that starts with a drive, for example C:\\Temp (relative paths are refused)."
        )
    rest = path[3:] if not unc else path[2:]
    for name in re.split(r"[\\/]", rest):
        if not name:
            continue
        problem = _check_windows_name(name)
        if problem is not None:
            return PathProblem(path, problem)
    if _utf16_len(path) > MAX_PATH:
        return PathProblem(path, f"The path is {_utf16_len(path)} characters long; Windows allows at most {MAX_PATH}.")
    return None


def _check_windows_name(name: str) -> str | None:
    bad = sorted({c for c in name if c in WINDOWS_FORBIDDEN}, key=WINDOWS_FORBIDDEN.index)
    if bad:
        shown = " ".join(bad)
        return f"'{name}' contains {shown}; Windows refuses these characters in names: {' '.join(WINDOWS_FORBIDDEN)}"
    if _utf16_len(name) > MAX_COMPONENT:
        return f"A name is {_utf16_len(name)} characters long; Windows allows at most {MAX_COMPONENT} per name."
    if name.endswith((" ", ".")) and name not in (".", ".."):
        return f"'{name}' ends with a space or a dot; Windows drops those, so the name would change."
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        return f"'{name}' is a device name reserved by Windows ({stem}); choose another name."
    return None


# ---- Linux -----------------------------------------------------------------------------------------------


def _check_posix(path: str) -> PathProblem | None:
    if not path.strip():
        return PathProblem(path, "Type the folder in the guest, for example /tmp.")
    if "\0" in path:
        return PathProblem(path, "The path holds a NUL character; Linux refuses it.")
    if not path.startswith("/"):
        return PathProblem(path, "Give a full path that starts with /, for example /tmp (relative paths are refused).")
    return None


def _control_character(text: str) -> str | None:
    for char in text:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"U+{ord(char):04X}"
    return None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
