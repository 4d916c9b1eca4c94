"""Copy one large file from this computer into a guest: hvgui's copy engine against pypsrp's `Client.copy`.

One emulated host runs in its own process with the `realistic` cost profile (staging writes, SHA-256 on the
host and Copy-VMFile's transfer into the guest cost what `hvgui.emulator.hyperv.costs` says). It has one
running Windows guest with Guest Service Interface enabled. The same random file is copied into that guest:

- by hvgui: `hvgui.remoting.transfers.copy_to_guest` (chunks to the staging folder, SHA-256 check on the
  host, Copy-VMFile by VM id, staged file removed);
- by a scripter: pypsrp's `Client.copy` to the host (its `copy.ps1`, which the emulator runs), then
  `Get-VM -Name … | Copy-VMFile … -FileSource Host -Force` on a pypsrp RunspacePool.

Each copy runs in a child process of its own, so its peak RSS (`ru_maxrss`) and CPU time are its own; CPU is
that process's time (every thread) during the copy. `hvgui_peak_rss_mb_16` is hvgui's peak for a 16 MB file.

Prints JSON: bytes, hvgui_wall_s, baseline_wall_s, hvgui_client_cpu_s, baseline_client_cpu_s, wall_ratio
(baseline / hvgui), cpu_ratio, hvgui_peak_rss_mb, hvgui_peak_rss_mb_16.
Goal: wall_ratio >= 3, cpu_ratio >= 2, hvgui_peak_rss_mb - hvgui_peak_rss_mb_16 <= 20.
Usage: python bench/copy_throughput.py [--mb 256] [--small-mb 16] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hvgui.emulator.endpoints import Endpoint
from hvgui.emulator.process import EmulatorProcess

VM_NAME = "target"
GUEST_FOLDER = "C:\\Temp"
MIB = 1024 * 1024


def write_scenario(path: Path) -> None:
    scenario = {
        "name": "copy-bench",
        "hosts": [
            {
                "name": "HV-BENCH",
                "staging_limit_mb": 4096,
                "vms": [
                    {
                        "name": VM_NAME,
                        "os": "windows-server-2022",
                        "state": "Running",
                        "uptime": 86400,
                        "integration_services": {"guestservice": True},
                    }
                ],
            }
        ],
    }
    path.write_text(json.dumps(scenario), encoding="utf-8")


def write_random_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        remaining = size
        while remaining:
            piece = min(4 * MIB, remaining)
            out.write(os.urandom(piece))
            remaining -= piece


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the children ------------------------------------------------------------------------------------------


def child_hvgui(endpoint: Endpoint, source: Path) -> dict[str, float]:
    from hvgui.domain.operations import CopyToGuestOperation, ExistingFile, VmTarget
    from hvgui.remoting import HostApi, HostConnection
    from hvgui.remoting.transfers import FileOutcome, copy_to_guest

    settings = endpoint.connection_settings()
    connection = HostConnection(settings, endpoint.password, connect_timeout=10, operation_timeout=120)

    async def run() -> tuple[float, float]:
        try:
            [vm] = await HostApi(connection).get_vms(VM_NAME)  # connects and loads the module: not timed
            target = VmTarget.of(vm, settings.host)
            operation = CopyToGuestOperation(target, (str(source),), GUEST_FOLDER, existing=ExistingFile.Overwrite)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            report = await copy_to_guest(connection, operation)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            if [f.outcome for f in report.files] != [FileOutcome.Copied]:
                raise SystemExit(f"hvgui did not copy the file: {report}")
            return wall, cpu
        finally:
            await connection.close()

    wall, cpu = asyncio.run(run())
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb()}


def child_baseline(endpoint: Endpoint, source: Path) -> dict[str, float]:
    from pypsrp.client import Client
    from pypsrp.powershell import PowerShell, RunspacePool

    client = Client(
        endpoint.address,
        port=endpoint.port,
        username=endpoint.username,
        password=endpoint.password,
        ssl=False,
        auth="basic",
        encryption="never",
        operation_timeout=120,
        read_timeout=130,
    )
    with RunspacePool(client.wsman) as pool:  # the scripter's session is open before the copy
        PowerShell(pool).add_cmdlet("Get-VMHost").invoke()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        staged = client.copy(str(source), "C:\\Users\\Administrator\\Documents\\" + source.name)
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM").add_parameter("Name", VM_NAME)
        ps.add_cmdlet("Copy-VMFile").add_parameter("SourcePath", staged)
        ps.add_parameter("DestinationPath", GUEST_FOLDER + "\\" + source.name).add_parameter("FileSource", "Host")
        ps.add_parameter("CreateFullPath", True).add_parameter("Force", True)
        ps.invoke()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if ps.had_errors:
            raise SystemExit(f"Copy-VMFile failed: {ps.streams.error}")
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb()}


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user and system, every thread) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(kind: str, endpoint: Endpoint, source: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--endpoint", json.dumps(dataclasses.asdict(endpoint))]
    command += ["--source", str(source)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} copy failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--small-mb", type=int, default=16)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--child", choices=("hvgui", "baseline"))
    parser.add_argument("--endpoint")
    parser.add_argument("--source")
    args = parser.parse_args()
    if args.child:
        endpoint = Endpoint(**json.loads(args.endpoint))
        child = child_hvgui if args.child == "hvgui" else child_baseline
        print(json.dumps(child(endpoint, Path(args.source))))
        return

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        scenario = work / "scenario.json"
        write_scenario(scenario)
        big, small = work / "big.bin", work / "small.bin"
        write_random_file(big, args.mb * 1_000_000)
        write_random_file(small, args.small_mb * 1_000_000)
        extra = ["--time-scale", str(args.time_scale), "--auth", "basic"]  # pypsrp baseline: Basic over HTTP
        with EmulatorProcess.start(
            str(scenario), tls=False, seed=1, timeout=120, cost_profile="realistic", extra_args=extra
        ) as emulator:
            endpoint = emulator.endpoints[0]
            small_run = run_child("hvgui", endpoint, small)
            host0 = process_cpu_s(emulator.pid)
            hvgui = run_child("hvgui", endpoint, big)
            host1 = process_cpu_s(emulator.pid)
            baseline = run_child("baseline", endpoint, big)
            host2 = process_cpu_s(emulator.pid)
    figures: dict[str, Any] = {
        "bytes": args.mb * 1_000_000,
        "hvgui_wall_s": round(hvgui["wall_s"], 2),
        "baseline_wall_s": round(baseline["wall_s"], 2),
        "hvgui_client_cpu_s": round(hvgui["cpu_s"], 2),
        "baseline_client_cpu_s": round(baseline["cpu_s"], 2),
        "wall_ratio": round(baseline["wall_s"] / hvgui["wall_s"], 2),
        "cpu_ratio": round(baseline["cpu_s"] / hvgui["cpu_s"], 2),
        "hvgui_mb_per_s": round(args.mb / hvgui["wall_s"], 1),
        "baseline_mb_per_s": round(args.mb / baseline["wall_s"], 1),
        "hvgui_peak_rss_mb": round(hvgui["peak_rss_mb"], 1),
        "hvgui_peak_rss_mb_16": round(small_run["peak_rss_mb"], 1),
        "baseline_peak_rss_mb": round(baseline["peak_rss_mb"], 1),
        # The emulator's own CPU during each copy (its Python handling of the envelopes, which a Windows host
        # does in native code), for reading the wall times: client and emulator share this machine's cores.
        "hvgui_emulator_cpu_s": round(host1 - host0, 2),
        "baseline_emulator_cpu_s": round(host2 - host1, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
