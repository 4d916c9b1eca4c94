"""What changed between two key-value pair snapshots, and which two the history view compares first."""

from __future__ import annotations

from hvgui.domain.kvp import KvpPair, Pool
from hvgui.domain.kvp_history import DiffKind, KeyChange, KvpSnapshot, default_comparison, diff_snapshots

DAY = 86400.0


def pairs(**values: str) -> tuple[KvpPair, ...]:
    return tuple(KvpPair(k, v) for k, v in values.items())


def snap(at: float = 0.0, *, intrinsic=(), guest=(), host=(), host_only=()) -> KvpSnapshot:
    return KvpSnapshot(at, intrinsic, guest, host, host_only)


def test_added_removed_and_changed_keys_per_pool_with_old_and_new_values() -> None:
    before = snap(guest=pairs(Build="41", Gone="x", Same="1"), host=pairs(Role="web"))
    after = snap(guest=pairs(Build="42", Same="1", New="line\nbreak"), host=pairs(Role="web"))
    diffs = {d.pool: d for d in diff_snapshots(before, after)}
    assert [d.pool for d in diff_snapshots(before, after)] == [
        Pool.Intrinsic,
        Pool.GuestToHost,
        Pool.HostToGuest,
        Pool.HostOnly,
    ]
    assert diffs[Pool.GuestToHost].changes == (
        KeyChange(Pool.GuestToHost, DiffKind.Changed, "Build", "41", "42"),
        KeyChange(Pool.GuestToHost, DiffKind.Removed, "Gone", "x", None),
        KeyChange(Pool.GuestToHost, DiffKind.Added, "New", None, "line\nbreak"),
    )
    assert diffs[Pool.HostToGuest].changes == () and diffs[Pool.Intrinsic].changes == ()
    # Swapped, the same change reads the other way round.
    back = {d.pool: d for d in diff_snapshots(after, before)}[Pool.GuestToHost].changes
    assert [(c.kind, c.key) for c in back] == [
        (DiffKind.Changed, "Build"),
        (DiffKind.Added, "Gone"),
        (DiffKind.Removed, "New"),
    ]


def test_keys_differing_in_case_or_by_an_empty_value_are_changes() -> None:
    diff = diff_snapshots(snap(host=pairs(a="", A="1")), snap(host=pairs(a="x", A="1")))
    assert diff[2].changes == (KeyChange(Pool.HostToGuest, DiffKind.Changed, "a", "", "x"),)


def test_a_pool_not_reported_on_one_side_has_a_note_not_a_storm_of_removals() -> None:
    running = snap(intrinsic=pairs(OSName="Windows"), guest=pairs(A="1"))
    off = snap(intrinsic=None, guest=None)
    diff = {d.pool: d for d in diff_snapshots(running, off)}
    assert diff[Pool.Intrinsic].changes == () and not diff[Pool.Intrinsic].comparable
    assert diff[Pool.Intrinsic].reported_before and not diff[Pool.Intrinsic].reported_after
    assert diff[Pool.HostToGuest].comparable


def test_the_digest_ignores_the_order_of_pairs_but_not_a_missing_pool() -> None:
    one = snap(guest=pairs(A="1", B="2"))
    assert one.digest() == snap(5.0, guest=pairs(B="2", A="1")).digest()
    assert one.digest() != snap(guest=pairs(A="1", B="3")).digest()
    assert snap(guest=()).digest() != snap(guest=None).digest()
    # Moving a pair between pools is a change.
    assert snap(guest=pairs(A="1")).digest() != snap(host=pairs(A="1")).digest()


def test_the_default_comparison_is_the_latest_against_the_one_in_force_a_day_ago() -> None:
    now = 10 * DAY
    times = [now - 3 * DAY, now - 1.5 * DAY, now - 0.5 * DAY, now - 60]
    assert default_comparison(times, now) == (1, 3)
    # Exactly a day ago counts as in force then.
    assert default_comparison([now - DAY, now - 10], now) == (0, 1)
    # A history younger than a day: from its oldest snapshot.
    assert default_comparison([now - 3600, now - 60], now) == (0, 1)
    assert default_comparison([now - 60], now) is None
    assert default_comparison([], now) is None
