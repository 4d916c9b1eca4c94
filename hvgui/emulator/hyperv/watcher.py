"""`Watch-HvGuiChange`: the emulator's twin of the host module's change watcher (`HvGui.ps1`).

A long-lived pipeline that makes the calls the PowerShell text makes, in its order, through the emulator's own
cmdlets: it subscribes to the provider's events with `Register-CimIndicationEvent` (`cim.indications`), then
each tick waits for them on the runspace's event queue (the text's `Wait-Event`, `Get-Event` and
`Remove-Event`, engine cmdlets) and reads `Msvm_SummaryInformation` of just the VMs they name
(`Get-CimInstance -Filter`, which pays one CIM operation for those instances); every `MetricsSec` and for the
first record it reads every VM. When a subscription is refused (`HostModel.heartbeat_indications` off) it scans
every VM each `IntervalMs` instead. It compares what it read with what it last wrote and writes a compact JSON
record only for what changed, plus a `tick` record when it had nothing to say for `TickSec`. The record schema
and the choice of mechanism are documented with the PowerShell text.

Everything it reports comes from the host model (VM state machine, guests, heartbeat schedules, the changes of
`heartbeats`), read through `Msvm_SummaryInformation` like the text reads it. Each record is written as soon as
the tick that found it ends, so it leaves in the next WinRM Receive. Time is the host's: the interval and the
duration are host seconds (`--time-scale` compresses them), `t` and `boot` come from the host's wall clock.

`heartbeats.kill_watchers` makes every watcher then running fail at its next tick with the error a failing
WMI provider gives (`HRESULT 0x80041001`): a scanning one from its query, a listening one from the exception
event its subscriptions end with. Clients are tested against a watcher that dies.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from hvgui.emulator.runtime import TerminatingError

from . import heartbeats
from .calls import invoke
from .cim.errors import GENERIC_FAILURE, cim_error
from .cim.indications import EventQueue
from .context import CommandContext
from .errors import Invocation

SCHEMA_VERSION = 1
NAMESPACE = "root/virtualization/v2"
TIMEOUT_SEC = 30
PROPERTIES = [
    "Name", "ElementName", "EnabledState", "HealthState", "Heartbeat", "ApplicationHealth", "ProcessorLoad",
    "MemoryUsage", "UpTime", "StatusDescriptions",
]  # fmt: skip
#: The parameters' defaults in the PowerShell text.
DEFAULTS = {"IntervalMs": 200, "TickSec": 2, "DurationSec": 3600, "CpuStep": 10, "MemoryStepMB": 256, "MetricsSec": 5}
#: The text's `$queries`: source identifier suffix -> query (constant text).
QUERIES = {
    "Changed": "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'",
    "Created": "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'",
    "Deleted": "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Msvm_ComputerSystem'",
    "Heartbeat": "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Msvm_HeartbeatComponent'",
}
#: More VMs than this changing in one tick are read with one enumeration of all instead.
MOST_FILTERED = 100
#: A running VM's boot time may move this much (rounding) before it counts as a restart.
BOOT_TOLERANCE = 2
#: The host's wall clock moving this much more or less than its monotonic clock is a jump.
CLOCK_JUMP = 2
_GET_CIM_INSTANCE = Invocation(
    "Get-CimInstance", "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
)


def _row(summary: Any, wall: float) -> dict[str, Any]:
    from .functions import summary_status  # the inventory's own mapping

    state, heartbeat, status = summary_status(summary)
    up_seconds = float(summary.get("UpTime") or 0) / 1000
    return {
        "id": str(summary.get("Name") or "").lower(),
        "name": str(summary.get("ElementName") or ""),
        "state": state,
        "hb": heartbeat,
        "status": status,
        "cpu": int(summary.get("ProcessorLoad") or 0),
        "mem": int(summary.get("MemoryUsage") or 0) * 1048576,
        "up": math.floor(up_seconds),
        "boot": math.floor(wall - up_seconds) if up_seconds > 0 else None,
    }


def _differs(old: dict[str, Any], row: dict[str, Any], cpu_step: int, memory_step: int) -> bool:
    if any(old[k] != row[k] for k in ("name", "state", "hb", "status")):
        return True
    if (old["boot"] is None) != (row["boot"] is None):
        return True
    if row["boot"] is not None and row["state"] == 2 and old["state"] == 2 and abs(row["boot"] - old["boot"]) > 2:
        return True
    return abs(row["cpu"] - old["cpu"]) >= cpu_step or abs(row["mem"] - old["mem"]) >= memory_step


def _subscribe(ctx: CommandContext, events: EventQueue, prefix: str) -> list[str]:
    """The text's registrations; an empty list when one is refused (the text's catch: it then scans)."""
    subscribed: list[str] = []
    try:
        for name, query in QUERIES.items():
            invoke(
                ctx,
                "Register-CimIndicationEvent",
                [
                    ("Namespace", NAMESPACE),
                    ("Query", query),
                    ("SourceIdentifier", prefix + name),
                    ("OperationTimeoutSec", TIMEOUT_SEC),
                    ("ErrorAction", "Stop"),
                ],
            )
            subscribed.append(prefix + name)
    except TerminatingError:
        for source_identifier in subscribed:
            events.unregister(source_identifier)
        return []
    return subscribed


def _changed_vms(events: EventQueue, prefix: str, stop: Any, time_scale: float) -> tuple[str, list[str]]:
    """One tick's wait (`Wait-Event -Timeout 1`: a host second) and the text's loop over the queued events:
    ("none"|"some"|"all", VM GUIDs)."""
    waited = events.wait(None, 1.0 / time_scale, stop)
    read, changed, ours = "none", [], 0
    for queued in events.get():
        if not queued.source_identifier.startswith(prefix):
            continue
        ours += 1
        events.remove(queued.event_identifier)
        if queued.exception is not None:
            raise TerminatingError(queued.exception)
        if queued.source_identifier in (prefix + "Created", prefix + "Deleted"):
            read = "all"
            continue
        target = queued.new_event.get("TargetInstance") if queued.new_event is not None else None
        if target is None:
            continue
        name = target.get("SystemName") if queued.source_identifier == prefix + "Heartbeat" else target.get("Name")
        try:
            canonical = str(uuid.UUID(str(name or ""))).upper()
        except ValueError:
            continue  # the host's own instance
        if canonical not in changed:
            changed.append(canonical)
    if waited is not None and ours == 0:
        stop.wait(0.1 / time_scale)  # only someone else's events are queued: the text rests rather than spin
    if read != "all" and changed:
        read = "some" if len(changed) <= MOST_FILTERED else "all"
    return read, changed


def _summaries(ctx: CommandContext, vm_ids: list[str] | None) -> list[Any]:
    arguments: list[tuple[str, Any]] = [
        ("Namespace", NAMESPACE),
        ("ClassName", "Msvm_SummaryInformation"),
        ("Property", PROPERTIES),
    ]
    if vm_ids is not None:
        arguments.append(("Filter", " OR ".join(f"Name = '{vm_id}'" for vm_id in vm_ids)))
    arguments += [("OperationTimeoutSec", TIMEOUT_SEC), ("ErrorAction", "Stop")]
    return invoke(ctx, "Get-CimInstance", arguments)


def watch_hvgui_change(ctx: CommandContext) -> None:
    events = ctx.events
    if events is None:
        raise RuntimeError("Watch-HvGuiChange needs a runspace")
    prefix = f"HvGui.Watch.{uuid.uuid4().hex}."
    subscribed = _subscribe(ctx, events, prefix)
    try:
        _watch(ctx, events, prefix, "events" if subscribed else "scan")
    finally:  # the text's finally: unregister, and drop what was queued
        for source_identifier in subscribed:
            events.unregister(source_identifier)
            for queued in events.get(source_identifier):
                events.remove(queued.event_identifier)


def _watch(ctx: CommandContext, events: EventQueue, prefix: str, via: str) -> None:
    from .functions import to_compressed_json

    options = {name: int(ctx.bound.get(name, default)) for name, default in DEFAULTS.items()}
    memory_step = options["MemoryStepMB"] * 1048576
    model, costs, stop = ctx.model, ctx.model.costs, ctx.stop_requested
    killed_before = heartbeats.kills(model)
    started = model.now()
    sent: dict[str, dict[str, Any]] | None = None
    seq = 0
    last_write = 0.0
    last_sweep = 0.0
    previous: tuple[float, float] | None = None  # (wall, monotonic) of the last tick

    def elapsed() -> float:
        return model.now() - started

    while options["DurationSec"] == 0 or elapsed() < options["DurationSec"]:
        if stop.is_set():
            return
        if via == "scan" and heartbeats.kills(model) != killed_before:
            raise TerminatingError(cim_error(_GET_CIM_INSTANCE, GENERIC_FAILURE))
        tick_started = elapsed()
        read, changed_ids = "all", []
        sweep_due = options["MetricsSec"] > 0 and tick_started - last_sweep >= options["MetricsSec"]
        if via == "events" and sent is not None and not sweep_due:
            read, changed_ids = _changed_vms(events, prefix, stop, costs.profile.time_scale)
        if stop.is_set():
            return
        summaries: list[Any] = []
        if read == "all":
            summaries = _summaries(ctx, None)
            last_sweep = tick_started
        elif read == "some":
            summaries = _summaries(ctx, changed_ids)
        if stop.is_set():
            return
        now = elapsed()
        wall = model.wall_clock()
        rows = {}
        for summary in summaries:
            row = _row(summary, wall)
            rows[row["id"]] = row
        stamp = round(wall, 3)
        # A full read must hold exactly the VMs last written; a filtered one only VMs already written.
        same_vms = sent is not None and (sent.keys() == rows.keys() if read == "all" else rows.keys() <= sent.keys())
        jump = 0.0 if previous is None else (wall - previous[0]) - (now - previous[1])
        record: dict[str, Any] | None = None
        if sent is None:
            record = {"k": "hello", "v": SCHEMA_VERSION, "seq": seq, "t": stamp, "via": via, "vms": list(rows.values())}
            sent = rows
        elif abs(jump) > CLOCK_JUMP:
            record = {"k": "resync", "seq": seq, "t": stamp, "why": "clock", "jump": round(jump, 1)}
            if read == "all":
                sent = rows
        elif not same_vms:
            record = {"k": "resync", "seq": seq, "t": stamp, "why": "vms"}
            if read == "all":
                sent = rows
        else:
            changed = []
            for key, row in rows.items():
                if _differs(sent[key], row, options["CpuStep"], memory_step):
                    changed.append(row)
                    sent[key] = row
            if changed:
                record = {"k": "change", "seq": seq, "t": stamp, "vms": changed}
            elif now - last_write >= options["TickSec"]:
                record = {"k": "tick", "seq": seq, "t": stamp}
        if record is not None:
            ctx.write_output(to_compressed_json(record))
            seq += 1
            last_write = now
        previous = (wall, now)
        if via == "scan":
            spent = elapsed() - tick_started
            interval = options["IntervalMs"] / 1000
            if not costs.wait(max(interval - spent, spent / 2), stop):  # Thread.Sleep: time passes, nothing is charged
                return
