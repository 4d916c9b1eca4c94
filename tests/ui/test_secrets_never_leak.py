"""A whole session with known, unique passwords, then a search of everything it wrote for them.

The session connects to an emulated host through the connect dialog (password remembered in the keyring, host
saved), copies a file out of a guest with the guest account remembered, disconnects and quits. Then every file
under the config, data, cache and state directories, the preferences, the log (at debug level), the temporary
directory and the emulator's command log is searched for either password in plain text, UTF-16 and base64
(also as the `user:password` pair that Basic authentication encodes).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from emulator_support import emulated_vm, endpoint_for, vm_key
from qasync_loop import wait_until

from hvgui.domain.operations import CopyFromGuestOperation
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.remoting.secret_store import SERVICE, guest_secret_key, host_secret_key
from hvgui.ui.controllers import HostsController
from hvgui.ui.host_book import HostBook, default_path
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences
from hvgui.ui.window_state import WindowState

HOST_SECRET = "Host-Unique-7f3a9c!"
GUEST_SECRET = "Guest-Unique-b81e2d?"
GUEST_USER = ".\\Administrator"


def forms(secret: str, user: str) -> dict[str, bytes]:
    """The ways a secret could be written: plain, UTF-16 (both orders), base64 of each, and Basic's pair."""
    return {
        "utf-8": secret.encode(),
        "utf-16-le": secret.encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
        "base64": _base64(secret.encode()),
        "base64 utf-16": _base64(secret.encode("utf-16-le")),
        "basic pair": _base64(f"{user}:{secret}".encode()),
    }


def _base64(data: bytes) -> bytes:
    """The base64 of `data` without its last group, which depends on what follows it in a longer value."""
    encoded = base64.b64encode(data)
    return encoded[: (len(data) // 3) * 4]


def leaks(files: Iterable[Path], secrets: dict[str, str]) -> list[str]:
    found = []
    for path in files:
        data = path.read_bytes()
        for secret, user in secrets.items():
            for name, needle in forms(secret, user).items():
                if needle in data:
                    found.append(f"{path}: {name} of {secret[:5]}…")
    return found


def every_file(*roots: Path) -> list[Path]:
    return sorted({p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()})


def test_the_search_finds_each_form(tmp_path: Path) -> None:
    for name, needle in forms("pw-Known", "admin").items():
        (tmp_path / name).write_bytes(b"x" + needle + b"y")
    found = leaks(every_file(tmp_path), {"pw-Known": "admin"})
    assert {line.split(":")[0].rsplit("/", 1)[1] for line in found} == set(forms("pw-Known", "admin"))


@pytest.fixture
def session_temp(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """Temporary files of this process go to a folder the test searches."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hvgui.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", password=HOST_SECRET, command_log=str(tmp_path / "commands.jsonl")) as running:
        yield running


def test_a_whole_session_writes_no_password_anywhere(
    qtbot, loop, emulator, tmp_path, own_directories, own_settings, session_temp, debug_log, memory_keyring
) -> None:
    endpoint = endpoint_for(emulator, "HV-DEMO-01")
    vm = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    vm.guest = dataclasses.replace(vm.guest, account=(GUEST_USER, GUEST_SECRET))
    vm.files.write("C:\\Temp\\notes.txt", b"nothing secret\r\n")
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    preferences = Preferences()
    book = HostBook(default_path())
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller, preferences=preferences, host_book=book)
    qtbot.addWidget(window)
    window.restore_window_state(WindowState(preferences.settings))
    window.show()

    # Connect through the dialog: the host is saved and its password remembered.
    settings = endpoint.connection_settings()
    dialog = window.show_connect_dialog(settings)
    qtbot.keyClicks(dialog.password_edit, HOST_SECRET)
    dialog.groups_edit.setText("Lab")
    dialog.ok_button.click()
    key = settings.key
    loop.run_until_complete(wait_until(lambda: controller.has_host(key) and controller.inventory(key), what="VMs"))

    # Copy a file out of a guest, remembering the guest account.
    assert window.select_vm(vm_key(emulator, "HV-DEMO-01", "dc01"))
    copy = window.copy_actions.copy_from_selected()
    copy.guest_paths.setPlainText("C:\\Temp\\notes.txt")
    copy.local_folder.setText(str(downloads))
    copy.user.setText(GUEST_USER)
    copy.password.setText(GUEST_SECRET)
    copy.findChild(type(dialog.save_check), "copyFromRemember").setChecked(True)
    copy.copy_button.click()

    def done() -> bool:
        records = [r for r in window.vm_actions.records() if isinstance(r.operation, CopyFromGuestOperation)]
        return bool(records) and records[0].state.is_final and records[0].state.name == "Succeeded"

    loop.run_until_complete(wait_until(done, timeout=30, what="the copy"))
    assert (downloads / "notes.txt").exists()

    # Disconnect, quit.
    controller.remove_host(key)
    loop.run_until_complete(wait_until(lambda: window.host_model.status(key) is None, what="the disconnect"))
    window.close()
    loop.run_until_complete(controller.aclose())
    logging.getLogger("hvgui.test").debug("session over")

    # The secrets went where they belong, the rest was written, and nothing written holds a secret.
    assert memory_keyring.entries[(SERVICE, host_secret_key(settings))] == HOST_SECRET
    vm_id = str(vm.id).lower()
    assert memory_keyring.entries[(SERVICE, guest_secret_key(key, vm_id, GUEST_USER))] == GUEST_SECRET
    assert default_path().exists() and Path(preferences.settings.fileName()).exists()
    assert debug_log.stat().st_size > 0 and (tmp_path / "commands.jsonl").stat().st_size > 0
    roots = [Path(p) for p in own_directories.values()] + [Path(own_settings), session_temp, downloads]
    files = [*every_file(*roots), debug_log, tmp_path / "commands.jsonl"]
    assert leaks(files, {HOST_SECRET: endpoint.username, GUEST_SECRET: GUEST_USER}) == []
