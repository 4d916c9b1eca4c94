"""Secrets go to the keyring off the loop's thread; without a keyring they stay in memory for the session."""

from __future__ import annotations

import asyncio
import threading

import keyring
import keyring.backends.fail

from hvgui.domain.connection import ConnectionSettings
from hvgui.remoting.secret_store import NO_KEYRING_TEXT, SERVICE, SecretStore, guest_secret_key, host_secret_key


def run(coro):
    return asyncio.run(coro)


def test_secrets_go_to_the_keyring_under_one_entry_per_host_and_user(memory_keyring) -> None:
    store = SecretStore()
    assert run(store.check()) is True
    key = host_secret_key(ConnectionSettings(host="HV01", username="Admin"))
    assert key == "host:https://hv01:5986|admin"
    assert run(store.set(key, "pw")) is True
    assert memory_keyring.entries == {(SERVICE, key): "pw"}
    assert run(store.get(key)) == "pw"
    run(store.delete(key))
    run(store.delete(key))  # deleting what is not there is fine
    assert memory_keyring.entries == {}
    assert run(store.get(key)) is None
    store.close()


def test_keyring_calls_never_run_on_the_calling_thread(memory_keyring, monkeypatch) -> None:
    threads = []
    original = memory_keyring.get_password
    monkeypatch.setattr(
        memory_keyring, "get_password", lambda *a: threads.append(threading.get_ident()) or original(*a)
    )
    store = SecretStore()
    run(store.get("x"))
    assert threads and threading.get_ident() not in threads
    store.close()


def test_without_a_keyring_the_secret_is_kept_for_the_session_and_that_is_said() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    said = []
    store = SecretStore()
    store.on_unavailable = said.append

    async def scenario() -> None:
        assert await store.set("k", "pw") is False
        assert await store.get("k") == "pw"

    assert run(store.check()) is False
    run(scenario())
    assert said == [NO_KEYRING_TEXT]
    assert not store.persistent
    store.close()


def test_a_broken_keyring_falls_back_to_the_session(memory_keyring, monkeypatch) -> None:
    def locked(*_args):
        raise RuntimeError("the collection is locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    store = SecretStore()
    assert run(store.set("k", "pw")) is False
    assert store.unavailable_reason == NO_KEYRING_TEXT
    assert run(store.get("k")) == "pw"
    store.close()


def test_guest_entries_are_per_host_vm_and_user() -> None:
    assert guest_secret_key("https://hv01:5986", " ABC-1 ", ".\\Administrator") == (
        "guest:https://hv01:5986|abc-1|.\\administrator"
    )


def test_a_session_only_store_never_touches_the_keyring(memory_keyring) -> None:
    store = SecretStore(use_keyring=False)
    said = []
    store.on_unavailable = said.append

    async def scenario() -> None:
        assert await store.set("k", "pw") is False
        assert await store.get("k") == "pw"
        await store.delete("k")
        assert await store.get("k") is None

    run(scenario())
    assert memory_keyring.entries == {} and said == []
    store.close()
