"""Pure rules over inventories: what changed between two refreshes of a host."""

from __future__ import annotations

from dataclasses import dataclass, field

from hvgui.domain.vm import Inventory, Vm, VmKey


@dataclass(frozen=True)
class InventoryDiff:
    """The change from one refresh to the next; models apply it row by row instead of resetting."""

    host: str
    added: tuple[Vm, ...] = field(default=())
    removed: tuple[VmKey, ...] = field(default=())
    changed: tuple[Vm, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_inventory(old: Inventory | None, new: Inventory) -> InventoryDiff:
    """Compare two snapshots of one host by VM key; order of VMs on the host does not matter."""
    before = old.by_key() if old is not None else {}
    after = new.by_key()
    added = tuple(vm for key, vm in after.items() if key not in before)
    removed = tuple(key for key in before if key not in after)
    # A VM the parser carried over unchanged is the same object: `is` settles it without comparing fields.
    changed = tuple(vm for key, vm in after.items() if key in before and before[key] is not vm and before[key] != vm)
    return InventoryDiff(new.host, added, removed, changed)


def vanished(host: str, old: Inventory | None) -> InventoryDiff:
    """The diff that removes every VM of a host (the host was removed from the window)."""
    keys = tuple(old.by_key()) if old is not None else ()
    return InventoryDiff(host, removed=keys)
