"""Inventory refresh of a 1,000-VM host: an admin's `Get-VM | Get-VMIntegrationService` against hvgui's
`Get-HvGuiInventory`, on a host that charges what a Windows Server host charges (`realistic` profile).

The emulator runs in its own process (`large:N` scenario, plain HTTP with Basic auth so TLS cost does not
blur the comparison), so the client CPU figures are this process's alone. Both ways use the real pypsrp
client over loopback:

- naive: `Get-VM | Get-VMIntegrationService` on an open runspace pool, every component arriving as a full
  deserialized VMIntegrationComponent object (the module reads WMI per VM for both cmdlets);
- hvgui: `HostApi.inventory()`, one round trip of fifteen bulk CIM queries returning one compact string,
  parsed into domain objects.

The child gets `--cost-profile PROFILE`.

Prints one JSON object with medians of several runs, and `hvgui_wall_s_100`, the same on 100 VMs.
Goal on `realistic`: hvgui_wall_s <= 2.0, wall_ratio >= 10, cpu_ratio >= 25.
Usage: python bench/inventory.py [--vms 1000] [--profile realistic] [--naive-runs 2] [--hvgui-runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostApi, HostConnection
from hvgui.remoting.connection import wsman_options

SERVICES_PER_VM = 6


def measure(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and client CPU seconds of one call (CPU of every thread of this process)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


@contextmanager
def emulator(vms: int, profile: str) -> Iterator[EmulatorProcess]:
    """The `large:vms` host as a child process, charging `profile`."""
    with EmulatorProcess.start(
        f"large:{vms}", tls=False, seed=1, timeout=180, cost_profile=profile, extra_args=("--auth", "basic")
    ) as child:
        yield child


def naive_runs(options: dict[str, Any], runs: int, expected: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    with WSMan(**options) as wsman, RunspacePool(wsman) as pool:

        def admin_script() -> list[Any]:
            return PowerShell(pool).add_cmdlet("Get-VM").add_cmdlet("Get-VMIntegrationService").invoke()

        for _ in range(runs):
            wall, cpu, output = measure(admin_script)
            if len(output) != expected * SERVICES_PER_VM:
                raise SystemExit(f"the admin's script returned {len(output)} objects for {expected} VMs")
            walls.append(wall)
            cpus.append(cpu)
    return walls, cpus


def hvgui_runs(child: EmulatorProcess, runs: int, expected: int) -> tuple[list[float], list[float]]:
    settings = child.endpoints[0].connection_settings()
    connection = HostConnection(settings, child.endpoints[0].password, operation_timeout=60)
    api = HostApi(connection)
    walls, cpus = [], []

    async def refresh_all() -> None:
        await api.inventory(timeout=300)  # opens the pool and loads the module: not measured
        for _ in range(runs):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            report = await api.inventory(timeout=300)
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
    parser.add_argument("--small-vms", type=int, default=100, help="the second, smaller host (hvgui_wall_s_100)")
    parser.add_argument("--profile", default="realistic", help="the emulator's cost profile")
    parser.add_argument("--naive-runs", type=int, default=2)
    parser.add_argument("--hvgui-runs", type=int, default=5)
    args = parser.parse_args()

    with emulator(args.vms, args.profile) as child:
        endpoint = child.endpoints[0]
        options = wsman_options(
            endpoint.connection_settings(), endpoint.password, connect_timeout=10, operation_timeout=60
        )
        options["read_timeout"] = 600  # the admin's script on 1,000 VMs takes long
        naive_wall, naive_cpu = naive_runs(options, args.naive_runs, args.vms)
        hvgui_wall, hvgui_cpu = hvgui_runs(child, args.hvgui_runs, args.vms)
    with emulator(args.small_vms, args.profile) as child:
        small_wall, _small_cpu = hvgui_runs(child, args.hvgui_runs, args.small_vms)

    figures: dict[str, Any] = {
        "profile": args.profile,
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
    figures["hvgui_wall_s_100"] = round(statistics.median(small_wall), 4)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
