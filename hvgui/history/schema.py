"""The database's schema and its versioned migrations (`PRAGMA user_version`).

Each migration moves the file one version up inside one transaction, so a file is always at a version this
code knows, or untouched. Version 1 kept what changed (old -> new); version 2 also keeps the VM's state and
heartbeat after each row, so a strip is painted from the rows of its window plus one row before it, and an
index by time serves the fleet-wide counts. Version 3 adds the key-value pair snapshots: one `kvp_snapshots`
row each time a VM's pools differ from its last snapshot (`digest`, `reported`: a bit per pool the host
reported), and that snapshot's pairs in `kvp_items`.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1
    (
        """CREATE TABLE vms (
            id INTEGER PRIMARY KEY,
            host TEXT NOT NULL,
            vm_id TEXT NOT NULL,
            name TEXT NOT NULL,
            UNIQUE (host, vm_id)
        )""",
        """CREATE TABLE events (
            vm INTEGER NOT NULL REFERENCES vms(id),
            at REAL NOT NULL,
            kind INTEGER NOT NULL,
            old INTEGER,
            new INTEGER
        )""",
        "CREATE INDEX events_by_vm ON events (vm, at)",
    ),
    # 1 -> 2
    (
        "ALTER TABLE events ADD COLUMN state INTEGER",
        "ALTER TABLE events ADD COLUMN heartbeat INTEGER",
        # Rows of version 1 name only what changed; fill in what they say (the rest stays unknown).
        "UPDATE events SET state = new WHERE kind = 1",
        "UPDATE events SET heartbeat = new WHERE kind = 2",
        "CREATE INDEX events_by_time ON events (at, vm, kind)",  # covers the fleet-wide counts
    ),
    # 2 -> 3
    (
        """CREATE TABLE kvp_snapshots (
            id INTEGER PRIMARY KEY,
            vm INTEGER NOT NULL REFERENCES vms(id),
            at REAL NOT NULL,
            digest TEXT NOT NULL,
            reported INTEGER NOT NULL
        )""",
        "CREATE INDEX kvp_snapshots_by_vm ON kvp_snapshots (vm, at)",
        "CREATE INDEX kvp_snapshots_by_time ON kvp_snapshots (at)",
        """CREATE TABLE kvp_items (
            snapshot INTEGER NOT NULL REFERENCES kvp_snapshots(id),
            pool INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL
        )""",
        "CREATE INDEX kvp_items_by_snapshot ON kvp_items (snapshot)",
    ),
)

#: The version this code writes.
LATEST = len(MIGRATIONS)


class NewerSchema(Exception):
    """The file was written by a newer hvgui; this one leaves it alone."""


def version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection, *, target: int = LATEST) -> int:
    """Bring the file up to `target`, one version per transaction; returns the version it started at."""
    start = version(connection)
    if start > LATEST:
        raise NewerSchema(f"the history file has schema version {start}; this hvgui knows up to {LATEST}")
    for number in range(start, target):
        # One transaction per step (the connection is in autocommit mode, so BEGIN is explicit and covers
        # the DDL too): a failed step leaves the file at the previous version.
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return start
