"""Browsing a Windows guest's files through PowerShell Direct on the emulated host, over loopback with the real
pypsrp client: drives, folders with awkward names, refusals with their fixes, a cut-off listing, and the work
lane. The guest account's password travels only as a PSCredential parameter: it is in no command log."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from remoting_support import read_command_log, run

from hvgui.domain.guest_files import GuestFolder
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_browse import list_guest_folder
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.session_manager import SessionManager
from hvgui.remoting.transfers import CopyRefused, RefusalReason

HOST = "HV-BROWSE"
PASSWORD = "Br0wse $(pass) 'q' ünï"
ACCOUNT = GuestCredential(".\\Administrator", PASSWORD)
#: Names a guest may hold: spaces, quotes, `$()`, non-ASCII, a right-to-left override, a control character.
AWKWARD = [
    "a file with spaces.txt",
    'it\'s "quoted" $(whoami).txt',
    "Überprüfung – 日本.log",
    "evil\u202etxt.exe",
    "bell\x07.txt",
]


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "browse",
        "hosts": [
            {
                "name": HOST,
                "guest_credentials": {"user": ".\\Administrator", "password": PASSWORD},
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600},
                    {"name": "ubuntu", "os": "ubuntu-24.04", "state": "Running", "uptime": 3600},
                    {"name": "off", "state": "Off"},
                ],
            }
        ],
    }
    path = tmp_path / "browse.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        win = _vm(running, "win")
        for index, name in enumerate(AWKWARD):
            win.files.write("C:\\Data $(x)\\" + name, b"x" * index)
        win.files.make_dirs("C:\\Data $(x)\\Sub folder")
        win.files.set_attributes("C:\\Data $(x)\\a file with spaces.txt", "hidden")
        win.files.touch(
            "C:\\Data $(x)\\Sub folder", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC).timestamp()
        )
        for number in range(12):
            win.files.write(f"C:\\Many\\f{number:02}.txt", b"")
        yield running


def _vm(emulator: RunningEmulator, name: str) -> Any:
    return next(vm for vm in emulator.scenario.hosts[0].model.vms if vm.name == name)


def _list(
    emulator: RunningEmulator, vm_name: str, path: str = "", credential: GuestCredential | None = ACCOUNT, **kw: Any
) -> GuestFolder:
    endpoint = emulator.endpoints[0]
    vm = _vm(emulator, vm_name)

    async def body() -> GuestFolder:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
        try:
            return await list_guest_folder(connection, str(vm.id), vm.name, credential, path, **kw)
        finally:
            await connection.close()

    return run(body)


def test_the_drives_of_a_windows_guest(emulator: RunningEmulator) -> None:
    listing = _list(emulator, "win")
    assert listing.is_drives and listing.entries == ()
    assert [(d.name, d.root) for d in listing.drives] == [("C", "C:\\")]
    assert listing.drives[0].free > 0 and listing.drives[0].used > 0


def test_a_folder_lists_files_and_folders_with_awkward_names_exactly(
    emulator: RunningEmulator, command_log: Path
) -> None:
    listing = _list(emulator, "win", "C:\\Data $(x)")
    assert listing.path == "C:\\Data $(x)" and not listing.truncated
    by_name = {e.name: e for e in listing.entries}
    assert set(by_name) == {*AWKWARD, "Sub folder"}
    assert [e.name for e in listing.entries] == sorted(by_name, key=str.casefold)  # NTFS order
    for index, name in enumerate(AWKWARD):
        entry = by_name[name]
        assert entry.path == "C:\\Data $(x)\\" + name and not entry.is_folder and entry.length == index
    folder = by_name["Sub folder"]
    assert folder.is_folder and folder.length is None
    assert folder.modified == datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    assert by_name["a file with spaces.txt"].hidden and not by_name["bell\x07.txt"].hidden
    log = read_command_log(command_log)
    assert any(entry.get("command") == "Get-HvGuiGuestChildItem" for entry in log)
    assert "Br0wse" not in command_log.read_text(encoding="utf-8")


def test_a_big_folder_is_cut_at_the_limit_and_says_so(emulator: RunningEmulator) -> None:
    listing = _list(emulator, "win", "C:\\Many", limit=10)
    assert [e.name for e in listing.entries] == [f"f{n:02}.txt" for n in range(10)]
    assert listing.truncated
    assert not _list(emulator, "win", "C:\\Many", limit=12).truncated


@pytest.mark.parametrize(
    ("vm", "credential", "path", "reason", "words"),
    [
        ("win", GuestCredential(".\\Administrator", "wrong"), "C:\\", RefusalReason.GuestAccountRejected,
         "refused the account '.\\Administrator'"),
        ("ubuntu", ACCOUNT, "", RefusalReason.PowerShellDirectUnavailable, "does not support Linux guests"),
        ("off", ACCOUNT, "C:\\", RefusalReason.PowerShellDirectUnavailable, "has finished starting"),
        ("win", ACCOUNT, "C:\\Nope", RefusalReason.GuestPathMissing, "'C:\\Nope' does not exist"),
        ("win", ACCOUNT, "C:\\Many\\f01.txt", RefusalReason.GuestPathMissing, "is a file, not a folder"),
        ("win", ACCOUNT, "C:\\System Volume Information", RefusalReason.GuestAccessDenied,
         "Access to the path 'C:\\System Volume Information' is denied."),
        ("win", None, "C:\\", RefusalReason.GuestAccountMissing, "needs an account of the guest"),
        ("win", ACCOUNT, "Data", RefusalReason.GuestPathInvalid, "starts with a drive"),
    ],
)  # fmt: skip
def test_refusals_say_what_to_do(
    emulator: RunningEmulator, vm: str, credential: GuestCredential | None, path: str, reason: RefusalReason, words: str
) -> None:
    with pytest.raises(CopyRefused) as refused:
        _list(emulator, vm, path, credential)
    assert refused.value.reason is reason
    assert words in refused.value.message
    assert "wrong" not in refused.value.message and PASSWORD not in refused.value.message


def test_a_session_browses_on_its_work_lane_with_the_account_it_holds(emulator: RunningEmulator) -> None:
    endpoint = emulator.endpoints[0]
    win = _vm(emulator, "win")

    async def body() -> tuple[GuestFolder, int]:
        manager = SessionManager()
        try:
            session = manager.add_host(endpoint.connection_settings(), endpoint.password)
            with pytest.raises(CopyRefused) as missing:
                await session.list_guest_folder(str(win.id), win.name, "C:\\")
            assert missing.value.reason is RefusalReason.GuestAccountMissing
            session.guest_credentials.set(str(win.id), ACCOUNT.user, ACCOUNT.password)
            listing = await session.list_guest_folder(str(win.id).upper(), win.name, "C:\\")
            return listing, session.operations.lane.size
        finally:
            await manager.aclose()

    listing, lane_size = run(body)
    assert "Data $(x)" in {e.name for e in listing.entries}
    assert lane_size == 1  # a work connection, not the refresh lane's
