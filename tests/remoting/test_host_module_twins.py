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
from hvgui.emulator.hyperv import calls, heartbeats
from hvgui.emulator.hyperv.cim import indications
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
    assert len(inventory) == 15 and {c[0] for c in inventory} == {"Get-CimInstance"}
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


def test_remove_stale_staged_file_removes_old_staged_files_and_folders_and_keeps_fresh_ones(host) -> None:
    from hvgui.emulator.hyperv.staging import STAGING_FOLDER, staged_folder, staged_path

    emulated, _runspace = host
    assert text_calls("Remove-HvGuiStaleStagedFile") == []  # .NET file APIs only, in both versions
    files = emulated.model.files
    old_file, fresh_file, old_tree, busy_tree = (uuid.uuid4() for _ in range(4))
    traced(host, "Write-HvGuiStagedChunk", TransferId=old_file, Offset=0, Data=b"old")
    traced(host, "Write-HvGuiStagedChunk", TransferId=fresh_file, Offset=0, Data=b"fresh")
    _stage_tree(host, old_tree, {"a\\b.txt": b"b"})
    _stage_tree(host, busy_tree, {"old.txt": b"o", "new.txt": b"n"})  # Copy-Item is still filling it
    day_ago = emulated.model.wall_clock() - 25 * 3600
    with emulated.model.lock:
        files.write(STAGING_FOLDER + "\\notes.part", b"not hvgui's")  # not a GUID: never touched
        for path in (
            staged_path(old_file),
            STAGING_FOLDER + "\\notes.part",
            staged_folder(old_tree),
            staged_folder(old_tree) + "\\a",
            staged_folder(old_tree) + "\\a\\b.txt",
            staged_folder(busy_tree),
            staged_folder(busy_tree) + "\\old.txt",
        ):
            files.set_last_write(path, day_ago)
    made, sink = traced(host, "Remove-HvGuiStaleStagedFile", OlderThanHours=24)
    assert made == [] and sink.errors == []
    assert sorted(json.loads(sink.output[0])["removed"]) == sorted([f"{old_file}.part", str(old_tree)])
    with emulated.model.lock:
        assert not files.exists(staged_path(old_file)) and not files.exists(staged_folder(old_tree))
        assert files.read(staged_path(fresh_file)) == b"fresh"
        assert files.exists(staged_folder(busy_tree) + "\\old.txt")
        assert files.exists(STAGING_FOLDER + "\\notes.part")
    _made, sink = traced(host, "Remove-HvGuiStaleStagedFile", OlderThanHours=24)
    assert json.loads(sink.output[0]) == {"removed": []}
    with pytest.raises(TerminatingError) as young:
        traced(host, "Remove-HvGuiStaleStagedFile", OlderThanHours=0)
    assert "younger than an hour" in young.value.error.message


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


def test_guest_child_item_makes_exactly_the_calls_of_its_text_and_lists_the_folder(host) -> None:
    from hvgui.emulator.hyperv.cmdlets.direct import open_sessions

    emulated, _runspace = host
    vm = _windows_vm(host)
    vm.files.write("C:\\Browse\\b.txt", b"12345")
    vm.files.make_dirs("C:\\Browse\\A folder")
    written = text_calls("Get-HvGuiGuestChildItem")
    assert [c[0] for c in written] == ["Invoke-Command"]
    assert written[0][1] == ("VMId", "Credential", "ScriptBlock", "ArgumentList", "ErrorAction")
    made, sink = traced(host, "Get-HvGuiGuestChildItem", VMId=vm.id, Credential=_guest_credential(), Path="C:\\Browse")
    assert sink.errors == [] and made == written
    report = json.loads(sink.output[0])
    assert [(e["n"], e["p"], e["d"], e["l"]) for e in report["entries"]] == [
        ("A folder", "C:\\Browse\\A folder", True, None),
        ("b.txt", "C:\\Browse\\b.txt", False, 5),
    ]
    assert report["truncated"] is False and report["error"] is None
    made, sink = traced(host, "Get-HvGuiGuestChildItem", VMId=vm.id, Credential=_guest_credential())
    assert made == written
    drives = json.loads(sink.output[0])["drives"]
    assert [(d["n"], d["root"]) for d in drives] == [("C", "C:\\")] and drives[0]["free"] > 0
    assert open_sessions(emulated.model) == {}


def test_guest_child_item_fails_like_invoke_command_for_a_wrong_account(host) -> None:
    vm = _windows_vm(host)
    with calls.recording() as trace, pytest.raises(TerminatingError) as refused:
        traced(host, "Get-HvGuiGuestChildItem", VMId=vm.id, Credential=_guest_credential("wrong"), Path="C:\\")
    assert refused.value.error.message == "The credential is invalid."
    assert refused.value.error.fully_qualified_error_id.startswith("InvalidCredential,")
    assert [c.cmdlet for c in trace] == ["Invoke-Command"]


def test_invoke_command_runs_only_the_modules_script_blocks(host) -> None:
    vm = _windows_vm(host)
    with pytest.raises(TerminatingError) as refused:
        traced(host, "Invoke-Command", VMId=vm.id, Credential=_guest_credential(), ScriptBlock="Get-ChildItem C:\\")
    assert "ScriptBlock" in refused.value.error.message


_WATCH_REGISTER = (
    "Register-CimIndicationEvent",
    ("Namespace", "Query", "SourceIdentifier", "OperationTimeoutSec", "ErrorAction"),
    None,
)
_WATCH_READ_ALL = (
    "Get-CimInstance",
    ("Namespace", "ClassName", "Property", "OperationTimeoutSec", "ErrorAction"),
    "Msvm_SummaryInformation",
)
_WATCH_READ_SOME = (
    "Get-CimInstance",
    ("Namespace", "ClassName", "Property", "Filter", "OperationTimeoutSec", "ErrorAction"),
    "Msvm_SummaryInformation",
)


def _running_vm(host):
    emulated, _runspace = host
    model = emulated.model
    return next(v for v in model.vms if v.heartbeat(model.now()) is not None and v.guest_booted(model.now()))


def test_the_change_watcher_listens_and_reads_only_the_vms_that_changed(host) -> None:
    assert text_calls("Watch-HvGuiChange") == [_WATCH_REGISTER, _WATCH_READ_ALL, _WATCH_READ_SOME]
    emulated, _runspace = host
    vm = _running_vm(host)
    hang = threading.Timer(1.2, heartbeats.hang, args=(emulated.model, [str(vm.id)]))
    hang.start()
    try:
        made, sink = traced(host, "Watch-HvGuiChange", TickSec=1, DurationSec=3, MetricsSec=0)
    finally:
        hang.cancel()
    assert sink.errors == []
    # Four subscriptions, one read of every VM for the first record, then one filtered read when the hang was
    # heard: no tick reads every VM, whatever their number.
    assert made == [_WATCH_REGISTER] * 4 + [_WATCH_READ_ALL, _WATCH_READ_SOME], made
    records = [json.loads(text) for text in sink.output]
    assert records[0]["k"] == "hello" and records[0]["v"] == 1 and records[0]["via"] == "events"
    assert {row["id"] for row in records[0]["vms"]} == {str(v.id) for v in emulated.model.vms}
    changes = [r for r in records if r["k"] == "change"]
    assert [[(row["id"], row["hb"]) for row in r["vms"]] for r in changes] == [[(str(vm.id), 4)]]  # LostCommunication
    assert {r["k"] for r in records[1:]} == {"tick", "change"}
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert _runspace.events.get() == [] and indications.source(emulated.model).count() == 0  # all unregistered


def test_the_change_watcher_leaves_other_events_of_its_runspace_alone(host) -> None:
    _emulated, runspace = host
    runspace.events.add("Someone.Else", indications.INSTANCE_ARGS)
    made, sink = traced(host, "Watch-HvGuiChange", TickSec=1, DurationSec=2, MetricsSec=0)
    assert sink.errors == [] and made == [_WATCH_REGISTER] * 4 + [_WATCH_READ_ALL]
    records = [json.loads(text) for text in sink.output]
    assert records[0]["k"] == "hello" and {r["k"] for r in records[1:]} == {"tick"}
    assert [e.source_identifier for e in runspace.events.get()] == ["Someone.Else"]


def test_the_change_watcher_scans_when_the_provider_refuses_heartbeat_events(host) -> None:
    emulated, _runspace = host
    emulated.model.heartbeat_indications = False
    made, sink = traced(host, "Watch-HvGuiChange", IntervalMs=100, TickSec=1, DurationSec=2)
    assert sink.errors == []
    # The computer system's three subscriptions are made, the heartbeat's is refused (0x80042002), and the
    # watcher reads every VM each tick instead.
    assert made[:4] == [_WATCH_REGISTER] * 4 and len(made) >= 7
    assert set(made[4:]) == {_WATCH_READ_ALL} and set(made) <= set(text_calls("Watch-HvGuiChange"))
    records = [json.loads(text) for text in sink.output]
    assert records[0]["k"] == "hello" and records[0]["via"] == "scan"
    assert len(records) >= 2 and {r["k"] for r in records[1:]} <= {"tick", "change"}
    assert indications.source(emulated.model).count() == 0


def test_the_change_watcher_ends_with_the_error_of_a_failing_provider(host) -> None:
    emulated, _runspace = host
    kill = threading.Timer(1.0, heartbeats.kill_watchers, args=(emulated.model,))
    kill.start()
    try:
        with pytest.raises(TerminatingError) as failed:
            traced(host, "Watch-HvGuiChange", TickSec=1, DurationSec=5)
    finally:
        kill.cancel()
    assert failed.value.error.fully_qualified_error_id.startswith("HRESULT 0x80041001,")
    assert _runspace.events.get() == [] and indications.source(emulated.model).count() == 0


# --- key-value pairs -------------------------------------------------------------------------------------------


def _kvp_pools(host, *vm_ids: uuid.UUID) -> dict[str, dict[str, Any]]:
    parameters = {"VMId": list(vm_ids)} if vm_ids else {}
    made, sink = traced(host, "Get-HvGuiKvpPools", **parameters)
    assert made == text_calls("Get-HvGuiKvpPools") and sink.errors == []
    return {row["name"]: row for row in json.loads(sink.output[0])["vms"]}


def _set_kvp(host, vm_ids: list[uuid.UUID], edits: list[tuple[str, str, str]], **switches: Any) -> list[dict]:
    made, sink = traced(
        host,
        "Set-HvGuiKvpItems",
        VMId=vm_ids,
        Name=[e[0] for e in edits],
        Value=[e[1] for e in edits],
        Action=[e[2] for e in edits],
        **switches,
    )
    assert is_selection(made, text_calls("Set-HvGuiKvpItems")) or _repeats_polls(made), made
    assert sink.errors == []
    return json.loads(sink.output[0])["results"]


def _repeats_polls(made: list[Call]) -> bool:
    """A run in which the job poll (and the per-VM method call) happened more than once: each distinct call
    is still one of the text's, in the text's order of first appearance."""
    written = text_calls("Set-HvGuiKvpItems")
    return all(call in written for call in made)


def test_kvp_pools_makes_exactly_the_calls_of_its_text_and_reads_each_pool(host) -> None:
    written = text_calls("Get-HvGuiKvpPools")
    assert [c[2] for c in written] == [
        "Msvm_SummaryInformation",
        "Msvm_KvpExchangeComponentSettingData",
        "Msvm_KvpExchangeComponent",
    ]
    pools = _kvp_pools(host)
    dc01 = pools["dc01"]
    intrinsic = {i["n"]: i["d"] for i in dc01["intrinsic"]}
    assert intrinsic["FullyQualifiedDomainName"] and intrinsic["OSName"].startswith("Windows Server")
    assert {i["n"] for i in dc01["guest"]} == {"BackupAgent/LastRun", "BackupAgent/Result"}
    assert {i["n"]: i["d"] for i in dc01["host"]} == {"Role": "Domain controller", "Owner": "Identity team"}
    off = pools["legacy-app"]  # no runtime component: the guest's pools are absent, the host's are there
    assert off["state"] == 3 and off["intrinsic"] is None and off["guest"] is None and off["host"] == []
    no_daemon = pools["web02"]  # Ubuntu without hv_kvp_daemon
    assert no_daemon["p"] == 12 and no_daemon["pt"] == "No Contact" and no_daemon["intrinsic"] == []
    emulated, _runspace = host
    one = next(v for v in emulated.model.vms if v.name == "web01")
    assert list(_kvp_pools(host, one.id)) == ["web01"]


def test_kvp_values_with_special_characters_arrive_byte_for_byte(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "dc01")
    values = {
        "xml": "<a href=\"x\">&amp;</a> 'q'",
        "script": "$(Remove-Item C:\\ -Recurse) `whoami` ; & | @{}",
        "lines": "first\r\nsecond\nthird\n",
        "crlf-only": "\r\n",
        "spaces": "  ",
        "empty": "",
        "text": "Grüße 😀 \u202eevil\u202c 中文",
        "ключ ü": "key with non-ASCII",
    }
    results = _set_kvp(host, [vm.id], [(k, v, "Add") for k, v in values.items()])
    assert results == [{"id": str(vm.id), "ok": True, "code": 0, "error": ""}]
    host_items = {i["n"]: i["d"] for i in _kvp_pools(host, vm.id)["dc01"]["host"]}
    assert {k: host_items[k] for k in values} == values
    assert {k: vm.kvp.external[k] for k in values} == values  # the guest received them, unchanged


def test_kvp_add_modify_remove_and_set_reach_every_call_of_the_text(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "sql01")
    reached: set[Call] = set()
    with calls.recording() as trace:
        assert _set_kvp(host, [vm.id], [("a", "1", "Add"), ("b", "2", "Set")])[0]["ok"]
        assert vm.kvp.host_items == {"a": "1", "b": "2"}
        assert _set_kvp(host, [vm.id], [("a", "one", "Modify"), ("b", "", "Remove"), ("c", "3", "Set")])[0]["ok"]
        assert vm.kvp.host_items == {"a": "one", "c": "3"} and vm.kvp.external == vm.kvp.host_items
        assert _set_kvp(host, [vm.id], [("c", "three", "Set")])[0]["ok"]
        assert vm.kvp.host_items["c"] == "three"
    reached = {(c.cmdlet, c.parameters, c.class_name) for c in trace}
    assert reached == set(text_calls("Set-HvGuiKvpItems"))
    methods = [c for c in trace if c.cmdlet == "Invoke-CimMethod"]
    assert len(methods) == 5  # Add; Modify+Remove+Add; Modify


def test_kvp_failures_are_per_vm_and_change_nothing(host) -> None:
    emulated, _runspace = host
    good = next(v for v in emulated.model.vms if v.name == "dc02")
    failing = next(v for v in emulated.model.vms if v.name == "ci-runner")
    failing.kvp.fail_jobs = True
    missing = uuid.uuid4()
    results = _set_kvp(host, [failing.id, good.id, missing], [("Owner", "ops", "Set")])
    by_id = {r["id"]: r for r in results}
    assert [r["id"] for r in results] == [str(failing.id), str(good.id), str(missing)]
    assert by_id[str(good.id)]["ok"] and good.kvp.host_items == {"Owner": "ops"}
    assert not by_id[str(failing.id)]["ok"] and by_id[str(failing.id)]["code"] == 32768
    assert "failed to update" in by_id[str(failing.id)]["error"] and failing.kvp.host_items == {}
    assert by_id[str(missing)] == {"id": str(missing), "ok": False, "code": 32773,
                                   "error": "The host has no virtual machine with this id."}  # fmt: skip
    # Adding a key that exists fails the job (AddKvpItems), and modifying or removing a missing one too.
    [exists] = _set_kvp(host, [good.id], [("Owner", "x", "Add")])
    assert not exists["ok"] and "already exists" in exists["error"] and good.kvp.host_items == {"Owner": "ops"}
    [absent] = _set_kvp(host, [good.id], [("Nope", "", "Remove")])
    assert not absent["ok"] and "does not exist" in absent["error"]


def test_kvp_writes_are_stored_while_the_guest_cannot_receive_them(host) -> None:
    emulated, _runspace = host
    off = next(v for v in emulated.model.vms if v.name == "legacy-app")
    no_daemon = next(v for v in emulated.model.vms if v.name == "web02")
    results = _set_kvp(host, [off.id, no_daemon.id], [("Ticket", "INC-1", "Set")])
    assert all(r["ok"] for r in results)
    pools = _kvp_pools(host, off.id, no_daemon.id)
    assert {"n": "Ticket", "d": "INC-1"} in pools["legacy-app"]["host"]
    assert "Ticket" not in off.kvp.external and "Ticket" not in no_daemon.kvp.external  # nothing delivered


def test_kvp_host_only_items_and_batches_of_128(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "dc02")
    edits = [(f"k{i:03d}", str(i), "Add") for i in range(130)]
    with calls.recording() as trace:
        [result] = _set_kvp(host, [vm.id], edits, HostOnly=True)
    assert result["ok"] and len(vm.kvp.host_only) == 130 and vm.kvp.host_items == {}
    assert [c.cmdlet for c in trace].count("Invoke-CimMethod") == 2  # 128 + 2
    pools = _kvp_pools(host, vm.id)
    assert len(pools["dc02"]["hostOnly"]) == 130 and "k000" not in vm.kvp.external


def test_kvp_item_limits_are_the_hosts_invalid_parameter(host) -> None:
    emulated, _runspace = host
    vm = next(v for v in emulated.model.vms if v.name == "dc02")
    [too_long] = _set_kvp(host, [vm.id], [("k" * 256, "v", "Add")])
    assert too_long["code"] == 32773 and not too_long["ok"]
    [at_limit] = _set_kvp(host, [vm.id], [("k" * 255, "😀" * 511 + "v", "Add")])
    assert at_limit["ok"]


def test_kvp_functions_declare_the_parameters_of_their_twins() -> None:
    from test_host_module_static import read_parameters

    from hvgui.emulator.hyperv.functions import FUNCTIONS

    declared = read_parameters(module_text().encode("utf-8"))
    for name in ("Get-HvGuiKvpPools", "Set-HvGuiKvpItems"):
        twin = FUNCTIONS[name.casefold()]
        text = declared[name]

        def folded(type_name: str) -> str:  # the reader drops the brackets of `[Guid[]]`
            return {"switchparameter": "switch"}.get(type_name.casefold(), type_name.removesuffix("[]").casefold())

        mandatory = [(p.name, folded(p.type)) for p in text if p.mandatory]
        assert mandatory == [(p[0], folded(p[1])) for p in twin.parameters], name
        optional = [(p.name, folded(p.type)) for p in text if not p.mandatory]
        assert [(n, folded(t)) for n, t in twin.optional] == optional, name


def test_kvp_jobs_of_the_realistic_profile_are_polled_until_they_end() -> None:
    emulated = load_scenario("demo", seed=3, cost_profile="realistic", time_scale=50.0).hosts[0]
    runspace = emulated.open_runspace()
    emulated.run(runspace, [PipelineCommand(name=module_text(), is_script=True)], [], _Sink())
    vms = [v for v in emulated.model.vms if v.name in ("dc01", "dc02", "sql01")]
    made, sink = traced(
        (emulated, runspace), "Set-HvGuiKvpItems", VMId=[v.id for v in vms], Name=["k"], Value=["v"], Action=["Set"]
    )
    assert sink.errors == [] and all(r["ok"] for r in json.loads(sink.output[0])["results"])
    assert all(v.kvp.host_items["k"] == "v" for v in vms)
    polls = [c for c in made if c[2] == "Msvm_ConcreteJob"]
    assert len(polls) >= 2  # the first poll finds the jobs running (0.25 s each on the host)
    assert _repeats_polls(made)
