"""Sorting and filtering of the VM table, as a proxy so the source model stays in arrival order."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from hvgui.domain.heartbeat import HeartbeatHealth, HeartbeatIndicator
from hvgui.ui.models.vm_table import Column, FilterRole, HeartbeatRole, SortRole, VmRole

ModelIndex = QModelIndex | QPersistentModelIndex


class VmFilterProxyModel(QSortFilterProxyModel):
    """Sorts by `SortRole` (numbers sort as numbers) and keeps rows whose text contains every filter word.

    The filter matches the VM name, its host, its state and its heartbeat text, case-insensitively; each
    whitespace-separated word must appear somewhere, so `hv01 running` narrows to running VMs of hv01.
    `set_host` narrows to one host's VMs besides (the host selected in the hosts pane).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: tuple[str, ...] = ()
        self._health: HeartbeatHealth | None = None
        self._host: str | None = None
        self.setSortRole(SortRole)
        # The filter reads FilterRole: a change that does not name it (a CPU figure) is not re-filtered.
        self.setFilterRole(FilterRole)
        self.setDynamicSortFilter(True)

    def health_filter(self) -> HeartbeatHealth | None:
        return self._health

    def set_health_filter(self, health: HeartbeatHealth | None) -> None:
        """Show only the VMs in this heartbeat group (the status bar's counts); None shows every group."""
        if health == self._health:
            return
        self._change_filter(lambda: setattr(self, "_health", health))

    def filter_text(self) -> str:
        return " ".join(self._words)

    def set_filter_text(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words == self._words:
            return
        self._change_filter(lambda: setattr(self, "_words", words))

    def _change_filter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def host(self) -> str | None:
        return self._host

    def set_host(self, host: str | None) -> None:
        """Show only the VMs of this host (`Vm.host`), or of every host (None)."""
        if host == self._host:
            return
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self._host = host
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._host = host
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        source = self.sourceModel()
        if self._health is not None:
            indicator = source.data(source.index(source_row, Column.Heartbeat, source_parent), HeartbeatRole)
            if not isinstance(indicator, HeartbeatIndicator) or indicator.health is not self._health:
                return False
        if self._host is not None:
            vm = source.data(source.index(source_row, Column.Name, source_parent), VmRole)
            if getattr(vm, "host", None) != self._host:
                return False
        if not self._words:
            return True
        haystack = source.data(source.index(source_row, Column.Name, source_parent), FilterRole) or ""
        return all(word in haystack for word in self._words)

    def lessThan(self, left: ModelIndex, right: ModelIndex) -> bool:
        """Compare the Python sort values directly: tuples and ints order correctly, unlike QVariants."""
        a = left.data(SortRole)
        b = right.data(SortRole)
        if a is None or b is None:
            return a is None and b is not None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
