"""Copying files of this computer into a guest: streamed to the host's staging folder, verified, then
handed to Copy-VMFile (see `upload.py`)."""

from hvgui.remoting.transfers.report import CopyReport, FileOutcome
from hvgui.remoting.transfers.upload import CHUNK_BYTES, CopyRefused, RefusalReason, copy_to_guest

__all__ = ["CHUNK_BYTES", "CopyRefused", "CopyReport", "FileOutcome", "RefusalReason", "copy_to_guest"]
