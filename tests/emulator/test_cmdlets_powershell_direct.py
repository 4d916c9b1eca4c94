"""PowerShell Direct on the emulated host: New-PSSession -VMId/-VMName -Credential signs in to a running
Windows guest with its account; Copy-Item -FromSession brings a guest file or folder tree to a host folder;
Remove-PSSession closes the session. Wrong accounts, Linux guests, VMs that are off and missing guest paths
fail with the documented texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import PSCredential, PSSecureString

from hvgui.emulator.hyperv.cmdlets.direct import open_sessions
from hvgui.emulator.runtime import TerminatingError

PASSWORD = "Guest-Demo-1!"
TREE = {
    "C:\\Logs\\setup log.txt": b"line\r\n",
    "C:\\Logs\\it's $(x)\\ünï.bin": b"\x00\x01" * 100,
    "C:\\Logs\\empty.txt": b"",
}


@pytest.fixture
def h() -> Harness:
    harness = Harness(
        one_host(
            {"name": "win", "state": "Running", "uptime": 3600},
            {"name": "ubuntu", "os": "ubuntu-24.04", "state": "Running", "uptime": 3600},
            {"name": "off", "state": "Off"},
        )
    )
    for path, data in TREE.items():
        harness.vm("win").files.write(path, data)
    return harness


def credential(user: str = ".\\Administrator", password: str = PASSWORD) -> PSCredential:
    return PSCredential(UserName=user, Password=PSSecureString(password))


def session(h: Harness, vm: str = "win", **kw):
    sink = h.run(cmd("New-PSSession", VMId=[h.vm(vm).id], Credential=credential(**kw)))
    return sink


def test_a_session_copies_a_file_and_a_tree_then_closes(h: Harness) -> None:
    [opened] = session(h).output
    assert opened.PSObject.type_names[0] == "System.Management.Automation.Runspaces.PSSession"
    assert opened.VMName == "win" and opened.State == "Opened"
    h.model.files.make_dirs("C:\\Stage")
    assert (
        h.run(cmd("Copy-Item", FromSession=opened, Path=["C:\\Logs\\setup log.txt"], Destination="C:\\Stage")).errors
        == []
    )
    assert h.model.files.read("C:\\Stage\\setup log.txt") == b"line\r\n"
    sink = h.run(cmd("Copy-Item", FromSession=opened, Path=["C:\\Logs"], Destination="C:\\Stage", Recurse=True))
    assert sink.errors == []
    copied = {p: h.model.files.read(p) for p in h.model.files.files_under("C:\\Stage\\Logs")}
    assert copied == {p.replace("C:\\Logs", "C:\\Stage\\Logs"): d for p, d in TREE.items()}
    assert h.run(cmd("Remove-PSSession", Session=[opened])).errors == []
    assert open_sessions(h.model) == {}
    with pytest.raises(TerminatingError) as closed:
        h.run(cmd("Copy-Item", FromSession=opened, Path=["C:\\Logs"], Destination="C:\\Stage"))
    assert "A remote session might have ended" in closed.value.error.message


def test_the_vm_name_parameter_set_and_the_accepted_spellings_of_the_account(h: Harness) -> None:
    sink = h.run(cmd("New-PSSession", VMName=["WIN"], Credential=credential("Administrator")))
    assert sink.errors == [] and len(sink.output) == 1


@pytest.mark.parametrize(
    ("vm", "user", "password", "message", "error_id"),
    [
        ("win", ".\\Administrator", "wrong", "The credential is invalid.", "InvalidCredential"),
        ("win", ".\\Guest", PASSWORD, "The credential is invalid.", "InvalidCredential"),
        ("ubuntu", ".\\Administrator", PASSWORD, "A remote session might have ended.", "PSSessionOpenFailed"),
        ("off", ".\\Administrator", PASSWORD, "A remote session might have ended.", "PSSessionOpenFailed"),
    ],
)
def test_sign_in_refusals(h: Harness, vm: str, user: str, password: str, message: str, error_id: str) -> None:
    sink = session(h, vm, user=user, password=password)
    assert sink.output == []
    [error] = sink.errors
    assert message in error.message
    assert error.fully_qualified_error_id == f"{error_id},Microsoft.PowerShell.Commands.NewPSSessionCommand"
    assert password not in error.message
    assert open_sessions(h.model) == {}


def test_a_vm_the_host_does_not_have(h: Harness) -> None:
    [error] = h.run(cmd("New-PSSession", VMName=["nope"], Credential=credential())).errors
    assert error.message == "The input VMName parameter does not resolve to any virtual machine."


def test_a_missing_guest_path(h: Harness) -> None:
    [opened] = session(h).output
    sink = h.run(cmd("Copy-Item", FromSession=opened, Path=["C:\\Nope\\x.txt"], Destination="C:\\Stage"))
    [error] = sink.errors
    assert error.message == "Cannot find path 'C:\\Nope\\x.txt' because it does not exist."
    assert error.fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand"
    assert h.model.files.files_under("C:\\Stage") == {}


def test_credential_is_mandatory_in_the_vm_parameter_sets(h: Harness) -> None:
    with pytest.raises(TerminatingError, match="missing mandatory parameters: Credential"):
        h.run(cmd("New-PSSession", VMId=[h.vm("win").id]))


def test_a_credential_sent_by_pypsrp_signs_in_over_the_wire(tmp_path: Path) -> None:
    """pypsrp sends a PSCredential (its password a SecureString, after the session key exchange) as a
    parameter; the emulated host decrypts it and signs in with it, and refuses a wrong one."""
    from pypsrp.complex_objects import PSCredential as ClientCredential
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    from hvgui.emulator import start_emulator

    log = tmp_path / "commands.jsonl"
    with start_emulator("demo", command_log=str(log)) as emulator:
        endpoint = emulator.endpoints[0]
        model = next(h.model for h in emulator.scenario.hosts if h.model.name == endpoint.host_name)
        vm = next(v for v in model.vms if v.guest.os.is_windows and v.has_runtime_components(model.now()))
        settings = endpoint.connection_settings()
        wsman = WSMan(
            settings.host, port=settings.port, username=settings.username, password=endpoint.password,
            ssl=False, auth="basic", encryption="never",
        )  # fmt: skip
        with RunspacePool(wsman) as pool:
            pool.exchange_keys()
            answers = []
            for password in (PASSWORD, "wrong"):
                ps = PowerShell(pool)
                ps.add_cmdlet("New-PSSession").add_parameter("VMId", str(vm.id))
                ps.add_parameter("Credential", ClientCredential(username=".\\Administrator", password=password))
                output = ps.invoke()
                answers.append((len(output), [str(e) for e in ps.streams.error]))
    assert answers[0] == (1, [])
    assert answers[1] == (0, ["The credential is invalid."])
    text = log.read_text(encoding="utf-8")
    assert "New-PSSession" in text and PASSWORD not in text  # the command log shows no password
