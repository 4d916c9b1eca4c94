"""Guest accounts for PowerShell Direct, held in memory for one host session.

Copying out of a Windows guest signs in to the guest (`New-PSSession -VMId -Credential`), so the admin is asked
for a guest account. Operations are shown, listed, logged and recorded, so the password never travels in one:
the UI puts it here before it submits a `CopyFromGuestOperation`, and the copy reads it back by VM id. Nothing
here is written to disk or to a log; `clear()` forgets everything when the session closes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GuestCredential:
    """One guest account. The password is left out of `repr` so that a log line, a traceback's locals or a
    record that shows the object never shows it."""

    user: str
    password: str = field(repr=False)


def _key(vm_id: str) -> str:
    """VM ids arrive in either case (the inventory writes lower case, cmdlets upper case)."""
    return vm_id.strip().casefold()


class GuestCredentials:
    """The guest accounts of one host session, by VM id. Safe to use from the UI thread and the work lanes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_vm: dict[str, GuestCredential] = {}

    def set(self, vm_id: str, user: str, password: str) -> None:
        """Remember the account to use for `vm_id` until the session closes (or `forget`/`clear`)."""
        if not user.strip():
            raise ValueError("A guest account needs a user name, e.g. .\\Administrator.")
        with self._lock:
            self._by_vm[_key(vm_id)] = GuestCredential(user, password)

    def get(self, vm_id: str) -> GuestCredential | None:
        """The account for `vm_id`, or None when the admin has not given one in this session."""
        with self._lock:
            return self._by_vm.get(_key(vm_id))

    def forget(self, vm_id: str) -> None:
        """Drop the account for `vm_id`, e.g. after the guest refused it, so the UI asks again."""
        with self._lock:
            self._by_vm.pop(_key(vm_id), None)

    def clear(self) -> None:
        """Forget every account (the session closes)."""
        with self._lock:
            self._by_vm.clear()

    def __contains__(self, vm_id: object) -> bool:
        return isinstance(vm_id, str) and self.get(vm_id) is not None

    def __repr__(self) -> str:
        with self._lock:
            return f"GuestCredentials({len(self._by_vm)} VM(s))"
