"""Fifteen long operations on one host while the window keeps refreshing it: lanes, merged refreshes, deadlines.

One emulated host of 200 VMs runs in its own process (`large:200`, with `--cost-profile realistic` when the
emulator offers it). A `SessionManager` refreshes it every 2 s with the VM table model subscribed (offscreen),
as the window does. Then, all at once, hvgui shuts down 10 Windows guests and saves 5 other VMs through the
host's operations runner, and waits until every operation is final.

From the emulator's command log (what the host really received) and the operation records:
- `refresh_gap_max_s`: the longest gap between two inventories of the host while the operations ran;
- `operation_inventories`: inventories that started sooner than the 2 s schedule would have started them
  (start to start under the refresh interval: someone asked for them);
- `false_failures`: operations reported failed although the host shows the change done;
- `all_settled_s`: from the submits until the last operation was final.

Goal: refresh_gap_max_s <= 3, operation_inventories <= 4, false_failures == 0.
Usage: python bench/operations.py [--vms 200] [--shutdowns 10] [--saves 5]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
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
from hvgui.ui.models.vm_table import VmTableModel

REFRESH_INTERVAL = 2.0


class TableFeed:
    """The window's part that matters here: every inventory diff goes into the VM table model."""

    def __init__(self, model: VmTableModel) -> None:
        self.model = model

    def host_status_changed(self, status: Any) -> None:
        pass

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.model.apply(diff)


def emulator_supports(option: str) -> bool:
    helped = subprocess.run(
        [sys.executable, "-m", "hvgui.emulator", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return option in helped.stdout


def inventory_times(log: Path) -> list[float]:
    times = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("command") == "Get-HvGuiInventory":
                times.append(float(entry["time"]))
    return sorted(times)


def choose(inventory: Inventory, shutdowns: int, saves: int) -> tuple[list[Vm], list[Vm]]:
    running = sorted((vm for vm in inventory.vms if vm.state is VmState.Running), key=lambda vm: vm.name)
    windows = [vm for vm in running if _is_windows(vm) and shutdown_blocker(vm) is None]
    to_shut = windows[:shutdowns]
    others = [vm for vm in running if vm not in to_shut]
    if len(to_shut) < shutdowns or len(others) < saves:
        raise SystemExit(f"too few running VMs: {len(windows)} Windows guests, {len(running)} running")
    return to_shut, others[:saves]


def _is_windows(vm: Vm) -> bool:
    return "windows" in (vm.guest_os_name or "").casefold()


async def run(args: argparse.Namespace, endpoint: Any, log: Path) -> dict[str, Any]:
    manager = SessionManager(refresh_interval=REFRESH_INTERVAL, connect_timeout=10, operation_timeout=60)
    model = VmTableModel()
    manager.subscribe(TableFeed(model))
    finals: dict[int, OperationRecord] = {}
    manager.subscribe_operations(lambda r: finals.__setitem__(r.op_id, r) if r.state.is_final else None)
    session: HostSession = manager.add_host(endpoint.connection_settings(), endpoint.password)
    while session.inventory is None:
        await asyncio.sleep(0.1)
    to_shut, to_save = choose(session.inventory, args.shutdowns, args.saves)

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
    starts = ([before[-1]] if before else []) + during
    requested = sum(1 for a, b in itertools.pairwise(starts) if b - a < REFRESH_INTERVAL * 0.95)
    return {
        "vms": len(final_inventory.vms),
        "operations": len(records),
        "succeeded": sum(1 for r in records if r.state is OperationState.Succeeded),
        "failed": sum(1 for r in records if r.state is OperationState.Failed),
        "still_running_seen": sum(1 for r in records if "still running" in r.message.casefold()),
        "refresh_gap_max_s": round(max(gaps), 3) if gaps else None,
        "inventories_during": len(during),
        "operation_inventories": requested,
        "false_failures": false_failures,
        "all_settled_s": round(settled_s, 3),
        "work_lane_connections": lane,
        "table_rows": model.rowCount(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--shutdowns", type=int, default=10)
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([])
    profile = "realistic" if emulator_supports("--cost-profile") else None
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "commands.jsonl"
        extra = ["--command-log", str(log)]
        if profile is not None:
            extra += ["--cost-profile", profile]
        with EmulatorProcess.start(f"large:{args.vms}", tls=False, seed=1, timeout=120, extra_args=extra) as emulator:
            figures = asyncio.run(run(args, emulator.endpoints[0], log))
    figures = {"profile": profile or "instant (this emulator has no --cost-profile)", **figures}
    del app
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
