"""The part the VM table and the fleet grid share: rows that are VMs, changed only through `apply(diff)`.

Both models file every VM of every host under its `VmKey` with a key->row index, so a refresh inserts,
removes and changes exactly the rows it concerns and never resets the model; both also know each host's
display label and whether its last refresh failed (stale). What differs is which cells and roles a change
repaints, so each model says that in three small hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QModelIndex, QObject

from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Vm, VmKey
from hvgui.ui.models.table_base import ColumnTableModel


def contiguous_runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs `(first, last)` of the numbers, lowest run first (duplicates ignored)."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


#: A column with more changed rows than this in one refresh is repainted in fewer, larger ranges (see
#: `cell_runs`); below it, exactly the changed cells.
MANY_ROWS = 32
#: In such a column, runs of changed rows this close together become one range.
MERGE_GAP = 4


def cell_runs(cells: dict[int, list[int]]) -> list[tuple[int, int, int, int]]:
    """Rectangles `(first_row, last_row, first_column, last_column)` for the changed cells of one refresh.

    `cells` maps a column to its changed rows. Each column's rows become contiguous runs, and neighbouring
    columns with the same runs share rectangles; so a refresh where one heartbeat changed repaints one cell,
    and one where rows 4-9 changed their CPU figure is one signal. When a column has many changed rows
    (a refresh where most running VMs report a new CPU figure), runs less than `MERGE_GAP` rows apart are
    merged: a few unchanged cells are named too, which costs nothing (they read the same values again),
    instead of hundreds of signals, each of which the sort proxy and the views handle one by one.
    """
    rectangles: list[tuple[int, int, int, int]] = []
    group: tuple[int, int, list[tuple[int, int]]] | None = None  # (first column, last column, runs)
    for column in sorted(cells):
        rows = cells[column]
        runs = contiguous_runs(rows)
        if len(rows) > MANY_ROWS:
            runs = _merge_close(runs, MERGE_GAP)
        if group is not None and group[1] == column - 1 and group[2] == runs:
            group = (group[0], column, runs)
            continue
        if group is not None:
            rectangles += [(first, last, group[0], group[1]) for first, last in group[2]]
        group = (column, column, runs)
    if group is not None:
        rectangles += [(first, last, group[0], group[1]) for first, last in group[2]]
    return rectangles


def _merge_close(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in runs:
        if merged and first - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


class VmRowsModel(ColumnTableModel[Vm]):
    """A table whose rows are the VMs of every connected host, in arrival order.

    Subclasses implement `_rows_changed` (which cells of the changed rows to repaint) and may override
    `_host_label_changed` / `_host_stale_changed`; by default those repaint every cell of the host's rows.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index: dict[VmKey, int] = {}
        self._host_labels: dict[str, str] = {}
        self._stale_hosts: set[str] = set()

    # ---- reading -------------------------------------------------------------------------------

    def vm(self, key: VmKey) -> Vm | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row]

    def row_of(self, key: VmKey) -> int | None:
        return self._index.get(key)

    def vms(self) -> Sequence[Vm]:
        return tuple(self._rows)

    def host_label(self, host: str) -> str:
        return self._host_labels.get(host, host)

    def is_stale(self, host: str) -> bool:
        return host in self._stale_hosts

    # ---- changing ------------------------------------------------------------------------------

    def apply(self, diff: InventoryDiff) -> None:
        """Bring the rows of `diff.host` up to date: remove, then change, then append; never reset."""
        self._remove(diff.removed)
        self._change(diff.changed)
        self._add(diff.added)

    def set_host_label(self, host: str, label: str) -> None:
        """Name shown for the VMs of `host` (a display name chosen by the user)."""
        if self._host_labels.get(host, host) == label:
            return
        self._host_labels[host] = label
        self._host_label_changed(host)

    def set_host_stale(self, host: str, stale: bool) -> None:
        """Mark the rows of a host whose last refresh failed: they show its last good values, muted."""
        if stale == (host in self._stale_hosts):
            return
        if stale:
            self._stale_hosts.add(host)
        else:
            self._stale_hosts.discard(host)
        self._host_stale_changed(host)

    # ---- hooks ---------------------------------------------------------------------------------

    def _rows_changed(self, changes: list[tuple[int, Vm, Vm]]) -> None:
        """Repaint after rows changed in place; `changes` holds `(row, old, new)` in ascending row order."""
        raise NotImplementedError

    def _host_label_changed(self, host: str) -> None:
        self._emit_for_host(host, 0, len(self._columns) - 1)

    def _host_stale_changed(self, host: str) -> None:
        self._emit_for_host(host, 0, len(self._columns) - 1)

    def _emit_for_host(self, host: str, first_column: int, last_column: int, roles: Sequence[int] = ()) -> None:
        """`dataChanged` for the given columns of every row of `host`, one signal per run of rows."""
        rows = [row for row, vm in enumerate(self._rows) if vm.host == host]
        for first, last in contiguous_runs(rows):
            self.dataChanged.emit(self.index(first, first_column), self.index(last, last_column), list(roles))

    # ---- the three kinds of change -------------------------------------------------------------

    def _remove(self, keys: Iterable[VmKey]) -> None:
        rows = [self._index[key] for key in keys if key in self._index]
        if not rows:
            return
        # Remove contiguous runs from the bottom up so earlier row numbers stay valid.
        for first, last in reversed(contiguous_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._index = {vm.key: row for row, vm in enumerate(self._rows)}

    def _change(self, vms: Iterable[Vm]) -> None:
        changes: list[tuple[int, Vm, Vm]] = []
        arrivals: list[Vm] = []
        for vm in vms:
            row = self._index.get(vm.key)
            if row is None:  # a change for a row we never saw: treat it as an arrival
                arrivals.append(vm)
                continue
            old = self._rows[row]
            if old is not vm:  # an equal copy costs a row replacement; `_rows_changed` finds no cell to repaint
                self._rows[row] = vm
                changes.append((row, old, vm))
        if changes:
            self._rows_changed(sorted(changes, key=lambda change: change[0]))
        self._add(arrivals)

    def _add(self, vms: Iterable[Vm]) -> None:
        fresh: list[Vm] = []
        seen: set[VmKey] = set()
        for vm in vms:
            if vm.key in self._index:  # already shown: an arrival we know is a change
                self._change([vm])
            elif vm.key not in seen:
                seen.add(vm.key)
                fresh.append(vm)
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, vm in enumerate(fresh):
            self._rows.append(vm)
            self._index[vm.key] = first + offset
        self.endInsertRows()
