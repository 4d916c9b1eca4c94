"""Suite-wide settings: every Qt test runs offscreen, whatever the machine has for a display, and every test
has its own in-memory keyring, so none ever reads or writes the keyring of the machine it runs on."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process and dies with the test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring for every test; afterwards a keyring that refuses everything (never the real
    one, whose detection alone may talk to the desktop's secret service)."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture(autouse=True)
def own_directories(tmp_path_factory, monkeypatch) -> dict[str, str]:
    """The platform's config, data, cache and state directories point into a temporary folder, for this process
    and any `python -m hvgui` it starts; such a child also gets a keyring that refuses everything."""
    base = tmp_path_factory.mktemp("xdg")
    dirs = {name: str(base / name.lower()) for name in ("CONFIG", "DATA", "CACHE", "STATE")}
    for name, path in dirs.items():
        monkeypatch.setenv(f"XDG_{name}_HOME", path)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return dirs
