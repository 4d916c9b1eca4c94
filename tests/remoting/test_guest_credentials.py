"""The session's guest accounts for PowerShell Direct: by VM id, in memory, never shown, gone at close."""

from __future__ import annotations

import logging
import threading

import pytest
from remoting_support import Recorder, run

from hvgui.domain.connection import HostState
from hvgui.emulator import RunningEmulator
from hvgui.remoting import SessionManager
from hvgui.remoting.guest_credentials import GuestCredential, GuestCredentials

VM = "6A3B0F2E-1C4D-4E5F-8A9B-0C1D2E3F4A5B"
PASSWORD = "Gu3st-Secr3t!$(whoami)"


def test_an_account_is_found_by_vm_id_in_either_case() -> None:
    store = GuestCredentials()
    assert store.get(VM) is None and VM not in store
    store.set(VM, ".\\Administrator", PASSWORD)
    assert store.get(VM.lower()) == GuestCredential(".\\Administrator", PASSWORD)
    assert VM.lower() in store
    store.set(VM.lower(), "CONTOSO\\admin", "other")
    assert store.get(VM) == GuestCredential("CONTOSO\\admin", "other")  # the newer account replaces the older


def test_forget_and_clear_drop_accounts() -> None:
    store = GuestCredentials()
    other = "11111111-2222-3333-4444-555555555555"
    store.set(VM, "a", "p1")
    store.set(other, "b", "p2")
    store.forget(VM)
    assert store.get(VM) is None and store.get(other) is not None
    store.forget(VM)  # forgetting twice is harmless
    store.clear()
    assert store.get(other) is None


def test_an_account_needs_a_user_name() -> None:
    with pytest.raises(ValueError, match="user name"):
        GuestCredentials().set(VM, "  ", PASSWORD)


def test_the_password_shows_in_no_repr_or_log_line(caplog: pytest.LogCaptureFixture) -> None:
    store = GuestCredentials()
    store.set(VM, ".\\Administrator", PASSWORD)
    credential = store.get(VM)
    assert credential is not None
    texts = [repr(store), str(store), repr(credential), str(credential), f"{credential!r}"]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("hvgui").warning("using %s for %s (%r)", credential, VM, store)
    texts.append(caplog.text)
    assert all(PASSWORD not in text for text in texts), texts
    assert ".\\\\Administrator" in repr(credential)


def test_the_store_is_safe_across_threads() -> None:
    store = GuestCredentials()
    ids = [f"00000000-0000-0000-0000-{n:012d}" for n in range(200)]

    def fill(offset: int) -> None:
        for vm_id in ids[offset::4]:
            store.set(vm_id, "u", vm_id)

    threads = [threading.Thread(target=fill, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(store.get(vm_id) == GuestCredential("u", vm_id) for vm_id in ids)


def test_a_host_session_holds_the_accounts_until_it_closes(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]

    async def body() -> None:
        manager = SessionManager(refresh_interval=5.0)
        recorder = Recorder()
        manager.subscribe(recorder)
        key = manager.add_host(endpoint.connection_settings(), endpoint.password).key
        await recorder.wait_for_state(key, HostState.Connected)
        session = manager.host(key)
        session.guest_credentials.set(VM, ".\\Administrator", PASSWORD)
        store = session.guest_credentials
        assert store.get(VM) is not None
        await manager.aclose()
        assert store.get(VM) is None  # closing the session forgets the guest accounts

    run(body)
