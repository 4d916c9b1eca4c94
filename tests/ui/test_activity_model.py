"""The Activity model: newest first, updated in place by op_id, capped, and safe with host text."""

from __future__ import annotations

from activity_support import shutdown_record, target
from PySide6.QtCore import Qt

from hvgui.domain.errors import HostCommandError
from hvgui.domain.operations import (
    CheckpointCreateOperation,
    OperationProgress,
    OperationRecord,
    OperationState,
)
from hvgui.ui.activity.model import ActivityColumn, ActivityModel, ProgressRole, RecordRole


def _cells(model: ActivityModel, row: int) -> list[str]:
    return [model.index(row, c).data() for c in ActivityColumn]


def test_new_operations_go_on_top_and_updates_stay_in_place(qtbot, qtmodeltester) -> None:
    model = ActivityModel(now=lambda: 1030.0)
    first = shutdown_record("web01", n=1)
    second = shutdown_record("db01", n=2)
    model.upsert(first)
    model.upsert(second)
    assert [r.op_id for r in model.records()] == [second.op_id, first.op_id]
    assert _cells(model, 1)[:3] == ["Shut down 'web01'", "hv01", "Queued"]

    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, *_: changed.append((tl.row(), br.row())))
    running = first.advanced(
        state=OperationState.Running,
        started_at=1000.0,
        progress=OperationProgress(40, "Shutting down the virtual machine"),
        cancellable=False,
    )
    model.upsert(running)
    assert model.rowCount() == 2 and resets == []
    assert changed == [(1, 1)]  # that row only
    assert _cells(model, 1)[2:5] == ["Running", "40% \u00b7 Shutting down the virtual machine", "30 s"]
    progress = model.index(1, ActivityColumn.Progress)
    assert progress.data(ProgressRole) == (40, "40% \u00b7 Shutting down the virtual machine", True)
    assert progress.data(Qt.ItemDataRole.ToolTipRole) == "40% \u00b7 Shutting down the virtual machine"
    model.upsert(running)  # the same snapshot again changes nothing
    assert changed == [(1, 1)]
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_still_running_reads_clearly_and_failures_keep_their_whole_error(qtbot) -> None:
    model = ActivityModel(now=lambda: 1100.0)
    record = shutdown_record(state=OperationState.StillRunning, started_at=1000.0, cancellable=False)
    model.upsert(record)
    assert model.index(0, ActivityColumn.State).data() == "Still running on the host"
    assert "Hyper-V finishes the job anyway" in model.index(0, ActivityColumn.State).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, ActivityColumn.Progress).data() == "Still running on the host"
    assert model.index(0, ActivityColumn.Result).data().startswith("Still running on the host")

    error = HostCommandError(
        "The operation failed.\nThe VM is locked\x1b[31m.",
        fully_qualified_error_id="OperationFailed,Microsoft.HyperV.PowerShell.Commands.StopVM",
        hint="Try again once the backup ends.",
    )
    failed = record.advanced(state=OperationState.Failed, ended_at=1090.0, error=error, message="")
    model.upsert(failed)
    result = model.index(0, ActivityColumn.Result)
    assert result.data() == "The operation failed.\u23ceThe VM is locked\u241b[31m."  # one line, escape made visible
    tip = result.data(Qt.ItemDataRole.ToolTipRole)
    assert "What to do: Try again once the backup ends." in tip
    assert "Host error id: OperationFailed,Microsoft.HyperV.PowerShell.Commands.StopVM" in tip
    assert "\x1b" not in tip
    assert model.index(0, ActivityColumn.Duration).data() == "1 min 30 s"
    assert model.index(0, ActivityColumn.Progress).data(ProgressRole)[2] is False


def test_untrusted_names_stay_on_one_line(qtbot) -> None:
    model = ActivityModel(host_label=lambda host: "HV\n01")
    op = CheckpointCreateOperation(target("evil\r\nname\t"), name="before\nupdate")
    model.upsert(OperationRecord(op))
    assert _cells(model, 0)[:2] == ["Create checkpoint 'before\u23ceupdate' of 'evil\u23cename\u2409'", "HV\u23ce01"]
    assert model.index(0, 0).data(RecordRole).operation is op


def test_finished_operations_are_capped_and_cleared_without_touching_running_ones(qtbot, qtmodeltester) -> None:
    model = ActivityModel(cap=3)
    records = [shutdown_record(f"vm{i}", n=i) for i in range(6)]
    running = records[0].advanced(state=OperationState.Running, started_at=1.0)
    model.upsert(running)
    for record in records[1:]:
        model.upsert(record)
        model.upsert(record.advanced(state=OperationState.Succeeded, started_at=1.0, ended_at=2.0, message="Done."))
    names = [r.operation.target.vm_name for r in model.records()]
    assert names == ["vm5", "vm4", "vm3", "vm0"]  # vm1 and vm2, the oldest finished, were dropped
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    assert model.clear_finished() == 3
    assert removed == [(0, 2)]
    assert [r.op_id for r in model.records()] == [running.op_id]
    assert model.has_running()
    qtmodeltester.check(model, force_py=True)


def test_tick_moves_only_running_durations(qtbot) -> None:
    clock = [1000.0]
    model = ActivityModel(now=lambda: clock[0])
    done = shutdown_record("a", n=1, state=OperationState.Succeeded, started_at=990.0, ended_at=995.0)
    running = shutdown_record("b", n=2, state=OperationState.Running, started_at=990.0)
    model.extend([done, running])
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, br, *_: changed.append(tl.row()))
    clock[0] = 1005.0
    model.tick()
    assert changed == [0]
    assert model.index(0, ActivityColumn.Duration).data() == "15 s"
    assert model.index(1, ActivityColumn.Duration).data() == "5.0 s"
