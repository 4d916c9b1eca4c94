"""VmTableModel: a correct Qt model that follows inventory diffs row by row and never resets."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from fixed_clock import NOW, fixed_clock
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QSignalSpy

from hvgui.domain.heartbeat import HeartbeatHealth, HeartbeatTone, IndicatorShape
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.ui.models.vm_table import (
    _COLUMN_FIELDS,
    CHANGED_ROLES,
    Column,
    FilterRole,
    HeartbeatRole,
    SortRole,
    VmRole,
    VmTableModel,
    changed_columns,
)

DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def model(qapp) -> VmTableModel:
    return VmTableModel(clock=fixed_clock)


def cell(model: VmTableModel, row: int, column: Column, role: int = DISPLAY):
    return model.data(model.index(row, column), role)


def signals(spies: Spies) -> list[tuple[int, int, int, int, tuple[int, ...]]]:
    """Every dataChanged as (first row, last row, first column, last column, roles), sorted."""
    found = []
    for i in range(spies.changed.count()):
        top_left, bottom_right, roles = spies.changed.at(i)
        found.append((top_left.row(), bottom_right.row(), top_left.column(), bottom_right.column(), tuple(roles)))
    return sorted(found)


class Spies:
    """Every structural signal of a model, to prove what `apply` emitted and what it did not."""

    def __init__(self, model: VmTableModel) -> None:
        self.reset = QSignalSpy(model.modelReset)
        self.about_to_reset = QSignalSpy(model.modelAboutToBeReset)
        self.inserted = QSignalSpy(model.rowsInserted)
        self.removed = QSignalSpy(model.rowsRemoved)
        self.changed = QSignalSpy(model.dataChanged)
        self.layout = QSignalSpy(model.layoutChanged)

    def assert_no_reset(self) -> None:
        assert self.reset.count() == 0
        assert self.about_to_reset.count() == 0
        assert self.layout.count() == 0


def test_qtmodeltester_passes_with_rows(qtmodeltester, model, vm_factory) -> None:
    model.apply(InventoryDiff("HV01", added=tuple(vm_factory() for _ in range(5))))
    model.apply(InventoryDiff("HV02", added=(vm_factory(host="HV02", state=VmState.Off, heartbeat=None),)))
    assert model.rowCount() == 6
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_insert_emits_rows_inserted_and_no_reset(model, vm_factory) -> None:
    spies = Spies(model)
    vms = tuple(vm_factory() for _ in range(3))
    model.apply(InventoryDiff("HV01", added=vms))
    assert spies.inserted.count() == 1
    _, first, last = spies.inserted.at(0)
    assert (first, last) == (0, 2)
    assert spies.changed.count() == 0
    spies.assert_no_reset()
    assert [cell(model, r, Column.Name) for r in range(3)] == [vm.name for vm in vms]
    assert model.row_of(vms[2].key) == 2


def test_remove_emits_rows_removed_for_exactly_those_rows(model, vm_factory) -> None:
    vms = tuple(vm_factory() for _ in range(6))
    model.apply(InventoryDiff("HV01", added=vms))
    spies = Spies(model)
    model.apply(InventoryDiff("HV01", removed=(vms[1].key, vms[2].key, vms[4].key)))
    removed_ranges = sorted((spies.removed.at(i)[1], spies.removed.at(i)[2]) for i in range(spies.removed.count()))
    assert removed_ranges == [(1, 2), (4, 4)]
    spies.assert_no_reset()
    assert spies.inserted.count() == 0
    assert [vm.name for vm in model.vms()] == [vms[0].name, vms[3].name, vms[5].name]
    # The index follows the rows that moved up.
    assert model.row_of(vms[5].key) == 2
    assert model.row_of(vms[1].key) is None


def test_change_emits_data_changed_for_changed_rows_only(model, vm_factory) -> None:
    vms = tuple(vm_factory() for _ in range(5))
    model.apply(InventoryDiff("HV01", added=vms))
    spies = Spies(model)
    started = replace(vms[3], heartbeat=HeartbeatStatus.LostCommunication)
    model.apply(InventoryDiff("HV01", changed=(started,)))
    # The heartbeat cell, and the filter text (read on the Name column), of that row: nothing else.
    assert signals(spies) == [
        (3, 3, Column.Name, Column.Name, (FilterRole,)),
        (3, 3, Column.Heartbeat, Column.Heartbeat, tuple(CHANGED_ROLES)),
    ]
    spies.assert_no_reset()
    assert spies.inserted.count() == spies.removed.count() == 0
    assert cell(model, 3, Column.Heartbeat) == "Lost communication"
    assert cell(model, 3, Column.Heartbeat, HeartbeatRole).tone == HeartbeatTone.Bad


def test_an_unchanged_vm_in_a_diff_emits_nothing(model, vm_factory) -> None:
    vm = vm_factory()
    model.apply(InventoryDiff("HV01", added=(vm,)))
    spies = Spies(model)
    model.apply(InventoryDiff("HV01", changed=(vm,)))
    assert spies.changed.count() == 0


def test_contiguous_changed_rows_share_one_signal(model, vm_factory) -> None:
    vms = tuple(vm_factory() for _ in range(6))
    model.apply(InventoryDiff("HV01", added=vms))
    spies = Spies(model)
    ticked = tuple(replace(vm, cpu_usage=vm.cpu_usage + 2) for vm in (vms[0], vms[1], vms[2], vms[5]))
    model.apply(InventoryDiff("HV01", changed=ticked))
    assert signals(spies) == [
        (0, 2, Column.Cpu, Column.Cpu, tuple(CHANGED_ROLES)),
        (5, 5, Column.Cpu, Column.Cpu, tuple(CHANGED_ROLES)),
    ]
    spies.assert_no_reset()


def test_a_mixed_diff_never_resets(model, vm_factory) -> None:
    vms = tuple(vm_factory() for _ in range(4))
    model.apply(InventoryDiff("HV01", added=vms))
    spies = Spies(model)
    newcomer = vm_factory()
    model.apply(
        InventoryDiff(
            "HV01",
            added=(newcomer,),
            removed=(vms[0].key,),
            changed=(replace(vms[2], state=VmState.Off, heartbeat=None, cpu_usage=0),),
        )
    )
    spies.assert_no_reset()
    assert spies.removed.count() == 1
    assert spies.inserted.count() == 1
    # Row 1 (vms[2] after the removal): the cells that show the state, in two rectangles, and its filter text.
    assert signals(spies) == [
        (1, 1, Column.Name, Column.Name, (FilterRole,)),
        (1, 1, Column.State, Column.Heartbeat, tuple(CHANGED_ROLES)),
        (1, 1, Column.Uptime, Column.Cpu, tuple(CHANGED_ROLES)),
    ]
    assert [vm.key for vm in model.vms()] == [vms[1].key, vms[2].key, vms[3].key, newcomer.key]
    assert cell(model, 1, Column.State) == "Off"
    assert cell(model, 1, Column.Heartbeat) == "VM off"


def test_an_arrival_already_shown_updates_the_row(model, vm_factory) -> None:
    vm = vm_factory()
    model.apply(InventoryDiff("HV01", added=(vm,)))
    spies = Spies(model)
    model.apply(InventoryDiff("HV01", added=(replace(vm, cpu_usage=77),)))
    assert model.rowCount() == 1
    assert spies.inserted.count() == 0
    assert spies.changed.count() == 1
    assert cell(model, 0, Column.Cpu) == "77"


def test_removing_an_unknown_key_is_harmless(model, vm_factory) -> None:
    model.apply(InventoryDiff("HV01", added=(vm_factory(),)))
    spies = Spies(model)
    model.apply(InventoryDiff("HV01", removed=(vm_factory().key,)))
    assert spies.removed.count() == 0
    assert model.rowCount() == 1


def test_columns_show_what_hyperv_manager_shows(model, vm_factory) -> None:
    running = vm_factory(name="web01", uptime_seconds=3 * 86400 + 4 * 3600 + 5 * 60 + 6, cpu_usage=3)
    off = vm_factory(name="old", state=VmState.Off, heartbeat=None, uptime_seconds=0, cpu_usage=0, memory_assigned=0)
    model.apply(InventoryDiff("HV01", added=(running, off)))
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [
        "Host",
        "Name",
        "State",
        "Heartbeat",
        "Status",
        "Uptime",
        "CPU %",
        "Memory",
    ]
    assert "Memory assigned" in model.headerData(Column.Memory, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert cell(model, 0, Column.Host) == "HV01"
    assert cell(model, 0, Column.State) == "Running"
    assert cell(model, 0, Column.Heartbeat) == "OK (Applications Healthy)"
    assert cell(model, 0, Column.Status) == "Operating normally"
    assert cell(model, 0, Column.Uptime) == "3.04:05:06"
    assert cell(model, 0, Column.Cpu) == "3"
    assert cell(model, 0, Column.Memory).endswith("MB") or cell(model, 0, Column.Memory).endswith("GB")
    assert cell(model, 1, Column.Uptime) == ""
    assert cell(model, 1, Column.Cpu) == ""
    assert cell(model, 1, Column.Memory) == ""
    off_indicator = cell(model, 1, Column.Heartbeat, HeartbeatRole)
    assert (off_indicator.tone, off_indicator.text, off_indicator.shape) == (
        HeartbeatTone.Neutral,
        "VM off",
        IndicatorShape.Blank,
    )


@pytest.mark.parametrize("state", [VmState.FastSaved, VmState.Hibernated, VmState.Saved])
def test_a_vm_that_is_not_running_shows_no_uptime_cpu_or_heartbeat(model, vm_factory, state: VmState) -> None:
    # What the host sent last (a stale uptime, an old heartbeat) means nothing while the VM does not run;
    # the uptime, CPU and heartbeat cells agree on that.
    vm = vm_factory(state=state, heartbeat=HeartbeatStatus.OkApplicationsHealthy, uptime_seconds=600, cpu_usage=7)
    model.apply(InventoryDiff("HV01", added=(vm,)))
    assert (cell(model, 0, Column.Uptime), cell(model, 0, Column.Cpu)) == ("", "")
    indicator = cell(model, 0, Column.Heartbeat, HeartbeatRole)
    assert (indicator.tone, indicator.shape, indicator.health) == (
        HeartbeatTone.Neutral,
        IndicatorShape.Blank,
        HeartbeatHealth.Other,
    )
    assert indicator.text in ("VM saved", "VM hibernated")
    assert (cell(model, 0, Column.Uptime, SortRole), cell(model, 0, Column.Cpu, SortRole)) == (-math.inf, -1)


def test_a_paused_vm_keeps_its_uptime_and_heartbeat(model, vm_factory) -> None:
    vm = vm_factory(state=VmState.Paused, heartbeat=HeartbeatStatus.Paused, uptime_seconds=65, cpu_usage=0)
    model.apply(InventoryDiff("HV01", added=(vm,)))
    assert (cell(model, 0, Column.Uptime), cell(model, 0, Column.Heartbeat)) == ("00:01:05", "Paused")


def test_custom_roles_return_the_vm_and_numeric_sort_values(model, vm_factory) -> None:
    vm = vm_factory(cpu_usage=12, memory_assigned=3 * 1024**3, uptime_seconds=99)
    model.apply(InventoryDiff("HV01", added=(vm,)))
    for column in Column:
        assert cell(model, 0, column, VmRole) is vm
    assert cell(model, 0, Column.Cpu, SortRole) == 12
    assert cell(model, 0, Column.Memory, SortRole) == 3 * 1024**3
    # Uptime sorts by the boot time, earliest (longest uptime) last: a value that does not tick.
    assert cell(model, 0, Column.Uptime, SortRole) == -(NOW - 99)


@pytest.mark.parametrize(
    "name",
    ['say "hi"', "$(Remove-Item C:\\ -Recurse)", "back`tick`s", "Käse – 日本語 ✓", "'; DROP TABLE vms; --"],
)
def test_odd_names_are_shown_verbatim(model, vm_factory, name: str) -> None:
    model.apply(InventoryDiff("HV01", added=(vm_factory(name=name),)))
    assert cell(model, 0, Column.Name) == name
    assert cell(model, 0, Column.Name, Qt.ItemDataRole.ToolTipRole) == name
    assert cell(model, 0, Column.Name, VmRole).name == name


def test_a_newline_in_a_name_is_a_visible_symbol_in_the_cell(model, vm_factory) -> None:
    model.apply(InventoryDiff("HV01", added=(vm_factory(name="line one\nline two\tend"),)))
    assert cell(model, 0, Column.Name) == "line one\u23celine two\u2409end"
    assert cell(model, 0, Column.Name, Qt.ItemDataRole.ToolTipRole) == "line one\nline two\tend"


def test_stale_host_rows_are_muted_and_say_why(model, vm_factory) -> None:
    a, b = vm_factory(host="HV01"), vm_factory(host="HV02")
    model.apply(InventoryDiff("HV01", added=(a,)))
    model.apply(InventoryDiff("HV02", added=(b,)))
    spy = QSignalSpy(model.dataChanged)
    model.set_host_stale("HV02", True)
    assert spy.count() == 1
    assert (spy.at(0)[0].row(), spy.at(0)[1].row()) == (1, 1)
    assert cell(model, 1, Column.Name, Qt.ItemDataRole.ForegroundRole) is not None
    assert cell(model, 0, Column.Name, Qt.ItemDataRole.ForegroundRole) is None
    assert "not answering" in cell(model, 1, Column.Name, Qt.ItemDataRole.ToolTipRole)
    model.set_host_stale("HV02", True)
    assert spy.count() == 1  # no change, no signal
    model.set_host_stale("HV02", False)
    assert cell(model, 1, Column.Name, Qt.ItemDataRole.ForegroundRole) is None


def test_host_label_renames_the_host_column(model, vm_factory) -> None:
    model.apply(InventoryDiff("HV01", added=(vm_factory(host="HV01"),)))
    spy = QSignalSpy(model.dataChanged)
    model.set_host_label("HV01", "Lab host")
    assert spy.count() == 1
    assert cell(model, 0, Column.Host) == "Lab host"


def test_changed_columns_names_only_the_cells_that_differ(vm_factory) -> None:
    vm = vm_factory()
    assert changed_columns(vm, replace(vm, cpu_usage=vm.cpu_usage + 1)) == [Column.Cpu]
    assert changed_columns(vm, replace(vm, state=VmState.Off)) == [
        Column.State,
        Column.Heartbeat,
        Column.Uptime,
        Column.Cpu,
    ]
    assert changed_columns(vm, vm) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "HV09"),
        ("name", "renamed"),
        ("state", VmState.Paused),
        ("heartbeat", HeartbeatStatus.NoContact),
        ("status", "Creating checkpoint"),
        ("booted_at", NOW - 5),
        ("cpu_usage", 99),
        ("memory_assigned", 1),
    ],
)
def test_changed_columns_follows_the_table_of_fields(vm_factory, field: str, value: object) -> None:
    vm = vm_factory()
    expected = [column for column, fields in _COLUMN_FIELDS.items() if field in fields]
    assert expected and changed_columns(vm, replace(vm, **{field: value})) == expected


def test_invalid_indexes_give_nothing(model, vm_factory) -> None:
    model.apply(InventoryDiff("HV01", added=(vm_factory(),)))
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0
