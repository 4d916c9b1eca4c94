"""Each `HvGui` function exists twice, and the two must make the same host calls.

The PowerShell text in `HvGui.ps1` is what runs on real hosts; the emulator runs its Python twin
(`hvgui.emulator.hyperv.functions`). Here tree-sitter reads the cmdlet and CIM calls of each function from
the text (the documented cmdlets the emulator implements: Hyper-V and CIM; engine cmdlets such as
Where-Object or ConvertTo-Json are not host calls), and the emulator's call trace of the same function is
compared with them: same cmdlets, same named parameters in the same order, same `-ClassName`, same order.
A function without branches must make exactly the text's calls; one with branches must make, in order, a
selection of them, and every call of the text must be reached by some case below.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from typing import Any

import pytest
from test_host_module_static import module_text, read_commands

from hvgui.domain import integration as ic
from hvgui.emulator.hyperv import calls
from hvgui.emulator.hyperv.cmdlets import CMDLETS
from hvgui.emulator.runtime import CmdletError, PipelineCommand, TerminatingError
from hvgui.emulator.scenarios import load_scenario

Call = tuple[str, tuple[str, ...], str | None]


def text_calls(function: str) -> list[Call]:
    """The host calls the PowerShell text of `function` makes, in source order."""
    commands, _errors, _functions = read_commands(module_text().encode("utf-8"))
    found: list[Call] = []
    for command in commands:
        if command.function != function or command.name.casefold() not in CMDLETS:
            continue
        parameters = tuple(e.text[1:].split(":")[0] for e in command.elements if e.is_parameter)
        texts = [e.text for e in command.elements]
        class_name = texts[texts.index("-ClassName") + 1].strip("'\"") if "-ClassName" in texts else None
        found.append((command.name, parameters, class_name))
    return found


class _Sink:
    def __init__(self) -> None:
        self.output: list[Any] = []
        self.errors: list[CmdletError] = []
        self.stop_requested = threading.Event()

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, error: CmdletError) -> None:
        self.errors.append(error)

    def write_warning(self, message: str) -> None:
        pass


@pytest.fixture
def host():
    emulated = load_scenario("demo", seed=3).hosts[0]
    runspace = emulated.open_runspace()
    load = PipelineCommand(name=module_text(), is_script=True)
    emulated.run(runspace, [load], [], _Sink())
    return emulated, runspace


def traced(host, name: str, **parameters: Any) -> tuple[list[Call], _Sink]:
    emulated, runspace = host
    sink = _Sink()
    with calls.recording() as trace:
        emulated.run(runspace, [PipelineCommand(name=name, parameters=tuple(parameters.items()))], [], sink)
    return [(c.cmdlet, c.parameters, c.class_name) for c in trace], sink


def is_selection(made: list[Call], written: list[Call]) -> bool:
    """Whether `made` is `written` with some calls left out (a subsequence)."""
    remaining = iter(written)
    return all(any(call == candidate for candidate in remaining) for call in made)


def test_the_text_has_host_calls_to_compare() -> None:
    inventory = text_calls("Get-HvGuiInventory")
    assert len(inventory) == 14 and {c[0] for c in inventory} == {"Get-CimInstance"}
    assert [c[0] for c in text_calls("Set-HvGuiIntegrationService")] == [
        "Get-VM",
        "Get-VMIntegrationService",
        "Enable-VMIntegrationService",
        "Disable-VMIntegrationService",
        "Enable-VMIntegrationService",
        "Disable-VMIntegrationService",
    ]


def test_inventory_makes_exactly_the_calls_of_its_text(host) -> None:
    made, sink = traced(host, "Get-HvGuiInventory")
    assert sink.errors == []
    assert made == text_calls("Get-HvGuiInventory")
    assert json.loads(sink.output[0])["v"] == 3


def test_inventory_rows_have_the_keys_of_the_text(host) -> None:
    # The row the text builds (`$rows.Add([pscustomobject]@{ key = ... })`) and the twin's row have the same
    # keys: a key changed in one body only (as "up" became "boot") fails here.
    text = module_text()
    start = text.index("$rows.Add([pscustomobject]@{")
    block = text[start : text.index("})", start)]
    written = set(re.findall(r"^\s+(\w+)\s+=", block, flags=re.MULTILINE))
    _made, sink = traced(host, "Get-HvGuiInventory")
    rows = json.loads(sink.output[0])["vms"]
    assert "boot" in written and "up" not in written
    assert all(set(row) == written for row in rows)


def test_set_integration_service_makes_a_selection_of_its_texts_calls_and_reaches_all(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "dc01")
    written = text_calls("Set-HvGuiIntegrationService")
    reached: set[Call] = set()
    for component, enabled in (
        (ic.TIME_SYNC.ic_guid, False),
        (ic.TIME_SYNC.ic_guid, True),
        (str(uuid.uuid4()).upper(), True),
        (str(uuid.uuid4()).upper(), False),
    ):
        made, _sink = traced(host, "Set-HvGuiIntegrationService", VMId=vm.id, ComponentId=component, Enabled=enabled)
        assert is_selection(made, written), made
        reached.update(made)
    assert reached == set(written)


def test_the_comparison_can_fail() -> None:
    written = text_calls("Set-HvGuiIntegrationService")
    assert not is_selection(list(reversed(written)), written)
    assert not is_selection([("Get-VM", ("Name",), None)], written)


def test_a_missing_vm_stops_at_get_vm_like_the_text(host) -> None:
    with calls.recording() as trace, pytest.raises(TerminatingError) as failure:
        traced(host, "Set-HvGuiIntegrationService", VMId=uuid.uuid4(), ComponentId="x", Enabled=True)
    assert [c.cmdlet for c in trace] == ["Get-VM"]
    assert failure.value.error.fully_qualified_error_id.endswith("Commands.GetVM")


STAGING = ("Write-HvGuiStagedChunk", "Get-HvGuiStagedFile", "Remove-HvGuiStagedFile")


def test_the_staging_functions_use_only_file_apis_in_both_versions(host) -> None:
    transfer = uuid.uuid4()
    for name in STAGING:
        assert text_calls(name) == []
    made, sink = traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=0, Data=b"abc")
    assert made == [] and sink.output == [3]
    made, sink = traced(host, "Get-HvGuiStagedFile", TransferId=transfer, Sha256=True)
    assert made == [] and json.loads(sink.output[0])["length"] == 3
    made, sink = traced(host, "Remove-HvGuiStagedFile", TransferId=transfer)
    assert made == [] and sink.errors == []


def test_copy_target_makes_exactly_the_calls_of_its_text(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "ci-runner")
    written = text_calls("Get-HvGuiCopyTarget")
    assert [c[0] for c in written] == ["Get-VM", "Get-VMIntegrationService"]
    made, sink = traced(host, "Get-HvGuiCopyTarget", VMId=vm.id)
    assert made == written
    report = json.loads(sink.output[0])
    assert report["state"] == 2 and report["gsi"] is True and report["gsiStatus"] == 2


def test_copy_staged_file_to_guest_makes_exactly_the_calls_of_its_text(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "ci-runner")
    transfer = uuid.uuid4()
    traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=0, Data=b"payload")
    written = text_calls("Copy-HvGuiStagedFileToGuest")
    assert [c[0] for c in written] == ["Get-VM", "Copy-VMFile"]
    made, sink = traced(
        host, "Copy-HvGuiStagedFileToGuest", VMId=vm.id, TransferId=transfer, DestinationPath="/tmp/a", Force=True
    )
    assert sink.errors == []
    assert made == written
    assert vm.files.read("/tmp/a") == b"payload"


def test_a_chunk_past_the_end_or_beyond_the_free_space_fails_the_call_and_changes_nothing(host) -> None:
    emulated, _runspace = host
    transfer = uuid.uuid4()
    traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=0, Data=b"abc")
    with pytest.raises(TerminatingError) as gap:
        traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=4, Data=b"x")
    assert "would leave a gap" in gap.value.error.message
    emulated.model.settings.staging_limit_bytes = 5
    with pytest.raises(TerminatingError) as full:
        traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=3, Data=b"xyz")
    assert full.value.error.message == (
        'Exception calling "Write" with "3" argument(s): "There is not enough space on the disk.\r\n"'
    )
    _made, sink = traced(host, "Get-HvGuiStagedFile", TransferId=transfer, Sha256=True)
    staged = json.loads(sink.output[0])
    assert staged["length"] == 3 and staged["sha256"] == hashlib.sha256(b"abc").hexdigest().upper()
    _made, sink = traced(host, "Write-HvGuiStagedChunk", TransferId=transfer, Offset=1, Data=b"Z")
    assert sink.output == [2]  # rewriting at an offset cuts the file there


def _stage_tree(host, transfer: uuid.UUID, files: dict[str, bytes]) -> None:
    """Put files where a copy out of a guest stages them (staging\\<transfer>\\...), as Copy-Item would."""
    from hvgui.emulator.hyperv.staging import staged_folder

    emulated, _runspace = host
    with emulated.model.lock:
        for relative, data in files.items():
            emulated.model.files.write(staged_folder(transfer) + "\\" + relative, data)


def test_read_staged_chunk_uses_only_file_apis_and_reads_what_is_staged(host) -> None:
    transfer = uuid.uuid4()
    assert text_calls("Read-HvGuiStagedChunk") == []
    _stage_tree(host, transfer, {"logs\\a b.txt": b"0123456789", "empty.bin": b""})
    made, sink = traced(
        host, "Read-HvGuiStagedChunk", TransferId=transfer, RelativePath="LOGS\\a b.txt", Offset=3, Length=4
    )
    assert made == [] and sink.errors == [] and sink.output == [b"3456"]
    _made, sink = traced(
        host, "Read-HvGuiStagedChunk", TransferId=transfer, RelativePath="logs\\a b.txt", Offset=8, Length=4
    )
    assert sink.output == [b"89"]  # fewer at the end
    _made, sink = traced(
        host, "Read-HvGuiStagedChunk", TransferId=transfer, RelativePath="empty.bin", Offset=0, Length=4
    )
    assert sink.output == []  # nothing at the end of a file: pypsrp cannot read an empty byte array


@pytest.mark.parametrize(
    ("relative", "offset", "length", "expected"),
    [
        ("..\\other\\x.txt", 0, 4, "not inside the transfer's staging folder"),
        ("C:\\Windows\\win.ini", 0, 4, "not inside the transfer's staging folder"),
        ("x.txt", 0, 0, "at least one byte"),
        ("x.txt", 4, 4, "holds 3 bytes; there is nothing to read at offset 4"),
        ("missing.txt", 0, 4, 'Exception calling "OpenRead" with "1" argument(s): "Could not find file '),
    ],
)
def test_read_staged_chunk_refuses_what_it_cannot_read(
    host, relative: str, offset: int, length: int, expected: str
) -> None:
    transfer = uuid.uuid4()
    _stage_tree(host, transfer, {"x.txt": b"abc"})
    with pytest.raises(TerminatingError) as failure:
        traced(host, "Read-HvGuiStagedChunk", TransferId=transfer, RelativePath=relative, Offset=offset, Length=length)
    assert expected in failure.value.error.message


def test_remove_staged_file_removes_a_staged_folder_and_nothing_else(host) -> None:
    from hvgui.emulator.hyperv.staging import STAGING_FOLDER

    emulated, _runspace = host
    transfer, other = uuid.uuid4(), uuid.uuid4()
    _stage_tree(host, transfer, {"a\\b\\c.txt": b"c", "d.txt": b"d"})
    _stage_tree(host, other, {"keep.txt": b"k"})
    made, sink = traced(host, "Remove-HvGuiStagedFile", TransferId=transfer)
    assert made == [] and sink.errors == []
    with emulated.model.lock:
        left = emulated.model.files.files_under(STAGING_FOLDER)
        assert not emulated.model.files.exists(STAGING_FOLDER + "\\" + str(transfer))
    assert list(left) == [STAGING_FOLDER + "\\" + str(other) + "\\keep.txt"]


def _guest_credential(password: str = "Guest-Demo-1!"):
    from psrpcore.types import PSCredential, PSSecureString

    return PSCredential(UserName=".\\Administrator", Password=PSSecureString(password))


def _windows_vm(host):
    emulated, _runspace = host
    model = emulated.model
    return next(v for v in model.vms if v.guest.os.is_windows and v.has_runtime_components(model.now()))


def test_copy_guest_item_to_staging_makes_exactly_the_calls_of_its_text(host) -> None:
    from hvgui.emulator.hyperv.cmdlets.direct import open_sessions
    from hvgui.emulator.hyperv.staging import staged_folder

    emulated, _runspace = host
    vm = _windows_vm(host)
    vm.files.write("C:\\Logs\\a b.txt", b"abc")
    vm.files.write("C:\\Logs\\sub\\empty.txt", b"")
    transfer = uuid.uuid4()
    written = text_calls("Copy-HvGuiGuestItemToStaging")
    assert [c[0] for c in written] == ["New-PSSession", "Copy-Item", "Remove-PSSession"]
    made, sink = traced(
        host, "Copy-HvGuiGuestItemToStaging", VMId=vm.id, Credential=_guest_credential(), Path="C:\\Logs",
        TransferId=transfer,
    )  # fmt: skip
    assert sink.errors == [] and made == written
    report = json.loads(sink.output[0])
    assert report == {
        "files": [
            {"path": "Logs\\a b.txt", "length": 3, "sha256": hashlib.sha256(b"abc").hexdigest().upper()},
            {"path": "Logs\\sub\\empty.txt", "length": 0, "sha256": hashlib.sha256(b"").hexdigest().upper()},
        ]
    }
    assert emulated.model.files.read(staged_folder(transfer) + "\\Logs\\a b.txt") == b"abc"
    assert open_sessions(emulated.model) == {}


def test_copy_guest_item_to_staging_stops_where_the_text_stops(host) -> None:
    from hvgui.emulator.hyperv.cmdlets.direct import open_sessions

    emulated, _runspace = host
    vm = _windows_vm(host)
    written = text_calls("Copy-HvGuiGuestItemToStaging")
    with calls.recording() as trace, pytest.raises(TerminatingError) as refused:
        traced(host, "Copy-HvGuiGuestItemToStaging", VMId=vm.id, Credential=_guest_credential("wrong"),
               Path="C:\\Logs", TransferId=uuid.uuid4())  # fmt: skip
    assert refused.value.error.message == "The credential is invalid."
    assert "wrong" not in refused.value.error.message
    assert [c.cmdlet for c in trace] == ["New-PSSession"]
    with calls.recording() as trace, pytest.raises(TerminatingError) as missing:
        traced(host, "Copy-HvGuiGuestItemToStaging", VMId=vm.id, Credential=_guest_credential(),
               Path="C:\\Nope", TransferId=uuid.uuid4())  # fmt: skip
    assert missing.value.error.message == "Cannot find path 'C:\\Nope' because it does not exist."
    made = [(c.cmdlet, c.parameters, c.class_name) for c in trace]
    assert made == written  # the session is removed although Copy-Item failed
    assert open_sessions(emulated.model) == {}
