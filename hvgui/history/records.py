"""What the history stores: one row per transition (or per observed baseline) of one VM, and snapshots of
a VM's key-value pools."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hvgui.domain.kvp import Pool
from hvgui.domain.kvp_history import KvpSnapshot
from hvgui.domain.vm import HeartbeatStatus, VmState


class EventKind(enum.IntEnum):
    """Why a row exists. Values are stored in the database: never renumber them."""

    #: The value seen on the first inventory after a connect or reconnect (or a VM that appeared): a
    #: baseline, not a change. Nothing is known about what happened while hvgui was not looking.
    Observed = 0
    #: The VM's state changed (`old`/`new` are `VmState` values).
    State = 1
    #: The VM's heartbeat changed (`old`/`new` are `HeartbeatStatus` values, None when the host reports none).
    Heartbeat = 2


@dataclass(frozen=True)
class Transition:
    """One row: a VM's change (or baseline) at `at` (seconds since the epoch, client clock).

    `state` and `heartbeat` are the VM's values right after the row, so a strip can be painted from rows
    alone; `old` and `new` say what changed for `State` and `Heartbeat` rows.
    """

    host: str
    vm_id: str
    name: str
    at: float
    kind: EventKind
    old: int | None
    new: int | None
    state: VmState | None
    heartbeat: HeartbeatStatus | None

    def describe(self) -> tuple[str, str]:
        """(from, to) as text: state and heartbeat labels, "—" for no heartbeat."""
        return _label(self.kind, self.old), _label(self.kind, self.new)


NO_VALUE_TEXT = "\u2014"


def _label(kind: EventKind, value: int | None) -> str:
    if value is None:
        return NO_VALUE_TEXT
    if kind == EventKind.State:
        try:
            return VmState(value).label
        except ValueError:
            return str(value)
    if kind == EventKind.Heartbeat:
        try:
            return HeartbeatStatus(value).label
        except ValueError:
            return str(value)
    return NO_VALUE_TEXT


#: How a pool is stored in `kvp_items.pool` (and its bit in `kvp_snapshots.reported`): never renumber.
POOL_CODES = {Pool.Intrinsic: 0, Pool.GuestToHost: 1, Pool.HostToGuest: 2, Pool.HostOnly: 3}
POOLS_BY_CODE = {code: pool for pool, code in POOL_CODES.items()}


@dataclass(frozen=True)
class KvpRecord:
    """A VM's pools as hvgui read them: stored as a snapshot when they differ from the VM's last one."""

    host: str
    vm_id: str
    name: str
    snapshot: KvpSnapshot

    @property
    def at(self) -> float:
        return self.snapshot.at
