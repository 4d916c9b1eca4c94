"""What both copy dialogs do while they are open: keep the VM they act on as the host last reported it."""

from __future__ import annotations

from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory, Vm, VmKey


class FollowsVm:
    """Mixin for a dialog about one VM: `on_inventory` and `on_host_removed` (connected while it is open)
    keep `vm()` current, and `_update()` re-checks what the dialog shows. The dialog sets `_key` and `_vm`."""

    _key: VmKey
    _vm: Vm | None

    def _update(self) -> None:
        raise NotImplementedError

    def vm(self) -> Vm | None:
        return self._vm

    def set_vm(self, vm: Vm | None) -> None:
        """The newest report of the VM (None: no longer listed); the preconditions follow it."""
        self._vm = vm
        self._update()

    def on_inventory(self, inventory: Inventory, _diff: InventoryDiff) -> None:
        if inventory.host == self._key.host:
            self.set_vm(inventory.by_key().get(self._key))

    def on_host_removed(self, key: str) -> None:
        if key == self._key.host:
            self.set_vm(None)
