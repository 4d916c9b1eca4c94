"""Live updates: the host module's change watcher (`Watch-HvGuiChange`), read as it streams.

The watcher is a pipeline that runs for an hour on the host and writes one compact JSON record per change (the
schema is documented with its PowerShell text in `HvGui.ps1`). `ChangeWatcher.run` starts it on a connection
of its own and hands each Receive's records, parsed on that connection's worker thread (never the loop's), to
a callback on the loop thread. `apply_rows` folds the rows of `hello` and `change` records into an inventory
and says what changed, so a session publishes them as the usual `InventoryDiff`.

Why a connection of its own: a `HostConnection` is one worker thread and one runspace pool of one runspace,
and a pipeline holds both until it ends; a watcher that never ends would leave no room for the inventories the
session still needs (on connect, after a gap, on the safety interval, and all of them while it polls). A second
pool costs the host one more shell of the user's quota (25 by default, hyperv-cim-winrm.md 6.b).

An idle Receive comes back after the connection's poll interval with WinRM's OperationTimeout fault, which
pypsrp's `poll_invoke` swallows; `HostConnection` then simply sends the next Receive, so a quiet host is no
error. The watcher writes a `tick` record every `tick` seconds instead; `RefreshConfig.silence` says how long
a session waits for any record before it takes the stream for dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hvgui.domain.integration import HEARTBEAT, ComponentStatus, IntegrationServiceState
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmState
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.pipeline import PipelineSpec

log = logging.getLogger(__name__)

WATCH_FUNCTION = "Watch-HvGuiChange"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RefreshConfig:
    """How a session keeps a host's VMs current.

    `push` runs the host's change watcher and reads a full inventory only on connect, after a gap and every
    `safety_interval` seconds; without it (or while the watcher cannot run) the session polls every
    `poll_interval` seconds. `watch_interval` (host seconds between two reads of a watcher that scans because
    the host raises no heartbeat events), `tick` (seconds of silence after which it says it is alive),
    `watch_duration` (seconds before it ends and is started again) and `metrics_interval` (seconds between
    its sweeps of every VM's CPU and memory, which raise no events; 0: none) are passed to the watcher;
    `silence` is how long the session waits for any record before it stops the watcher as dead. A watcher
    that failed is tried again after `retry_after` seconds, and at once after a reconnect.
    """

    push: bool = False
    poll_interval: float = 2.0
    safety_interval: float = 60.0
    watch_interval: float = 0.2
    tick: float = 2.0
    watch_duration: float = 3600.0
    silence: float = 15.0
    retry_after: float = 60.0
    cpu_step: int = 10
    memory_step_mb: int = 256
    metrics_interval: float = 5.0


def watch_spec(config: RefreshConfig) -> PipelineSpec:
    """`Watch-HvGuiChange` with the config's values as parameters."""
    return (
        PipelineSpec.cmdlet(WATCH_FUNCTION)
        .param("IntervalMs", max(50, min(60000, round(config.watch_interval * 1000))))
        .param("TickSec", max(1, min(3600, round(config.tick))))
        .param("DurationSec", max(0, min(604800, round(config.watch_duration))))
        .param("CpuStep", max(1, min(100, int(config.cpu_step))))
        .param("MemoryStepMB", max(1, min(1048576, int(config.memory_step_mb))))
        .param("MetricsSec", max(0, min(3600, round(config.metrics_interval))))
    )


@dataclass(frozen=True)
class VmRow:
    """What a record says about one VM: the fields of the inventory that change often."""

    vm_id: str
    name: str
    state: VmState
    heartbeat: HeartbeatStatus | None
    status: str
    cpu_usage: int
    memory_assigned: int
    uptime_seconds: int  # when the row was read
    boot_time: int | None = None  # the host's UTC time of the VM's start (seconds since 1970); None when not running


#: A row's boot time this far from the inventory's means the VM started again (rows are read at most a few
#: seconds apart from the inventory they are laid over).
RESTART_TOLERANCE = 5


@dataclass(frozen=True)
class WatchRecord:
    """One record of the stream: `kind` is hello, change, tick, resync or unreadable (`why` says more)."""

    kind: str
    seq: int | None
    rows: tuple[VmRow, ...] = ()
    why: str = ""
    jump: float = 0.0
    via: str = ""  # hello: "events" (the host raises heartbeat events) or "scan" (it reads every VM each tick)


def parse_record(text: Any) -> WatchRecord:
    """One output object of the watcher; anything that is not a record of this schema is `unreadable`."""
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("k") not in ("hello", "change", "tick", "resync"):
        return WatchRecord("unreadable", None, why=repr(text)[:200])
    kind = document["k"]
    seq = document.get("seq")
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    if kind == "hello" and document.get("v") != SCHEMA_VERSION:
        return WatchRecord("unreadable", seq, why=f"schema version {document.get('v')!r}")
    rows: list[VmRow] = []
    for entry in document.get("vms") or ():
        row = _row(entry)
        if row is None:
            return WatchRecord("unreadable", seq, why=f"row {repr(entry)[:200]}")
        rows.append(row)
    jump = document.get("jump")
    return WatchRecord(
        kind,
        seq,
        tuple(rows),
        why=str(document.get("why") or ""),
        jump=float(jump) if isinstance(jump, int | float) and not isinstance(jump, bool) else 0.0,
        via=str(document.get("via") or ""),
    )


def _row(entry: Any) -> VmRow | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    hb = entry.get("hb")
    return VmRow(
        vm_id=entry["id"].lower(),
        name=str(entry.get("name") or ""),
        state=_enum(VmState, entry.get("state"), VmState.Other),
        heartbeat=None if hb is None else _enum(HeartbeatStatus, hb, HeartbeatStatus.Unknown),
        status=str(entry.get("status") or ""),
        cpu_usage=_int(entry.get("cpu")),
        memory_assigned=max(0, _int(entry.get("mem"))),
        uptime_seconds=max(0, _int(entry.get("up"))),
        boot_time=entry["boot"] if isinstance(entry.get("boot"), int) and not isinstance(entry["boot"], bool) else None,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _enum(cls: Any, value: Any, unknown: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        return unknown


#: The Heartbeat component's OperationalStatus [0] and [1] behind a heartbeat the row reports (the inverse of the
#: module's derivation, hyperv-api.md section 5), for the heartbeats that say it unambiguously.
_HEARTBEAT_COMPONENT: dict[HeartbeatStatus, tuple[ComponentStatus, ComponentStatus | None]] = {
    HeartbeatStatus.NoContact: (ComponentStatus.NoContact, None),
    HeartbeatStatus.LostCommunication: (ComponentStatus.LostCommunication, None),
    HeartbeatStatus.OkApplicationsUnknown: (ComponentStatus.Ok, None),
    HeartbeatStatus.OkApplicationsHealthy: (ComponentStatus.Ok, ComponentStatus.Ok),
    HeartbeatStatus.OkApplicationsCritical: (ComponentStatus.Ok, ComponentStatus.ApplicationCritical),
}


def _heartbeat_service(
    services: tuple[IntegrationServiceState, ...], heartbeat: HeartbeatStatus | None
) -> tuple[IntegrationServiceState, ...]:
    """The VM's services with the Heartbeat component's status following a new heartbeat, when the heartbeat
    says it; the host's status texts are unknown until the next inventory, so they are left empty (the window
    then names the status itself)."""
    statuses = _HEARTBEAT_COMPONENT.get(heartbeat) if heartbeat is not None else None
    if statuses is None:
        return services
    guid = HEARTBEAT.ic_guid.upper() if HEARTBEAT.ic_guid else ""
    return tuple(
        dataclasses.replace(s, primary=statuses[0], secondary=statuses[1], primary_text="", secondary_text="")
        if s.ic_guid == guid and (s.primary, s.secondary) != statuses
        else s
        for s in services
    )


def apply_rows(
    inventory: Inventory, rows: Iterable[VmRow], *, fetched_at: float
) -> tuple[Inventory, InventoryDiff, bool]:
    """The inventory with the rows' fields replaced, the diff to publish, and whether a row named a VM the
    inventory does not have (then a full inventory is due). Only VMs whose fields really differ are changed.

    Uptime ticks, so it alone never makes a change: a row's uptime is taken with its other fields, or when it
    is well below the inventory's (the VM started again); otherwise the inventory's stays."""
    latest = {row.vm_id: row for row in rows}  # a later row of the same VM wins
    if not latest:
        return inventory, InventoryDiff(inventory.host), False
    positions = inventory.positions
    replaced: dict[int, Vm] = {}
    unknown = False
    for vm_id, row in latest.items():
        index = positions.get(vm_id)
        if index is None:
            unknown = True
            continue
        vm = inventory.vms[index]
        same = (
            vm.name == row.name
            and vm.state is row.state
            and vm.heartbeat is row.heartbeat
            and vm.status == row.status
            and vm.cpu_usage == row.cpu_usage
            and vm.memory_assigned == row.memory_assigned
        )
        booted_at = _row_booted_at(row)
        restarted = (booted_at is None) != (vm.booted_at is None) or (
            booted_at is not None and vm.booted_at is not None and abs(booted_at - vm.booted_at) > RESTART_TOLERANCE
        )
        if same and not restarted:
            continue
        services = vm.integration_services
        if row.heartbeat is not vm.heartbeat:
            services = _heartbeat_service(services, row.heartbeat)
        replaced[index] = dataclasses.replace(
            vm,
            name=row.name,
            state=row.state,
            heartbeat=row.heartbeat,
            status=row.status,
            cpu_usage=row.cpu_usage,
            memory_assigned=row.memory_assigned,
            booted_at=booted_at if restarted else vm.booted_at,
            integration_services=services,
        )
    if not replaced:
        return inventory, InventoryDiff(inventory.host), unknown
    new = inventory.with_vms_replaced(replaced, fetched_at=fetched_at)
    changed = tuple(replaced[index] for index in sorted(replaced))  # in the inventory's order
    return new, InventoryDiff(inventory.host, changed=changed), unknown


def _row_booted_at(row: VmRow) -> float | None:
    """When the row's VM started (host time, seconds since 1970): its boot time, or its uptime when the host
    sent only that; None when it does not run."""
    if not row.state.is_running:
        return None
    if row.boot_time is not None:
        return float(row.boot_time)
    return float(int(time.time()) - row.uptime_seconds) if row.uptime_seconds > 0 else None


class ChangeWatcher:
    """Runs the change watcher on one connection and hands its records to `on_records` on the loop thread."""

    def __init__(
        self,
        connection: HostConnection,
        config: RefreshConfig,
        on_records: Callable[[list[WatchRecord]], None],
    ) -> None:
        self.connection = connection
        self.config = config
        self._on_records = on_records

    async def run(self) -> None:
        """Until the watcher ends by itself (after `watch_duration`); raises what made it fail. Cancelling
        the task stops the pipeline on the host."""
        loop = asyncio.get_running_loop()

        def arrived(objects: list[Any]) -> None:  # on the connection's worker thread
            records = [parse_record(o) for o in objects]
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens any more
                loop.call_soon_threadsafe(self._on_records, records)

        # The pipeline's own deadline: its duration plus room for its last tick; 0 runs until stopped.
        duration = self.config.watch_duration
        limit = duration + max(30.0, 4 * self.config.tick) if duration > 0 else 10 * 365 * 86400.0
        result = await self.connection.run(watch_spec(self.config), timeout=limit, on_output=arrived)
        if result.output:  # objects that came with the pipeline's end
            arrived(list(result.output))
        if result.errors:
            raise result.errors[0]
