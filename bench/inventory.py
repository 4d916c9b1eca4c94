"""Inventory refresh of a 1,000-VM host: the naive `Get-VM` against hvgui's `Get-HvGuiInventory`.

The emulator runs in its own process (`large:N` scenario, plain HTTP with Basic auth so TLS cost does not
blur the comparison), so the client CPU figures are this process's alone. Both ways use the real pypsrp
client over loopback:

- naive: `Get-VM` on an open runspace pool, every VM arriving as a full deserialized VirtualMachine object;
- hvgui: `HostApi.inventory()`, one round trip returning one compact string, parsed into domain objects.

Prints one JSON object with medians of several runs. Goal: wall_ratio >= 10 and cpu_ratio >= 25.
Usage: python bench/inventory.py [--vms 1000] [--naive-runs 3] [--hvgui-runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostApi, HostConnection
from hvgui.remoting.connection import wsman_options


def measure(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and client CPU seconds of one call (CPU of every thread of this process)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def naive_runs(options: dict[str, Any], runs: int, expected: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    with WSMan(**options) as wsman, RunspacePool(wsman) as pool:

        def get_vm() -> list[Any]:
            return PowerShell(pool).add_cmdlet("Get-VM").invoke()

        for _ in range(runs):
            wall, cpu, output = measure(get_vm)
            if len(output) != expected:
                raise SystemExit(f"naive Get-VM returned {len(output)} objects, expected {expected}")
            walls.append(wall)
            cpus.append(cpu)
    return walls, cpus


def hvgui_runs(connection: HostConnection, runs: int, expected: int) -> tuple[list[float], list[float]]:
    api = HostApi(connection)
    walls, cpus = [], []

    async def refresh_all() -> None:
        await api.inventory(timeout=120)  # opens the pool and loads the module: not measured
        for _ in range(runs):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            report = await api.inventory(timeout=120)
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
            if len(report.inventory.vms) != expected:
                raise SystemExit(f"hvgui inventory returned {len(report.inventory.vms)} VMs, expected {expected}")
        await connection.close()

    asyncio.run(refresh_all())
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument("--hvgui-runs", type=int, default=10)
    args = parser.parse_args()

    with EmulatorProcess.start(f"large:{args.vms}", tls=False, seed=1, timeout=120) as emulator:
        endpoint = emulator.endpoints[0]
        settings = endpoint.connection_settings()
        options = wsman_options(settings, endpoint.password, connect_timeout=10, operation_timeout=60)
        options["read_timeout"] = 300  # a full Get-VM of 1,000 VMs takes long on the emulator
        naive_wall, naive_cpu = naive_runs(options, args.naive_runs, args.vms)
        connection = HostConnection(settings, endpoint.password, operation_timeout=60)
        hvgui_wall, hvgui_cpu = hvgui_runs(connection, args.hvgui_runs, args.vms)

    figures = {
        "vms": args.vms,
        "naive_runs": args.naive_runs,
        "hvgui_runs": args.hvgui_runs,
        "naive_wall_s": round(statistics.median(naive_wall), 4),
        "hvgui_wall_s": round(statistics.median(hvgui_wall), 4),
        "naive_client_cpu_s": round(statistics.median(naive_cpu), 4),
        "hvgui_client_cpu_s": round(statistics.median(hvgui_cpu), 4),
    }
    figures["wall_ratio"] = round(figures["naive_wall_s"] / figures["hvgui_wall_s"], 1)
    figures["cpu_ratio"] = round(figures["naive_client_cpu_s"] / figures["hvgui_client_cpu_s"], 1)
    figures["hvgui_client_cpu_ms_per_vm"] = round(1000 * figures["hvgui_client_cpu_s"] / args.vms, 4)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
