"""Copying files of a Windows guest to this computer: PowerShell Direct on the emulated host stages them, a
verified chunked download brings them here over loopback with the real pypsrp client. The guest account's
password travels only as a PSCredential parameter (a SecureString): it is in no command log and no message."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from remoting_support import run

from hvgui.domain.errors import HvGuiError
from hvgui.domain.operations import CopyFromGuestOperation, ExistingFile, OperationRecord, OperationState, VmTarget
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.transfers import CopyRefused, CopyReport, FileOutcome, RefusalReason
from hvgui.remoting.transfers.from_guest import copy_from_guest

HOST = "HV-OUT"
PASSWORD = "S3cret $(pass) 'q' \"dq\" ünï"
ACCOUNT = GuestCredential(".\\Administrator", PASSWORD)
TREE = {
    "C:\\Logs\\setup log.txt": b"line 1\r\n",
    'C:\\Logs\\it\'s "quoted" $(whoami).txt': b"$(Remove-Item C:\\ -Recurse)",
    "C:\\Logs\\Überprüfung – 日本\\données.bin": os.urandom(150_000),
    "C:\\Logs\\empty.txt": b"",
}


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "out",
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
    path = tmp_path / "out.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        model = running.scenario.hosts[0].model
        win = next(vm for vm in model.vms if vm.name == "win")
        for guest_path, data in TREE.items():
            win.files.write(guest_path, data)
        yield running


def _vm(emulator: RunningEmulator, name: str) -> Any:
    return next(vm for vm in emulator.scenario.hosts[0].model.vms if vm.name == name)


def _staged(emulator: RunningEmulator) -> dict[str, int]:
    model = emulator.scenario.hosts[0].model
    with model.lock:
        return model.files.files_under(STAGING_FOLDER)


def _copy(
    emulator: RunningEmulator,
    vm_name: str,
    paths: list[str],
    folder: Path,
    credential: GuestCredential | None = ACCOUNT,
    existing: ExistingFile = ExistingFile.Ask,
) -> CopyReport:
    endpoint = emulator.endpoints[0]
    vm = _vm(emulator, vm_name)
    operation = CopyFromGuestOperation(
        target=VmTarget(host=endpoint.host_name, computer_name=endpoint.host_name, vm_id=str(vm.id), vm_name=vm.name),
        guest_paths=tuple(paths),
        local_folder=str(folder),
        guest_user=credential.user if credential else "",
        existing=existing,
    )

    async def body() -> CopyReport:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
        try:
            return await copy_from_guest(connection, operation, credential, chunk_bytes=32_768)
        finally:
            await connection.close()

    return run(body)


def test_a_file_and_a_folder_tree_arrive_byte_identical(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    here = tmp_path / "here"
    report = _copy(emulator, "win", ["C:\\Logs\\setup log.txt", "C:\\Logs"], here)
    arrived = {str(p.relative_to(here)): p.read_bytes() for p in here.rglob("*") if p.is_file()}
    expected = {"setup log.txt": TREE["C:\\Logs\\setup log.txt"]}
    expected |= {str(Path(*p.split("\\")[1:])): d for p, d in TREE.items()}
    assert arrived == expected
    assert [f.outcome for f in report.files] == [FileOutcome.Copied] * (1 + len(TREE))
    assert _staged(emulator) == {}
    if os.name == "posix":  # a copied file gets the mode any saved file gets, not a temporary file's 0600
        umask = os.umask(0)
        os.umask(umask)
        assert {p.stat().st_mode & 0o777 for p in here.rglob("*") if p.is_file()} == {0o666 & ~umask}
    log = command_log.read_text(encoding="utf-8")
    assert "Copy-HvGuiGuestItemToStaging" in log and PASSWORD not in log and "S3cret" not in log
    assert [json.loads(line).get("command") for line in log.splitlines()].count(None) == 1  # only the module


@pytest.mark.parametrize(
    ("vm", "credential", "path", "reason", "words"),
    [
        ("win", GuestCredential(".\\Administrator", "wrong"), "C:\\Logs", RefusalReason.GuestAccountRejected,
         "refused the account '.\\Administrator'"),
        ("ubuntu", ACCOUNT, "/var/log", RefusalReason.PowerShellDirectUnavailable, "does not support Linux guests"),
        ("off", ACCOUNT, "C:\\Logs", RefusalReason.VmNotRunning, "is not running"),
        ("win", ACCOUNT, "C:\\Nope\\x.txt", RefusalReason.GuestPathMissing, "'C:\\Nope\\x.txt' does not exist"),
        ("win", None, "C:\\Logs", RefusalReason.GuestAccountMissing, "needs an account of the guest"),
        ("win", ACCOUNT, "C:\\Logs\\a|b.txt", RefusalReason.GuestPathInvalid, "Nothing was copied."),
        ("win", ACCOUNT, "C:\\Logs\\CON", RefusalReason.GuestPathInvalid, "reserved by Windows"),
    ],
)  # fmt: skip
def test_refusals_are_clear_and_leave_nothing_staged(
    emulator: RunningEmulator,
    tmp_path: Path,
    command_log: Path,
    vm: str,
    credential: GuestCredential | None,
    path: str,
    reason: RefusalReason,
    words: str,
) -> None:
    here = tmp_path / "here"
    with pytest.raises(CopyRefused) as refused:
        _copy(emulator, vm, [path], here, credential)
    assert refused.value.reason is reason
    assert words in refused.value.message
    texts = [refused.value.message, str(refused.value), repr(refused.value), command_log.read_text(encoding="utf-8")]
    assert all(PASSWORD not in t and "wrong" not in t for t in texts)
    assert _staged(emulator) == {}
    assert not here.exists() or not list(here.rglob("*"))
    if reason is RefusalReason.GuestPathInvalid:  # refused before anything was sent
        assert "Copy-HvGuiGuestItemToStaging" not in command_log.read_text(encoding="utf-8")


def test_a_local_file_of_the_same_name_is_kept_unless_overwrite(emulator: RunningEmulator, tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "setup log.txt").write_bytes(b"mine")
    report = _copy(emulator, "win", ["C:\\Logs\\setup log.txt"], here, existing=ExistingFile.Ask)
    assert [f.outcome for f in report.files] == [FileOutcome.Exists]
    assert (here / "setup log.txt").read_bytes() == b"mine"
    report = _copy(emulator, "win", ["C:\\Logs\\setup log.txt"], here, existing=ExistingFile.Overwrite)
    assert (here / "setup log.txt").read_bytes() == TREE["C:\\Logs\\setup log.txt"]
    assert _staged(emulator) == {}


def test_the_password_is_not_in_the_pipeline_text_hvgui_logs() -> None:
    from hvgui.remoting.pipeline import PipelineSpec

    spec = PipelineSpec.cmdlet("Copy-HvGuiGuestItemToStaging").param("Credential", ACCOUNT)
    assert spec.carries_secret
    assert PASSWORD not in str(spec) and PASSWORD not in repr(spec)
    assert ".\\\\Administrator" in str(spec)


def test_a_refusal_is_an_hvgui_error() -> None:
    assert issubclass(CopyRefused, HvGuiError)


def _through_the_runner(
    emulator: RunningEmulator, vm_name: str, paths: list[str], folder: Path, password: str | None
) -> tuple[OperationRecord, str]:
    """Submit a CopyFromGuestOperation on a host session whose guest accounts the UI filled first."""
    from remoting_support import Recorder, is_inventory

    from hvgui.remoting import OperationsConfig, SessionManager

    async def body() -> tuple[OperationRecord, str]:
        manager = SessionManager(refresh_interval=3600.0, connect_timeout=5, operations=OperationsConfig())
        recorder = Recorder()
        manager.subscribe(recorder)
        endpoint = emulator.endpoints[0]
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for(is_inventory(session.key))
        try:
            assert session.inventory is not None
            vm = next(v for v in session.inventory.vms if v.name == vm_name)
            if password is not None:
                session.guest_credentials.set(vm.vm_id, ".\\Administrator", password)
            operation = CopyFromGuestOperation(
                VmTarget.of(vm, session.settings.host), tuple(paths), str(folder), ".\\Administrator"
            )
            record = await session.operations.submit(operation).done()
            return record, repr(record) + str(recorder.events)
        finally:
            await manager.aclose()

    return run(body)


def test_through_the_runner_the_files_arrive_and_the_record_reports_them(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    here = tmp_path / "here"
    record, shown = _through_the_runner(emulator, "win", ["C:\\Logs"], here, PASSWORD)
    assert record.state is OperationState.Succeeded, record.message
    assert isinstance(record.result, CopyReport) and len(record.result.files) == len(TREE)
    assert (here / "Logs" / "setup log.txt").read_bytes() == TREE["C:\\Logs\\setup log.txt"]
    assert PASSWORD not in shown
    assert _staged(emulator) == {}


@pytest.mark.parametrize(("password", "words"), [(None, "needs an account"), ("wrong", "refused the account")])
def test_through_the_runner_a_missing_or_wrong_account_fails_the_record(
    emulator: RunningEmulator, tmp_path: Path, password: str | None, words: str
) -> None:
    record, shown = _through_the_runner(emulator, "win", ["C:\\Logs"], tmp_path / "here", password)
    assert record.state is OperationState.Failed
    assert words in record.message
    assert "wrong" not in shown and PASSWORD not in shown
    assert _staged(emulator) == {}


def test_a_copy_cancelled_while_the_guest_is_copied_leaves_nothing(tmp_path: Path, command_log: Path) -> None:
    scenario = {
        "name": "slow-direct",
        "cost_profile": {
            "name": "slow-direct",
            "cmdlets": {"Copy-HvGuiGuestItemToStaging": {"base": 0.5, "per_object": 0}},
        },
        "hosts": [{"name": HOST, "vms": [{"name": "win", "state": "Running", "uptime": 3600}]}],
    }
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    here = tmp_path / "here"
    with start_emulator(str(path), command_log=str(command_log)) as emulator:
        _vm(emulator, "win").files.write("C:\\Logs\\a.txt", b"a" * 1000)
        endpoint = emulator.endpoints[0]
        vm = _vm(emulator, "win")
        operation = CopyFromGuestOperation(
            target=VmTarget(endpoint.host_name, endpoint.host_name, str(vm.id), vm.name),
            guest_paths=("C:\\Logs",),
            local_folder=str(here),
            guest_user=".\\Administrator",
        )
        account = GuestCredential(".\\Administrator", "Guest-Demo-1!")

        async def body() -> None:
            connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
            try:
                task = asyncio.ensure_future(copy_from_guest(connection, operation, account))
                for _ in range(200):  # until the staging call has reached the host
                    if "Copy-HvGuiGuestItemToStaging" in command_log.read_text(encoding="utf-8"):
                        break
                    await asyncio.sleep(0.02)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                for _ in range(200):  # the staged folder goes once the stopped pipeline has ended
                    if "Remove-HvGuiStagedFile" in command_log.read_text(encoding="utf-8") and not _staged(emulator):
                        break
                    await asyncio.sleep(0.05)
            finally:
                await connection.close()

        run(body)
        assert "Remove-HvGuiStagedFile" in command_log.read_text(encoding="utf-8")
        assert _staged(emulator) == {}
    assert not here.exists()
