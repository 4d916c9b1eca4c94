"""Where a refresh's work runs: the answer is decoded and compared on the host's worker thread, and only the
finished `InventoryDiff` reaches listeners, on the loop thread (the Qt thread under qasync)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from remoting_support import Recorder, is_inventory, run

from hvgui.domain.errors import ProtocolError
from hvgui.emulator import RunningEmulator
from hvgui.remoting import HostApi, HostConnection, SessionManager
from hvgui.remoting import hostapi as hostapi_module
from hvgui.remoting.connection import PipelineResult
from hvgui.remoting.parse import InventoryReader
from hvgui.remoting.pipeline import PipelineSpec


class ThreadLog:
    """Which thread ran each call of the wrapped functions (the functions still do their real work)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, threading.Thread]] = []

    def wrap(self, name: str, function: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, threading.current_thread()))
            return function(*args, **kwargs)

        return recorded

    def threads(self, name: str) -> set[threading.Thread]:
        return {thread for called, thread in self.calls if called == name}


def test_a_refresh_is_decoded_and_compared_on_the_worker_thread(
    demo: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ThreadLog()
    monkeypatch.setattr(InventoryReader, "read", log.wrap("read", InventoryReader.read))
    monkeypatch.setattr(hostapi_module, "diff_inventory", log.wrap("diff", hostapi_module.diff_inventory))
    endpoint = demo.endpoints[0]

    async def body() -> None:
        loop_thread = threading.current_thread()
        manager = SessionManager(refresh_interval=0.2)
        recorder = Recorder()
        published: list[threading.Thread] = []
        manager.subscribe(recorder)
        original = recorder.inventory_changed
        recorder.inventory_changed = lambda inventory, diff: (  # type: ignore[method-assign]
            published.append(threading.current_thread()),
            original(inventory, diff),
        )
        key = manager.add_host(endpoint.connection_settings(), endpoint.password).key
        first = await recorder.wait_for(is_inventory(key))
        await manager.host(key).fetch_inventory()  # a second refresh: compared with the first
        await manager.aclose()
        assert recorder.events[first][1][1].added  # the real inventory arrived
        assert log.threads("read") and log.threads("diff")
        assert loop_thread not in log.threads("read") | log.threads("diff")
        assert all(thread.name.startswith("hvgui-") for thread in log.threads("read") | log.threads("diff"))
        assert set(published) == {loop_thread}

    run(body)


def test_a_failure_of_the_work_on_the_worker_reaches_the_caller_and_keeps_the_pool(demo: RunningEmulator) -> None:
    endpoint = demo.endpoints[0]

    def refuse(result: PipelineResult) -> None:
        raise ProtocolError("not what was expected")

    async def body() -> None:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password)
        try:
            with pytest.raises(ProtocolError, match="not what was expected"):
                await connection.run_then(PipelineSpec.cmdlet("Get-HvGuiInventory"), refuse)
            assert (await HostApi(connection).inventory()).inventory.vms
            assert connection.pools_opened == 1  # the failure was the caller's, not the connection's
        finally:
            await connection.close()

    run(body)
