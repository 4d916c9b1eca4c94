"""Does the window freeze? 5 emulated hosts x 1,000 VMs, heartbeats changing, the real main window offscreen.

Each host is an emulator in its own process (`realistic` cost profile, plain HTTP so TLS does not blur the
client's figures), with a fleet like the `large` scenario's (mostly running, mixed guests). Heartbeats change
on the hosts by themselves: every running guest hangs for a while on a schedule of its own (the scenario's
`hang`: LostCommunication, then OK again), spread so that about `--changes-per-s` VMs change heartbeat each
second across the fleet. The window (`MainWindow` with its `HostsController`, as `hvgui.app` wires them, with the
same interpreter setting) connects to every host and refreshes on its usual schedule.

Measured once every host's first inventory is in, over two spans of `--seconds` each:
- first, the client's CPU (this process: every thread, the emulators excluded) in percent of one core, with
  nothing of the benchmark's own running on the Qt thread;
- then the stalls of the Qt thread: a 1 ms QTimer on it, each gap beyond the 1 ms it asked for is a stall (the
  CPU of that span, probe included, is `client_cpu_pct_with_probe`);
- the peak RSS of this process over both.

`--history-days N` stores N days (default 7) of heartbeat history for these VMs, about 20 transitions per VM per
day, in the window's history store before measuring. Hosts stream their changes as in hvgui (`--poll`: every
2 s instead).
`--profile FILE` writes a cProfile of the Qt thread over the measured time (pstats format).

Prints one JSON object: vms, changes_per_s (heartbeat changes the window saw, per second), stall_max_ms,
stall_p99_ms, client_cpu_pct, rss_mb, and the details.
Goal: stall_max_ms <= 50, stall_p99_ms <= 16, client_cpu_pct <= 5, rss_mb <= 250.
The benchmark runs for twice `--seconds` plus the load.
Usage: python bench/ui_stall.py [--hosts 5] [--vms 1000] [--seconds 60] [--changes-per-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from hvgui.app import prefer_the_qt_thread
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory
from hvgui.emulator.process import EmulatorProcess
from hvgui.history.store import HistoryStore
from hvgui.remoting import RefreshConfig, SessionManager
from hvgui.ui.collector import SettledCollector
from hvgui.ui.controllers import HostsController
from hvgui.ui.history import install_history
from hvgui.ui.main_window import MainWindow

#: Guests of the `large` scenario, with their weights.
OS_MIX = (
    ("windows-server-2022", 5),
    ("windows-server-2019", 3),
    ("ubuntu-22.04", 3),
    ("ubuntu-24.04", 1),
    ("rhel-9", 2),
    ("windows-11", 1),
)
#: Gaps longer than this are listed with the Qt thread's own CPU time in them.
LONG_STALL_MS = 50.0
#: How long each hang lasts (seconds): the guest is LostCommunication for that long, then answers again.
HANG_SECONDS = 30.0


def fleet_document(index: int, vms: int, hosts: int, changes_per_s: float, seed: int) -> dict[str, Any]:
    """One host's scenario. Each running guest hangs every `every` seconds of its uptime, at a phase of its
    own, so that the whole fleet sees about `changes_per_s` heartbeat changes a second (two per hang)."""
    rng = random.Random(f"{seed}:ui-stall:{index}")
    oses = [os_name for os_name, weight in OS_MIX for _ in range(weight)]
    running_share = 0.8
    every = max(2 * HANG_SECONDS, 2 * hosts * vms * running_share / changes_per_s)
    rows = []
    for i in range(vms):
        roll = rng.random()
        state = "Running" if roll < running_share else "Off" if roll < 0.95 else "Saved"
        row: dict[str, Any] = {"name": f"vm-{index + 1:02d}-{i + 1:04d}", "os": rng.choice(oses), "state": state}
        if state == "Running":
            row["uptime"] = rng.uniform(3 * 3600, 40 * 86400)
            row["hang"] = {"every": every, "for": HANG_SECONDS, "first_after": rng.uniform(0, every)}
        rows.append(row)
    host = {"name": f"HV-STALL-{index + 1:02d}", "domain": "bench.local", "logical_processors": 128,
            "memory_gb": 2048, "vms": rows}  # fmt: skip
    return {"name": f"ui-stall-{index + 1}", "seed": seed, "cost_profile": "realistic", "hosts": [host]}


@contextlib.contextmanager
def emulators(args: argparse.Namespace, folder: Path) -> Iterator[list[EmulatorProcess]]:
    started: list[EmulatorProcess] = []
    try:
        for index in range(args.hosts):
            path = folder / f"host{index + 1}.json"
            document = fleet_document(index, args.vms, args.hosts, args.changes_per_s, args.seed)
            path.write_text(json.dumps(document), encoding="utf-8")
            started.append(EmulatorProcess.start(str(path), tls=False, timeout=300, cost_profile=args.cost_profile))
        yield started
    finally:
        for child in started:
            child.stop()


def seed_history(store: HistoryStore, controller: HostsController, keys: list[str], days: int) -> int:
    """Store `days` of heartbeat history for every VM of the hosts (about 20 transitions per VM per day), in
    the file the window's history store uses, before measuring; returns the rows written.

    The history is "already stored" when hvgui starts, so a child process writes it: building 700,000 rows
    must not count toward the window's memory or CPU."""
    if days <= 0:
        return 0
    vms = [(vm.host, vm.vm_id, vm.name) for key in keys for vm in controller.inventory(key).vms]  # type: ignore[union-attr]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as listing:
        json.dump(vms, listing)
    code = (
        "import json, sys\n"
        "from hvgui.history.seed import seed_history\n"
        "vms = [tuple(v) for v in json.load(open(sys.argv[1], encoding='utf-8'))]\n"
        "print(seed_history(sys.argv[2], vms, days=float(sys.argv[3])))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, listing.name, str(store.path), str(days)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(listing.name)
    return int(done.stdout.strip().splitlines()[-1])


class StallProbe:
    """A 1 ms timer on the Qt thread; every gap longer than asked is how long the thread was busy elsewhere."""

    def __init__(self) -> None:
        self.gaps_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._last: int | None = None
        self._last_cpu = 0.0
        self._last_process = 0.0
        #: (gap, CPU time of the Qt thread within it, CPU time of the process's other threads), in ms, for
        #: every gap over `LONG_STALL_MS`.
        self.long_stalls: list[tuple[float, float, float]] = []

    def start(self) -> None:
        self._clock.start()
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        cpu = time.thread_time()
        process = time.process_time()
        if self._last is not None:
            gap = max(0.0, (now - self._last) / 1e6 - 1.0)
            self.gaps_ms.append(gap)
            if gap > LONG_STALL_MS:
                # Did the Qt thread work through the gap, or wait: for the GIL (then the process's other
                # threads ran meanwhile), or for a core (then the process as a whole hardly ran)?
                qt = (cpu - self._last_cpu) * 1000
                others = (process - self._last_process) * 1000 - qt
                self.long_stalls.append((round(gap, 1), round(qt, 1), round(others, 1)))
        self._last = now
        self._last_cpu = cpu
        self._last_process = process


class GcWatch:
    """Garbage collections of the measured time: a full one holds the GIL throughout, whichever thread runs it."""

    def __init__(self) -> None:
        self.pauses_ms: list[tuple[int, float]] = []  # (generation, milliseconds)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((info["generation"], (time.perf_counter() - self._started) * 1000))

    def summary(self) -> dict[str, Any]:
        longest = sorted(self.pauses_ms, key=lambda p: p[1], reverse=True)[:5]
        return {
            "collections": len(self.pauses_ms),
            "frozen_objects": gc.get_freeze_count(),
            "full": sum(1 for generation, _ in self.pauses_ms if generation == 2),
            "longest_ms": [(generation, round(ms, 1)) for generation, ms in longest],
        }


class ChangeCounter:
    """Heartbeat changes the window was told about (what the hosts changed, as the refreshes bring it)."""

    def __init__(self) -> None:
        self.changes = 0
        self.counting = False
        self._last: dict[Any, Any] = {}

    def on_inventory(self, inventory: Inventory, diff: InventoryDiff) -> None:
        last = self._last
        for vm in (*diff.added, *diff.changed):
            key = vm.key
            before = last.get(key)
            last[key] = vm.heartbeat
            if self.counting and before is not None and before != vm.heartbeat:
                self.changes += 1


def process_cpu_s() -> float:
    """CPU seconds (user and system, every thread) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds used so far by each of this process's threads (Linux /proc), by Python thread name with the
    digits taken out (a host's worker threads add up as one); threads Python did not start count as "other"."""
    names = {thread.native_id: re.sub(r"\d+", "#", thread.name) for thread in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            name = names.get(int(task.name), "other")
            used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(args: argparse.Namespace, children: list[EmulatorProcess]) -> dict[str, Any]:
    # As hvgui.app sets it up: hosts stream their changes (polling with --poll), and the heartbeat history
    # records every change into a store of its own (in a scratch folder here).
    refresh = RefreshConfig(push=not args.poll, poll_interval=2.0)
    controller = HostsController(SessionManager(refresh=refresh))
    window = MainWindow(controller)
    collector = SettledCollector(controller, window)  # as hvgui.app does
    history_folder = tempfile.TemporaryDirectory()
    store = HistoryStore(Path(history_folder.name) / "history.sqlite")
    install_history(window, store)
    window.show()
    counter = ChangeCounter()
    controller.inventoryChanged.connect(counter.on_inventory)
    keys = []
    load_started = time.perf_counter()
    for child in children:
        endpoint = child.endpoints[0]
        keys.append(window.connect_host(endpoint.connection_settings(), endpoint.password))
    deadline = time.monotonic() + args.load_timeout
    while not all(key is not None and controller.inventory(key) is not None for key in keys):
        if time.monotonic() > deadline:
            raise SystemExit("the hosts did not send their first inventories in time")
        await asyncio.sleep(0.2)
    first_load = time.perf_counter() - load_started
    seeded = seed_history(store, controller, [k for k in keys if k is not None], args.history_days)
    await asyncio.sleep(args.settle)
    if not collector.freezes:
        raise SystemExit("the collector did not settle before measuring; give --settle more seconds")

    # The client's CPU is measured over a minute of its own, without the probe: a Python slot called every
    # millisecond costs about 3 % of a core by itself (measured on an idle loop), which is the probe's and
    # not the window's. The stalls are measured over the next minute, with the probe.
    cpu0 = process_cpu_s()
    threads0 = thread_cpu_s()
    wall0 = time.perf_counter()
    counter.counting = True
    await asyncio.sleep(args.seconds)
    cpu_wall = time.perf_counter() - wall0
    cpu1 = process_cpu_s()
    threads1 = thread_cpu_s()
    by_thread = {name: 100 * (used - threads0.get(name, 0.0)) / cpu_wall for name, used in threads1.items()}
    cpu = cpu1 - cpu0

    probe = StallProbe()
    collections = GcWatch()
    gc.callbacks.append(collections)
    profiler = cProfile.Profile() if args.profile else None
    probe_wall0 = time.perf_counter()
    probe.start()
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(args.seconds)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    probe.stop()
    gc.callbacks.remove(collections)
    counter.counting = False
    wall = time.perf_counter() - wall0
    probe_wall = time.perf_counter() - probe_wall0
    probe_cpu = process_cpu_s() - cpu1
    vms = window.vm_model.rowCount()
    gaps = probe.gaps_ms
    result = {
        "vms": vms,
        "changes_per_s": round(counter.changes / wall, 2),
        "stall_max_ms": round(max(gaps, default=0.0), 1),
        "stall_p99_ms": round(percentile(gaps, 0.99), 1),
        "client_cpu_pct": round(100 * cpu / cpu_wall, 1),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "client_cpu_pct_with_probe": round(100 * probe_cpu / probe_wall, 1),
        # The first minute's CPU by thread (percent of a core).
        "client_cpu_pct_by_thread": {
            name: round(share, 2) for name, share in sorted(by_thread.items(), key=lambda i: -i[1]) if share >= 0.05
        },
        "stall_p999_ms": round(percentile(gaps, 0.999), 1),
        "stall_median_ms": round(statistics.median(gaps), 2) if gaps else 0.0,
        "stalls_over_50ms": len(probe.long_stalls),
        # Of those, the ones in which the Qt thread itself was busy for at least half of the gap; the others
        # waited: for the GIL (held by a worker thread) or for a core (the machine is shared).
        "stalls_over_50ms_busy": sum(1 for gap, qt, _ in probe.long_stalls if qt >= gap / 2),
        "long_stalls_gap_qt_others_ms": sorted(probe.long_stalls, reverse=True)[:10],
        "probe_ticks": len(gaps),
        "gc": collections.summary(),
        "seconds": round(wall, 1),  # both minutes
        "hosts": len(children),
        "planned_changes_per_s": args.changes_per_s,
        "first_load_s": round(first_load, 1),
        "history_days": args.history_days,
        "history_rows_seeded": seeded,
        "updates": "polling" if args.poll else "live",
        "cost_profile": args.cost_profile,
    }
    window.close()
    await controller.aclose()
    history_folder.cleanup()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--vms", type=int, default=1000, help="VMs per host")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure")
    parser.add_argument("--changes-per-s", type=float, default=10.0, help="heartbeat changes a second, fleet-wide")
    parser.add_argument("--cost-profile", default="realistic")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the first load and measuring")
    parser.add_argument("--load-timeout", type=float, default=600.0)
    parser.add_argument("--history-days", type=int, default=7, help="days of heartbeat history to store first")
    parser.add_argument("--poll", action="store_true", help="poll every 2 s instead of the hosts' change streams")
    parser.add_argument("--profile", help="write a cProfile of the Qt thread to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    prefer_the_qt_thread()  # as hvgui.app does

    app = QApplication.instance() or QApplication(["hvgui-bench"])
    app.setQuitOnLastWindowClosed(False)  # as in hvgui.app: the run ends after the hosts are closed
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="hvgui-ui-stall-") as folder, emulators(args, Path(folder)) as children:
        try:
            result = loop.run_until_complete(measure(args, children))
        finally:
            loop.close()
            asyncio.set_event_loop(None)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
