"""The checkpoint list of the "Checkpoints" tab."""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt

from hvgui.domain.checkpoints import Checkpoint, SnapshotType
from hvgui.domain.vm import VmKey
from hvgui.ui.models.checkpoint_list import CheckpointColumn, CheckpointListModel, CheckpointRole, kind_text

KEY = VmKey("https://hv01:5986", "00000000-0000-4000-8000-000000000001")


def checkpoint_id(name: str) -> str:
    return f"11111111-0000-4000-8000-{sum(map(ord, name)) % 10**12:012d}"


def checkpoint(name: str, *, automatic: bool = False, parent: str = "") -> Checkpoint:
    return Checkpoint(
        checkpoint_id=checkpoint_id(name),
        name=name,
        vm_id=KEY.vm_id,
        vm_name="dc01",
        snapshot_type=SnapshotType.Standard,
        is_automatic=automatic,
        creation_time=datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC),
        parent_id=checkpoint_id(parent) if parent else None,
        parent_name=parent,
    )


def test_qtmodeltester(qtmodeltester, qapp) -> None:
    model = CheckpointListModel()
    model.set_checkpoints(KEY, [checkpoint("a"), checkpoint("b\nc", automatic=True, parent="a")])
    qtmodeltester.check(model, force_py=True)
    model.set_checkpoints(None, [])
    qtmodeltester.check(model, force_py=True)


def test_each_checkpoint_sits_under_the_one_it_was_taken_from(qapp) -> None:
    model = CheckpointListModel()
    first, second = checkpoint("before update"), checkpoint("auto\nmatic", automatic=True, parent="before update")
    branch = checkpoint("branch", parent="before update")
    orphan = checkpoint("orphan", parent="not listed")
    model.set_checkpoints(KEY, [first, second, branch, orphan])
    assert model.vm_key() == KEY
    assert model.rowCount() == 2  # "before update" and the orphan, whose parent the host did not list
    top = model.index(0, CheckpointColumn.Name)
    assert model.rowCount(top) == 2
    child = model.index(0, CheckpointColumn.Name, top)
    assert child.parent() == top
    assert model.names() == ["before update", "auto\nmatic", "branch", "orphan"]
    assert child.data() == "auto\u23cematic"  # one line in the cell
    assert model.index(0, CheckpointColumn.Kind, top).data() == "Standard (automatic)" == kind_text(second)
    assert "Taken from 'before update'" in child.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index_of(branch.checkpoint_id) == model.index(1, 0, top)
    assert model.index(0, CheckpointColumn.Created).data().startswith("2026-03-01")
    assert model.index(0, CheckpointColumn.Name).data(CheckpointRole) == first
    assert first.checkpoint_id in model.index(0, CheckpointColumn.Name).data(Qt.ItemDataRole.ToolTipRole)
