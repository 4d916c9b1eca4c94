"""Heartbeat latency: from a heartbeat change on a 1,000-VM host to the VM table model holding it, live vs polled.

One emulated host (`large:N`, `realistic` cost profile at time scale 1, plain HTTP) runs in its own process
with `--control`, so the bench changes guests on the host side: a running guest hangs (its heartbeat goes
`LostCommunication`) and later recovers (back to what it showed), one change at a time, at a random moment.
The latency of a change runs from the moment the host applied it (the child's answer to the control command,
same machine clock) until the VM table model (`VmTableModel`, fed with every published diff as the window
feeds it, offscreen) holds the new heartbeat.

Two sessions, one after the other, on the same host:
- push: `RefreshConfig(push=True)` with its defaults: the host's change watcher streams the change;
- poll: `RefreshConfig(push=False, poll_interval=2)`: a full inventory every 2 s, start to start.

Prints one JSON object: `vms`, `push_median_ms`, `push_p95_ms`, `poll_median_ms`, `poll_p95_ms`, with the number
of changes measured and the full inventories each mode read meanwhile (`push_inventories`, `poll_inventories`).
Goal: push_p95_ms <= 500 and push_median_ms <= poll_median_ms / 4.
Usage: python bench/heartbeat_latency.py [--vms 1000] [--push-changes 40] [--poll-changes 16] [--profile realistic]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QGuiApplication

from hvgui.domain.connection import UpdateMode
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmKey, VmState
from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostSession, RefreshConfig, SessionManager
from hvgui.ui.models.vm_table import VmTableModel

#: How long one change may take to show before the bench gives up on it (it then counts as this long).
CHANGE_PATIENCE = 15.0


class TableFeed:
    """The window's part that matters here: every diff goes into the VM table model, then the bench looks."""

    def __init__(self, model: VmTableModel) -> None:
        self.model = model
        self.inventories = 0
        self.waiting: tuple[VmKey, HeartbeatStatus, asyncio.Future[float]] | None = None

    def host_status_changed(self, status: Any) -> None:
        pass

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.model.apply(diff)
        self.check()

    def check(self) -> None:
        if self.waiting is None:
            return
        key, expected, future = self.waiting
        vm = self.model.vm(key)
        if vm is not None and vm.heartbeat is expected and not future.done():
            future.set_result(time.time())


def candidates(inventory: Inventory, rng: random.Random) -> list[Vm]:
    """Running VMs whose guest answers (any OK heartbeat), in a random order."""
    ok = (
        HeartbeatStatus.OkApplicationsHealthy,
        HeartbeatStatus.OkApplicationsUnknown,
        HeartbeatStatus.OkApplicationsCritical,
    )
    vms = [vm for vm in inventory.vms if vm.state is VmState.Running and vm.heartbeat in ok]
    rng.shuffle(vms)
    return vms


async def measure(child: EmulatorProcess, refresh: RefreshConfig, changes: int, rng: random.Random) -> dict[str, Any]:
    endpoint = child.endpoints[0]
    manager = SessionManager(refresh=refresh, connect_timeout=10, operation_timeout=60)
    feed = TableFeed(VmTableModel())
    manager.subscribe(feed)
    session: HostSession = manager.add_host(endpoint.connection_settings(), endpoint.password)
    started = time.monotonic()
    while session.inventory is None or (refresh.push and session.status.update_mode is not UpdateMode.Live):
        if time.monotonic() - started > 300:
            raise SystemExit(f"the session did not get ready: {session.status}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # past the first refreshes
    inventories_before = _inventories(session)
    vms = candidates(session.inventory, rng)
    if len(vms) < changes:
        raise SystemExit(f"only {len(vms)} VMs with a heartbeat to change")
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    for index in range(changes):
        vm = vms[index // 2]
        hang = index % 2 == 0  # hang a guest, then let the same guest recover
        expected = HeartbeatStatus.LostCommunication if hang else vm.heartbeat
        await asyncio.sleep(rng.uniform(0.2, 1.2))  # a random moment of the watcher's or the poll's cycle
        future: asyncio.Future[float] = loop.create_future()
        feed.waiting = (vm.key, expected, future)
        command = {"op": "hang" if hang else "recover", "vms": [vm.vm_id]}
        answer = await asyncio.to_thread(child.control, command)
        if not answer.get("ok"):
            raise SystemExit(f"the host refused {command}: {answer}")
        feed.check()
        try:
            seen = await asyncio.wait_for(future, CHANGE_PATIENCE)
        except TimeoutError:
            seen = answer["at"] + CHANGE_PATIENCE
            print(f"a change to {vm.name} did not show within {CHANGE_PATIENCE:g} s", file=sys.stderr)
        latencies.append(max(0.0, seen - answer["at"]))
        feed.waiting = None
    inventories = _inventories(session) - inventories_before
    mode = session.status.updates_text
    await manager.aclose()
    return {"latencies": latencies, "inventories": inventories, "mode": mode}


def _inventories(session: HostSession) -> int:
    """Full inventories started over the session's life (its merged-refresh counter)."""
    return session._fetches_started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--push-changes", type=int, default=40)
    parser.add_argument("--poll-changes", type=int, default=16)
    parser.add_argument("--profile", default="realistic", help="the emulator's cost profile")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-heartbeat-events",
        action="store_true",
        help="the host raises no heartbeat events, so its watcher scans every VM (the emulator's flag)",
    )
    args = parser.parse_args()

    app = QGuiApplication.instance() or QGuiApplication([])
    rng = random.Random(args.seed)
    with EmulatorProcess.start(
        f"large:{args.vms}",
        tls=False,
        seed=args.seed,
        cost_profile=args.profile,
        control=True,
        timeout=300,
        extra_args=["--no-heartbeat-events"] if args.no_heartbeat_events else [],
    ) as child:
        push = asyncio.run(measure(child, RefreshConfig(push=True), args.push_changes, rng))
        poll = asyncio.run(measure(child, RefreshConfig(push=False, poll_interval=2.0), args.poll_changes, rng))
    del app

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    figures = {
        "vms": args.vms,
        "profile": args.profile,
        "push_median_ms": ms(statistics.median(push["latencies"])),
        "push_p95_ms": ms(percentile(push["latencies"], 0.95)),
        "poll_median_ms": ms(statistics.median(poll["latencies"])),
        "poll_p95_ms": ms(percentile(poll["latencies"], 0.95)),
        "push_changes": len(push["latencies"]),
        "poll_changes": len(poll["latencies"]),
        "push_inventories": push["inventories"],
        "poll_inventories": poll["inventories"],
        "push_mode": push["mode"],
        "host_heartbeat_events": not args.no_heartbeat_events,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
