"""The fleet grid's CSV export and its dark-mode icons: how long the Qt thread is busy with them.

`FleetWindow.export_csv` builds the CSV text on the Qt thread (the file is written on a thread of its own),
so the text must come quickly for a large fleet. Icons are drawn from SVG at each size asked for; a toolbar
repaint at 200% asks for every icon at 32 device pixels.

Prints JSON: vms, csv_bytes, csv_ms (to_csv of every VM), icons, icon_ms (every icon at 16 px, dpr 2, dark).
Goal: csv_ms <= 100 for 2,000 VMs; icon_ms <= 50.
Usage: QT_QPA_PLATFORM=offscreen python bench/fleet_export.py [--vms 2000]
"""

from __future__ import annotations

import argparse
import json
import time

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from hvgui.domain.bulk import IC_GUIDS
from hvgui.domain.fleet_export import to_csv
from hvgui.domain.integration import ComponentStatus, IntegrationServiceState
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState
from hvgui.ui.resources import icon, resources_dir


def fleet(count: int) -> list[Vm]:
    services = tuple(
        IntegrationServiceState(guid, "Service", True, ComponentStatus.Ok, None, "OK", "") for guid in IC_GUIDS
    )
    return [
        Vm(
            host=f"https://hv{n % 20:02d}:5986",
            vm_id=f"00000000-0000-4000-8000-{n:012x}",
            name=f"vm-{n:05d}",
            state=VmState.Running,
            heartbeat=HeartbeatStatus.OkApplicationsHealthy,
            status="Operating normally",
            uptime_seconds=n,
            cpu_usage=1,
            memory_assigned=1 << 30,
            generation=2,
            version="10.0",
            checkpoint_type=CheckpointType.Production,
            is_clustered=False,
            integration_services=services,
            guest_os_name="Windows Server 2022 Datacenter",
            guest_product_type=3,
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vms", type=int, default=2000)
    args = parser.parse_args()
    app = QApplication([])
    vms = fleet(args.vms)
    start = time.perf_counter()
    text = to_csv(vms, lambda host: host.split("//")[1].split(":")[0].upper())
    csv_ms = (time.perf_counter() - start) * 1000
    app.setPalette(QPalette(QColor("#202020")))
    names = sorted(p.stem for p in (resources_dir() / "icons").glob("*.svg"))
    icons = [icon(name) for name in names]
    start = time.perf_counter()
    for each in icons:
        each.pixmap(QSize(16, 16), 2.0)
    icon_ms = (time.perf_counter() - start) * 1000
    result = {
        "vms": args.vms,
        "csv_bytes": len(text.encode("utf-8")),
        "csv_ms": round(csv_ms, 1),
        "icons": len(icons),
        "icon_ms": round(icon_ms, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
