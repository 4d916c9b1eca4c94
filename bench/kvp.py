"""Key-value pairs of 200 running VMs: hvgui's read against an admin's per-VM script, and a bulk set.

One emulated host of 200 running VMs (the guest mix of `large:N`) runs in its own process with the
`realistic` cost profile at time scale 1, reached with the real pypsrp client.

- `hvgui_read_wall_s`: every pool of every VM the way hvgui reads them: one `Get-HvGuiKvpPools` pipeline
  (three bulk CIM queries on the host, the XML parsed there, one JSON string back).
- `naive_read_wall_s`: the way an admin's script does it: the VMs' ids (one `Get-CimInstance` of
  Msvm_ComputerSystem), then per VM one `Get-CimInstance` of its Msvm_KvpExchangeComponent and one of its
  Msvm_KvpExchangeComponentSettingData, each filtered by the VM's id, and the embedded-instance XML of every
  item parsed on the client.
- `bulk_set_wall_s`: one host-to-guest pair set on all 200 VMs through hvgui's bulk path (a
  `KvpBulkOperation` on the host's operations runner: `Set-HvGuiKvpItems`, AddKvpItems per VM, the jobs
  polled together), from submit until the operation is final; `bulk_set_failures`: VMs it reports failed.

Goal: read_wall_ratio >= 10, bulk_set_wall_s <= 15, bulk_set_failures == 0.
Usage: python bench/kvp.py [--vms 200] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from hvgui.domain.kvp_operations import KvpBulkOperation, KvpReport
from hvgui.domain.operations import OperationState, VmTarget
from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostSession, OperationsConfig, SessionManager
from hvgui.remoting.kvp import read_pools
from hvgui.remoting.parse import properties_of
from hvgui.remoting.pipeline import PipelineSpec

NAMESPACE = "root/virtualization/v2"
KVP_GUID = "2A34B1C2-FD73-4043-8A5B-DD2159BC743F"
GUEST_MIX = (
    ("windows-server-2022", 5),
    ("windows-server-2019", 3),
    ("ubuntu-22.04", 3),
    ("ubuntu-24.04", 1),
    ("rhel-9", 2),
    ("windows-11", 1),
)


def write_scenario(path: Path, args: argparse.Namespace) -> None:
    rng = random.Random("1:kvp")
    oses = [os_name for os_name, weight in GUEST_MIX for _ in range(weight)]
    vms = [
        {"name": f"vm-{i + 1:04d}", "os": rng.choice(oses), "state": "Running", "uptime": 86400 + i}
        for i in range(args.vms)
    ]
    document = {
        "name": f"kvp:{args.vms}",
        "cost_profile": "realistic",
        "time_scale": args.time_scale,
        "hosts": [{"name": "HV-LARGE-01", "domain": "bench.local", "logical_processors": 128, "memory_gb": 2048,
                   "vms": vms}],
    }  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")


def parse_items(items: Any) -> dict[str, str]:
    """An admin's `ConvertFrom-KvpXml`, on the client."""
    found = {}
    for text in items or []:
        document = ElementTree.fromstring(str(text))
        values = {p.get("NAME"): p.find("VALUE") for p in document.findall("PROPERTY")}
        name, data = values.get("Name"), values.get("Data")
        if name is not None:
            found[name.text or ""] = (data.text or "") if data is not None else ""
    return found


async def naive_read(session: HostSession) -> int:
    """Every pool of every VM, one VM at a time; returns how many pairs it read."""
    connection = session.connection
    systems = await connection.run(
        PipelineSpec.cmdlet("Get-CimInstance")
        .param("Namespace", NAMESPACE)
        .param("ClassName", "Msvm_ComputerSystem")
        .param("Filter", "Caption = 'Virtual Machine'")
    )
    pairs = 0
    for system in systems.output:
        guid = str(properties_of(system)["Name"]).upper()
        component = await connection.run(
            PipelineSpec.cmdlet("Get-CimInstance")
            .param("Namespace", NAMESPACE)
            .param("ClassName", "Msvm_KvpExchangeComponent")
            .param("Filter", f"SystemName = '{guid}'")
        )
        setting = await connection.run(
            PipelineSpec.cmdlet("Get-CimInstance")
            .param("Namespace", NAMESPACE)
            .param("ClassName", "Msvm_KvpExchangeComponentSettingData")
            .param("Filter", f"InstanceID = 'Microsoft:{guid}\\\\{KVP_GUID}'")
        )
        for obj in component.output:
            props = properties_of(obj)
            pairs += len(parse_items(props.get("GuestIntrinsicExchangeItems")))
            pairs += len(parse_items(props.get("GuestExchangeItems")))
        for obj in setting.output:
            props = properties_of(obj)
            pairs += len(parse_items(props.get("HostExchangeItems")))
            pairs += len(parse_items(props.get("HostOnlyItems")))
    return pairs


async def run(endpoint: Any) -> dict[str, Any]:
    manager = SessionManager(
        refresh_interval=3600.0, connect_timeout=10, operation_timeout=120, operations=OperationsConfig()
    )
    session: HostSession = manager.add_host(endpoint.connection_settings(), endpoint.password)
    while session.inventory is None:
        await asyncio.sleep(0.1)
    inventory = session.inventory

    started = time.perf_counter()
    pools = await read_pools(session.connection)
    hvgui_read = time.perf_counter() - started
    hvgui_pairs = sum(len(p.intrinsic or ()) + len(p.guest or ()) + len(p.host) + len(p.host_only) for p in pools)

    started = time.perf_counter()
    naive_pairs = await naive_read(session)
    naive = time.perf_counter() - started

    targets = tuple(VmTarget.of(vm, session.settings.host) for vm in inventory.vms)
    operation = KvpBulkOperation(targets[0], targets=targets, key="hvgui/bench", value="bulk set")
    started = time.perf_counter()
    record = await session.operations.submit(operation).done()
    bulk = time.perf_counter() - started
    report = record.result if isinstance(record.result, KvpReport) else KvpReport()
    failures = len(report.failed) if record.state is OperationState.Succeeded else len(targets)
    after = await read_pools(session.connection)
    delivered = sum(1 for p in after if p.host_map.get("hvgui/bench") == "bulk set")
    await manager.aclose()
    return {
        "vms": len(inventory.vms),
        "hvgui_read_wall_s": round(hvgui_read, 3),
        "naive_read_wall_s": round(naive, 3),
        "read_wall_ratio": round(naive / hvgui_read, 1) if hvgui_read else None,
        "pairs_read": {"hvgui": hvgui_pairs, "naive": naive_pairs},
        "bulk_set_wall_s": round(bulk, 3),
        "bulk_set_failures": failures,
        "bulk_set_state": record.state.value,
        "bulk_set_stored": delivered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=1.0, help="host seconds per real second (1: real)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "kvp.json"
        write_scenario(scenario, args)
        with EmulatorProcess.start(str(scenario), tls=False, seed=1, timeout=120) as emulator:
            figures = asyncio.run(run(emulator.endpoints[0]))
    json.dump({"profile": "realistic", "time_scale": args.time_scale, **figures}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
