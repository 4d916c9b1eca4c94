"""The garbage collector's one pause per loaded host: collect and freeze once a host's first inventory is in."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import pytest

from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory
from hvgui.remoting import SessionManager
from hvgui.ui.collector import SettledCollector
from hvgui.ui.controllers import HostsController


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as usual


def publish(controller: HostsController, host: str, vms=()) -> None:
    inventory = Inventory(host=host, vms=tuple(vms), fetched_at=time.time())
    controller.inventoryChanged.emit(inventory, InventoryDiff(host, added=tuple(vms)))


def test_one_freeze_per_host_that_loads_and_none_per_refresh(qtbot, unfrozen, vm_factory) -> None:
    controller = HostsController(SessionManager())
    collector = SettledCollector(controller, settle_ms=20)
    publish(controller, "HV01", [vm_factory(host="HV01")])
    publish(controller, "HV02", [vm_factory(host="HV02")])  # loads together with HV01: one collection
    qtbot.waitUntil(lambda: collector.freezes == 1, timeout=2000)
    assert gc.get_freeze_count() > 0
    for _ in range(3):  # refreshes of loaded hosts
        publish(controller, "HV01")
    qtbot.wait(100)
    assert collector.freezes == 1
    publish(controller, "HV03")  # a host added later
    qtbot.waitUntil(lambda: collector.freezes == 2, timeout=2000)
    controller.hostRemoved.emit("HV01")
    publish(controller, "HV01")  # connected again: its objects are new
    qtbot.waitUntil(lambda: collector.freezes == 3, timeout=2000)
