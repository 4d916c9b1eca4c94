"""`HistoryStore`: the one writer of the history file, on its own thread, fed through a queue.

Why a thread: SQLite writes wait on the disk (and on other programs holding the file), and the Qt thread
must never wait. `record()` only puts rows on a queue; the writer takes everything queued, writes it in one
transaction, and prunes rows older than the retention once an hour.

The writer lets rows gather for `gather_delay` after the first of them arrives: a large fleet records a
heartbeat change ten times a second, and a transaction (and a wake-up of this thread) for each cost more
than the rows themselves. Whoever needs the rows in the file at once says so: `flush()` (the history's
readers call it before each question, see `hvgui.ui.history.queries`), `prune_now()` and `close()` cut the
wait short. A crash loses at most the rows of that wait.

Failure keeps rows, or says what was lost:
- locked (another program holds the file): SQLite waits `busy_timeout`, then the rows stay in memory and
  the writer tries again after `retry_delay`, for as long as it takes;
- the disk is full: the same, and the status says so;
- the file is damaged (not a database, malformed): it is renamed `<name>.corrupt-<date>` beside the new
  one, a fresh file starts, and the status says that the rows stored before are in the renamed file. Rows
  not yet written are written to the fresh file.
Rows wait in memory up to `memory_limit`; beyond it the oldest are dropped and counted in `status.lost`.

Key-value pair snapshots (`record_kvp`) take the same queue and the same transactions. The writer stores one
only when the VM's pools differ from its last stored snapshot (it remembers each VM's last digest, and asks
the file the first time), so a tab that reads the pools every few seconds adds nothing while nothing changes.
Retention treats them as it treats the events: older snapshots are deleted, and each VM's newest one before
the cut is kept, moved to the cut, so the pools in force then are still known (and still count as the last
snapshot when the next read is compared).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from hvgui.history import schema
from hvgui.history.records import POOL_CODES, KvpRecord, Transition

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 7.0
#: How often the writer deletes rows older than the retention.
PRUNE_INTERVAL = 3600.0
#: Rows kept in memory while the file cannot be written (about 150 MB at worst).
MEMORY_LIMIT = 1_000_000
#: Seconds the writer lets rows gather before it writes them (see the module doc).
GATHER_DELAY = 1.0

_DAY = 86400.0


@dataclass(frozen=True)
class StoreStatus:
    """What the writer can say about the file; `message` is empty while all is well."""

    path: Path
    message: str = ""
    pending: int = 0  # rows waiting in memory
    written: int = 0  # rows written since the store opened
    lost: int = 0  # rows dropped because memory was full
    set_aside: Path | None = None  # a damaged file renamed aside, if any

    @property
    def ok(self) -> bool:
        return not self.message


def connect(path: Path, *, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL so readers never block the writer."""
    connection = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _is_damaged(exc: sqlite3.DatabaseError) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return False  # locked, busy, full, I/O: the file itself is fine
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


class _Marker:
    """Queued behind rows: set once the writer has tried to write everything queued before it."""

    def __init__(self, prune: bool = False) -> None:
        self.done = threading.Event()
        self.prune = prune


_CLOSE = object()


class HistoryStore:
    """Owns the history file and its writer thread. Thread-safe: `record()` may be called from any thread."""

    def __init__(
        self,
        path: Path | str,
        *,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        busy_timeout: float = 5.0,
        retry_delay: float = 2.0,
        memory_limit: int = MEMORY_LIMIT,
        gather_delay: float = GATHER_DELAY,
        clock: Callable[[], float] = time.time,
        on_status: Callable[[StoreStatus], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._retention = retention_days * _DAY
        self._busy_timeout = busy_timeout
        self._retry_delay = retry_delay
        self._memory_limit = memory_limit
        self._gather_delay = gather_delay
        #: Set by whoever waits for the writer (flush, prune, close): it stops letting rows gather.
        self._hurry = threading.Event()
        self._clock = clock
        #: Called on the writer thread whenever the status changes (may be set after construction).
        self.on_status = on_status
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending: list[Transition | KvpRecord] = []
        self._vm_ids: dict[tuple[str, str], tuple[int, str]] = {}
        self._kvp_digests: dict[int, str] = {}  # per VM id, the digest of its last stored snapshot
        self._status = StoreStatus(self.path)
        self._status_lock = threading.Lock()
        self._generation = 0  # counts fresh files, so readers know to reopen
        self._connection: sqlite3.Connection | None = None
        self._can_retry_open = True
        self._next_prune = 0.0
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hvgui-history-writer", daemon=True)
        self._thread.start()
        self._opened.wait(30.0)

    # ---- any thread ----------------------------------------------------------------------------

    def record(self, transitions: Iterable[Transition]) -> None:
        """Queue rows for writing; returns at once."""
        rows = list(transitions)
        if rows:
            self._queue.put(rows)

    def record_kvp(self, records: Iterable[KvpRecord]) -> None:
        """Queue pools as read; the writer stores those that differ from the VM's last snapshot. Returns at once."""
        rows = list(records)
        if rows:
            self._queue.put(rows)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the writer has tried everything queued so far; True when nothing waits in memory."""
        marker = _Marker()
        self._queue.put(marker)
        self._hurry.set()
        marker.done.wait(timeout)
        return marker.done.is_set() and self.status.pending == 0

    def prune_now(self, timeout: float = 30.0) -> None:
        """Delete rows older than the retention now (the writer also does it every hour)."""
        marker = _Marker(prune=True)
        self._queue.put(marker)
        self._hurry.set()
        marker.done.wait(timeout)

    def set_retention(self, days: float) -> None:
        """Keep `days` of history; the next prune applies it."""
        self._retention = max(days, 0.0) * _DAY
        self._next_prune = 0.0

    @property
    def retention_days(self) -> float:
        return self._retention / _DAY

    @property
    def status(self) -> StoreStatus:
        with self._status_lock:
            return self._status

    @property
    def generation(self) -> int:
        """Goes up when a fresh file replaces a damaged one: readers reopen."""
        return self._generation

    def close(self, timeout: float = 30.0) -> StoreStatus:
        """Write what is queued (one last try) and stop the writer."""
        if self._thread.is_alive():
            self._queue.put(_CLOSE)
            self._hurry.set()
            self._thread.join(timeout)
        return self.status

    # ---- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._try_open()
        finally:
            self._opened.set()
        closing = False
        while not closing:
            if self._connection is None and self._can_retry_open:
                self._try_open()
            waiting = self._pending or (self._connection is None and self._can_retry_open)
            wait = self._retry_delay if waiting else max(0.05, min(self._next_prune - self._clock(), 60.0))
            try:
                items = [self._queue.get(timeout=wait)]
            except queue.Empty:
                items = []
            if items and isinstance(items[0], list) and self._gather_delay > 0:
                # Rows: let more join them. A `put` finds nobody waiting on the queue meanwhile, so it wakes
                # nobody; a flush, a prune or a close wakes this wait.
                self._hurry.wait(self._gather_delay)
            # Before the queue is drained: whoever hurried before this point queued its marker before, so the
            # drain takes it; whoever hurries after it keeps the event set, so the next wait is none.
            self._hurry.clear()
            with contextlib.suppress(queue.Empty):
                while True:
                    items.append(self._queue.get_nowait())
            markers = []
            for item in items:
                if item is _CLOSE:
                    closing = True
                elif isinstance(item, _Marker):
                    markers.append(item)
                else:
                    self._pending.extend(item)  # type: ignore[arg-type]
            self._cap_memory()
            if self._pending:
                self._write_pending()
            if any(m.prune for m in markers) or self._clock() >= self._next_prune:
                self._prune()
            for marker in markers:
                marker.done.set()
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()

    def _try_open(self) -> None:
        """Open the file; when another program holds it, try again later (rows wait in memory meanwhile)."""
        try:
            self._open()
        except schema.NewerSchema as exc:  # never ours to touch: no retry
            self._can_retry_open = False
            self._drop_connection()
            log.error("the heartbeat history is not used: %s", exc)
            self._set_status(message=f"The heartbeat history could not be opened ({exc}).")
        except Exception as exc:
            self._drop_connection()
            log.warning("the heartbeat history could not be opened (%s); trying again", exc)
            self._set_status(message=f"The heartbeat history could not be opened ({exc}); hvgui tries again.")
        else:
            if not self.status.ok and self.status.set_aside is None:
                self._set_status(message="")

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = connect(self.path, busy_timeout=self._busy_timeout)
            schema.migrate(self._connection)
        except sqlite3.DatabaseError as exc:
            if not _is_damaged(exc):
                raise
            self._start_fresh_file(exc)

    def _start_fresh_file(self, exc: sqlite3.DatabaseError) -> None:
        """Set the damaged file aside (never delete it: the rows may be recoverable) and start a new one."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.replace(aside.with_name(aside.name + suffix))
        log.error("the heartbeat history %s is damaged (%s); set aside as %s", self.path, exc, aside)
        self._vm_ids.clear()
        self._kvp_digests.clear()
        self._connection = connect(self.path, busy_timeout=self._busy_timeout)
        schema.migrate(self._connection)
        self._generation += 1
        self._set_status(
            message=(
                f"The heartbeat history file was damaged ({exc}). It was set aside as {aside.name}; the history "
                "stored in it until now is not shown, and a fresh history starts now."
            ),
            set_aside=aside,
        )

    def _cap_memory(self) -> None:
        excess = len(self._pending) - self._memory_limit
        if excess > 0:
            del self._pending[:excess]
            lost = self.status.lost + excess
            log.error("the heartbeat history dropped %d rows it could not write", excess)
            self._set_status(lost=lost)

    def _write_pending(self) -> None:
        if self._connection is None:
            self._set_status(pending=len(self._pending))
            return
        try:
            self._write(self._pending)
        except sqlite3.DatabaseError as exc:
            if _is_damaged(exc):
                try:
                    self._start_fresh_file(exc)
                    self._write(self._pending)
                except sqlite3.Error as again:
                    self._waiting(again)
                    return
            else:
                self._waiting(exc)
                return
        written = self.status.written + len(self._pending)
        self._pending = []
        keep = self.status.message if self.status.set_aside is not None else ""
        self._set_status(message=keep, pending=0, written=written)

    def _waiting(self, exc: sqlite3.Error) -> None:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            why = "another program holds the history file"
        elif "full" in text:
            why = "the disk is full"
        else:
            why = f"the history file cannot be written ({exc})"
        log.warning("heartbeat history: %s; %d rows wait in memory", why, len(self._pending))
        self._set_status(
            message=f"History not saved: {why}. {len(self._pending)} changes wait in memory and are written later.",
            pending=len(self._pending),
        )

    def _write(self, rows: list[Transition | KvpRecord]) -> None:
        connection = self._connection
        assert connection is not None
        new_ids: dict[tuple[str, str], tuple[int, str]] = {}
        new_digests: dict[int, str] = {}
        connection.execute("BEGIN IMMEDIATE")
        try:
            values = []
            for row in rows:
                if isinstance(row, KvpRecord):
                    self._write_snapshot(connection, row, new_ids, new_digests)
                    continue
                vm = self._vm_id(connection, row, new_ids)
                values.append(
                    (
                        vm,
                        row.at,
                        int(row.kind),
                        row.old,
                        row.new,
                        None if row.state is None else int(row.state),
                        None if row.heartbeat is None else int(row.heartbeat),
                    )
                )
            if values:
                connection.executemany(
                    "INSERT INTO events (vm, at, kind, old, new, state, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        self._vm_ids.update(new_ids)  # only once committed: a rolled-back id is not an id
        self._kvp_digests.update(new_digests)

    def _write_snapshot(
        self,
        connection: sqlite3.Connection,
        record: KvpRecord,
        new_ids: dict[tuple[str, str], tuple[int, str]],
        new_digests: dict[int, str],
    ) -> None:
        """Insert the snapshot unless it holds the same pools as the VM's last one."""
        vm = self._vm_id(connection, record, new_ids)
        digest = record.snapshot.digest()
        last = new_digests.get(vm) or self._kvp_digests.get(vm)
        if last is None:
            found = connection.execute(
                "SELECT digest FROM kvp_snapshots WHERE vm = ? ORDER BY at DESC, id DESC LIMIT 1", (vm,)
            ).fetchone()
            last = None if found is None else str(found[0])
        new_digests[vm] = digest
        if last == digest:
            return
        reported = 0
        for pool, code in POOL_CODES.items():
            if record.snapshot.pool(pool) is not None:
                reported |= 1 << code
        snapshot = connection.execute(
            "INSERT INTO kvp_snapshots (vm, at, digest, reported) VALUES (?, ?, ?, ?)",
            (vm, record.at, digest, reported),
        ).lastrowid
        connection.executemany(
            "INSERT INTO kvp_items (snapshot, pool, key, value) VALUES (?, ?, ?, ?)",
            [
                (snapshot, code, pair.key, pair.value)
                for pool, code in POOL_CODES.items()
                for pair in record.snapshot.pool(pool) or ()
            ],
        )

    def _vm_id(
        self,
        connection: sqlite3.Connection,
        row: Transition | KvpRecord,
        new_ids: dict[tuple[str, str], tuple[int, str]],
    ) -> int:
        key = (row.host, row.vm_id)
        known = new_ids.get(key) or self._vm_ids.get(key)
        if known is not None and known[1] == row.name:
            return known[0]
        found = connection.execute("SELECT id, name FROM vms WHERE host = ? AND vm_id = ?", key).fetchone()
        if found is None:
            vm = connection.execute("INSERT INTO vms (host, vm_id, name) VALUES (?, ?, ?)", (*key, row.name)).lastrowid
        else:
            vm = int(found[0])
            if found[1] != row.name:  # a renamed VM: the history keeps its newest name
                connection.execute("UPDATE vms SET name = ? WHERE id = ?", (row.name, vm))
        new_ids[key] = (int(vm), row.name)  # type: ignore[arg-type]
        return int(vm)  # type: ignore[arg-type]

    def _prune(self) -> None:
        """Delete rows older than the retention; each VM's last row before the cut is carried to the cut
        as an `Observed` row, so its strip still starts with a known value."""
        self._next_prune = self._clock() + PRUNE_INTERVAL
        connection = self._connection
        if connection is None:
            return
        cutoff = self._clock() - self._retention
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(
                    """INSERT INTO events (vm, at, kind, old, new, state, heartbeat)
                       SELECT vm, :cutoff, 0, NULL, NULL, state, heartbeat FROM (
                           SELECT vm, state, heartbeat,
                                  row_number() OVER (PARTITION BY vm ORDER BY at DESC, rowid DESC) AS n
                           FROM events WHERE at < :cutoff
                       ) WHERE n = 1""",
                    {"cutoff": cutoff},
                )
                deleted = connection.execute("DELETE FROM events WHERE at < ?", (cutoff,)).rowcount
                deleted += self._prune_snapshots(connection, cutoff)
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            log.warning("pruning the heartbeat history failed (%s); trying again later", exc)
            self._next_prune = self._clock() + self._retry_delay
            return
        if deleted:
            log.info("heartbeat history: %d rows older than %.1f days deleted", deleted, self.retention_days)

    @staticmethod
    def _prune_snapshots(connection: sqlite3.Connection, cutoff: float) -> int:
        """Delete snapshots older than `cutoff`, but move each VM's newest one before it to the cut."""
        connection.execute(
            """UPDATE kvp_snapshots SET at = :cutoff WHERE id IN (
                   SELECT id FROM (
                       SELECT id, row_number() OVER (PARTITION BY vm ORDER BY at DESC, id DESC) AS n
                       FROM kvp_snapshots WHERE at < :cutoff
                   ) WHERE n = 1
               )""",
            {"cutoff": cutoff},
        )
        connection.execute(
            "DELETE FROM kvp_items WHERE snapshot IN (SELECT id FROM kvp_snapshots WHERE at < ?)", (cutoff,)
        )
        return int(connection.execute("DELETE FROM kvp_snapshots WHERE at < ?", (cutoff,)).rowcount)

    def _set_status(self, **changes: object) -> None:
        """Update the status; the listener hears of it unless only the count of rows written moved (that
        happens on every write, several times a second, and nobody waits for it: `status` has it)."""
        with self._status_lock:
            before = self._status
            self._status = replace(before, **changes)  # type: ignore[arg-type]
            status = self._status
        if replace(before, written=status.written) == status:
            return
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:
                log.exception("the history status listener failed")
