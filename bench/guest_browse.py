"""Browse a Windows guest through PowerShell Direct: how long the guest browser waits for a listing.

One emulated host (in this process, `realistic` cost profile: PowerShell Direct's session set-up per call and
a little per entry the guest sends) has one running Windows guest with a folder of `--files` files. The real
client lists, each through `Get-HvGuiGuestChildItem` on one work connection: the guest's drives, a small
folder, and the big folder (cut at the 5,000-entry limit when it holds more).

Prints JSON: drives_wall_s, small_folder_wall_s, big_folder_wall_s, big_folder_entries, big_folder_truncated,
client_cpu_s (this process's CPU during the three listings, emulator included).
Usage: python bench/guest_browse.py [--files 20000] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from hvgui.emulator import start_emulator
from hvgui.emulator.hyperv.guest import DEFAULT_GUEST_PASSWORD, DEFAULT_GUEST_USER
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_browse import list_guest_folder
from hvgui.remoting.guest_credentials import GuestCredential

BIG = "C:\\Data\\Many files"
SMALL = "C:\\Windows\\System32\\drivers\\etc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    scenario = {
        "name": "browse-bench",
        "hosts": [{"name": "HV-BENCH", "vms": [{"name": "win", "state": "Running", "uptime": 86400}]}],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.json"
        path.write_text(json.dumps(scenario), encoding="utf-8")
        with start_emulator(str(path), cost_profile="realistic", time_scale=args.time_scale) as running:
            vm = running.scenario.hosts[0].model.vms[0]
            for number in range(args.files):
                vm.files.write(f"{BIG}\\report {number:06}.log", b"")
            print(json.dumps(asyncio.run(_measure(running, vm)), indent=2))


async def _measure(running: Any, vm: Any) -> dict[str, Any]:
    endpoint = running.endpoints[0]
    account = GuestCredential(DEFAULT_GUEST_USER, DEFAULT_GUEST_PASSWORD)
    connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=10)
    figures: dict[str, Any] = {}
    try:
        await list_guest_folder(connection, str(vm.id), vm.name, account, "C:\\")  # opens the pool and the module
        cpu = time.process_time()
        for key, path in (("drives", ""), ("small_folder", SMALL), ("big_folder", BIG)):
            start = time.perf_counter()
            listing = await list_guest_folder(connection, str(vm.id), vm.name, account, path)
            figures[f"{key}_wall_s"] = round(time.perf_counter() - start, 3)
        figures["big_folder_entries"] = len(listing.entries)
        figures["big_folder_truncated"] = listing.truncated
        figures["client_cpu_s"] = round(time.process_time() - cpu, 3)
    finally:
        await connection.close()
    return figures


if __name__ == "__main__":
    main()
