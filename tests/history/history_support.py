"""Rows and VMs for the history tests."""

from __future__ import annotations

from hvgui.domain.vm import HeartbeatStatus, Vm, VmState
from hvgui.history import EventKind, Transition

HOST = "https://hv-01:5986"
OK = HeartbeatStatus.OkApplicationsHealthy
LOST = HeartbeatStatus.LostCommunication


def row(
    at: float,
    vm_id: str = "vm-1",
    *,
    kind: EventKind = EventKind.Heartbeat,
    old: int | None = int(OK),
    new: int | None = int(LOST),
    state: VmState | None = VmState.Running,
    heartbeat: HeartbeatStatus | None = LOST,
    name: str = "web01",
    host: str = HOST,
) -> Transition:
    return Transition(host, vm_id, name, at, kind, old, new, state, heartbeat)


def vm(vm_id: str, *, state: VmState = VmState.Running, heartbeat: HeartbeatStatus | None = OK, **changes) -> Vm:
    fields = dict(
        host=HOST,
        vm_id=vm_id,
        name=f"name-{vm_id}",
        state=state,
        heartbeat=heartbeat,
        status="Operating normally",
        booted_at=1_700_000_000.0,
        cpu_usage=1,
        memory_assigned=1024**3,
        generation=2,
        version="10.0",
    )
    uptime = changes.pop("uptime_seconds", None)
    if uptime is not None:  # a boot time that far before the model's "now" (a later boot: a restart)
        fields["booted_at"] = 1_700_000_100.0 - uptime
    fields.update(changes)
    return Vm(**fields)
