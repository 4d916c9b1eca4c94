"""A host that pauses for seconds in the middle of a large inventory loses nothing.

The client reads well past each Receive's OperationTimeout, so a 4 s stall is waited out on the same
request; and were a Receive re-sent anyway, the host replays its reply (tests/emulator/
test_wire_receive_retransmission.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from remoting_support import run

from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi

VMS = 1000


@pytest.fixture(scope="module")
def large() -> Iterator[RunningEmulator]:
    with start_emulator(f"large:{VMS}") as emulator:
        yield emulator


def test_a_four_second_pause_during_a_large_inventory_loses_nothing(large: RunningEmulator) -> None:
    endpoint = large.endpoints[0]
    service = large.servers[0].service

    async def body() -> None:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, operation_timeout=20)
        api = HostApi(connection)
        before = (await api.inventory()).inventory
        assert len(before.vms) == VMS
        for _ in range(2):
            service.pause_next_output(4.0)  # the host stalls with the first part of the answer in hand
            started = time.monotonic()
            during = (await api.inventory()).inventory
            assert time.monotonic() - started >= 4.0  # the pause did happen inside this inventory
            assert [vm.vm_id for vm in during.vms] == [vm.vm_id for vm in before.vms]
            assert [vm.name for vm in during.vms] == [vm.name for vm in before.vms]
        assert connection.pools_opened == 1  # waited out, not dropped and reopened
        assert service.replayed_receives == 0  # the client read on instead of re-sending its Receive
        await connection.close()

    run(body)
