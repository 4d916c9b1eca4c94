"""Sorting and the filter box over the VM table."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fixed_clock import fixed_clock
from PySide6.QtCore import Qt

from hvgui.domain.heartbeat import HeartbeatHealth
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.ui.models.vm_filter import VmFilterProxyModel
from hvgui.ui.models.vm_table import Column, VmRole, VmTableModel


@pytest.fixture
def models(qapp, vm_factory):
    source = VmTableModel(clock=fixed_clock)
    source.apply(
        InventoryDiff(
            "HV01",
            added=(
                vm_factory(name="web01", cpu_usage=9, memory_assigned=2 * 1024**3, uptime_seconds=50),
                vm_factory(name="web02", cpu_usage=10, memory_assigned=16 * 1024**3, uptime_seconds=7),
                vm_factory(name="db01", cpu_usage=100, memory_assigned=512 * 1024**2, uptime_seconds=100000),
            ),
        )
    )
    source.apply(
        InventoryDiff(
            "HV02",
            added=(
                vm_factory(
                    name="build", host="HV02", state=VmState.Off, heartbeat=None, cpu_usage=0, memory_assigned=0
                ),
                vm_factory(name="sick", host="HV02", heartbeat=HeartbeatStatus.LostCommunication),
            ),
        )
    )
    proxy = VmFilterProxyModel()
    proxy.setSourceModel(source)
    return source, proxy


def names(proxy: VmFilterProxyModel) -> list[str]:
    return [proxy.index(r, Column.Name).data(VmRole).name for r in range(proxy.rowCount())]


def test_qtmodeltester_passes_on_the_proxy(qtmodeltester, models) -> None:
    _, proxy = models
    proxy.sort(Column.Name)
    qtmodeltester.check(proxy)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # Numbers sort as numbers: 9 < 10 < 100, not "10" < "100" < "9".
        (Column.Cpu, ["build", "web01", "web02", "sick", "db01"]),
        (Column.Memory, ["build", "db01", "web01", "sick", "web02"]),
        (Column.Uptime, ["build", "web02", "web01", "sick", "db01"]),
    ],
)
def test_numeric_columns_sort_numerically(models, column: Column, expected: list[str]) -> None:
    _, proxy = models
    proxy.sort(column, Qt.SortOrder.AscendingOrder)
    got = names(proxy)
    # "sick" has a factory-made value; only check the relative order of the others.
    assert [n for n in got if n != "sick"] == [n for n in expected if n != "sick"]


def test_heartbeat_sorts_by_severity(models) -> None:
    _, proxy = models
    proxy.sort(Column.Heartbeat, Qt.SortOrder.DescendingOrder)
    assert names(proxy)[0] == "sick"
    assert names(proxy)[-1] == "build"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web", {"web01", "web02"}),
        ("WEB0", {"web01", "web02"}),
        ("hv02", {"build", "sick"}),
        ("off", {"build"}),
        ("lost comm", {"sick"}),
        ("hv01 db", {"db01"}),
        ("nothing-matches", set()),
        ("", {"web01", "web02", "db01", "build", "sick"}),
    ],
)
def test_filter_matches_name_host_state_and_heartbeat(models, text: str, expected: set[str]) -> None:
    _, proxy = models
    proxy.set_filter_text(text)
    assert set(names(proxy)) == expected


def test_filter_follows_changes_of_the_source(models, vm_factory) -> None:
    source, proxy = models
    proxy.set_filter_text("running")
    before = set(names(proxy))
    assert "build" not in before
    build = next(vm for vm in source.vms() if vm.name == "build")
    source.apply(
        InventoryDiff("HV02", changed=(replace(build, state=VmState.Running, heartbeat=HeartbeatStatus.NoContact),))
    )
    assert "build" in set(names(proxy))


def test_names_sort_ignoring_case_and_accents(qapp, vm_factory) -> None:
    source = VmTableModel(clock=fixed_clock)
    source.apply(
        InventoryDiff("HV01", added=tuple(vm_factory(name=n) for n in ("rhel-db", "Ångström-Büro", "beta", "Alpha")))
    )
    proxy = VmFilterProxyModel()
    proxy.setSourceModel(source)
    proxy.sort(Column.Name, Qt.SortOrder.AscendingOrder)
    assert names(proxy) == ["Alpha", "Ångström-Büro", "beta", "rhel-db"]


class CountingProxy(VmFilterProxyModel):
    """Counts the comparisons the proxy makes: each one reads two sort keys (natural keys for names)."""

    def __init__(self) -> None:
        super().__init__()
        self.comparisons = 0

    def lessThan(self, left, right) -> bool:
        self.comparisons += 1
        return super().lessThan(left, right)


def test_a_cpu_change_makes_no_sort_work_unless_the_table_is_sorted_by_cpu(models) -> None:
    # dynamicSortFilter compares a changed row with its neighbours when a changed cell is in the sort column;
    # a refresh where only CPU figures moved costs a table sorted by host no comparison at all.
    source, _ = models
    proxy = CountingProxy()
    proxy.setSourceModel(source)
    web01 = next(vm for vm in source.vms() if vm.name == "web01")
    proxy.sort(Column.Host, Qt.SortOrder.AscendingOrder)
    proxy.comparisons = 0
    source.apply(InventoryDiff("HV01", changed=(replace(web01, cpu_usage=99),)))
    assert proxy.comparisons == 0
    proxy.sort(Column.Cpu, Qt.SortOrder.AscendingOrder)
    assert names(proxy)[-2:] == ["web01", "db01"]
    proxy.comparisons = 0
    source.apply(InventoryDiff("HV01", changed=(replace(web01, cpu_usage=1),)))
    assert proxy.comparisons > 0
    assert names(proxy)[:2] == ["build", "web01"]


def test_the_health_filter_shows_one_group_and_follows_changes(models) -> None:
    source, proxy = models
    proxy.set_health_filter(HeartbeatHealth.Lost)
    assert names(proxy) == ["sick"]
    web02 = next(vm for vm in source.vms() if vm.name == "web02")
    source.apply(InventoryDiff("HV01", changed=(replace(web02, heartbeat=HeartbeatStatus.LostCommunication),)))
    assert set(names(proxy)) == {"sick", "web02"}
    proxy.set_filter_text("web")  # both filters at once
    assert names(proxy) == ["web02"]
    proxy.set_health_filter(None)
    assert set(names(proxy)) == {"web01", "web02"}
