"""Copy many small files into a guest: one file at a time against several at once on the host's work lane.

Each file into a guest costs the host a fixed amount whatever its size (its staging calls, the SHA-256 check,
Copy-VMFile's set-up through the Guest Service Interface), so a folder of small files is bound by those
costs, not by bytes. hvgui sends such files on up to `MAX_LANES_PER_COPY` work connections at once.

One emulated host runs in its own process with the `realistic` cost profile. The same folder is copied twice
into a running Windows guest through a session's operation runner: with a work lane of one connection, and
with the default lane. Prints JSON: files, bytes, one_lane_wall_s, lanes_wall_s, speedup, lanes_used.
Usage: python bench/copy_many_files.py [--files 40] [--kib 64] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from hvgui.domain.operations import CopyToGuestOperation, OperationState, VmTarget
from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import OperationsConfig, SessionManager

VM_NAME = "target"


def write_scenario(path: Path) -> None:
    vm = {"name": VM_NAME, "os": "windows-server-2022", "state": "Running", "uptime": 86400}
    vm["integration_services"] = {"guestservice": True}
    path.write_text(json.dumps({"name": "copy-many", "hosts": [{"name": "HV-MANY", "vms": [vm]}]}), encoding="utf-8")


async def copy_once(endpoint, folder: Path, guest_folder: str, limit: int) -> tuple[float, int]:
    manager = SessionManager(refresh_interval=3600.0, operations=OperationsConfig(limit=limit))
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    try:
        while session.inventory is None:
            await asyncio.sleep(0.05)
        vm = next(v for v in session.inventory.vms if v.name == VM_NAME)
        operation = CopyToGuestOperation(VmTarget.of(vm, session.settings.host), (str(folder),), guest_folder)
        started = time.perf_counter()
        record = await session.operations.submit(operation).wait()
        wall = time.perf_counter() - started
        if record.state is not OperationState.Succeeded:
            raise SystemExit(f"the copy failed: {record.message}")
        return wall, session.operations.lane.size
    finally:
        await manager.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--kib", type=int, default=64)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        scenario = root / "scenario.json"
        write_scenario(scenario)
        folder = root / "many"
        folder.mkdir()
        for number in range(args.files):
            (folder / f"file {number:03}.bin").write_bytes(os.urandom(args.kib * 1024))
        extra = ["--time-scale", str(args.time_scale), "--auth", "basic"]
        with EmulatorProcess.start(
            str(scenario), tls=False, seed=1, timeout=120, cost_profile="realistic", extra_args=extra
        ) as emulator:
            endpoint = emulator.endpoints[0]
            one, _ = asyncio.run(copy_once(endpoint, folder, "C:\\One", limit=1))
            many, used = asyncio.run(copy_once(endpoint, folder, "C:\\Many", limit=OperationsConfig().limit))
    print(
        json.dumps(
            {
                "files": args.files,
                "bytes": args.files * args.kib * 1024,
                "one_lane_wall_s": round(one, 2),
                "lanes_wall_s": round(many, 2),
                "speedup": round(one / many, 2),
                "lanes_used": used,
            }
        )
    )


if __name__ == "__main__":
    main()
