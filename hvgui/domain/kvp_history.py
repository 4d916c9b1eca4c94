"""KVP history: a VM's pools at one moment (`KvpSnapshot`) and what changed between two of them.

The history keeps a snapshot only when a VM's pools differ from its last stored one (`digest` says whether
they do), so two snapshots side by side answer "what changed since yesterday": keys added, removed and
changed per pool, with the old and new values (`diff_snapshots`). A pool the host did not report in one of
the two (the guest's pools while the VM is off) has no key changes, only a note, so a VM switched off and on
again does not look as if every guest item had been removed and added back.

`default_comparison` picks the pair the view opens with: the latest snapshot against the one in force 24 hours
before now (the newest at or before that moment), or the oldest when the history is younger than that.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from hvgui.domain.kvp import KvpPair, Pool, VmKvp

#: "Since yesterday".
DEFAULT_SPAN_SECONDS = 86400.0
#: Pools in the order a diff lists them.
POOL_ORDER = (Pool.Intrinsic, Pool.GuestToHost, Pool.HostToGuest, Pool.HostOnly)


@dataclass(frozen=True)
class KvpSnapshot:
    """Every pool of one VM as read at `at` (seconds since the epoch); a pool is None when not reported."""

    at: float
    intrinsic: tuple[KvpPair, ...] | None
    guest: tuple[KvpPair, ...] | None
    host: tuple[KvpPair, ...]
    host_only: tuple[KvpPair, ...]

    @classmethod
    def from_kvp(cls, kvp: VmKvp, at: float) -> KvpSnapshot:
        return cls(at, kvp.intrinsic, kvp.guest, kvp.host, kvp.host_only)

    @classmethod
    def from_pools(cls, at: float, pools: dict[Pool, tuple[KvpPair, ...] | None]) -> KvpSnapshot:
        return cls(
            at,
            pools.get(Pool.Intrinsic),
            pools.get(Pool.GuestToHost),
            pools.get(Pool.HostToGuest) or (),
            pools.get(Pool.HostOnly) or (),
        )

    def pool(self, pool: Pool) -> tuple[KvpPair, ...] | None:
        return {
            Pool.Intrinsic: self.intrinsic,
            Pool.GuestToHost: self.guest,
            Pool.HostToGuest: self.host,
            Pool.HostOnly: self.host_only,
        }[pool]

    def digest(self) -> str:
        """The same for the same pools whatever the order of their pairs (the host lists them in any order)."""
        canonical = {
            pool.json_key: None if pairs is None else sorted([p.key, p.value] for p in pairs)
            for pool in POOL_ORDER
            for pairs in (self.pool(pool),)
        }
        text = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class DiffKind(enum.Enum):
    Added = "Added"
    Removed = "Removed"
    Changed = "Changed"


@dataclass(frozen=True)
class KeyChange:
    pool: Pool
    kind: DiffKind
    key: str
    old: str | None  # None: absent before
    new: str | None  # None: absent after


@dataclass(frozen=True)
class PoolDiff:
    """What changed in one pool; `reported_before`/`reported_after` say whether the host reported it."""

    pool: Pool
    changes: tuple[KeyChange, ...]
    reported_before: bool = True
    reported_after: bool = True

    @property
    def comparable(self) -> bool:
        return self.reported_before and self.reported_after


def _as_map(pairs: Sequence[KvpPair]) -> dict[str, str]:
    return {p.key: p.value for p in pairs}


def diff_pool(pool: Pool, before: Sequence[KvpPair] | None, after: Sequence[KvpPair] | None) -> PoolDiff:
    if before is None or after is None:
        return PoolDiff(pool, (), reported_before=before is not None, reported_after=after is not None)
    old, new = _as_map(before), _as_map(after)
    changes: list[KeyChange] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k.casefold(), k)):
        if key not in new:
            changes.append(KeyChange(pool, DiffKind.Removed, key, old[key], None))
        elif key not in old:
            changes.append(KeyChange(pool, DiffKind.Added, key, None, new[key]))
        elif old[key] != new[key]:
            changes.append(KeyChange(pool, DiffKind.Changed, key, old[key], new[key]))
    return PoolDiff(pool, tuple(changes))


def diff_snapshots(before: KvpSnapshot, after: KvpSnapshot) -> list[PoolDiff]:
    """Per pool (in `POOL_ORDER`), the keys added, removed and changed from `before` to `after`, by key."""
    return [diff_pool(pool, before.pool(pool), after.pool(pool)) for pool in POOL_ORDER]


def default_comparison(
    times: Sequence[float], now: float, *, span: float = DEFAULT_SPAN_SECONDS
) -> tuple[int, int] | None:
    """(older, newer) indexes into `times` (ascending) for "what changed since `span` ago": the latest
    snapshot against the one in force at `now - span` (the newest at or before it), else the oldest.
    None with fewer than two snapshots."""
    if len(times) < 2:
        return None
    latest = len(times) - 1
    target = now - span
    in_force = [i for i, at in enumerate(times[:latest]) if at <= target]
    return (in_force[-1] if in_force else 0), latest
