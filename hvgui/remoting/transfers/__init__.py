"""Copying files between this computer and a guest through the host's staging folder: into a guest with
Copy-VMFile (see `upload.py`), out of a Windows guest with PowerShell Direct (see `from_guest.py` and
`download.py`)."""

from hvgui.remoting.transfers.from_guest import copy_from_guest
from hvgui.remoting.transfers.report import CopyReport, FileOutcome
from hvgui.remoting.transfers.upload import CHUNK_BYTES, CopyRefused, RefusalReason, copy_to_guest

__all__ = [
    "CHUNK_BYTES",
    "CopyRefused",
    "CopyReport",
    "FileOutcome",
    "RefusalReason",
    "copy_from_guest",
    "copy_to_guest",
]
