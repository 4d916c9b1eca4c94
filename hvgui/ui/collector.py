"""When Python's garbage collector may pause the window: once, after the hosts' first inventories, and then
only over what is new.

A full collection walks every object the collector tracks, holding the GIL throughout, whichever thread
happens to trigger it; with thousands of VMs loaded (and Qt's wrappers, and every module) that is a pause of
a tenth of a second or more, several times a minute, while inventories keep replacing their objects. Once a
host's first inventory is in, the objects that will live as long as the window are there: `SettledCollector`
then collects once and freezes what survives (`gc.freeze`), so later collections only walk objects made
since. What a refresh replaces is freed by its reference count as before (inventories hold no cycles); only
cyclic garbage that escaped the collection before a freeze would stay, and there is one freeze per host
added, not one per refresh.
"""

from __future__ import annotations

import gc
import logging
import time

from PySide6.QtCore import QObject, QTimer

from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory
from hvgui.ui.controllers.hosts_controller import HostsController

log = logging.getLogger(__name__)

#: Milliseconds to wait after a host's first inventory, so hosts that load together share one collection.
SETTLE_MS = 1500


class SettledCollector(QObject):
    """Collects and freezes once the hosts' first inventories have settled (see the module doc)."""

    def __init__(self, controller: HostsController, parent: QObject | None = None, *, settle_ms: int = SETTLE_MS):
        super().__init__(parent)
        self._loaded: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(settle_ms)
        self._timer.timeout.connect(self.collect_and_freeze)
        #: How many times it froze (tests read it).
        self.freezes = 0
        controller.inventoryChanged.connect(self._on_inventory)
        controller.hostRemoved.connect(self._loaded.discard)

    def _on_inventory(self, inventory: Inventory, _diff: InventoryDiff) -> None:
        if inventory.host not in self._loaded:
            self._loaded.add(inventory.host)
            self._timer.start()  # (re)started: hosts that arrive together share one collection

    def collect_and_freeze(self) -> None:
        started = time.perf_counter()
        gc.collect()
        gc.freeze()
        self.freezes += 1
        log.debug(
            "collected and froze %d objects in %.0f ms", gc.get_freeze_count(), (time.perf_counter() - started) * 1000
        )
