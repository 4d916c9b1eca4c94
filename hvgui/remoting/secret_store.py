"""Passwords in the operating system's keyring (Windows Credential Manager, the macOS Keychain, the Secret
Service on Linux) through the `keyring` package, and nowhere else.

Keyring back ends block (a D-Bus round trip, an unlock prompt), so every call runs on the store's own worker
thread and the UI awaits it. When there is no usable back end (`keyring.backends.fail.Keyring`, or a back end
that raises), the store says so (`unavailable_reason`) and keeps the secret in this process's memory for the
session only: nothing is ever written to a file in plain text.

Entries are filed under the service "hvgui" with one user name per secret: `host:<connection key>|<user>` for
a host account, `guest:<connection key>|<vm id>|<user>` for a guest account used by PowerShell Direct.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backends.fail
import keyring.errors

from hvgui.domain.connection import ConnectionSettings

log = logging.getLogger(__name__)

SERVICE = "hvgui"
T = TypeVar("T")

#: What the window says when secrets cannot be kept beyond this session.
NO_KEYRING_TEXT = (
    "No keyring is available on this computer, so passwords are kept for this session only "
    "(they are never written to disk)."
)


def host_secret_key(settings: ConnectionSettings) -> str:
    """The keyring entry of a host account: one per listener and user."""
    return f"host:{settings.key}|{settings.username.casefold()}"


def guest_secret_key(host_key: str, vm_id: str, user: str) -> str:
    """The keyring entry of a guest account: one per host, VM and guest user."""
    return f"guest:{host_key}|{vm_id.strip().casefold()}|{user.strip().casefold()}"


class SecretStore:
    """Async get/set/delete of secrets by entry name, in the keyring or (without one) for the session."""

    def __init__(self, service: str = SERVICE, *, use_keyring: bool = True) -> None:
        """`use_keyring=False` keeps every secret for the session only, without a word (the demo: its
        emulated hosts' passwords have no business in the admin's keyring)."""
        self.service = service
        self.use_keyring = use_keyring
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvgui-keyring")
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()
        #: Why secrets are kept for the session only (None while the keyring works).
        self.unavailable_reason: str | None = None
        #: Called (on the loop thread) the first time the keyring turns out unusable, with the reason.
        self.on_unavailable: Callable[[str], None] | None = None

    @property
    def persistent(self) -> bool:
        """Whether stored secrets outlive the session (False once the keyring turned out unusable)."""
        return self.use_keyring and self.unavailable_reason is None

    async def check(self) -> bool:
        """Find out whether the keyring is usable (at start, so the window can say so before it matters)."""
        if self.persistent:
            await self._call(lambda: None, None)
        return self.persistent

    async def get(self, entry: str) -> str | None:
        with self._lock:
            remembered = self._session.get(entry)
        if remembered is not None or not self.persistent:
            return remembered
        return await self._call(lambda: keyring.get_password(self.service, entry), None)

    async def set(self, entry: str, secret: str) -> bool:
        """Remember a secret; True when the keyring holds it, False when it is kept for the session only."""
        if self.persistent and await self._call(lambda: self._set(entry, secret), False):
            with self._lock:
                self._session.pop(entry, None)
            return True
        with self._lock:
            self._session[entry] = secret
        return False

    async def delete(self, entry: str) -> None:
        with self._lock:
            self._session.pop(entry, None)
        if self.persistent:
            await self._call(lambda: self._delete(entry), None)

    def close(self) -> None:
        with self._lock:
            self._session.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- on the worker thread ------------------------------------------------------------------

    def _set(self, entry: str, secret: str) -> bool:
        keyring.set_password(self.service, entry, secret)
        return True

    def _delete(self, entry: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing was stored
            keyring.delete_password(self.service, entry)

    async def _call(self, work: Callable[[], T], fallback: T) -> T:
        loop = asyncio.get_running_loop()

        def guarded() -> tuple[T, str | None]:
            if isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring):
                return fallback, "no keyring back end"
            try:
                return work(), None
            except Exception as exc:  # a locked, missing or broken back end: the session keeps the secret
                return fallback, f"{type(exc).__name__}: {exc}"

        result, problem = await loop.run_in_executor(self._executor, guarded)
        if problem is not None:
            self._became_unavailable(problem)
        return result

    def _became_unavailable(self, problem: str) -> None:
        if self.unavailable_reason is not None:
            return
        log.warning("the keyring cannot be used (%s); passwords are kept for this session only", problem)
        self.unavailable_reason = NO_KEYRING_TEXT
        if self.on_unavailable is not None:
            self.on_unavailable(NO_KEYRING_TEXT)
