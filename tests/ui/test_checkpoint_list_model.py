"""The checkpoint list of the "Checkpoints" tab."""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt

from hvgui.domain.checkpoints import Checkpoint, SnapshotType
from hvgui.domain.vm import VmKey
from hvgui.ui.models.checkpoint_list import CheckpointColumn, CheckpointListModel, CheckpointRole, kind_text

KEY = VmKey("https://hv01:5986", "00000000-0000-4000-8000-000000000001")


def checkpoint(name: str, *, automatic: bool = False, parent: str = "") -> Checkpoint:
    return Checkpoint(
        checkpoint_id=f"11111111-0000-4000-8000-{abs(hash(name)) % 10**12:012d}",
        name=name,
        vm_id=KEY.vm_id,
        vm_name="dc01",
        snapshot_type=SnapshotType.Standard,
        is_automatic=automatic,
        creation_time=datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC),
        parent_name=parent,
    )


def test_qtmodeltester(qtmodeltester, qapp) -> None:
    model = CheckpointListModel()
    model.set_checkpoints(KEY, [checkpoint("a"), checkpoint("b\nc", automatic=True, parent="a")])
    qtmodeltester.check(model, force_py=True)
    model.set_checkpoints(None, [])
    qtmodeltester.check(model, force_py=True)


def test_rows_show_name_time_kind_and_parent(qapp) -> None:
    model = CheckpointListModel()
    first, second = checkpoint("before update"), checkpoint("auto\nmatic", automatic=True, parent="before update")
    model.set_checkpoints(KEY, [first, second])
    assert model.vm_key() == KEY
    assert model.names() == ["before update", "auto\nmatic"]
    assert model.index(1, CheckpointColumn.Name).data() == "auto\u23cematic"  # one line in the cell
    assert model.index(1, CheckpointColumn.Kind).data() == "Standard (automatic)" == kind_text(second)
    assert model.index(1, CheckpointColumn.Parent).data() == "before update"
    assert model.index(0, CheckpointColumn.Created).data().startswith("2026-03-01")
    assert model.index(0, CheckpointColumn.Name).data(CheckpointRole) == first
    assert first.checkpoint_id in model.index(0, CheckpointColumn.Name).data(Qt.ItemDataRole.ToolTipRole)
