"""`HeartbeatRecorder`: a host's inventory changes in, history rows out.

Rows are changes the client saw happen. The first inventory of a host after a connect or a reconnect says
nothing about when its values began (they may be hours old, or have changed several times while hvgui was
away), so it gives `Observed` baselines, not transitions, and a reconnect never looks like a storm of
changes. A VM that appears between two refreshes (created, moved here) gets a baseline too.

It is plain logic with no thread of its own: the window calls it on the Qt thread (it only compares the VMs
the diff names) and hands the rows to `HistoryStore.record`, which returns at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmKey, VmState
from hvgui.history.records import EventKind, Transition


class HeartbeatRecorder:
    """Remembers each VM's last state and heartbeat, and turns differences into rows."""

    def __init__(
        self, sink: Callable[[list[Transition]], None] | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._last: dict[VmKey, tuple[VmState, HeartbeatStatus | None]] = {}
        self._baseline_due: set[str] = set()
        self._known_hosts: set[str] = set()

    def host_status_changed(self, status: HostStatus) -> None:
        """A host that is not connected gets a baseline, not transitions, from its next inventory."""
        if status.state != HostState.Connected:
            self._baseline_due.add(status.key)

    def is_baseline_due(self, host: str) -> bool:
        """True when the next inventory of this host gives baselines (first one, or after a reconnect)."""
        return host not in self._known_hosts or host in self._baseline_due

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> list[Transition]:
        """Rows for this change of one host (also handed to the sink); empty when nothing counts."""
        host = inventory.host
        at = inventory.fetched_at or self._clock()
        rows: list[Transition] = []
        if not inventory.vms and diff.removed and not diff.added and not diff.changed:
            # The host left the window (or has no VMs any more): forget it, record nothing.
            self._forget(host)
            self._known_hosts.discard(host)
            return rows
        if self.is_baseline_due(host):
            self._forget(host)
            rows.extend(self._observed(vm, at) for vm in inventory.vms)
            self._baseline_due.discard(host)
            self._known_hosts.add(host)
        else:
            for key in diff.removed:
                self._last.pop(key, None)
            rows.extend(self._observed(vm, at) for vm in diff.added)
            for vm in diff.changed:
                rows.extend(self._changes(vm, at))
        if rows and self._sink is not None:
            self._sink(rows)
        return rows

    def _forget(self, host: str) -> None:
        for key in [key for key in self._last if key.host == host]:
            del self._last[key]

    def _observed(self, vm: Vm, at: float) -> Transition:
        self._last[vm.key] = (vm.state, vm.heartbeat)
        return Transition(vm.host, vm.vm_id, vm.name, at, EventKind.Observed, None, None, vm.state, vm.heartbeat)

    def _changes(self, vm: Vm, at: float) -> list[Transition]:
        before = self._last.get(vm.key)
        if before is None:
            return [self._observed(vm, at)]
        old_state, old_heartbeat = before
        rows = []
        if vm.state != old_state:
            rows.append(
                Transition(
                    vm.host,
                    vm.vm_id,
                    vm.name,
                    at,
                    EventKind.State,
                    int(old_state),
                    int(vm.state),
                    vm.state,
                    vm.heartbeat,
                )
            )
        if vm.heartbeat != old_heartbeat:
            rows.append(
                Transition(
                    vm.host,
                    vm.vm_id,
                    vm.name,
                    at,
                    EventKind.Heartbeat,
                    None if old_heartbeat is None else int(old_heartbeat),
                    None if vm.heartbeat is None else int(vm.heartbeat),
                    vm.state,
                    vm.heartbeat,
                )
            )
        self._last[vm.key] = (vm.state, vm.heartbeat)
        return rows
