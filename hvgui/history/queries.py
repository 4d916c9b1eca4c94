"""`HistoryReader`: the questions views ask the history, each one indexed query bounded by its window.

A reader has its own connection and is meant for one thread at a time (the UI runs its readers on a worker
thread, never on the Qt thread). WAL lets it read while the writer writes. When the store starts a fresh
file (the old one was damaged), the reader reopens on its next question.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hvgui.domain.kvp import KvpPair, Pool
from hvgui.domain.kvp_history import KvpSnapshot
from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history.records import POOL_CODES, POOLS_BY_CODE, EventKind, Transition
from hvgui.history.store import connect


@dataclass(frozen=True)
class VmRow:
    """A VM the history knows (`id` is the database's, stable for the life of the file)."""

    id: int
    host: str
    vm_id: str
    name: str


@dataclass(frozen=True)
class SnapshotRow:
    """A stored key-value pair snapshot of a VM: its database id and when its pools were read."""

    id: int
    at: float


@dataclass(frozen=True)
class Lane:
    """What a strip needs for one VM in [t0, t1]: its values at t0 (None: unknown) and each change after.

    `changes` holds (time, state, heartbeat) after each row in the window, in time order; `transitions`
    counts the rows that were real changes (not observed baselines).
    """

    vm: int
    t0: float
    t1: float
    start: tuple[VmState | None, HeartbeatStatus | None] | None
    changes: tuple[tuple[float, VmState | None, HeartbeatStatus | None], ...]
    transitions: int


def _state(value: int | None) -> VmState | None:
    if value is None:
        return None
    try:
        return VmState(value)
    except ValueError:
        return VmState.Other


def _heartbeat(value: int | None) -> HeartbeatStatus | None:
    if value is None:
        return None
    try:
        return HeartbeatStatus(value)
    except ValueError:
        return HeartbeatStatus.Unknown


def _before_first(row: tuple) -> tuple[VmState | None, HeartbeatStatus | None] | None:
    """The values before a VM's first row, when that row is a change: what it changed from.

    (The history of such a VM starts in the window, e.g. its older rows were lost with a damaged file.)
    """
    _at, kind, state, heartbeat, old = row
    if kind == EventKind.Heartbeat:
        return _state(state), _heartbeat(old)
    if kind == EventKind.State and old is not None:
        before = _state(old)
        return before, (_heartbeat(heartbeat) if before is not None and before.is_running else None)
    return None


class HistoryReader:
    """Read-only questions to the history file."""

    def __init__(self, path: Path | str, *, generation: Callable[[], int] | None = None) -> None:
        self.path = Path(path)
        self._generation = generation or (lambda: 0)
        self._opened_generation = -1
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one question at a time, whichever thread asks

    def _db(self) -> sqlite3.Connection:
        generation = self._generation()
        if self._connection is None or generation != self._opened_generation:
            if self._connection is not None:
                self._connection.close()
            self._connection = connect(self.path)
            self._opened_generation = generation
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _rows(self, sql: str, parameters: Iterable[object] | dict[str, object] = ()) -> list[tuple]:
        with self._lock:
            return self._db().execute(sql, parameters).fetchall()  # type: ignore[arg-type]

    # ---- questions -----------------------------------------------------------------------------

    def vms(self) -> list[VmRow]:
        """Every VM the history knows, by host then name."""
        rows = [VmRow(*row) for row in self._rows("SELECT id, host, vm_id, name FROM vms")]
        # Sorted here, not by SQLite: its NOCASE folds ASCII only, and "Ångström" belongs with the A's.
        rows.sort(key=lambda vm: (vm.host, unicodedata.normalize("NFKD", vm.name.casefold()), vm.vm_id))
        return rows

    def vm(self, host: str, vm_id: str) -> VmRow | None:
        rows = self._rows("SELECT id, host, vm_id, name FROM vms WHERE host = ? AND vm_id = ?", (host, vm_id))
        return VmRow(*rows[0]) if rows else None

    def transitions(
        self, host: str, vm_id: str, t0: float, t1: float, *, include_observed: bool = False
    ) -> list[Transition]:
        """One VM's rows in [t0, t1], oldest first."""
        kinds = "" if include_observed else "AND e.kind != 0"
        rows = self._rows(
            f"""SELECT v.host, v.vm_id, v.name, e.at, e.kind, e.old, e.new, e.state, e.heartbeat
                FROM vms v JOIN events e ON e.vm = v.id
                WHERE v.host = ? AND v.vm_id = ? AND e.at >= ? AND e.at <= ? {kinds}
                ORDER BY e.at, e.rowid""",
            (host, vm_id, t0, t1),
        )
        return [
            Transition(h, v, n, at, EventKind(kind), old, new, _state(state), _heartbeat(hb))
            for h, v, n, at, kind, old, new, state, hb in rows
        ]

    def transition_counts(self, t0: float, t1: float) -> dict[int, int]:
        """Per VM id, how many real transitions fall in [t0, t1] (for the flapping badge)."""
        rows = self._rows(
            "SELECT vm, count(*) FROM events WHERE at >= ? AND at <= ? AND kind != 0 GROUP BY vm", (t0, t1)
        )
        return dict(rows)

    def lanes(self, vms: Iterable[int], t0: float, t1: float) -> dict[int, Lane]:
        """The strips of these VMs in [t0, t1]: two indexed lookups per VM, whatever the fleet's size."""
        out: dict[int, Lane] = {}
        with self._lock:
            db = self._db()
            for vm in vms:
                before = db.execute(
                    "SELECT state, heartbeat FROM events WHERE vm = ? AND at < ? ORDER BY at DESC, rowid DESC LIMIT 1",
                    (vm, t0),
                ).fetchone()
                rows = db.execute(
                    "SELECT at, kind, state, heartbeat, old FROM events WHERE vm = ? AND at >= ? AND at <= ? "
                    "ORDER BY at, rowid",
                    (vm, t0, t1),
                ).fetchall()
                if before is not None:
                    start = (_state(before[0]), _heartbeat(before[1]))
                else:
                    start = _before_first(rows[0]) if rows else None
                changes = tuple((at, _state(state), _heartbeat(hb)) for at, _kind, state, hb, _old in rows)
                count = sum(1 for row in rows if row[1] != EventKind.Observed)
                out[vm] = Lane(vm, t0, t1, start, changes, count)
        return out

    def kvp_snapshots(self, host: str, vm_id: str) -> list[SnapshotRow]:
        """When this VM's pools were stored (each time they had changed), oldest first."""
        rows = self._rows(
            """SELECT s.id, s.at FROM vms v JOIN kvp_snapshots s ON s.vm = v.id
               WHERE v.host = ? AND v.vm_id = ? ORDER BY s.at, s.id""",
            (host, vm_id),
        )
        return [SnapshotRow(int(ident), float(at)) for ident, at in rows]

    def kvp_snapshot(self, snapshot: int) -> KvpSnapshot | None:
        """The pools of one stored snapshot (None when retention removed it meanwhile)."""
        with self._lock:
            db = self._db()
            head = db.execute("SELECT at, reported FROM kvp_snapshots WHERE id = ?", (snapshot,)).fetchone()
            if head is None:
                return None
            items = db.execute(
                "SELECT pool, key, value FROM kvp_items WHERE snapshot = ? ORDER BY rowid", (snapshot,)
            ).fetchall()
        at, reported = head
        pools: dict[Pool, tuple[KvpPair, ...] | None] = {
            pool: (() if reported & (1 << code) else None) for pool, code in POOL_CODES.items()
        }
        grouped: dict[Pool, list[KvpPair]] = {}
        for code, key, value in items:
            pool = POOLS_BY_CODE.get(int(code))
            if pool is not None:
                grouped.setdefault(pool, []).append(KvpPair(key, value))
        for pool, pairs in grouped.items():
            pools[pool] = tuple(pairs)
        return KvpSnapshot.from_pools(float(at), pools)
