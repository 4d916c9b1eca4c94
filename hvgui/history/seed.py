"""Bulk seeding: days of plausible history for many VMs in one transaction, for benchmarks and demos.

7 days x 20 transitions a day x 5,000 VMs is 700,000 rows; one `executemany` in one transaction with the
indexes in place writes them in seconds. The pattern is deterministic (a seeded generator): mostly a guest
losing and regaining its heartbeat, now and then the VM turned off and on again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from pathlib import Path

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import schema
from hvgui.history.records import EventKind
from hvgui.history.store import connect

_OK = int(HeartbeatStatus.OkApplicationsHealthy)
_LOST = int(HeartbeatStatus.LostCommunication)
_RUNNING = int(VmState.Running)
_OFF = int(VmState.Off)


def seed_history(
    path: Path | str,
    vms: Iterable[tuple[str, str, str]],
    *,
    days: float = 7.0,
    per_day: float = 20.0,
    now: float | None = None,
    seed: int = 0,
) -> int:
    """Write `days` of history ending at `now` for each (host, vm_id, name); returns the number of rows.

    Each VM starts with an `Observed` row at the window's start, then `per_day` transitions a day on average.
    The file is created (and migrated) if needed; the writer of a running store may have it open (WAL).
    """
    end = time.time() if now is None else now
    start = end - days * 86400.0
    generator = random.Random(seed)
    count = max(int(days * per_day), 0)
    connection = connect(Path(path))
    try:
        schema.migrate(connection)
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO vms (host, vm_id, name) VALUES (?, ?, ?) ON CONFLICT (host, vm_id) DO NOTHING",
            vms := list(vms),
        )
        ids = {
            (host, vm_id): vm for vm, host, vm_id in connection.execute("SELECT id, host, vm_id FROM vms").fetchall()
        }
        rows: list[tuple[object, ...]] = []
        for host, vm_id, _name in vms:
            vm = ids[(host, vm_id)]
            state, heartbeat = _RUNNING, _OK
            rows.append((vm, start, int(EventKind.Observed), None, None, state, heartbeat))
            times = sorted(generator.uniform(start, end) for _ in range(count))
            for at in times:
                if state == _OFF:  # on again: running, the guest answers
                    rows.append((vm, at, int(EventKind.State), _OFF, _RUNNING, _RUNNING, _OK))
                    state, heartbeat = _RUNNING, _OK
                elif generator.random() < 0.1:  # turned off
                    rows.append((vm, at, int(EventKind.State), state, _OFF, _OFF, None))
                    state, heartbeat = _OFF, None
                else:  # the guest loses its heartbeat, or gets it back
                    new = _LOST if heartbeat == _OK else _OK
                    rows.append((vm, at, int(EventKind.Heartbeat), heartbeat, new, state, new))
                    heartbeat = new
        connection.executemany(
            "INSERT INTO events (vm, at, kind, old, new, state, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        connection.execute("COMMIT")
        return len(rows)
    finally:
        connection.close()
