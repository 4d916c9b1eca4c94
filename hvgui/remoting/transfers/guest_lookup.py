"""What a Windows guest already holds where a copy puts its files, read before their bytes are sent.

Copy-VMFile says that a file exists only once the file is on the host. When the session holds an account of
the guest (the admin gave one to copy out of it or to browse it), hvgui can look first: one
`Get-HvGuiGuestChildItem` (PowerShell Direct) per destination folder. A file that exists is then skipped, or
asked about, before it is sent, and the question can say what the guest holds (size, date).

Looking is an optimisation, never a condition: the copy goes on without it when the account is refused, the
guest cannot host PowerShell Direct (a Linux guest, one still starting), or a folder cannot be read, and
Copy-VMFile's own "The file exists" still decides for every file the lookup did not see. A listing holds at
most `LISTING_LIMIT` entries, and a copy lists at most `MAX_FOLDERS` folders (each listing opens a session
in the guest, about a second on a real host), so a deep tree is not listed folder by folder.
"""

from __future__ import annotations

import asyncio
import logging
import ntpath

from hvgui.domain.errors import HvGuiError
from hvgui.domain.guest_files import GuestEntry, is_rooted, parent_folder
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_browse import list_guest_folder
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.transfers.upload import CopyRefused, RefusalReason

log = logging.getLogger(__name__)

#: Destination folders one copy lists at most.
MAX_FOLDERS = 16


class GuestLookup:
    """The files of a guest's destination folders, listed once each as a copy reaches them."""

    def __init__(
        self,
        connection: HostConnection,
        vm_id: str,
        vm_name: str,
        credential: GuestCredential,
        *,
        max_folders: int = MAX_FOLDERS,
    ) -> None:
        self._connection = connection
        self._vm_id = vm_id
        self._vm_name = vm_name
        self._credential = credential
        self._max_folders = max_folders
        #: Folder (case-folded) -> its listing (files by case-folded name; None: it could not be read). Files
        #: sent at once share one listing of their folder, also while it is under way.
        self._folders: dict[str, asyncio.Future[dict[str, GuestEntry] | None]] = {}
        self._given_up = False

    @property
    def listed(self) -> int:
        """Folders looked at so far."""
        return len(self._folders)

    async def file_at(self, guest_path: str) -> GuestEntry | None:
        """The guest's file at `guest_path` when a listing shows one; None when it shows none or cannot tell."""
        if self._given_up or not is_rooted(guest_path):
            return None  # a Linux guest's path (PowerShell Direct cannot reach one), or hvgui stopped looking
        folder = parent_folder(guest_path)
        key = folder.casefold()
        if key not in self._folders:
            if len(self._folders) >= self._max_folders:
                return None
            self._folders[key] = asyncio.ensure_future(self._list(folder))
        files = await asyncio.shield(self._folders[key])
        return None if files is None else files.get(ntpath.basename(guest_path).casefold())

    async def _list(self, folder: str) -> dict[str, GuestEntry] | None:
        try:
            listed = await list_guest_folder(self._connection, self._vm_id, self._vm_name, self._credential, folder)
        except CopyRefused as refused:
            if refused.reason is RefusalReason.GuestPathMissing:
                return {}  # Copy-VMFile creates it (or says it is missing): nothing in it exists yet
            self._give_up(refused)
            return None
        except HvGuiError as error:
            self._give_up(error)
            return None
        # Windows compares names without case. Folders are left out: Copy-VMFile has its own error for those.
        return {entry.name.casefold(): entry for entry in listed.entries if not entry.is_folder}

    def _give_up(self, error: HvGuiError) -> None:
        """The account or the guest does not allow a look (or the host failed): Copy-VMFile alone decides."""
        self._given_up = True
        log.info("copy into %s: not looking at the guest's files first: %s", self._vm_name, error)
