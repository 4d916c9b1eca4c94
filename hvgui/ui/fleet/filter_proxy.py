"""Filters of the fleet grid: the domain's compliance filters plus free text, and natural sorting.

A VM is shown when every active filter matches it and every word of the free text appears in its name,
host, state or guest OS. Rows re-filter as refreshes change them (dynamic filtering), so "Guest Service
Interface off" loses a VM the moment the next refresh shows its service on.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Signal

from hvgui.domain.bulk import FLEET_FILTERS, FleetFilter
from hvgui.domain.vm import Vm
from hvgui.ui.fleet.model import VM_COLUMN, FilterTextRole, SortRole, VmRole

ModelIndex = QModelIndex | QPersistentModelIndex


class FleetFilterProxy(QSortFilterProxyModel):
    #: The filters or the text changed.
    filtersChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._active: tuple[FleetFilter, ...] = ()
        self._words: tuple[str, ...] = ()
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)
        self.setFilterKeyColumn(-1)  # any changed cell re-filters its row

    # ---- settings ------------------------------------------------------------------------------

    def active_filters(self) -> tuple[FleetFilter, ...]:
        return self._active

    def set_active_filters(self, filters: Iterable[FleetFilter]) -> None:
        chosen = tuple(f for f in FLEET_FILTERS if f in set(filters))
        if chosen != self._active:
            self._refilter(lambda: setattr(self, "_active", chosen))

    def set_filter_active(self, fleet_filter: FleetFilter, active: bool) -> None:
        current = set(self._active)
        if active:
            current.add(fleet_filter)
        else:
            current.discard(fleet_filter)
        self.set_active_filters(current)

    def filter_text(self) -> str:
        return " ".join(self._words)

    def set_filter_text(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words != self._words:
            self._refilter(lambda: setattr(self, "_words", words))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()
        self.filtersChanged.emit()

    # ---- results -------------------------------------------------------------------------------

    def matching_vms(self) -> list[Vm]:
        return [self.index(row, 0).data(VmRole) for row in range(self.rowCount())]

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        source = self.sourceModel()
        index = source.index(source_row, VM_COLUMN, source_parent)
        vm = index.data(VmRole)
        if not isinstance(vm, Vm):
            return False
        if not all(f.matches(vm) for f in self._active):
            return False
        if not self._words:
            return True
        haystack = index.data(FilterTextRole) or ""
        return all(word in haystack for word in self._words)

    def lessThan(self, left: ModelIndex, right: ModelIndex) -> bool:
        a = left.data(SortRole)
        b = right.data(SortRole)
        if a is None or b is None:
            return a is None and b is not None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
