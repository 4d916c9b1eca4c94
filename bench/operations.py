"""Fifteen long operations on one host while the window keeps refreshing it: lanes, merged refreshes, deadlines.

One emulated host of 200 VMs runs in its own process with the `realistic` cost profile at time scale 1 (the
real figures: a refresh pays for its CIM queries, and Stop-VM and Save-VM block until their job ends, writing
progress). The bench writes the host's scenario: the mix of `large:200`, plus what the operations need: ten
running Windows guests to shut down, one of which takes 60 s (the others 10-14 s, their guest OS's), and five
running VMs to save (2-8 GiB: 3-9 s). A `SessionManager` refreshes the host every 2 s with the VM table
model subscribed (offscreen), as the window does. Then, all at once, hvgui shuts down the 10 and saves the 5
through the host's operations runner, and waits until every operation is final.

From the emulator's command log (what the host really received) and the operation records:
- `refresh_gap_max_s`: the longest gap between two inventories of the host while the operations ran;
- `operation_inventories`: inventories that started sooner than the 2 s schedule would have started them
  (someone asked for them);
- `false_failures`: operations reported failed although the host shows the change done;
- `all_settled_s`: from the submits until the last operation was final.

Refreshes start every refresh interval, start to start; a host whose inventory takes longer than half the
interval rests as long as its inventory took (`inventory_median_s`: what the host charges for its CIM
queries, plus the loopback round trip).

Goal: refresh_gap_max_s <= 3, operation_inventories <= 4, false_failures == 0.
Usage: python bench/operations.py [--vms 200] [--shutdowns 10] [--saves 5] [--slow-shutdown 60] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QGuiApplication

from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.operations import OperationRecord, OperationState, PowerOperation, VmTarget
from hvgui.domain.power import PowerAction, shutdown_blocker
from hvgui.domain.vm import Inventory, Vm, VmState
from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostSession, SessionManager
from hvgui.ui.activity.model import ActivityModel
from hvgui.ui.models.vm_table import VmTableModel

REFRESH_INTERVAL = 2.0
#: The guest OS mix of `large:N` (weights).
GUEST_MIX = (
    ("windows-server-2022", 5),
    ("windows-server-2019", 3),
    ("ubuntu-22.04", 3),
    ("ubuntu-24.04", 1),
    ("rhel-9", 2),
    ("windows-11", 1),
)


class TableFeed:
    """The window's part that matters here: every inventory diff goes into the VM table model."""

    def __init__(self, model: VmTableModel) -> None:
        self.model = model

    def host_status_changed(self, status: Any) -> None:
        pass

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.model.apply(diff)


def write_scenario(path: Path, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The host of the bench as a scenario file; returns the names of the VMs to shut down and to save.

    The mix of `large:N` (80 % running), all on `realistic`; the first running Windows guests are the ones
    to shut down, the first of them with a clean shutdown of `--slow-shutdown` seconds; the next running
    VMs are the ones to save.
    """
    rng = random.Random("1:operations")
    oses = [os_name for os_name, weight in GUEST_MIX for _ in range(weight)]
    vms: list[dict[str, Any]] = []
    to_shut: list[str] = []
    to_save: list[str] = []
    for i in range(args.vms):
        roll = rng.random()
        vm: dict[str, Any] = {
            "name": f"vm-{i + 1:04d}",
            "os": rng.choice(oses),
            "state": "Running" if roll < 0.8 else "Off" if roll < 0.95 else "Saved",
        }
        if vm["state"] == "Running" and vm["os"].startswith("windows") and len(to_shut) < args.shutdowns:
            if not to_shut:
                vm["durations"] = {"shutdown": args.slow_shutdown}
            to_shut.append(vm["name"])
        elif vm["state"] == "Running" and len(to_save) < args.saves:
            to_save.append(vm["name"])
        vms.append(vm)
    if len(to_shut) < args.shutdowns or len(to_save) < args.saves:
        raise SystemExit(f"too few running VMs in {args.vms} for {args.shutdowns} shutdowns and {args.saves} saves")
    document = {
        "name": f"operations:{args.vms}",
        "cost_profile": "realistic",
        "time_scale": args.time_scale,
        "hosts": [{"name": "HV-LARGE-01", "domain": "bench.local", "logical_processors": 128, "memory_gb": 2048,
                   "vms": vms}],
    }  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")
    return to_shut, to_save


def inventory_times(log: Path) -> list[float]:
    times = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("command") == "Get-HvGuiInventory":
                times.append(float(entry["time"]))
    return sorted(times)


def _scheduled_rest(inventory_seconds: float) -> float:
    """How long the refresh schedule waits after an inventory that took `inventory_seconds`."""
    return max(REFRESH_INTERVAL - inventory_seconds, inventory_seconds)


class InventoryClock:
    """When each of the session's inventories started and ended (client side): which ones were asked for.

    The schedule starts an inventory `REFRESH_INTERVAL` after the previous one started, or, after an inventory
    that took longer than half the interval, as long after its end as it took; one that starts sooner was
    requested (by an operation that wanted to show its outcome).
    """

    def __init__(self, session: HostSession) -> None:
        self.spans: list[tuple[float, float]] = []
        api = session.api
        fetch = api.inventory

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.time()
            try:
                return await fetch(*args, **kwargs)
            finally:
                self.spans.append((started, time.time()))

        api.inventory = timed  # type: ignore[method-assign]

    def requested(self, since: float, until: float) -> int:
        return sum(
            1
            for (previous_start, previous_end), (start, _) in itertools.pairwise(self.spans)
            if since <= start <= until and start - previous_end < 0.95 * _scheduled_rest(previous_end - previous_start)
        )

    def longest(self) -> float:
        return max((end - start for start, end in self.spans), default=0.0)

    def median(self, since: float, until: float) -> float:
        during = [end - start for start, end in self.spans if since <= start <= until]
        return statistics.median(during) if during else 0.0


def choose(inventory: Inventory, names: list[str]) -> list[Vm]:
    by_name = {vm.name: vm for vm in inventory.vms}
    chosen = [by_name[name] for name in names]
    if any(vm.state is not VmState.Running for vm in chosen):
        raise SystemExit("a VM the bench meant to change is not running")
    return chosen


async def run(args: argparse.Namespace, endpoint: Any, log: Path, names: tuple[list[str], list[str]]) -> dict[str, Any]:
    manager = SessionManager(refresh_interval=REFRESH_INTERVAL, connect_timeout=10, operation_timeout=60)
    model = VmTableModel()
    manager.subscribe(TableFeed(model))
    activity = ActivityModel()  # the Activity panel's table: every snapshot of every operation, progress too
    manager.subscribe_operations(activity.upsert)
    progress_updates = 0

    def heard(record: OperationRecord) -> None:
        nonlocal progress_updates
        if record.state is OperationState.Running and record.progress.percent is not None:
            progress_updates += 1

    manager.subscribe_operations(heard)
    session: HostSession = manager.add_host(endpoint.connection_settings(), endpoint.password)
    clock = InventoryClock(session)
    while session.inventory is None:
        await asyncio.sleep(0.1)
    first_inventory_s = clock.longest()
    to_shut = choose(session.inventory, names[0])
    to_save = choose(session.inventory, names[1])
    for vm in to_shut:
        if shutdown_blocker(vm) is not None:
            raise SystemExit(f"{vm.name} cannot be shut down: {shutdown_blocker(vm)}")

    def target(vm: Vm) -> VmTarget:
        return VmTarget.of(vm, session.settings.host)

    operations = [PowerOperation(target(vm), action=PowerAction.ShutDown) for vm in to_shut]
    operations += [PowerOperation(target(vm), action=PowerAction.Save) for vm in to_save]
    started = time.time()
    handles = [session.operations.submit(op) for op in operations]
    records = await asyncio.gather(*(h.done() for h in handles))
    settled_s = time.time() - started
    # one more scheduled refresh, so the final states are the host's
    await session.next_inventory(request=False)
    final_inventory = session.inventory
    lane = session.operations.lane.size
    await manager.aclose()

    assert final_inventory is not None
    by_id = {vm.vm_id: vm for vm in final_inventory.vms}
    false_failures = sum(
        1
        for r in records
        if r.state is OperationState.Failed and r.operation.settled(by_id.get(r.operation.target.vm_id))
    )
    inventories = inventory_times(log)
    before = [t for t in inventories if t < started]
    during = [t for t in inventories if started <= t <= started + settled_s]
    window = ([before[-1]] if before else []) + during + [started + settled_s]
    gaps = [b - a for a, b in itertools.pairwise(window)]
    durations = sorted(r.duration for r in records if r.duration is not None)
    return {
        "vms": len(final_inventory.vms),
        "operations": len(records),
        "succeeded": sum(1 for r in records if r.state is OperationState.Succeeded),
        "failed": sum(1 for r in records if r.state is OperationState.Failed),
        "still_running_seen": sum(1 for r in records if "still running" in r.message.casefold()),
        "progress_updates": progress_updates,
        "refresh_gap_max_s": round(max(gaps), 3) if gaps else None,
        "inventories_during": len(during),
        "inventory_max_s": round(clock.longest(), 3),
        "inventory_median_s": round(clock.median(started, started + settled_s), 3),
        "first_inventory_s": round(first_inventory_s, 3),
        "operation_inventories": clock.requested(started, started + settled_s),
        "false_failures": false_failures,
        "all_settled_s": round(settled_s, 3),
        "operation_s_min_max": [round(durations[0], 3), round(durations[-1], 3)] if durations else None,
        "work_lane_connections": lane,
        "table_rows": model.rowCount(),
        "activity_rows": activity.rowCount(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--shutdowns", type=int, default=10)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--slow-shutdown", type=float, default=60.0, help="host seconds of the slowest shutdown")
    parser.add_argument("--time-scale", type=float, default=1.0, help="host seconds per real second (1: real)")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "commands.jsonl"
        scenario = Path(tmp) / "operations.json"
        names = write_scenario(scenario, args)
        extra = ["--command-log", str(log)]
        with EmulatorProcess.start(str(scenario), tls=False, seed=1, timeout=120, extra_args=extra) as emulator:
            figures = asyncio.run(run(args, emulator.endpoints[0], log, names))
    figures = {"profile": "realistic", "time_scale": args.time_scale, **figures}
    del app
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
