"""The KVP history at fleet size: storing snapshots of many VMs' pools, the dedup pass when nothing changed
(what every refresh costs), the list and diff the History view asks for, and a prune.

Records one snapshot per VM (intrinsic, guest and host pools of `--pairs` pairs each), then the same pools
again (all deduplicated), then `--changes` rounds in which one guest value of every VM changes. Prints one
JSON object: `vms`, `first_write_s`, `unchanged_pass_s` (the writer's time for a whole fleet read that adds
nothing), `changed_round_s`, `list_ms` and `diff_ms` (one VM, on the reader), `prune_s`, `file_mb`.
Goals: unchanged_pass_s <= 1 for 1,000 VMs, diff_ms <= 20.
Usage: python bench/kvp_history.py [--vms 1000] [--pairs 15] [--changes 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from hvgui.domain.kvp import KvpPair
from hvgui.domain.kvp_history import KvpSnapshot, diff_snapshots
from hvgui.history import HistoryReader, HistoryStore, KvpRecord

HOST = "https://hv-bench:5986"


def records(vms: int, pairs: int, at: float, round_: int) -> list[KvpRecord]:
    out = []
    for n in range(vms):
        intrinsic = tuple(KvpPair(f"Intrinsic{i}", f"value {i} of vm {n}") for i in range(pairs))
        guest = tuple(KvpPair(f"App/Key{i}", f"{round_ if i == 0 else i}") for i in range(pairs))
        host = tuple(KvpPair(f"Host/Key{i}", "x" * 40) for i in range(pairs))
        out.append(KvpRecord(HOST, f"vm-{n:05d}", f"vm{n}", KvpSnapshot(at, intrinsic, guest, host, ())))
    return out


def timed_write(store: HistoryStore, batch: list[KvpRecord]) -> float:
    started = time.perf_counter()
    store.record_kvp(batch)
    store.flush(600)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        now = time.time()
        store = HistoryStore(path, retention_days=7)
        first = timed_write(store, records(args.vms, args.pairs, now - 8 * 86400, 0))
        unchanged = timed_write(store, records(args.vms, args.pairs, now - 8 * 86400 + 60, 0))
        rounds = [
            timed_write(store, records(args.vms, args.pairs, now - (args.changes - r) * 3600, r + 1))
            for r in range(args.changes)
        ]
        reader = HistoryReader(path)
        started = time.perf_counter()
        listed = reader.kvp_snapshots(HOST, "vm-00000")
        list_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        before, after = reader.kvp_snapshot(listed[0].id), reader.kvp_snapshot(listed[-1].id)
        assert before is not None and after is not None
        changed = sum(len(d.changes) for d in diff_snapshots(before, after))
        diff_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        store.prune_now(600)
        prune = time.perf_counter() - started
        store.close()
        reader.close()
        print(
            json.dumps(
                {
                    "vms": args.vms,
                    "pairs_per_pool": args.pairs,
                    "snapshots_per_vm": len(listed),
                    "first_write_s": round(first, 3),
                    "unchanged_pass_s": round(unchanged, 3),
                    "changed_round_s": round(sum(rounds) / len(rounds), 3),
                    "list_ms": round(list_ms, 2),
                    "diff_ms": round(diff_ms, 2),
                    "diff_changes": changed,
                    "prune_s": round(prune, 3),
                    "file_mb": round(path.stat().st_size / 2**20, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
