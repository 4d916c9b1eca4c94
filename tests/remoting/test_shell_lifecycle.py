"""Shells on the host: a dropped pool is deleted there, and the per-user shell quota gets its own message."""

from __future__ import annotations

import asyncio
import time

import pytest
from remoting_support import PATIENCE, run

from hvgui.domain.errors import OperationTimedOut, ShellQuotaExceeded
from hvgui.emulator import RunningEmulator
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi


def test_a_dropped_pool_is_deleted_on_the_host(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    service = demo.server(endpoint.host_name).service

    async def body() -> None:
        # A short read time-out keeps the test quick: the worker counts as stuck after a few seconds.
        connection = HostConnection(
            endpoint.connection_settings(), endpoint.password, operation_timeout=1, read_timeout=2
        )
        api = HostApi(connection)
        await api.inventory(timeout=30)
        shell = connection._worker.shell_of_pool()
        assert shell is not None
        shell_id = shell[1]
        service.pause_next_output(12.0)  # the host stalls mid-answer for longer than the client waits
        with pytest.raises(OperationTimedOut):
            await api.inventory()
        deadline = time.monotonic() + PATIENCE
        while shell_id not in service.deleted_shells:  # the Delete goes out in the background
            assert time.monotonic() < deadline, service.deleted_shells
            await asyncio.sleep(0.05)
        assert service.paused  # deleted while the host still stalls: nobody waited for the stuck worker
        assert service.shell_count == 0
        await connection.close()

    run(body)


def test_the_shell_quota_has_its_own_message_and_a_freed_shell_lets_the_next_one_in(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]
    service = demo.server(endpoint.host_name).service
    service.max_shells_per_user = 1

    async def body() -> None:
        first = HostConnection(endpoint.connection_settings(), endpoint.password)
        second = HostConnection(endpoint.connection_settings(), endpoint.password)
        await HostApi(first).inventory()
        with pytest.raises(ShellQuotaExceeded) as refused:
            await HostApi(second).inventory()
        assert "maximum number of 1 concurrent shells" in refused.value.hint
        assert "Close other PowerShell sessions" in refused.value.hint
        await first.close()  # its shell is deleted on the host, which frees the quota
        assert (await HostApi(second).inventory()).inventory.vms
        await second.close()

    run(body)
    assert service.shell_count == 0
