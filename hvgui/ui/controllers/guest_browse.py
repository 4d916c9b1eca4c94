"""Browsing one Windows guest's files for the copy dialogs: listings fetched off the widgets' hands.

`list(path)` starts a listing on the host's work lane (PowerShell Direct, with the guest account the host's
session holds for the VM) and returns at once; `listed(path, GuestFolder)` or `failed(path, BrowseFailure)`
follows. The account is set with `set_account` (it goes into the session's in-memory guest credentials, the
store a copy out of the guest reads); an account the guest refused is forgotten there, so the dialog asks
again. `close()` cancels what is under way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvgui.domain.errors import HvGuiError
from hvgui.domain.vm import Vm
from hvgui.remoting.transfers import CopyRefused, RefusalReason

if TYPE_CHECKING:
    from hvgui.ui.controllers.hosts_controller import HostsController

log = logging.getLogger(__name__)

_ACCOUNT_REASONS = frozenset({RefusalReason.GuestAccountMissing, RefusalReason.GuestAccountRejected})


@dataclass(frozen=True)
class BrowseFailure:
    """Why a folder could not be listed, with what to do in the message."""

    path: str
    message: str
    needs_account: bool = False  # the guest account is missing or was refused: ask for one, then list again
    refused: bool = False  # the guest refused the account it was given
    missing: bool = False  # the folder does not exist (or is a file)


class GuestBrowseController(QObject):
    """Lists folders of one VM's guest; reports through signals only."""

    #: A listing arrived: (path, GuestFolder); path "" holds the drives.
    listed = Signal(str, object)
    #: A listing failed: (path, BrowseFailure).
    failed = Signal(str, object)

    def __init__(self, hosts: HostsController, vm: Vm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hosts = hosts
        self.vm = vm
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        tasks = self._tasks  # the dialog that owns this may be deleted with a listing under way: stop it then
        self.destroyed.connect(lambda *_: [task.cancel() for task in list(tasks)])

    def _session(self) -> Any:
        try:
            return self._hosts.session(self.vm.host)
        except KeyError:
            return None

    def has_account(self) -> bool:
        session = self._session()
        return session is not None and self.vm.vm_id in session.guest_credentials

    def set_account(self, user: str, password: str) -> None:
        """Keep the guest account for this VM in the host session's memory (as a copy out of it does)."""
        session = self._session()
        if session is not None:
            session.guest_credentials.set(self.vm.vm_id, user, password)

    def list(self, path: str) -> None:
        """Start listing `path` ("" for the drives); the answer comes as `listed` or `failed`."""
        if self._closed:
            return
        task = asyncio.get_event_loop().create_task(self._list(path), name=f"list guest folder {path!r}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def _list(self, path: str) -> None:
        session = self._session()
        if session is None:
            self._emit(self.failed, path, BrowseFailure(path, "The host is no longer connected."))
            return
        try:
            folder = await session.list_guest_folder(self.vm.vm_id, self.vm.name, path)
        except CopyRefused as refused:
            if refused.reason is RefusalReason.GuestAccountRejected:
                session.guest_credentials.forget(self.vm.vm_id)
            failure = BrowseFailure(
                path,
                refused.message,
                needs_account=refused.reason in _ACCOUNT_REASONS,
                refused=refused.reason is RefusalReason.GuestAccountRejected,
                missing=refused.reason is RefusalReason.GuestPathMissing,
            )
            self._emit(self.failed, path, failure)
            return
        except HvGuiError as error:
            self._emit(self.failed, path, BrowseFailure(path, str(error)))
            return
        except Exception as error:  # a defect: say so in the dialog instead of losing it in a log
            log.exception("listing %r failed unexpectedly", path)
            self._emit(self.failed, path, BrowseFailure(path, f"unexpected error: {error!r}"))
            return
        self._emit(self.listed, path, folder)

    def _emit(self, signal: Any, path: str, value: object) -> None:
        if self._closed:
            return
        try:
            signal.emit(path, value)
        except RuntimeError:  # the Qt object is gone (its dialog was deleted): nobody listens any more
            self._closed = True

    def close(self) -> None:
        """Stop every listing under way; no signal follows."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
