"""The history store: its writer thread, restarts, retention, migrations and the files it cannot write."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from history_support import HOST, LOST, OK, row

from hvgui.domain.vm import VmState
from hvgui.history import EventKind, HistoryReader, HistoryStore, schema, seed_history
from hvgui.history.store import StoreStatus

DAY = 86400.0


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


def test_rows_are_written_on_the_writer_thread_and_survive_a_restart(path: Path) -> None:
    store = HistoryStore(path)
    now = time.time()
    store.record([row(now - 10), row(now - 5, old=int(LOST), new=int(OK), heartbeat=OK)])
    assert store.flush()
    assert store.close().written == 2

    again = HistoryStore(path)
    reader = HistoryReader(path)
    rows = reader.transitions(HOST, "vm-1", now - 60, now)
    assert [(r.at, r.kind, r.old, r.new) for r in rows] == [
        (now - 10, EventKind.Heartbeat, int(OK), int(LOST)),
        (now - 5, EventKind.Heartbeat, int(LOST), int(OK)),
    ]
    assert rows[0].describe() == ("OK (Applications Healthy)", "Lost Communication")
    reader.close()
    again.close()


def test_a_locked_file_keeps_rows_in_memory_until_it_is_free(path: Path) -> None:
    """The listener hears, on the writer thread, that rows wait and then that all is well again; the writes
    themselves (only the count of rows written moves) are not announced."""
    heard: list[tuple[str, StoreStatus]] = []
    store = HistoryStore(
        path,
        busy_timeout=0.05,
        retry_delay=0.05,
        on_status=lambda status: heard.append((threading.current_thread().name, status)),
    )
    store.record([row(time.time() - 20)])
    assert store.flush() and not heard
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    now = time.time()
    store.record([row(now - 3), row(now - 2)])
    assert not store.flush(timeout=5)
    status = store.status
    assert status.pending == 2 and "another program holds the history file" in status.message
    store.record([row(now - 1)])
    blocker.execute("COMMIT")
    blocker.close()
    assert store.flush()
    assert store.status.ok and store.status.written == 4
    store.close()
    assert len(HistoryReader(path).transitions(HOST, "vm-1", now - 10, now)) == 3
    assert {name for name, _ in heard} == {"hvgui-history-writer"}
    assert heard[0][1].pending == 2 and heard[-1][1].ok and heard[-1][1].pending == 0


def test_a_full_disk_keeps_rows_and_says_so(path: Path) -> None:
    store = HistoryStore(path, retry_delay=0.05)
    store.flush()
    # A file that may not grow: SQLite answers "database or disk is full", as on a full disk.
    page_count = sqlite3.connect(str(path)).execute("PRAGMA page_count").fetchone()[0]
    store._connection.execute(f"PRAGMA max_page_count = {page_count}")  # the writer's own connection
    now = time.time()
    store.record([row(now - i, f"vm-{i}", name="x" * 2000) for i in range(50)])
    assert not store.flush(timeout=5)
    assert "disk is full" in store.status.message and store.status.pending == 50
    store._connection.execute("PRAGMA max_page_count = 1073741823")
    assert store.flush()
    assert store.status.ok and store.status.written == 50
    store.close()


def test_rows_beyond_the_memory_limit_are_counted_as_lost(path: Path) -> None:
    store = HistoryStore(path, busy_timeout=0.05, retry_delay=0.05, memory_limit=3)
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    now = time.time()
    store.record([row(now - i) for i in range(5)])
    store.flush(timeout=5)
    assert store.status.lost == 2 and store.status.pending == 3
    blocker.execute("ROLLBACK")
    blocker.close()
    assert store.flush()
    store.close()


def test_a_damaged_file_is_set_aside_and_a_fresh_one_starts(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 200)
    store = HistoryStore(path)
    status = store.status
    assert status.set_aside is not None and status.set_aside.name.startswith("history.sqlite.corrupt-")
    assert status.set_aside.read_bytes().startswith(b"this is not a database")
    assert "damaged" in status.message and status.set_aside.name in status.message
    now = time.time()
    store.record([row(now)])
    assert store.flush()
    store.close()
    assert len(HistoryReader(path).transitions(HOST, "vm-1", now - 1, now + 1)) == 1


def test_a_file_damaged_while_open_loses_no_queued_row(path: Path) -> None:
    store = HistoryStore(path)
    now = time.time()
    store.record([row(now - 2)])
    assert store.flush()
    generation = store.generation
    # Damage the open file's header; the next write finds it malformed.
    store._connection.close()
    with path.open("r+b") as f:
        f.seek(0)
        f.write(b"garbage!" * 64)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store._connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    store.record([row(now - 1), row(now)])
    assert store.flush()
    assert store.generation == generation + 1 and store.status.set_aside is not None
    store.close()
    rows = HistoryReader(path).transitions(HOST, "vm-1", now - 10, now + 1)
    assert [r.at for r in rows] == [now - 1, now]  # the queued rows are in the fresh file


def test_retention_prunes_old_rows_and_keeps_each_vms_last_value(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path, retention_days=7)
    store.record(
        [
            row(now - 9 * DAY, "a"),  # lost 9 days ago, still lost
            row(now - 8 * DAY, "b"),
            row(now - 8 * DAY + 1, "b", old=int(LOST), new=int(OK), heartbeat=OK),
            row(now - 1 * DAY, "b"),
        ]
    )
    store.flush()
    store.prune_now()
    store.close()
    reader = HistoryReader(path)
    everything = reader.transitions(HOST, "a", 0, now, include_observed=True)
    assert [(r.kind, r.heartbeat) for r in everything] == [(EventKind.Observed, LOST)]
    assert everything[0].at == pytest.approx(now - 7 * DAY, abs=5)
    lanes = reader.lanes([reader.vm(HOST, "a").id, reader.vm(HOST, "b").id], now - 7 * DAY + 10, now)
    assert lanes[reader.vm(HOST, "a").id].start == (VmState.Running, LOST)
    assert lanes[reader.vm(HOST, "b").id].start == (VmState.Running, OK)
    assert lanes[reader.vm(HOST, "b").id].transitions == 1
    assert len(reader.transitions(HOST, "b", 0, now)) == 1  # only the row of yesterday is a transition


def test_a_shorter_retention_applies_at_the_next_prune(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path)
    store.record([row(now - 3 * DAY), row(now - 60)])
    store.flush()
    store.set_retention(1)
    store.prune_now()
    store.close()
    assert [r.at for r in HistoryReader(path).transitions(HOST, "vm-1", 0, now)] == [now - 60]


def _version_1_file(path: Path, now: float = 0.0) -> None:
    connection = sqlite3.connect(str(path), isolation_level=None)
    schema.migrate(connection, target=1)
    connection.execute("INSERT INTO vms (host, vm_id, name) VALUES (?, ?, ?)", (HOST, "old", "legacy"))
    connection.execute("INSERT INTO events (vm, at, kind, old, new) VALUES (1, ?, 2, 6, 4)", (now - 200,))
    connection.execute("INSERT INTO events (vm, at, kind, old, new) VALUES (1, ?, 1, 2, 3)", (now - 100,))
    connection.close()


def test_a_version_1_file_is_migrated_and_its_rows_kept(path: Path) -> None:
    now = time.time()
    _version_1_file(path, now)
    store = HistoryStore(path)
    store.close()
    connection = sqlite3.connect(str(path))
    assert schema.version(connection) == schema.LATEST == 3
    connection.close()
    rows = HistoryReader(path).transitions(HOST, "old", now - 300, now)
    assert [(r.kind, r.old, r.new, r.state, r.heartbeat) for r in rows] == [
        (EventKind.Heartbeat, 6, 4, None, LOST),  # what version 1 knew; the rest stays unknown
        (EventKind.State, 2, 3, VmState.Off, None),
    ]


def test_an_empty_file_is_version_0_and_gets_every_migration(path: Path) -> None:
    sqlite3.connect(str(path)).close()
    connection = sqlite3.connect(str(path), isolation_level=None)
    assert schema.version(connection) == 0
    assert schema.migrate(connection) == 0
    assert schema.version(connection) == schema.LATEST
    names = {n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"events_by_vm", "events_by_time"} <= names


def test_a_failed_migration_leaves_the_file_at_its_version(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _version_1_file(path)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS[:1], (*schema.MIGRATIONS[1], "BROKEN SQL")))
    connection = sqlite3.connect(str(path), isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(connection)
    assert schema.version(connection) == 1
    columns = [c[1] for c in connection.execute("PRAGMA table_info(events)")]
    assert "state" not in columns


def test_a_file_locked_at_start_is_opened_once_it_is_free(path: Path) -> None:
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # e.g. another program holds the file (a new file: no WAL yet)
    store = HistoryStore(path, busy_timeout=0.05, retry_delay=0.05)
    assert "could not be opened" in store.status.message and "tries again" in store.status.message
    now = time.time()
    store.record([row(now)])
    assert not store.flush(timeout=1)
    blocker.execute("COMMIT")
    blocker.close()
    assert store.flush()
    assert store.status.ok
    store.close()
    assert len(HistoryReader(path).transitions(HOST, "vm-1", now - 1, now + 1)) == 1


def test_a_lane_whose_history_starts_in_the_window_starts_from_what_the_first_row_changed(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path)
    store.record([row(now - 100), row(now - 50, "b", kind=EventKind.State, old=3, new=2, heartbeat=None)])
    store.flush()
    store.close()
    reader = HistoryReader(path)
    a, b = reader.vm(HOST, "vm-1").id, reader.vm(HOST, "b").id
    lanes = reader.lanes([a, b], now - 3600, now)
    assert lanes[a].start == (VmState.Running, OK)  # it was OK before it was lost
    assert lanes[b].start == (VmState.Off, None)  # it was off before it started
    assert reader.lanes([a], now - 10, now)[a].start == (VmState.Running, LOST)  # the row before the window


def test_a_file_from_a_newer_hvgui_is_left_alone(path: Path) -> None:
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    store = HistoryStore(path)
    assert "could not be opened" in store.status.message
    store.record([row(time.time())])
    store.close()
    assert sqlite3.connect(str(path)).execute("PRAGMA user_version").fetchone()[0] == 99


def test_seeding_fills_every_vm_and_the_queries_answer_by_window(path: Path) -> None:
    now = 1_000_000.0
    vms = [(HOST, f"vm-{i}", f"name {i}") for i in range(20)]
    rows = seed_history(path, vms, days=2, per_day=10, now=now)
    assert rows == 20 * (1 + 20)
    reader = HistoryReader(path)
    known = reader.vms()
    assert len(known) == 20
    counts = reader.transition_counts(now - 2 * DAY, now)
    assert sorted(counts.values()) == [20] * 20
    day = reader.transition_counts(now - DAY, now)
    assert sum(day.values()) < sum(counts.values())
    lanes = reader.lanes([known[0].id], now - DAY, now)
    lane = lanes[known[0].id]
    assert lane.start is not None and lane.transitions == day.get(known[0].id, 0)
    assert all(now - DAY <= at <= now for at, _s, _h in lane.changes)


def test_vms_are_listed_by_host_then_name_as_people_read_them(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path)
    store.record(
        [row(now, vm_id, name=name) for vm_id, name in (("1", "zeta"), ("2", "\u00c5ngstr\u00f6m"), ("3", "Beta"))]
    )
    store.record([row(now, "4", name="alpha", host="https://hv-00:5986")])
    store.flush()
    store.close()
    assert [vm.name for vm in HistoryReader(path).vms()] == ["alpha", "\u00c5ngstr\u00f6m", "Beta", "zeta"]


def test_rows_gather_before_they_are_written_and_whoever_waits_for_them_does_not_wait_the_delay(path: Path) -> None:
    """A transaction per heartbeat change cost more than its rows: the writer lets rows gather for
    `gather_delay`, and a flush or a close cuts that short."""
    store = HistoryStore(path, gather_delay=600.0)
    reader = HistoryReader(path)
    now = time.time()
    store.record([row(now - 3)])
    store.record([row(now - 2, old=int(LOST), new=int(OK), heartbeat=OK)])
    time.sleep(0.2)
    assert store.status.written == 0
    assert reader.transitions(HOST, "vm-1", now - 60, now) == []
    assert store.flush(timeout=10)
    assert store.status.written == 2
    assert [r.at for r in reader.transitions(HOST, "vm-1", now - 60, now)] == [now - 3, now - 2]
    store.record([row(now - 1)])
    assert store.close(timeout=10).written == 3
    assert [r.at for r in reader.transitions(HOST, "vm-1", now - 60, now)] == [now - 3, now - 2, now - 1]
    reader.close()
