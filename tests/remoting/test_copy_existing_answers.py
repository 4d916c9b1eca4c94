"""A copy into a guest whose files exist there, with the policy Ask: the admin's answers (a scripted
`AskExisting`) decide, file by file, against the emulated host over loopback with the real pypsrp client.

What the tests check is what the host holds (the guest's files, the staging folder) and what the client sent
(the command log): an Overwrite runs Copy-VMFile again with -Force from the same staged file, so each file's
bytes are sent once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from remoting_support import PATIENCE, Recorder, is_inventory, read_command_log, run

from hvgui.domain.existing_files import ExistingFileAnswer, ExistingFileQuestion
from hvgui.domain.operations import CopyToGuestOperation, ExistingFile, OperationRecord, OperationState, VmTarget
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.guest import DEFAULT_GUEST_PASSWORD, DEFAULT_GUEST_USER
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting import OperationsConfig, SessionManager
from hvgui.remoting.transfers import CopyReport, FileOutcome
from hvgui.remoting.transfers.existing import WAITING
from hvgui.remoting.transfers.report import FileResult

HOST = "HV-ASK"
FOLDER = "C:\\Drop"
Answer = ExistingFileAnswer


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "ask",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "ask.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        yield running


def _guest(emulator: RunningEmulator) -> Any:
    model = next(h.model for h in emulator.scenario.hosts if h.model.name == HOST)
    return next(vm for vm in model.vms if vm.name == "win").files


def _staged(emulator: RunningEmulator) -> dict[str, int]:
    model = next(h.model for h in emulator.scenario.hosts if h.model.name == HOST)
    return model.files.files_under(STAGING_FOLDER)


class ScriptedAdmin:
    """Answers the copy's questions in order with `answers`; with none left, waits until the copy cancels."""

    def __init__(self, answers: Sequence[ExistingFileAnswer] = ()) -> None:
        self.answers = list(answers)
        self.questions: list[ExistingFileQuestion] = []
        self.withdrawn = 0  # questions the copy cancelled while they waited

    async def ask(self, question: ExistingFileQuestion) -> ExistingFileAnswer:
        self.questions.append(question)
        if self.answers:
            await asyncio.sleep(0)  # an answer comes later than the question, as from a person
            return self.answers.pop(0)
        try:
            await asyncio.sleep(PATIENCE)
        except asyncio.CancelledError:
            self.withdrawn += 1
            raise
        raise AssertionError("the question was never withdrawn")


@pytest.fixture
def files(emulator: RunningEmulator, tmp_path: Path) -> list[Path]:
    """a, b, c and d on this computer; a, b and d exist in the guest with other bytes, c does not."""
    source = tmp_path / "source"
    source.mkdir()
    paths = []
    for name in "abcd":
        path = source / f"{name}.txt"
        path.write_bytes(f"new {name} ".encode() * 100)
        paths.append(path)
        if name != "c":
            _guest(emulator).write(f"{FOLDER}\\{name}.txt", f"old {name}".encode())
    return paths


async def _copy(
    emulator: RunningEmulator,
    sources: list[Path],
    admin: ScriptedAdmin,
    *,
    while_asked: Any = None,
    existing: ExistingFile = ExistingFile.Ask,
    account: tuple[str, str] | None = None,
    **config: Any,
) -> tuple[OperationRecord, list[OperationRecord]]:
    """Submit the copy (the policy Ask unless told); `while_asked(handle)` runs once the first question waits;
    `account` is put in the session's guest credentials first; `config` goes to the host's OperationsConfig."""
    manager = SessionManager(
        refresh_interval=3600.0, connect_timeout=5, operations=OperationsConfig(merge_window=0.2, **config)
    )
    recorder = Recorder()
    manager.subscribe(recorder)
    seen: list[OperationRecord] = []
    manager.subscribe_operations(seen.append)
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    try:
        assert session.inventory is not None
        vm = next(v for v in session.inventory.vms if v.name == "win")
        target = VmTarget.of(vm, session.settings.host)
        if account is not None:
            session.guest_credentials.set(vm.vm_id, *account)
        operation = CopyToGuestOperation(target, tuple(map(str, sources)), FOLDER, existing=existing)
        handle = session.operations.submit(operation, ask_existing=admin.ask)
        if while_asked is not None:
            while not admin.questions:
                await asyncio.sleep(0.02)
            await while_asked(handle)
        return await asyncio.wait_for(handle.done(), PATIENCE), seen
    finally:
        await manager.aclose()


def _sent(command_log: Path, command: str) -> list[dict[str, Any]]:
    return [e for e in read_command_log(command_log) if e.get("command") == command]


def _forced(command_log: Path) -> list[tuple[str, bool]]:
    """Each Copy-VMFile call: the destination, and whether it had -Force."""
    return [
        (e["parameters"]["DestinationPath"], bool(e["parameters"].get("Force")))
        for e in _sent(command_log, "Copy-HvGuiStagedFileToGuest")
    ]


def test_overwrite_replaces_the_guest_file_from_the_staged_copy_without_sending_it_again(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    source = files[0]
    admin = ScriptedAdmin([Answer.Overwrite])
    record, seen = run(lambda: _copy(emulator, [source], admin))

    assert record.state is OperationState.Succeeded, record.message
    assert _guest(emulator).read(f"{FOLDER}\\a.txt") == source.read_bytes()
    assert [f.outcome for f in record.result.files] == [FileOutcome.Overwritten]
    assert record.result.summary() == "1 file overwritten (they existed in the guest)." and record.warnings == ()
    (question,) = admin.questions
    assert question.destination == f"{FOLDER}\\a.txt" and question.source == str(source)
    assert question.size == source.stat().st_size and question.modified == source.stat().st_mtime
    assert (question.position, question.count, question.remaining) == (1, 1, 0)
    assert question.vm_name == "win"
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 1  # the bytes went to the host once
    assert _forced(command_log) == [(f"{FOLDER}\\a.txt", False), (f"{FOLDER}\\a.txt", True)]
    assert [r.progress.text for r in seen if WAITING in r.progress.text] == [WAITING]
    assert _staged(emulator) == {}


@pytest.mark.parametrize(
    ("answers", "outcomes", "asked"),
    [
        ([Answer.Skip, Answer.Overwrite, Answer.Skip], ["Skipped", "Overwritten", "Copied", "Skipped"], 3),
        ([Answer.SkipAll], ["Skipped", "Skipped", "Copied", "Skipped"], 1),
        ([Answer.OverwriteAll], ["Overwritten", "Overwritten", "Copied", "Overwritten"], 1),
        ([Answer.Overwrite, Answer.SkipAll], ["Overwritten", "Skipped", "Copied", "Skipped"], 2),
    ],
)
def test_each_answer_decides_its_file_and_an_all_answer_the_remaining_ones(
    emulator: RunningEmulator,
    files: list[Path],
    command_log: Path,
    answers: list[ExistingFileAnswer],
    outcomes: list[str],
    asked: int,
) -> None:
    admin = ScriptedAdmin(answers)
    record, _seen = run(lambda: _copy(emulator, files, admin))

    assert record.state is OperationState.Succeeded, record.message
    report = record.result
    assert isinstance(report, CopyReport)
    assert [f.outcome.name for f in report.files] == outcomes
    assert [(q.destination, q.position, q.count) for q in admin.questions] == [
        (f"{FOLDER}\\{name}.txt", position, 4) for name, position in (("a", 1), ("b", 2), ("d", 4))[:asked]
    ]
    guest = _guest(emulator)
    for path, outcome in zip(files, outcomes, strict=True):
        expected = f"old {path.stem}".encode() if outcome == "Skipped" else path.read_bytes()
        assert guest.read(f"{FOLDER}\\{path.name}") == expected, path.name
    skipped = [
        f"{FOLDER}\\{p.name}: exists in the guest; skipped."
        for p, o in zip(files, outcomes, strict=True)
        if o == "Skipped"
    ]
    assert record.warnings == tuple(skipped)
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 4  # one chunk per file, none twice
    assert sum(force for _path, force in _forced(command_log)) == outcomes.count("Overwritten")
    assert _staged(emulator) == {}


def test_cancel_copy_stops_at_the_file_and_leaves_the_rest_as_it_was(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    admin = ScriptedAdmin([Answer.Overwrite, Answer.Cancel])
    record, _seen = run(lambda: _copy(emulator, files, admin))

    assert record.state is OperationState.Cancelled
    assert f"{FOLDER}\\b.txt exists in the guest and you chose Cancel copy" in record.message
    assert [f.outcome.name for f in record.result.files] == ["Overwritten", "Cancelled", "Cancelled", "Cancelled"]
    guest = _guest(emulator)
    assert guest.read(f"{FOLDER}\\a.txt") == files[0].read_bytes()
    assert guest.read(f"{FOLDER}\\b.txt") == b"old b" and guest.read(f"{FOLDER}\\d.txt") == b"old d"
    assert not guest.exists(f"{FOLDER}\\c.txt")
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 2  # c and d were never sent
    assert _staged(emulator) == {}


def test_a_waiting_question_outlasts_the_deadline_and_cancel_withdraws_it(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    admin = ScriptedAdmin()  # never answers

    async def wait_then_cancel(handle: Any) -> None:
        await asyncio.sleep(0.5)  # far past the deadline below
        record = handle.record
        assert record.state is OperationState.Running and record.cancellable
        assert record.progress.text == f"{WAITING} · file 1 of 4"
        assert _staged(emulator) != {}  # the verified staged file waits for the answer
        assert handle.cancel()

    record, seen = run(
        lambda: _copy(emulator, files, admin, deadlines={"copy-to-guest": 0.01}, while_asked=wait_then_cancel)
    )

    assert record.state is OperationState.Cancelled
    assert OperationState.StillRunning not in {r.state for r in seen}
    assert admin.withdrawn == 1 and len(admin.questions) == 1
    assert _guest(emulator).read(f"{FOLDER}\\a.txt") == b"old a"
    assert _staged(emulator) == {}
    assert "Remove-HvGuiStagedFile" in [e.get("command") for e in read_command_log(command_log)]


def test_a_host_lost_after_a_long_wait_is_reported_as_such_not_as_a_watch_given_up(
    emulator: RunningEmulator, files: list[Path]
) -> None:
    """The watch limit is for host jobs hvgui stopped waiting for; a copy that waited long for the admin and
    then lost its host failed because of the host."""

    class LateAdmin(ScriptedAdmin):
        async def ask(self, question: ExistingFileQuestion) -> ExistingFileAnswer:
            self.questions.append(question)
            await asyncio.sleep(0.5)  # past the watch limit below
            await asyncio.to_thread(emulator.server(HOST).stop)
            return Answer.Overwrite

    limits: dict[str, Any] = {"watch_limit": 0.2, "deadlines": {"copy-to-guest": 0.2}, "confirm_wait": 0.5}
    record, _seen = run(lambda: _copy(emulator, files[:1], LateAdmin(), **limits))

    assert record.state is OperationState.Failed
    assert "stopped watching" not in record.message and "Nothing is listening" in record.message, record.message
    assert _guest(emulator).read(f"{FOLDER}\\a.txt") == b"old a"


ACCOUNT = (DEFAULT_GUEST_USER, DEFAULT_GUEST_PASSWORD)
LISTING = "Get-HvGuiGuestChildItem"


def test_with_the_guest_account_at_hand_skip_sends_nothing_of_the_files_that_exist(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    record, _seen = run(lambda: _copy(emulator, files, ScriptedAdmin(), existing=ExistingFile.Skip, account=ACCOUNT))

    assert record.state is OperationState.Succeeded, record.message
    assert [f.outcome.name for f in record.result.files] == ["Skipped", "Skipped", "Copied", "Skipped"]
    (listing,) = _sent(command_log, LISTING)  # one look at the one destination folder
    assert listing["parameters"]["Path"] == FOLDER
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 1  # c only
    assert _forced(command_log) == [(f"{FOLDER}\\c.txt", False)]
    guest = _guest(emulator)
    assert guest.read(f"{FOLDER}\\a.txt") == b"old a" and guest.read(f"{FOLDER}\\c.txt") == files[2].read_bytes()
    assert _staged(emulator) == {}


def test_with_the_guest_account_the_question_comes_before_sending_and_says_what_the_guest_holds(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    admin = ScriptedAdmin([Answer.Overwrite, Answer.SkipAll])
    record, _seen = run(lambda: _copy(emulator, files, admin, account=ACCOUNT))

    assert record.state is OperationState.Succeeded, record.message
    assert [f.outcome.name for f in record.result.files] == ["Overwritten", "Skipped", "Copied", "Skipped"]
    first = admin.questions[0]
    assert first.guest_size == len(b"old a") and first.guest_modified is not None
    assert [q.destination for q in admin.questions] == [f"{FOLDER}\\a.txt", f"{FOLDER}\\b.txt"]
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 2  # a (overwritten) and c; b and d never sent
    assert _forced(command_log) == [(f"{FOLDER}\\a.txt", True), (f"{FOLDER}\\c.txt", False)]
    guest = _guest(emulator)
    assert guest.read(f"{FOLDER}\\a.txt") == files[0].read_bytes() and guest.read(f"{FOLDER}\\b.txt") == b"old b"
    assert _staged(emulator) == {}


def test_a_refused_guest_account_only_means_the_copy_learns_from_copy_vmfile(
    emulator: RunningEmulator, files: list[Path], command_log: Path
) -> None:
    admin = ScriptedAdmin([Answer.SkipAll])
    record, _seen = run(lambda: _copy(emulator, files, admin, account=(DEFAULT_GUEST_USER, "wrong")))

    assert record.state is OperationState.Succeeded, record.message
    assert [f.outcome.name for f in record.result.files] == ["Skipped", "Skipped", "Copied", "Skipped"]
    assert len(_sent(command_log, LISTING)) == 1  # refused once, then not asked again
    assert admin.questions[0].guest_size is None  # nothing known of the guest's file
    assert len(_sent(command_log, "Write-HvGuiStagedChunk")) == 4  # every file went to the host first
    assert _staged(emulator) == {}


def test_the_report_words_every_outcome() -> None:
    outcomes = [FileOutcome.Copied, FileOutcome.Overwritten, FileOutcome.Exists, FileOutcome.Cancelled]
    report = CopyReport(
        tuple(FileResult(f"C:\\{n}", o, 10) for n, o in zip("abcde", [*outcomes, FileOutcome.Cancelled], strict=True))
    )
    assert report.summary() == (
        "1 file copied, 1 overwritten (they existed in the guest), 1 not copied because they exist in the guest "
        "(choose Overwrite to replace them), 2 not copied (cancelled)."
    )
    assert report.notes() == (
        "C:\\c: exists in the guest; choose Overwrite to replace it.",
        "2 files not copied: the copy was cancelled.",
    )
    assert report.copied_bytes == 20
