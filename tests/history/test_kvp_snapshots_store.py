"""Key-value pair snapshots in the history store: stored only on change, read back exactly, pruned by the
retention, and the migration that adds them (from the current version and from an older file)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from history_support import HOST, row

from hvgui.domain.kvp import KvpPair
from hvgui.domain.kvp_history import KvpSnapshot
from hvgui.history import HistoryReader, HistoryStore, KvpRecord, schema

DAY = 86400.0


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


def record(at: float, vm_id: str = "vm-1", *, guest=None, host=(), intrinsic=None, name: str = "web01") -> KvpRecord:
    intrinsic = (KvpPair("OSName", "Windows"),) if intrinsic is None else intrinsic
    guest = (KvpPair("Build", "1"),) if guest is None else guest
    return KvpRecord(HOST, vm_id, name, KvpSnapshot(at, intrinsic, guest, tuple(host), ()))


def count(path: Path, table: str) -> int:
    connection = sqlite3.connect(str(path))
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


def test_a_snapshot_is_stored_only_when_the_pools_changed(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path)
    store.record_kvp([record(now - 30), record(now - 20)])
    store.flush()
    store.record_kvp([record(now - 10)])  # same pools, another batch: nothing new
    store.flush()
    assert count(path, "kvp_snapshots") == 1 and count(path, "kvp_items") == 2
    store.record_kvp([record(now - 5, guest=(KvpPair("Build", "2"),))])
    store.flush()
    store.close()
    assert count(path, "kvp_snapshots") == 2
    # A restarted store compares with what the file holds, not with an empty memory.
    store = HistoryStore(path)
    store.record_kvp([record(now, guest=(KvpPair("Build", "2"),))])
    store.record_kvp([record(now, "vm-2")])  # another VM: its own first snapshot
    store.flush()
    store.close()
    reader = HistoryReader(path)
    assert [s.at for s in reader.kvp_snapshots(HOST, "vm-1")] == [now - 30, now - 5]
    assert len(reader.kvp_snapshots(HOST, "vm-2")) == 1
    reader.close()


def test_snapshots_read_back_exactly_with_unreported_pools(path: Path) -> None:
    tricky = "<a>&amp;</a> '$(x)' `t\r\nline 😀 \u202eevil\x01"
    now = time.time()
    store = HistoryStore(path)
    store.record_kvp(
        [record(now - 100, guest=(KvpPair("K", tricky), KvpPair("Empty", "")), host=[KvpPair("Role", "r")])]
    )
    off = KvpRecord(HOST, "vm-1", "web01", KvpSnapshot(now - 50, None, None, (KvpPair("Role", "r"),), ()))
    store.record_kvp([off])
    store.record([row(now - 70)])  # heartbeat rows share the batch and the VM
    store.flush()
    store.close()
    reader = HistoryReader(path)
    first, second = reader.kvp_snapshots(HOST, "vm-1")
    snapshot = reader.kvp_snapshot(first.id)
    assert snapshot is not None and snapshot.at == now - 100
    assert snapshot.guest == (KvpPair("K", tricky), KvpPair("Empty", ""))
    assert snapshot.host == (KvpPair("Role", "r"),) and snapshot.host_only == ()
    again = reader.kvp_snapshot(second.id)
    assert again is not None and again.intrinsic is None and again.guest is None
    assert reader.kvp_snapshot(999) is None
    assert len(reader.vms()) == 1
    reader.close()


def test_retention_deletes_old_snapshots_and_keeps_the_one_in_force_at_the_cut(path: Path) -> None:
    now = time.time()
    store = HistoryStore(path, retention_days=7)
    store.record_kvp(
        [
            record(now - 9 * DAY, guest=(KvpPair("Build", "1"),)),
            record(now - 8 * DAY, guest=(KvpPair("Build", "2"),)),
            record(now - 1 * DAY, guest=(KvpPair("Build", "3"),)),
            record(now - 9 * DAY, "old", guest=(KvpPair("Build", "9"),)),
        ]
    )
    store.flush()
    store.prune_now()
    store.close()
    assert count(path, "kvp_items") == 3 * 2
    reader = HistoryReader(path)
    kept = reader.kvp_snapshots(HOST, "vm-1")
    assert len(kept) == 2 and kept[0].at == pytest.approx(now - 7 * DAY, abs=5) and kept[1].at == now - DAY
    assert reader.kvp_snapshot(kept[0].id).guest == (KvpPair("Build", "2"),)  # type: ignore[union-attr]
    assert [reader.kvp_snapshot(s.id).guest for s in reader.kvp_snapshots(HOST, "old")] == [  # type: ignore[union-attr]
        (KvpPair("Build", "9"),)
    ]
    reader.close()
    # The carried snapshot still counts as the last one: the same pools again add nothing.
    store = HistoryStore(path, retention_days=7)
    store.record_kvp([record(now, "old", guest=(KvpPair("Build", "9"),))])
    store.flush()
    store.close()
    assert count(path, "kvp_snapshots") == 3


def test_a_version_2_file_is_migrated_to_3_with_its_events_kept(path: Path) -> None:
    connection = sqlite3.connect(str(path), isolation_level=None)
    schema.migrate(connection, target=2)
    connection.execute("INSERT INTO vms (host, vm_id, name) VALUES (?, ?, ?)", (HOST, "vm-1", "web01"))
    now = time.time()
    connection.execute(
        "INSERT INTO events (vm, at, kind, old, new, state, heartbeat) VALUES (1, ?, 2, 6, 4, 2, 4)", (now - 60,)
    )
    connection.close()
    store = HistoryStore(path)
    store.record_kvp([record(now - 30)])
    store.flush()
    store.close()
    connection = sqlite3.connect(str(path))
    assert schema.version(connection) == schema.LATEST == 3
    names = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
    assert {"kvp_snapshots", "kvp_items", "kvp_snapshots_by_vm", "kvp_items_by_snapshot"} <= names
    connection.close()
    reader = HistoryReader(path)
    assert len(reader.transitions(HOST, "vm-1", 0, now)) == 1
    [snapshot] = reader.kvp_snapshots(HOST, "vm-1")
    assert reader.kvp_snapshot(snapshot.id).guest == (KvpPair("Build", "1"),)  # type: ignore[union-attr]
    reader.close()


def test_a_version_1_file_gets_both_migrations(path: Path) -> None:
    connection = sqlite3.connect(str(path), isolation_level=None)
    schema.migrate(connection, target=1)
    connection.execute("INSERT INTO vms (host, vm_id, name) VALUES (?, ?, ?)", (HOST, "vm-1", "web01"))
    connection.execute("INSERT INTO events (vm, at, kind, old, new) VALUES (1, 50, 1, 2, 3)")
    assert schema.migrate(connection) == 1
    assert schema.version(connection) == 3
    assert connection.execute("SELECT state FROM events").fetchone()[0] == 3
    assert connection.execute("SELECT count(*) FROM kvp_snapshots").fetchone()[0] == 0
    connection.close()
