"""`Watch-HvGuiChange`: the emulator's twin of the host module's change watcher (`HvGui.ps1`).

A long-lived pipeline: each tick it makes the one bulk CIM query the PowerShell text makes (through the
emulator's own `Get-CimInstance`, so it pays one CIM operation with a property list, the `realistic` profile's
`cim_call` plus its projected per-instance rate), compares what it read with what it last wrote, and writes a
compact JSON record only for what changed, plus a `tick` record when it had nothing to say for `TickSec`. The
record schema and the reasons for a loop rather than CIM indications are documented with the PowerShell text.

Everything it reports comes from the host model (VM state machine, guests, heartbeat schedules, the changes of
`heartbeats`), read through `Msvm_SummaryInformation` like the text reads it. Each record is written as soon as
the tick that found it ends, so it leaves in the next WinRM Receive. Time is the host's: the interval and the
duration are host seconds (`--time-scale` compresses them), `t` and `boot` come from the host's wall clock.

`heartbeats.kill_watchers` makes every watcher then running fail at its next tick with the error a failing
WMI provider gives (`HRESULT 0x80041001`), so clients can be tested against a watcher that dies.
"""

from __future__ import annotations

import math
from typing import Any

from hvgui.emulator.runtime import TerminatingError

from . import heartbeats
from .calls import invoke
from .cim.errors import GENERIC_FAILURE, cim_error
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
DEFAULTS = {"IntervalMs": 200, "TickSec": 2, "DurationSec": 3600, "CpuStep": 10, "MemoryStepMB": 256}
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


def watch_hvgui_change(ctx: CommandContext) -> None:
    from .functions import to_compressed_json

    bound = ctx.bound
    options = {name: int(bound.get(name, default)) for name, default in DEFAULTS.items()}
    model, costs, stop = ctx.model, ctx.model.costs, ctx.stop_requested
    killed_before = heartbeats.kills(model)
    memory_step = options["MemoryStepMB"] * 1048576
    started = model.now()
    sent: dict[str, dict[str, Any]] | None = None
    seq = 0
    last_write = 0.0
    previous: tuple[float, float] | None = None  # (wall, monotonic) of the last tick

    def elapsed() -> float:
        return model.now() - started

    while options["DurationSec"] == 0 or elapsed() < options["DurationSec"]:
        if stop.is_set():
            return
        if heartbeats.kills(model) != killed_before:
            raise TerminatingError(cim_error(_GET_CIM_INSTANCE, GENERIC_FAILURE))
        tick_started = elapsed()
        summaries = invoke(
            ctx,
            "Get-CimInstance",
            [
                ("Namespace", NAMESPACE),
                ("ClassName", "Msvm_SummaryInformation"),
                ("Property", PROPERTIES),
                ("OperationTimeoutSec", TIMEOUT_SEC),
                ("ErrorAction", "Stop"),
            ],
        )
        if stop.is_set():
            return
        now = elapsed()
        wall = model.wall_clock()
        rows = {}
        for summary in summaries:
            row = _row(summary, wall)
            rows[row["id"]] = row
        stamp = round(wall, 3)
        jump = 0.0 if previous is None else (wall - previous[0]) - (now - previous[1])
        record: dict[str, Any] | None = None
        if sent is None:
            record = {"k": "hello", "v": SCHEMA_VERSION, "seq": seq, "t": stamp, "vms": list(rows.values())}
            sent = rows
        elif abs(jump) > CLOCK_JUMP:
            record = {"k": "resync", "seq": seq, "t": stamp, "why": "clock", "jump": round(jump, 1)}
            sent = rows
        elif sent.keys() != rows.keys():
            record = {"k": "resync", "seq": seq, "t": stamp, "why": "vms"}
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
        spent = elapsed() - tick_started
        interval = options["IntervalMs"] / 1000
        if not costs.wait(max(interval - spent, spent / 2), stop):  # Thread.Sleep: time passes, nothing is charged
            return
